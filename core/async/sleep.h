#pragma once

#include "async/cancellation.h"
#include "async/clock.h"
#include "async/detail/resumption.h"

#include <chrono>
#include <memory>
#include <stop_token>

namespace coroute {

namespace detail {

class SleepAwaiter
{
public:
    SleepAwaiter(Clock &clock, Clock::TimePoint deadline, std::stop_token token)
        : m_clock(clock), m_deadline(deadline), m_token(std::move(token)) {}
    SleepAwaiter(const SleepAwaiter &) = delete;
    SleepAwaiter(SleepAwaiter &&) = default;

    bool await_ready() const { return m_token.stop_requested() || m_deadline <= m_clock.now(); }
    void await_suspend(std::coroutine_handle<> h);
    // Inline: a cancelled sleep throws from the awaiting coroutine's own frame, one frame
    // fewer for the unwinder to walk (cancelling 10,000 sleepers is mostly unwinding).
    void await_resume()
    {
        m_stop.reset();
        if (m_token.stop_requested() && (!m_state || m_state->cancelled))
            throw Cancelled();
    }

private:
    Clock &m_clock;
    Clock::TimePoint m_deadline;
    std::stop_token m_token;
    std::shared_ptr<Resumption> m_state;
    StopWatch m_stop;
};

} // namespace detail

/// Suspends for d, resuming on the same thread. Throws Cancelled as soon as the token fires
/// (the timer is forgotten). `co_await sleep(100ms, token);`
inline detail::SleepAwaiter sleep(std::chrono::milliseconds d, std::stop_token token = {})
{
    auto &clock = Clock::system();
    return {clock, clock.now() + d, std::move(token)};
}

/// As sleep(d, token), timed by the given clock.
inline detail::SleepAwaiter sleep(Clock &clock, std::chrono::milliseconds d, std::stop_token token = {})
{
    return {clock, clock.now() + d, std::move(token)};
}

/// Suspends until the clock reaches deadline.
inline detail::SleepAwaiter sleepUntil(Clock &clock, Clock::TimePoint deadline, std::stop_token token = {})
{
    return {clock, deadline, std::move(token)};
}

} // namespace coroute
