#include "async/sleep.h"

#include <limits>

using namespace Qt::StringLiterals;

namespace coroute::detail {

void SleepAwaiter::await_suspend(std::coroutine_handle<> h)
{
    m_state = std::make_shared<Resumption>();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(m_deadline - m_clock.now()).count();
    // Sleepers come in crowds of one duration: format the text once per thread and duration.
    thread_local qint64 lastMs = std::numeric_limits<qint64>::min();
    thread_local QString lastText;
    if (ms != lastMs) {
        lastText = u"sleep %1 ms"_s.arg(ms);
        lastMs = ms;
    }
    m_state->suspend(h, lastText);
    const auto id = m_clock.schedule(m_deadline, [s = m_state] { s->resume(false); });
    m_state->onCancel = [clock = &m_clock, id] {
        clock->unschedule(id);
        return true;
    };
    // The timer callback resumes on this thread; cancellation is posted to it.
    m_stop.watch(m_token, m_state);
}

} // namespace coroute::detail
