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
    // Jobs first; then, their jobs applied by then, spans and logs. Every kind is sliced: a
    // burst of jobs that all finished in one batch brings as many spans, and handing those out
    // at once cost one loop turn tens of milliseconds.
    qsizetype budget = m_sliceJobs;
    const auto take = [&budget](auto &from, auto &to, qsizetype &pos) {
        const qsizetype n = qMin<qsizetype>(budget, from.size() - pos);
        if (n <= 0)
            return;
        if (pos == 0 && n == from.size()) {
            to = from; // shared, no copy
        } else if (from.isDetached()) {
            // Nobody else holds the set: move the entries out, so that each slice frees its
            // own and the set's end frees only empty shells. Freeing a burst's 100,000 jobs and
            // spans in one go held the GUI thread for tens of milliseconds.
            to.reserve(n);
            for (qsizetype i = pos; i < pos + n; ++i)
                to.append(std::move(from[i]));
        } else {
            to = from.mid(pos, n);
        }
        pos += n;
        budget -= n;
    };
    take(front.jobs, slice.jobs, m_jobPos);
    if (m_jobPos >= front.jobs.size()) {
        take(front.spans, slice.spans, m_spanPos);
        take(front.logs, slice.logs, m_logPos);
    }
    const qsizetype n = m_sliceJobs - budget;
    if (m_jobPos >= front.jobs.size() && m_spanPos >= front.spans.size() && m_logPos >= front.logs.size()) {
        m_queue.removeFirst();
        m_jobPos = m_spanPos = m_logPos = 0;
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
