#pragma once

#include "runtime/jobinfo.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

namespace coroute {

/// Coalesces the runtime's change sets for the GUI thread: a trailing throttle (at most one
/// update per interval; a job changed many times is applied once, as it is last) and slicing
/// (a huge batch is handed out in slices of at most sliceJobs jobs, one slice per event-loop
/// turn), so applying changes never holds the GUI thread for long.
class ChangeThrottle : public QObject
{
    Q_OBJECT
public:
    explicit ChangeThrottle(int intervalMs = 100, int sliceJobs = 2000, QObject *parent = nullptr);

    /// Queues a change set; ready() follows within the interval.
    void push(const coroute::ChangeSet &changes);
    /// Hands out everything queued now (slices still emitted one by one, synchronously).
    void flushNow();
    /// Whether changes are waiting to be handed out.
    bool hasPending() const;

Q_SIGNALS:
    /// A slice to apply: jobs in first-seen order, logs and spans in arrival order.
    void ready(const coroute::ChangeSet &slice);

private:
    void startDraining();
    void drainSlice();

    QTimer m_timer;
    QTimer m_drainTimer;
    ChangeSet m_pending;
    QHash<JobId, qsizetype> m_index; ///< job id -> position in m_pending.jobs
    ChangeSet m_draining;
    qsizetype m_drainPos = 0;
    int m_sliceJobs;
    quint64 m_sequence = 0;
};

} // namespace coroute
