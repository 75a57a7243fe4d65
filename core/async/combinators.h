#pragma once

#include "async/cancellation.h"
#include "async/clock.h"
#include "async/detail/childscope.h"
#include "async/sleep.h"
#include "async/work.h"
#include "router/route.h"

#include <QRandomGenerator>
#include <QString>

#include <qcoro/qcorotask.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <vector>

// All combinators run on the calling thread's event loop. Each child is awaited to completion
// by a driver that records its outcome in shared state; the combinator waits on that state,
// never on a child's task directly, and never returns or rethrows before every child it
// started has settled (children may hold references into the caller's frame).
// "Cancelled" below means: the caller's token fired before every child had settled.

namespace coroute {

/// Whether e holds a Cancelled (TimedOut included).
inline bool isCancellation(const std::exception_ptr &e) { return detail::isCancellation(e); }

// ---------------------------------------------------------------------------------------------
// gather

namespace detail {

template<typename T>
struct GatherState : ChildScope
{
    GatherState(const std::stop_token &outer, std::size_t n) : ChildScope(outer), values(n) {}
    std::vector<std::optional<T>> values;
    std::exception_ptr firstError;
};

} // namespace detail

/// Runs every work item concurrently and returns their values in the order given
/// (asyncio.gather). Fail-fast: the first child to fail (Cancelled included) has the others
/// cancelled; once all have settled, that first failure is rethrown. When the caller's token
/// fires, all children are cancelled and awaited, then Cancelled is thrown.
template<typename T>
    requires(!std::is_void_v<T>)
QCoro::Task<std::vector<T>> gather(std::vector<Work<T>> work, std::stop_token token = {})
{
    throwIfCancelled(token);
    auto state = std::make_shared<detail::GatherState<T>>(token, work.size());
    for (std::size_t i = 0; i < work.size(); ++i) {
        detail::driveChild<T>(state, std::move(work[i]), [s = state.get(), i](detail::Outcome<T> &&o) {
            if (o.error) {
                if (!s->firstError) {
                    s->firstError = o.error;
                    s->requestStop();
                }
            } else {
                s->values[i] = std::move(o.value);
            }
        });
    }
    co_await detail::allSettled(state);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
    if (state->firstError)
        std::rethrow_exception(state->firstError);
    std::vector<T> result;
    result.reserve(state->values.size());
    for (auto &v : state->values)
        result.push_back(std::move(*v));
    co_return result;
}

/// As gather() for work without a value: completes once all succeeded.
QCoro::Task<void> gather(std::vector<Work<void>> work, std::stop_token token = {});

// ---------------------------------------------------------------------------------------------
// gatherSettled

/// How one child of gatherSettled() ended.
template<typename T>
struct Settled
{
    enum class State { Succeeded, Failed, Cancelled } state = State::Succeeded;
    std::optional<T> value;   ///< set when Succeeded
    std::exception_ptr error; ///< set when Failed, and when Cancelled by an exception

    bool succeeded() const { return state == State::Succeeded; }
    /// what() of the error, or "cancelled"; empty for a success.
    QString errorMessage() const
    {
        return state == State::Cancelled && !error ? QStringLiteral("cancelled") : detail::errorMessage(error);
    }
};

/// How one valueless child of gatherSettled() ended.
template<>
struct Settled<void>
{
    enum class State { Succeeded, Failed, Cancelled } state = State::Succeeded;
    std::exception_ptr error; ///< set when Failed, and when Cancelled by an exception

