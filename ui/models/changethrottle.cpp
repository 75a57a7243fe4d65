#include "models/changethrottle.h"

namespace coroute {

ChangeThrottle::ChangeThrottle(int intervalMs, int sliceJobs, QObject *parent)
    : QObject(parent), m_sliceJobs(qMax(1, sliceJobs))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ChangeThrottle::startDraining);
    m_drainTimer.setSingleShot(false);
    m_drainTimer.setInterval(0);
    connect(&m_drainTimer, &QTimer::timeout, this, &ChangeThrottle::drainSlice);
}

void ChangeThrottle::push(const ChangeSet &changes)
{
    m_pending.jobs.reserve(m_pending.jobs.size() + changes.jobs.size());
    for (const auto &job : changes.jobs) {
        const auto it = m_index.constFind(job.id);
        if (it != m_index.constEnd()) {
            m_pending.jobs[*it] = job; // later snapshot wins, first position kept (creation order)
        } else {
            m_index.insert(job.id, m_pending.jobs.size());
            m_pending.jobs.append(job);
        }
    }
    m_pending.logs.append(changes.logs);
    m_pending.spans.append(changes.spans);
    if (!m_timer.isActive() && !m_drainTimer.isActive())
        m_timer.start();
}

bool ChangeThrottle::hasPending() const
{
    return !m_pending.isEmpty() || m_drainPos < m_draining.jobs.size() || !m_draining.logs.isEmpty()
        || !m_draining.spans.isEmpty();
}

void ChangeThrottle::startDraining()
{
    if (m_drainTimer.isActive())
        return; // the current drain picks the pending set up when it ends
    m_draining = std::exchange(m_pending, {});
    m_index.clear();
    m_drainPos = 0;
    if (!m_draining.isEmpty())
        m_drainTimer.start();
}

void ChangeThrottle::drainSlice()
{
    ChangeSet slice;
    slice.sequence = ++m_sequence;
    const qsizetype n = qMin<qsizetype>(m_sliceJobs, m_draining.jobs.size() - m_drainPos);
    slice.jobs = m_draining.jobs.mid(m_drainPos, n);
    m_drainPos += n;
    const bool last = m_drainPos >= m_draining.jobs.size();
    if (last) {
        // Logs and spans go with the last slice: their jobs are in the model by then.
        slice.logs = std::exchange(m_draining.logs, {});
        slice.spans = std::exchange(m_draining.spans, {});
        m_draining = {};
        m_drainPos = 0;
        m_drainTimer.stop();
        if (!m_pending.isEmpty())
            m_timer.start();
    }
    Q_EMIT ready(slice);
}

void ChangeThrottle::flushNow()
{
    m_timer.stop();
    if (!m_drainTimer.isActive()) {
        m_draining = std::exchange(m_pending, {});
        m_index.clear();
        m_drainPos = 0;
        if (m_draining.isEmpty())
            return;
        m_drainTimer.start();
    }
    while (m_drainTimer.isActive())
        drainSlice();
    m_timer.stop();
    if (!m_pending.isEmpty())
        flushNow();
}

} // namespace coroute
