#pragma once
// Internal to coroute's combinators; not part of the public API. Do not include directly.

#include "async/cancellation.h"
#include "async/detail/detached.h"
#include "async/event.h"
#include "async/work.h"

#include <qcoro/qcorotask.h>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <variant>

namespace coroute::detail {

template<typename T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// How one child ended: a value, or the exception it threw.
template<typename T>
struct Outcome
{
    std::optional<Stored<T>> value;
    std::exception_ptr error;
};

/// Whether e holds a Cancelled (TimedOut included).
bool isCancellation(const std::exception_ptr &e);
/// Whether e holds a TimedOut.
bool isTimeout(const std::exception_ptr &e);
/// what() of the exception in e; empty for no exception.
QString errorMessage(const std::exception_ptr &e);

/// State shared by a combinator and the drivers of its children: the stop source the
/// children's tokens come from (linked to the caller's token), and the count of children
/// that have not settled yet. Lives on the loop thread, except that the link may request a
/// stop from any thread (which only posts resumptions further down).
class ChildScope
{
public:
    explicit ChildScope(const std::stop_token &outer);
    virtual ~ChildScope();
    ChildScope(const ChildScope &) = delete;
    ChildScope &operator=(const ChildScope &) = delete;

    std::stop_token token() const { return m_stop.get_token(); }
    void requestStop() { m_stop.request_stop(); }
    bool stopRequested() const { return m_stop.stop_requested(); }
    bool outerStopRequested() const { return m_outer.stop_requested(); }

    int pending() const { return m_pending; }
    void childStarted();
    /// When the last pending child settles, wakes the waiter from the event loop, so that
    /// the child's frame is gone and the driver's stack unwound before the parent goes on.
    void childSettled();
    /// Whether the caller's token had fired when the last pending child settled.
    bool outerStoppedAtSettle() const { return m_outerStoppedAtSettle; }
    /// Set by the last child to settle; replaced when a child starts after that.
    std::shared_ptr<AsyncEvent> idleEvent() const { return m_idle; }

private:
    struct Forward
    {
        std::stop_source target;
        void operator()() noexcept { target.request_stop(); }
    };

    std::stop_source m_stop;
    std::stop_token m_outer;
    std::optional<std::stop_callback<Forward>> m_link; // after m_stop: unregistered first
    int m_pending = 0;
    bool m_outerStoppedAtSettle = false;
    std::shared_ptr<AsyncEvent> m_idle;
};

/// Completes once no child of scope is pending. Not cancellable: cancelling a combinator
/// means stopping its children, whose settling ends this wait.
QCoro::Task<void> allSettled(std::shared_ptr<ChildScope> scope);

/// Starts work as a child of scope: awaits its task to completion, hands the outcome to
/// sink (inline, on the loop thread), then marks the child settled. A child of a scope that
/// is already stopping is not started; it settles at once as Cancelled.
template<typename T, typename Sink>
Detached driveChild(std::shared_ptr<ChildScope> scope, Work<T> work, Sink sink)
{
    scope->childStarted();
    Outcome<T> outcome;
    try {
        throwIfCancelled(scope->token());
        auto task = work(scope->token());
        if constexpr (std::is_void_v<T>) {
            co_await task;
            outcome.value.emplace();
        } else {
            auto value = co_await task;
            outcome.value.emplace(std::move(value));
        }
    } catch (...) {
        outcome.error = std::current_exception();
    }
    work = nullptr; // release the closure's captures before anyone hears of the settlement
    try {
        sink(std::move(outcome));
    } catch (...) {
        qCritical("coroute: recording a child's outcome failed");
    }
    scope->childSettled();
}

} // namespace coroute::detail