    bool succeeded() const { return state == State::Succeeded; }
    /// what() of the error, or "cancelled"; empty for a success.
    QString errorMessage() const
    {
        return state == State::Cancelled && !error ? QStringLiteral("cancelled") : detail::errorMessage(error);
    }
};

namespace detail {

template<typename T>
struct SettledState : ChildScope
{
    SettledState(const std::stop_token &outer, std::size_t n) : ChildScope(outer), results(n) {}
    std::vector<Settled<T>> results;
};

} // namespace detail

/// Runs every work item concurrently and reports how each ended, in the order given
/// (asyncio.gather with return_exceptions=True): a child's failure never cancels the others
/// and is never thrown. A child that throws Cancelled (or TimedOut) is reported as Cancelled.
/// When the caller's token fires, all children are cancelled and awaited, then Cancelled is
/// thrown.
template<typename T>
QCoro::Task<std::vector<Settled<T>>> gatherSettled(std::vector<Work<T>> work, std::stop_token token = {})
{
    throwIfCancelled(token);
    auto state = std::make_shared<detail::SettledState<T>>(token, work.size());
    for (std::size_t i = 0; i < work.size(); ++i) {
        detail::driveChild<T>(state, std::move(work[i]), [s = state.get(), i](detail::Outcome<T> &&o) {
            auto &r = s->results[i];
            using State = typename Settled<T>::State;
            if (!o.error) {
                r.state = State::Succeeded;
                if constexpr (!std::is_void_v<T>)
                    r.value = std::move(o.value);
            } else {
                r.state = detail::isCancellation(o.error) ? State::Cancelled : State::Failed;
                r.error = o.error;
            }
        });
    }
    co_await detail::allSettled(state);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
    co_return std::move(state->results);
}

// ---------------------------------------------------------------------------------------------
// race

/// The child that finished first in race(), by its index in the work list, and its value.
template<typename T>
struct RaceResult
{
    std::size_t index = 0;
    T value;
};

template<>
struct RaceResult<void>
{
    std::size_t index = 0;
};

namespace detail {

template<typename T>
struct RaceState : ChildScope
{
    using ChildScope::ChildScope;
    std::optional<std::size_t> winner;
    Outcome<T> outcome;
};

} // namespace detail

/// Runs every work item concurrently; the first to finish, with a value or a failure,
/// decides. The others are cancelled and awaited; then the winner's value is returned or its
/// failure rethrown. Throws std::invalid_argument for an empty list. When the caller's token
/// fires first, all children are cancelled and awaited, then Cancelled is thrown.
template<typename T>
QCoro::Task<RaceResult<T>> race(std::vector<Work<T>> work, std::stop_token token = {})
{
    if (work.empty())
        throw std::invalid_argument("race() needs at least one work item");
    throwIfCancelled(token);
    auto state = std::make_shared<detail::RaceState<T>>(token);
    for (std::size_t i = 0; i < work.size(); ++i) {
        detail::driveChild<T>(state, std::move(work[i]), [s = state.get(), i](detail::Outcome<T> &&o) {
            if (s->winner)
                return;
            s->winner = i;
            s->outcome = std::move(o);
            s->requestStop();
        });
    }
    co_await detail::allSettled(state);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
    if (state->outcome.error)
        std::rethrow_exception(state->outcome.error);
    if constexpr (std::is_void_v<T>)
        co_return RaceResult<void>{*state->winner};
    else
        co_return RaceResult<T>{*state->winner, std::move(*state->outcome.value)};
}

// ---------------------------------------------------------------------------------------------
// withTimeout, timeoutOr

namespace detail {

template<typename T>
struct DeadlineState : ChildScope
{
    using ChildScope::ChildScope;
    bool settled = false;
    bool timedOut = false; // the deadline passed before the child settled
    Outcome<T> outcome;
};

template<typename T>
struct DeadlineResult
{
    Outcome<T> outcome;
    bool timedOut = false;
};

template<typename T>
QCoro::Task<DeadlineResult<T>> runWithDeadline(Clock &clock, std::chrono::milliseconds limit, Work<T> work,
                                               std::stop_token token)
{
    throwIfCancelled(token);
    auto state = std::make_shared<DeadlineState<T>>(token);
    // The timer fires on this thread; it only stops the child, which then unwinds and settles.
    const auto timer = clock.schedule(clock.now() + limit, [weak = std::weak_ptr<DeadlineState<T>>(state)] {
        auto s = weak.lock();
        if (!s || s->settled)
            return;
        s->timedOut = true;
        s->requestStop();
    });
    driveChild<T>(state, std::move(work), [s = state.get()](Outcome<T> &&o) {
        s->settled = true;
        s->outcome = std::move(o);
    });
    co_await allSettled(state);
    clock.unschedule(timer);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
    co_return DeadlineResult<T>{std::move(state->outcome), state->timedOut};
}

} // namespace detail

/// Runs work with a deadline measured by clock (asyncio.wait_for). When the deadline passes
/// first, the work is cancelled and awaited, then TimedOut is thrown (unless it still
/// produced a value, which is returned). The work's own failures are rethrown. When the
/// caller's token fires first, the work is cancelled and awaited, then Cancelled is thrown.
/// The clock must outlive the returned task.
template<typename T>
QCoro::Task<T> withTimeout(Clock &clock, std::chrono::milliseconds limit, Work<T> work, std::stop_token token = {})
{
    auto r = co_await detail::runWithDeadline<T>(clock, limit, std::move(work), std::move(token));
    if (r.outcome.error) {
        if (r.timedOut)
            throw TimedOut();
        std::rethrow_exception(r.outcome.error);
    }
    if constexpr (!std::is_void_v<T>)
        co_return std::move(*r.outcome.value);
}

/// As withTimeout(clock, ...), timed by the system clock.
template<typename T>
QCoro::Task<T> withTimeout(std::chrono::milliseconds limit, Work<T> work, std::stop_token token = {})
{
    return withTimeout<T>(Clock::system(), limit, std::move(work), std::move(token));
}

/// The per-operation form of withTimeout(): yields std::nullopt when the deadline passes
/// first, so an aggregate can go on without the slow part. Failures and the caller's
/// cancellation are thrown as by withTimeout(). The clock must outlive the returned task.
template<typename T>
QCoro::Task<std::optional<T>> timeoutOr(Clock &clock, std::chrono::milliseconds limit, Work<T> work,
                                        std::stop_token token = {})
{
    static_assert(!std::is_void_v<T>,
                  "timeoutOr() needs work that produces a value; for void work use withTimeout() "
                  "and catch TimedOut.");
    auto r = co_await detail::runWithDeadline<T>(clock, limit, std::move(work), std::move(token));
    if (r.outcome.error) {
        if (r.timedOut)
            co_return std::nullopt;
        std::rethrow_exception(r.outcome.error);
    }
    co_return std::move(*r.outcome.value);
}

/// As timeoutOr(clock, ...), timed by the system clock.
template<typename T>
QCoro::Task<std::optional<T>> timeoutOr(std::chrono::milliseconds limit, Work<T> work, std::stop_token token = {})
{
    return timeoutOr<T>(Clock::system(), limit, std::move(work), std::move(token));
}

// ---------------------------------------------------------------------------------------------
// TaskGroup

namespace detail {
struct GroupState;
}

/// Structured concurrency (asyncio.TaskGroup, a Trio nursery) on the calling thread.
/// Members start at once. When a member fails, the others are cancelled (reason
/// SiblingFailed) and join() rethrows that first failure once every member has settled.
/// A member ending with Cancelled while the group is being cancelled is not a failure; one
/// ending with Cancelled (e.g. TimedOut) while the group runs on is.
/// Must be joined before it is destroyed if anything was spawned (asserted).
class TaskGroup
{
public:
    /// A group whose members are cancelled (reason Parent) when parent fires.
    explicit TaskGroup(std::stop_token parent = {});
    /// Asserts that the group was joined; cancels members that still run, in release builds.
    ~TaskGroup();
    TaskGroup(const TaskGroup &) = delete;
    TaskGroup &operator=(const TaskGroup &) = delete;

