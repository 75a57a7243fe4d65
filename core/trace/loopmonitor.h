#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <vector>

namespace coroute {

/// Event-loop lag of the thread it lives on: a short timer's lateness, sampled continuously.
/// A loop that is never blocked shows lag near zero; a handler that blocks shows up here.
class LoopMonitor : public QObject
{
    Q_OBJECT
public:
    struct Stats
    {
        double p50Ms = 0;
        double p99Ms = 0;
        double maxMs = 0;
        double lastMs = 0;
        int samples = 0;
    };

    /// Samples every intervalMs and keeps the last `window` samples.
    explicit LoopMonitor(int intervalMs = 50, int window = 1200, QObject *parent = nullptr);

    Stats stats() const;
    /// Forgets the samples taken so far.
    void reset();

Q_SIGNALS:
    /// After each sample: the lateness of this tick, in ms.
    void sampled(double lagMs);

private:
    void tick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_expectedNs = 0;
    qint64 m_intervalNs;
    std::vector<double> m_samples; ///< ring buffer
    size_t m_next = 0;
    bool m_full = false;
};

} // namespace coroute
