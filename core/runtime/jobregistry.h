#pragma once

#include "runtime/jobinfo.h"

#include <QObject>

#include <array>
#include <deque>
#include <memory>
#include <optional>

namespace coroute {

namespace detail {
struct JobRecord;
class RecordTable;
}

/// Every job of a runtime, live. Read it on the runtime's thread; other threads (the GUI)
/// follow the changed() batches instead.
class JobRegistry : public QObject
{
    Q_OBJECT
public:
    explicit JobRegistry(QObject *parent = nullptr);
    ~JobRegistry() override;

    /// A snapshot of the job, or nothing for an unknown id.
    std::optional<JobInfo> job(JobId id) const;
    /// Snapshots of every retained job, in id order.
    QList<JobInfo> jobs() const;
    QList<JobId> children(JobId id) const;
    QList<LogEntry> logs(JobId id) const;

    int count() const;
    int countIn(JobState state) const { return m_counts[size_t(state)]; }
    /// Jobs not yet in a terminal state.
    int activeCount() const;

    /// Keeps at most this many finished jobs (default 100,000; 0: all). Beyond it, the oldest
    /// finished top-level jobs leave the registry with their children, after the batch that
    /// carries their final state went out (the history store has them). Memory stays bounded
    /// however many jobs a long-lived process runs.
    void setFinishedWindow(int jobs) { m_finishedWindow = jobs; }
    int finishedWindow() const { return m_finishedWindow; }
    /// Jobs that left the registry through the window so far.
    qint64 evictedCount() const { return m_evicted; }

    /// Longest wait between a change and the batch that carries it (default 30 ms).
    void setBatchInterval(int ms) { m_batchIntervalMs = ms; }
    /// Emits the pending batch now, if any.
    void flush();

Q_SIGNALS:
    /// Batched: at most one emission per batch interval, carrying every changed job.
    void changed(const coroute::ChangeSet &changes);

private:
    friend class Runtime;
    friend class Context;
    /// A new pending record, registered and marked changed; its creator fills the rest of
    /// its JobInfo before the event loop runs again.
    std::shared_ptr<detail::JobRecord> create(JobId id, JobId parent);
    detail::JobRecord *record(JobId id) const;
    void setState(detail::JobRecord &r, JobState state);
    void markDirty(detail::JobRecord &r);
    void appendLog(JobId id, LogEntry entry);
    void addSpan(SpanData span);
    /// Adds e to a finished span still waiting in the pending batch; false when already sent.
    bool addEventToPendingSpan(quint64 spanId, SpanEvent e);
    void scheduleFlush();
    void evictBeyondWindow();

    std::unique_ptr<detail::RecordTable> m_records;
    std::array<int, 8> m_counts{};
    QList<JobId> m_dirty;
    QList<LogEntry> m_newLogs;
    QList<SpanData> m_newSpans;
    quint64 m_sequence = 0;
    int m_batchIntervalMs = 30;
    bool m_flushScheduled = false;
    int m_finishedWindow = 100000;
    qint64 m_evicted = 0;
    std::deque<JobId> m_finishedTopLevel; ///< in the order they finished

};

} // namespace coroute
