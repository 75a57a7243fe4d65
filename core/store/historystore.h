#pragma once

#include "runtime/jobinfo.h"
#include "trace/spandata.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <chrono>
#include <memory>
#include <optional>

namespace coroute {

/// Identifies one run (one process, or one plan) in the history.
using RunId = qint64;

/// A run as stored: when, what, and how its jobs ended.
struct RunInfo
{
    RunId id = 0;
    QString name;       ///< "call GET /sys/health", a plan's name, "gui"
    QString command;    ///< the command line
    qint64 startedMs = 0;
    qint64 finishedMs = 0;
    QString state;      ///< running, finished, interrupted
    qint64 pid = 0;
    int jobs = 0;       ///< counted when read
    int failed = 0;     ///< failed or timed out
    int cancelled = 0;
    int interrupted = 0;

    QJsonObject toJson() const;
};

/// How a HistoryStore uses its file.
struct HistoryStoreOptions
{
    /// How long one statement waits for a lock held by another connection. The writer then
    /// retries the whole batch (nothing queued is dropped) until the lock is released, or,
    /// once the store is closing, for at most giveUpAfter.
    std::chrono::milliseconds busyTimeout{5000};
    std::chrono::milliseconds giveUpAfter{30000};
};

/// The local job history: SQLite in WAL mode, written by one writer thread in batched
/// transactions with prepared statements; tables runs, jobs, spans and logs.
/// Writing methods may be called from any thread and block on disk only as back-pressure, when
/// the writer is far behind (see record()); reading methods and open() do block: call them
/// from the CLI, at start-up, or from a pool thread.
class HistoryStore
{
public:
    /// Opens (creating) the store at path, migrating its schema. Jobs and runs left running
    /// by a process that no longer exists become `interrupted`; finished ones are kept.
    /// Returns null and sets error when the file cannot be opened, is not a database or not
    /// a history, or is damaged (a quick integrity check runs at open).
    static std::unique_ptr<HistoryStore> open(const QString &path, QString *error,
                                              HistoryStoreOptions options = {});
    /// The default file: QStandardPaths::AppDataLocation/history.sqlite.
    static QString defaultPath();

    ~HistoryStore(); ///< writes what is queued, then closes
    HistoryStore(const HistoryStore &) = delete;
    HistoryStore &operator=(const HistoryStore &) = delete;

    QString path() const;
    /// Jobs that open() found unfinished and marked interrupted.
    int interruptedAtOpen() const;

    /// Starts a run and returns its id (written at once).
    RunId beginRun(const QString &name, const QString &command);
    /// Queues a batch of changes of the run for the writer thread. Blocks only while the writer
    /// is more than MaxPendingEntries behind (back-pressure, see throttledMs()).
    void record(RunId run, const ChangeSet &changes);
    /// Queues the end of the run with its final state ("finished" or "interrupted").
    void endRun(RunId run, const QString &state = QStringLiteral("finished"));
    /// Blocks until everything queued so far is written (or given up). Returns the first
    /// write error since open, if any ("history write failed: database or disk is full").
    QString flush();
    /// How many batches were queued so far: a mark for waitWritten().
    quint64 writeMark() const;
    /// Waits at most timeout until the batches up to mark are written; true when they are.
    /// Unlike flush() it does not make a writer that retries a locked database give up sooner,
    /// so readers may call it in a loop (with their own cancellation) before reading fresh rows.
    bool waitWritten(quint64 mark, std::chrono::milliseconds timeout) const;

    /// Removes the runs beyond the newest keepRuns (0: no limit) and those that started more
    /// than keepDays ago (0: no limit), with their jobs, spans and logs. Returns how many.
    int applyRetention(int keepRuns, int keepDays);

    QList<RunInfo> runs(int limit = 50) const;
    std::optional<RunInfo> run(RunId id) const;
    /// The newest run, if any.
    std::optional<RunId> latestRun() const;
    QList<JobInfo> jobs(RunId run) const;
    /// A page of the run's job trees: of its top-level jobs with above < id < below (0: no
    /// bound), the limit newest when order is descending or the oldest when ascending, each
    /// with all its descendants, their spans and their logs. Jobs in id order (parents first).
    ChangeSet jobTrees(RunId run, JobId above, JobId below, int limit, Qt::SortOrder order) const;
    /// How many jobs the run has in the store (a COUNT, without reading them).
    qint64 jobCount(RunId run) const;
    /// The most entries (jobs, logs, spans) that ever waited for the writer at once.
    qint64 peakQueued() const;
    /// How long record() callers waited in all for the writer (back-pressure), in ms.
    qint64 throttledMs() const;

    /// record() waits while more entries than this are queued: memory stays bounded when jobs
    /// finish faster than the disk takes them.
    static constexpr qint64 MaxPendingEntries = 50'000;
    std::optional<JobInfo> job(RunId run, JobId id) const;
    QList<SpanData> spans(RunId run, std::optional<JobId> job = std::nullopt) const;
    QList<LogEntry> logs(RunId run, JobId job) const;

private:
    HistoryStore();
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace coroute
