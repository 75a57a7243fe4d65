#pragma once

#include <QTimer>

namespace coroute::test {

/// Counts ticks of a short timer on the current thread: if the count grew while work was in
/// flight, the event loop kept turning (nothing blocked it).
class EventLoopChecker : public QTimer
{
public:
    explicit EventLoopChecker(int intervalMs = 5)
    {
        connect(this, &QTimer::timeout, this, [this] { ++m_ticks; });
        start(intervalMs);
    }
    int ticks() const { return m_ticks; }

private:
    int m_ticks = 0;
};

} // namespace coroute::test
