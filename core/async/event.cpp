#include "async/event.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace coroute {

void AsyncEvent::Awaiter::await_suspend(std::coroutine_handle<> h)
{
    m_state = std::make_shared<detail::Resumption>();
    m_state->suspend(h, m_event.m_description.isEmpty() ? u"event"_s : m_event.m_description);
    // Waiters that left by cancellation stay listed until set(); drop them here so an event
    // waited on in a loop with a token does not grow without bound.
    std::erase_if(m_event.m_waiters, [](const auto &w) { return w->done; });
    m_event.m_waiters.push_back(m_state);
    m_stop.watch(m_token, m_state);
}

void AsyncEvent::Awaiter::await_resume()
{
    m_stop.reset();
    if (m_state ? m_state->cancelled : !m_event.m_set)
        throw Cancelled();
}

void AsyncEvent::set()
{
    if (m_set)
        return;
    m_set = true;
    // A resumed waiter may destroy this event: work on a local copy.
    auto waiters = std::move(m_waiters);
    m_waiters.clear();
    for (auto &w : waiters)
        w->resume(false);
}

int AsyncEvent::waiterCount() const
{
    return int(std::count_if(m_waiters.begin(), m_waiters.end(), [](const auto &w) { return !w->done; }));
}

} // namespace coroute
