#pragma once

#include "async/cancellation.h"
#include "plan/plan.h"
#include "runtime/error.h"
#include "runtime/jobstate.h"

#include <QJsonObject>
#include <QList>
#include <QObject>

#include <qcoro/qcorotask.h>

#include <memory>
#include <stop_token>

namespace coroute {

class Runtime;

/// Where one job instance of a plan stands.
enum class PlanJobState {
    Pending,   ///< waiting for its dependencies or for a concurrency slot
    Running,   ///< submitted to the runtime
    Succeeded,
    Failed,    ///< the job failed, or its call was refused (404/405/422 after substitution)
    TimedOut,
    Cancelled, ///< cancelled while running, or never started because the plan was cancelled
    Skipped,   ///< never started: a dependency did not succeed
};
/// "pending", "running", "succeeded", "failed", "timed_out", "cancelled", "skipped".
QString nameOf(PlanJobState state);
/// Whether the state is final.
constexpr bool isTerminal(PlanJobState s)
{
    return s != PlanJobState::Pending && s != PlanJobState::Running;
}

/// One instance of a plan job ("save", or "sizes[1]" for a foreach instance) and its outcome.
struct PlanJobResult
{
    QString id;           ///< the instance id
    QString planJob;      ///< the id of the plan job it comes from
    int index = -1;       ///< the foreach index, -1 without foreach
    PlanJobState state = PlanJobState::Pending;
    JobId job = 0;        ///< the runtime's job id; 0 when it never started
    QJsonValue result;    ///< with succeeded
    JobError error;       ///< with failed, timed_out, cancelled, skipped
    qint64 startedMs = 0; ///< milliseconds since the plan started, when it started
    qint64 durationMs = 0;
    int attempts = 0;

    /// {"job", "state", "job_id"?, "result"|"error", "attempts", "duration_ms"}
    QJsonObject toJson() const;
};

/// How many instances are in each state.
struct PlanCounts
{
    int total = 0;
    int pending = 0;
    int running = 0;
    int succeeded = 0;
    int failed = 0;    ///< failed or timed out
    int cancelled = 0;
    int skipped = 0;

    int done() const { return succeeded + failed + cancelled + skipped; }
    QJsonObject toJson() const;
};

/// The end of a plan run.
struct PlanResult
{
    QString name;
    QList<PlanJobResult> jobs; ///< every instance, in plan order
    PlanCounts counts;
    qint64 wallMs = 0;
    bool cancelled = false;    ///< cancel() was called or the run's token fired

    bool succeeded() const { return counts.succeeded == counts.total; }
    /// "succeeded" (every job did), "cancelled" (the run was cancelled), or "failed".
    QString outcome() const;
    /// {"name", "outcome", "total", "done", "succeeded", "failed", "cancelled", "skipped",
    ///  "running", "pending", "wall_ms", "jobs": [...]}
    QJsonObject toJson() const;
};

/// Runs a validated Plan on a Runtime as a DAG: a job starts once all its dependencies
/// succeeded, never more than concurrency() at once; a job whose dependency failed is
/// skipped, never submitted. References are substituted when a job starts. Runtime job
/// timeouts and retries come from the plan. Live on the runtime's thread.
class PlanRunner : public QObject
{
    Q_OBJECT
public:
    PlanRunner(Runtime &runtime, Plan plan, QObject *parent = nullptr);
    ~PlanRunner() override;

    const Plan &plan() const;
    /// Overrides the plan's concurrency (before run()); values below 1 are ignored.
    void setConcurrency(int n);
    int concurrency() const;

    /// Runs every job and returns when all have ended (cancelled ones included: it waits for
    /// them to settle). When token fires, acts as cancel(). Call once.
    QCoro::Task<PlanResult> run(std::stop_token token = {});
    /// Starts nothing more and cancels the running jobs with reason; pending ones end cancelled.
    void cancel(CancelReason reason = CancelReason::User, const QString &requestedBy = QStringLiteral("plan"));

    PlanCounts counts() const;
    /// Every instance as it is now, in plan order (known once run() started).
    QList<PlanJobResult> jobs() const;
    /// Milliseconds since run() started.
    qint64 elapsedMs() const;

Q_SIGNALS:
    /// An instance was submitted to the runtime.
    void jobStarted(const coroute::PlanJobResult &job);
    /// An instance ended: exactly once per instance, skipped and never started ones included.
    void jobFinished(const coroute::PlanJobResult &job);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace coroute
