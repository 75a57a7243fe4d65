#include "async/clock.h"

#include <QTimer>

#include <memory>
#include <limits>

namespace coroute {

namespace {

// One per thread: an ordered deadline queue driven by a single precise QTimer.
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
        const auto id = m_nextId++;
        const bool earliest = m_timers.empty() || deadline < m_timers.begin()->first.first;
        m_timers.emplace(std::pair{deadline, id}, std::move(fn));
        m_deadlines.insert(id, deadline);
        if (earliest && !m_firing)
            arm();
        return id;
    }

    void unschedule(Clock::TimerId id)
    {
        const auto it = m_deadlines.constFind(id);
        if (it == m_deadlines.constEnd())
            return;
        m_timers.erase({*it, id});
        m_deadlines.erase(it);
        // Leaving the timer armed for an earlier deadline is harmless: fireDue re-arms.
    }

private:
    void arm()
    {
        if (m_timers.empty()) {
            m_timer.stop();
            return;
        }
        using namespace std::chrono;
        const auto wait = m_timers.begin()->first.first - steady_clock::now();
        // Round up: firing early would only re-arm, firing late by <1 ms is fine.
        const auto ms = wait <= nanoseconds::zero() ? 0 : ceil<milliseconds>(wait).count();
        m_timer.start(int(qMin<qint64>(ms, std::numeric_limits<int>::max())));
    }

    void fireDue()
    {
        const auto now = std::chrono::steady_clock::now();
        m_firing = true;
        // One at a time: a callback may schedule or forget other timers.
        while (!m_timers.empty() && m_timers.begin()->first.first <= now) {
            auto node = m_timers.extract(m_timers.begin());
            m_deadlines.remove(node.key().second);
            node.mapped()();
        }
        m_firing = false;
        arm();
    }

    QTimer m_timer;
    Clock::TimerId m_nextId = 1;
    bool m_firing = false;
    std::map<std::pair<Clock::TimePoint, Clock::TimerId>, std::function<void()>> m_timers;
    QHash<Clock::TimerId, Clock::TimePoint> m_deadlines;
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

ManualClock::ManualClock() : m_now(std::chrono::steady_clock::now()) {}

Clock::TimerId ManualClock::schedule(TimePoint deadline, std::function<void()> fn)
{
    const auto id = m_nextId++;
    m_timers.emplace(std::pair{deadline, id}, std::move(fn));
    m_deadlines.insert(id, deadline);
    return id;
}

void ManualClock::unschedule(TimerId id)
{
    const auto it = m_deadlines.constFind(id);
    if (it == m_deadlines.constEnd())
        return;
    m_timers.erase({*it, id});
    m_deadlines.erase(it);
}

void ManualClock::advance(std::chrono::milliseconds d)
{
    const auto target = m_now + d;
    // Fire one at a time: a callback may schedule or forget other timers.
    while (!m_timers.empty() && m_timers.begin()->first.first <= target) {
        auto node = m_timers.extract(m_timers.begin());
        m_deadlines.remove(node.key().second);
        m_now = qMax(m_now, node.key().first);
        node.mapped()();
    }
    m_now = target;
}

Clock::TimePoint ManualClock::nextDeadline() const
{
    return m_timers.empty() ? m_now : m_timers.begin()->first.first;
}

} // namespace coroute