    /// Starts work now with the group's token. A member may spawn siblings. Spawned while the
    /// group is being cancelled, the work is not started and counts as cancelled.
    void spawn(Work<void> work);
    /// Waits until every member has settled, including members spawned meanwhile. Rethrows the
    /// first member failure; else throws Cancelled if the parent token fired before all
    /// settled; else returns (also after cancel(): the group chose to stop).
    /// The group must outlive the returned task.
    QCoro::Task<void> join();
    /// Cancels every member (reason User, unless a reason was set before).
    void cancel();

    /// Members spawned so far.
    int size() const;
    /// Members that have not settled yet.
    int running() const;
    /// Why the members were cancelled, or None.
    CancelReason cancelReason() const;
    /// The token members receive.
    std::stop_token token() const;

private:
    std::shared_ptr<detail::GroupState> m_state;
};

// ---------------------------------------------------------------------------------------------
// retry

/// Calls work, and again after policy.delayFor(n, random) (timed by clock) each time it throws
/// something worth another try, up to policy.attempts tries in all; after the last one the
/// last error is rethrown. Worth a try: what policy.retryIf accepts, by default anything but
/// a cancellation. Never retried: Cancelled (TimedOut from a per-attempt timeout is a failure
/// like others, subject to retryIf), and anything once the caller's token fired. The backoff
/// sleep throws Cancelled when the token fires. The policy is copied; the clock must outlive
/// the returned task.
template<typename T>
QCoro::Task<T> retry(Clock &clock, const RetryPolicy &policyRef, Work<T> work, std::stop_token token = {})
{
    const RetryPolicy policy = policyRef; // before the first suspension: the caller's may be a temporary
    const int attempts = std::max(policy.attempts, 1);
    std::optional<detail::Stored<T>> result;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        throwIfCancelled(token);
        std::exception_ptr error;
        try {
            auto task = work(token);
            if constexpr (std::is_void_v<T>) {
                co_await task;
                result.emplace();
            } else {
                auto value = co_await task;
                result.emplace(std::move(value));
            }
        } catch (...) {
            error = std::current_exception();
        }
        if (result)
            break;
        bool again = attempt < attempts && !token.stop_requested();
        if (again) {
            const bool cancelled = detail::isCancellation(error) && !detail::isTimeout(error);
            again = !cancelled && (!policy.retryIf || policy.retryIf(error));
        }
        if (!again)
            std::rethrow_exception(error);
        const auto delay = policy.delayFor(attempt, QRandomGenerator::global()->generateDouble());
        co_await sleep(clock, delay, token);
    }
    if constexpr (!std::is_void_v<T>)
        co_return std::move(*result);
}

/// As retry(clock, ...), timed by the system clock.
template<typename T>
QCoro::Task<T> retry(const RetryPolicy &policy, Work<T> work, std::stop_token token = {})
{
    return retry<T>(Clock::system(), policy, std::move(work), std::move(token));
}

} // namespace coroute
