#include "async/clock.h"
#include "async/detail/deadlinequeue.h"

#include <QTimer>

#include <memory>
#include <limits>

namespace coroute {

namespace {

// One per thread: a deadline queue driven by a single precise QTimer.
class TimerQueue
{
public:
    TimerQueue()
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { fireDue(); });
    }

    Clock::TimerId schedule(Clock::TimePoint deadline, std::function<void()> fn)
    {
        const bool earliest = m_queue.isEmpty() || deadline < m_queue.earliest();
        const auto id = m_queue.add(deadline, std::move(fn));
        if (earliest && !m_firing)
            arm();
        return id;
    }

    // Leaving the timer armed for an earlier deadline is harmless: fireDue re-arms.
    void unschedule(Clock::TimerId id) { m_queue.remove(id); }

private:
    void arm()
    {
        if (m_queue.isEmpty()) {
            m_timer.stop();
            return;
        }
        using namespace std::chrono;
        const auto wait = m_queue.earliest() - steady_clock::now();
        // Round up: firing early would only re-arm, firing late by <1 ms is fine.
        const auto ms = wait <= nanoseconds::zero() ? 0 : ceil<milliseconds>(wait).count();
        m_timer.start(int(qMin<qint64>(ms, std::numeric_limits<int>::max())));
    }

    void fireDue()
    {
        const auto now = std::chrono::steady_clock::now();
        m_firing = true;
        // One at a time: a callback may schedule or forget other timers.
        while (auto fn = m_queue.takeDue(now))
            fn();
        m_firing = false;
        arm();
    }

    QTimer m_timer;
    bool m_firing = false;
    detail::DeadlineQueue m_queue;
};

TimerQueue &threadTimerQueue()
{
    thread_local std::unique_ptr<TimerQueue> queue;
    if (!queue)
        queue = std::make_unique<TimerQueue>();
    return *queue;
}

class SystemClock final : public Clock
{
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
    TimerId schedule(TimePoint deadline, std::function<void()> fn) override
    {
        return threadTimerQueue().schedule(deadline, std::move(fn));
    }
    void unschedule(TimerId id) override { threadTimerQueue().unschedule(id); }
};

} // namespace

Clock &Clock::system()
{
    static SystemClock clock;
    return clock;
}

ManualClock::ManualClock() : m_now(std::chrono::steady_clock::now()), m_queue(std::make_unique<detail::DeadlineQueue>())
{
}

ManualClock::~ManualClock() = default;

Clock::TimerId ManualClock::schedule(TimePoint deadline, std::function<void()> fn)
{
    return m_queue->add(deadline, std::move(fn));
}

void ManualClock::unschedule(TimerId id)
{
    m_queue->remove(id);
}

void ManualClock::advance(std::chrono::milliseconds d)
{
    const auto target = m_now + d;
    // Fire one at a time: a callback may schedule or forget other timers.
    TimePoint deadline;
    while (auto fn = m_queue->takeDue(target, &deadline)) {
        m_now = qMax(m_now, deadline);
        fn();
    }
    m_now = target;
}

int ManualClock::pendingTimers() const
{
    return int(m_queue->size());
}

Clock::TimePoint ManualClock::nextDeadline() const
{
    return m_queue->isEmpty() ? m_now : m_queue->earliest();
}

} // namespace coroute
