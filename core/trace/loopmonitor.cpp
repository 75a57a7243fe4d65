#include "trace/loopmonitor.h"

#include <algorithm>

namespace coroute {

LoopMonitor::LoopMonitor(int intervalMs, int window, QObject *parent)
    : QObject(parent), m_intervalNs(qint64(intervalMs) * 1000000), m_samples(size_t(qMax(1, window)), 0.0)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LoopMonitor::tick);
    m_clock.start();
    m_expectedNs = m_intervalNs;
    m_timer.start();
}

void LoopMonitor::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double lagMs = double(qMax<qint64>(0, now - m_expectedNs)) / 1e6;
    m_expectedNs = now + m_intervalNs;
    m_samples[m_next] = lagMs;
    m_next = (m_next + 1) % m_samples.size();
    m_full = m_full || m_next == 0;
    Q_EMIT sampled(lagMs);
}

LoopMonitor::Stats LoopMonitor::stats() const
{
    const size_t n = m_full ? m_samples.size() : m_next;
    if (n == 0)
        return {};
    std::vector<double> sorted(m_samples.begin(), m_samples.begin() + qsizetype(n));
    std::sort(sorted.begin(), sorted.end());
    const auto at = [&](double q) { return sorted[std::min(n - 1, size_t(q * double(n - 1) + 0.5))]; };
    const size_t last = (m_next + m_samples.size() - 1) % m_samples.size();
    return {at(0.5), at(0.99), sorted.back(), m_samples[last], int(n)};
}

void LoopMonitor::reset()
{
    m_next = 0;
    m_full = false;
    m_expectedNs = m_clock.nsecsElapsed() + m_intervalNs;
}

} // namespace coroute
