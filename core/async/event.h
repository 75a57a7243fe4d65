#pragma once

#include "async/cancellation.h"
#include "async/detail/resumption.h"

#include <memory>
#include <stop_token>
#include <vector>

namespace coroute {

/// A one-shot event for coroutines on one thread: wait() suspends until set() is called.
/// Combinators and the job registry use it as a latch to observe completion without ever
/// abandoning a QCoro::Task they await. Waiters are resumed inline, in order, by set().
class AsyncEvent
{
public:
    class Awaiter
    {
    public:
        Awaiter(AsyncEvent &event, std::stop_token token) : m_event(event), m_token(std::move(token)) {}
        bool await_ready() const { return m_event.m_set || m_token.stop_requested(); }
        void await_suspend(std::coroutine_handle<> h);
        /// Throws Cancelled if the token fired before the event was set.
        void await_resume();

    private:
        AsyncEvent &m_event;
        std::stop_token m_token;
        std::shared_ptr<detail::Resumption> m_state;
        detail::StopWatch m_stop;
    };

    AsyncEvent() = default;
    AsyncEvent(const AsyncEvent &) = delete;
    AsyncEvent &operator=(const AsyncEvent &) = delete;

    /// Sets the event and resumes every waiter. Later calls do nothing.
    void set();
    bool isSet() const { return m_set; }
    /// Awaitable; completes early with Cancelled when the token fires.
    Awaiter wait(std::stop_token token = {}) { return Awaiter(*this, std::move(token)); }
    int waiterCount() const;
    /// What a waiter is shown waiting on ("child job 17"); "event" by default.
    void setDescription(const QString &description) { m_description = description; }

private:
    bool m_set = false;
    QString m_description;
    std::vector<std::shared_ptr<detail::Resumption>> m_waiters;
};

} // namespace coroute
