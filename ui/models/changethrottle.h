#pragma once

#include "runtime/jobinfo.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

namespace coroute {

/// Paces the runtime's change sets for the GUI thread: a trailing throttle (changes wait up to
/// one interval, so bursts are applied together) and slicing (a huge batch is handed out in
/// slices, one per event-loop turn; the slice size adapts so that applying one takes a few
/// milliseconds, at most maxSliceJobs jobs), so applying changes never holds the GUI thread
/// for long. A slice holds at most that many entries: jobs first, then the set's spans and logs
/// (so their jobs are applied before them). Order is kept: a job's snapshots are applied in the
/// order they were emitted.
class ChangeThrottle : public QObject
{
    Q_OBJECT
public:
    explicit ChangeThrottle(int intervalMs = 100, int maxSliceJobs = 2000, QObject *parent = nullptr);

    /// Queues a change set; ready() follows within the interval.
    void push(const coroute::ChangeSet &changes);
    /// Hands out everything queued now (slices still emitted one by one, synchronously).
    void flushNow();
    /// Whether changes are waiting to be handed out.
    bool hasPending() const;

Q_SIGNALS:
    /// A slice to apply (connect directly: its cost is measured to size the next slice).
    void ready(const coroute::ChangeSet &slice);

private:
    void startDraining();
    void drainSlice();

    QTimer m_timer;
    QTimer m_drainTimer;
    QList<ChangeSet> m_queue;  ///< waiting; the front one is being drained
    qsizetype m_jobPos = 0;  ///< jobs of the front set already handed out
    qsizetype m_spanPos = 0; ///< its spans handed out (after all its jobs)
    qsizetype m_logPos = 0;  ///< its logs handed out (after all its jobs)
    int m_maxSliceJobs;
    int m_sliceJobs;
    quint64 m_sequence = 0;
};

} // namespace coroute
