#pragma once
// Internal to coroute's awaitables; not part of the public API. Do not include directly.

#include "async/detail/execution.h"

#include <QObject>
#include <QtGlobal>

#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>

namespace coroute::detail {

/// A QObject living on the calling thread, used as the context of posted resumptions.
/// Created on first use per thread, destroyed when the thread ends.
QObject *threadAnchor();

/// A QObject for postTo() that runs the posted functions on the thread parent lives on and
/// moves with it; pending calls are dropped when parent (and so the anchor) is destroyed.
QObject *makeAnchor(QObject *parent);

/// Queues fn to run on the thread that owns anchor. Safe to call from any thread.
void postTo(QObject *anchor, std::function<void()> fn);

/// Shared between an awaiter and whatever may resume it (the operation completing, or its
/// stop token firing). Whichever comes first resumes the coroutine; the other is ignored.
/// Lives on the coroutine's thread: resume() and the abort hook are only called there.
struct Resumption
{
    std::coroutine_handle<> handle;
    QObject *anchor = nullptr;
    /// The job the coroutine belongs to, current again while it resumes.
    std::shared_ptr<ExecutionContext> execution;
    bool done = false;
    bool cancelled = false;
    /// Aborts the operation underneath when cancellation arrives (stop a timer, abort a
    /// reply). Returns false when the operation cannot be abandoned and must be waited for.
    std::function<bool()> onCancel;

    /// Resumes the coroutine unless it was resumed already. Returns whether it did.
    bool resume(bool byCancel)
    {
        if (done)
            return false;
        if (byCancel && onCancel && !onCancel())
            return false;
        done = true;
        cancelled = byCancel;
        onCancel = nullptr;
        resumeIn(execution, handle);
        return true;
    }

    /// Records the suspending coroutine, its thread and job; tells the job what it waits on.
    void suspend(std::coroutine_handle<> h, const QString &waitingOn)
    {
        handle = h;
        anchor = threadAnchor();
        execution = currentExecutionShared();
        if (execution)
            execution->setWaitingOn(waitingOn);
    }
};

/// The stop callback part of a cancellable awaiter. The callback runs on the thread that
/// requested the stop, so it only posts the resumption back to the coroutine's thread.
class StopWatch
{
public:
    StopWatch() = default;
    // GCC 12 moves an awaiter that QCoro's await_transform hands over as an xvalue into the
    // coroutine frame. That happens before await_suspend(), so only an idle watch is moved.
    StopWatch(StopWatch &&other) noexcept { Q_ASSERT(!other.m_callback); }
    StopWatch &operator=(StopWatch &&) = delete;

    void watch(const std::stop_token &token, const std::shared_ptr<Resumption> &state)
    {
        if (!token.stop_possible())
            return;
        m_callback.emplace(token, Poster{state});
    }
    /// Must run before the awaiter's frame goes away; waits for a callback running elsewhere.
    void reset() { m_callback.reset(); }

private:
    struct Poster
    {
        std::weak_ptr<Resumption> state;
        void operator()() const
        {
            auto s = state.lock();
            if (!s)
                return;
            postTo(s->anchor, [s] { s->resume(true); });
        }
    };
    std::optional<std::stop_callback<Poster>> m_callback;
};

} // namespace coroute::detail
