#pragma once

#include "async/cancellation.h"
#include "router/handler.h"
#include "router/route.h"
#include "runtime/error.h"
#include "runtime/jobresult.h"
#include "runtime/jobstate.h"
#include "trace/spandata.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace coroute {

/// Severity of a job's log line.
enum class LogLevel { Debug, Info, Warning, Error };
QString nameOf(LogLevel level);
LogLevel logLevelFromString(QStringView name);

/// One line a job logged.
struct LogEntry
{
    JobId job = 0;
    qint64 timeMs = 0; ///< milliseconds since the Unix epoch
    LogLevel level = LogLevel::Info;
    QString message;

    QJsonObject toJson() const;
};

/// A snapshot of one job: what the registry, the history and the inspector show.
struct JobInfo
{
    JobId id = 0;
    JobId parent = 0;       ///< the job that awaits this one as a child, or 0
    JobId linkedFrom = 0;   ///< the job that started this one in the background, or 0
    QString method;
    QString path;           ///< the concrete path called: "/items/42"
    QString route;          ///< the template matched: "/items/{item_id:int}"
    QJsonObject params;     ///< typed path and query parameters
    QJsonValue body;
    HandlerKind kind = HandlerKind::Async;
    Executor executor = Executor::Loop;

    JobState state = JobState::Pending;
    CancelReason cancelReason = CancelReason::None;
    QString cancelledBy;    ///< "user", "timeout", "shutdown", "job:17", ...

    qint64 createdMs = 0;   ///< Unix epoch milliseconds
    qint64 startedMs = 0;   ///< 0 until it runs
    qint64 finishedMs = 0;  ///< 0 until it ends
    qint64 queuedMs = 0;    ///< time spent waiting for concurrency permits
    int attempts = 0;       ///< handler invocations (more than 1 with retries)

    double progress = -1;   ///< 0..1, or -1 when unknown
    QString progressText;
    QString waitingOn;      ///< what the job is suspended on, when known
    QStringList warnings;

    JobResult result;       ///< with succeeded
    JobError error;         ///< with failed / timed_out

    /// "GET /items/42"
    QString displayName() const { return method + QLatin1Char(' ') + path; }
    /// Milliseconds from start (or creation) to finish (or now).
    qint64 durationMs(qint64 nowMs) const;
    QJsonObject toJson() const;
};

/// A batch of job changes: every job that changed since the last batch, as it is now, and
/// the log lines and finished spans since then. Emitted at most every ~30 ms, never once per
/// job event. The GUI and the history store both follow this one stream.
struct ChangeSet
{
    quint64 sequence = 0;
    QList<JobInfo> jobs;
    QList<LogEntry> logs;
    QList<SpanData> spans;

    bool isEmpty() const { return jobs.isEmpty() && logs.isEmpty() && spans.isEmpty(); }
};

} // namespace coroute

Q_DECLARE_METATYPE(coroute::ChangeSet)
