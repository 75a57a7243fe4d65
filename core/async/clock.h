#pragma once

#include <QtGlobal>

#include <chrono>
#include <functional>
#include <memory>

namespace coroute {

namespace detail {
class DeadlineQueue;
}

/// Source of time and timers for sleep, timeouts and retry backoff. The system clock is
/// used by default; tests inject a ManualClock to drive deadlines deterministically.
/// A clock's timers fire on the thread that scheduled them; use a clock from one thread.
class Clock
{
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using TimerId = quint64;

    virtual ~Clock() = default;

    /// The current time of this clock.
    virtual TimePoint now() const = 0;
    /// Calls fn once now() >= deadline, on the calling thread's event loop.
    virtual TimerId schedule(TimePoint deadline, std::function<void()> fn) = 0;
    /// Forgets a scheduled callback. Harmless when it already ran or was forgotten.
    virtual void unschedule(TimerId id) = 0;

    /// The steady system clock. It keeps one QTimer per thread over a deadline queue, so
    /// ten thousand sleepers cost one timer, not ten thousand.
    static Clock &system();
};

/// A clock that only moves when told to. Timers fire inside advance(), in deadline order.
class ManualClock final : public Clock
{
public:
    ManualClock();
    ~ManualClock() override;

    TimePoint now() const override { return m_now; }
    TimerId schedule(TimePoint deadline, std::function<void()> fn) override;
    void unschedule(TimerId id) override;

    /// Moves time forward by d, firing every timer that falls due on the way.
    void advance(std::chrono::milliseconds d);
    /// Number of timers not yet fired nor forgotten.
    int pendingTimers() const;
    /// Deadline of the earliest pending timer, or now() when none is pending.
    TimePoint nextDeadline() const;

private:
    TimePoint m_now;
    std::unique_ptr<detail::DeadlineQueue> m_queue;
};

} // namespace coroute
