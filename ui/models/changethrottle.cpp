#include "models/changethrottle.h"

namespace coroute {

namespace {
constexpr int minSliceJobs = 100;
constexpr qint64 targetSliceNs = 4'000'000; // a quarter of a frame per slice
} // namespace

ChangeThrottle::ChangeThrottle(int intervalMs, int maxSliceJobs, QObject *parent)
    : QObject(parent), m_maxSliceJobs(qMax(1, maxSliceJobs)), m_sliceJobs(qMin(500, m_maxSliceJobs))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ChangeThrottle::startDraining);
    m_drainTimer.setInterval(0);
    connect(&m_drainTimer, &QTimer::timeout, this, &ChangeThrottle::drainSlice);
}

void ChangeThrottle::push(const ChangeSet &changes)
{
    // Cheap: the lists are implicitly shared; nothing is copied until a slice is cut.
    m_queue.append(changes);
    if (!m_timer.isActive() && !m_drainTimer.isActive())
        m_timer.start();
}

bool ChangeThrottle::hasPending() const
{
    return !m_queue.isEmpty();
}

void ChangeThrottle::startDraining()
{
    if (!m_queue.isEmpty() && !m_drainTimer.isActive())
        m_drainTimer.start();
}

void ChangeThrottle::drainSlice()
{
    if (m_queue.isEmpty()) {
        m_drainTimer.stop();
        return;
    }
    ChangeSet &front = m_queue.first();
    ChangeSet slice;
    slice.sequence = ++m_sequence;
    const qsizetype n = qMin<qsizetype>(m_sliceJobs, front.jobs.size() - m_drainPos);
    if (m_drainPos == 0 && n == front.jobs.size())
        slice.jobs = front.jobs; // shared, no copy
    else
        slice.jobs = front.jobs.mid(m_drainPos, n);
    m_drainPos += n;
    const bool last = m_drainPos >= front.jobs.size();
    if (last) {
        // Logs and spans go with the last slice of their set: their jobs are applied by then.
        slice.logs = std::move(front.logs);
        slice.spans = std::move(front.spans);
        m_queue.removeFirst();
        m_drainPos = 0;
        if (m_queue.isEmpty())
            m_drainTimer.stop();
    }
    QElapsedTimer cost;
    cost.start();
    Q_EMIT ready(slice);
    // Size the next slice so that applying it takes about targetSliceNs.
    if (n >= m_sliceJobs / 2) {
        const qint64 ns = cost.nsecsElapsed();
        if (ns > targetSliceNs)
            m_sliceJobs = qMax(minSliceJobs, m_sliceJobs / 2);
        else if (ns < targetSliceNs / 2)
            m_sliceJobs = qMin(m_maxSliceJobs, m_sliceJobs * 2);
    }
}

void ChangeThrottle::flushNow()
{
    m_timer.stop();
    while (!m_queue.isEmpty())
        drainSlice();
    m_drainTimer.stop();
}

} // namespace coroute
