#pragma once

#include "jobs/builtins.h"
#include "runtime/callrequest.h"
#include "runtime/jobinfo.h"
#include "store/historystore.h"

#include <QJsonArray>
#include <QObject>

#include <functional>
#include <memory>

class QThread;

namespace coroute {

class Runtime;

/// Runs a Runtime on its own thread for a GUI. The runtime, its timers, its history
/// recorder and its loop monitor are created, used and destroyed on that thread; every
/// method here is thread-safe and only posts work to it. Changes come back as the
/// registry's batched change sets, delivered on the host's (GUI) thread.
class RuntimeHost : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        /// Registers the built-in route modules (with these settings).
        bool builtins = true;
        BuiltinsConfig builtinsConfig;
        /// Records the run into this store (owned by the caller, must outlive the host); null: no history.
        HistoryStore *store = nullptr;
        QString runName = QStringLiteral("gui");
        QString command;
        /// Longest wait between a change and the batch that carries it.
        int batchIntervalMs = 30;
        /// Called on the runtime's thread after the runtime is made, before anything runs:
        /// add routes, limits, services.
        std::function<void(Runtime &)> setup;
    };

    /// Starts the thread and makes the runtime on it; returns once routes() is known.
    explicit RuntimeHost(Options options, QObject *parent = nullptr);
    ~RuntimeHost() override; ///< shutdown()

    /// Route metadata (Router::toJson()), read once on the runtime's thread at start.
    QJsonArray routes() const { return m_routes; }
    /// The history run this host records into, or 0.
    RunId runId() const { return m_runId; }
    HistoryStore *store() const { return m_options.store; }

    /// Submits a request; answers with submitted() or refused().
    void submit(const CallRequest &request, int times = 1);
    /// Cancels the job (and its children) with reason user.
    void cancel(JobId id);
    /// Cancels the job, its children, and the background jobs started from any of them.
    void cancelSubtree(JobId id);
    /// Cancels every unfinished job.
    void cancelAll();
    /// Submits the job's request again (its method, path, params and body) as a new top-level
    /// job. Takes the job as the window shows it, so jobs the runtime no longer holds (read
    /// back from the history) re-run too.
    void rerun(const JobInfo &job);
    /// Validates a job plan against the routes and runs it on the runtime's thread. Answers
    /// with planRejected (every problem, as `coroute run` lists them) or planStarted, then
    /// planFinished with the summary. Closing the host cancels a running plan.
    void runPlan(const QByteArray &json, const QString &name);
    /// Runs fn on the runtime's thread (for embedders and tests; fn must not block).
    void post(std::function<void(Runtime &)> fn);

    /// Cancels everything (reason shutdown), waits until every job settled, finishes the
    /// history run and stops the thread. Blocks the caller until then; idempotent.
    void shutdown();
    bool isRunning() const;

Q_SIGNALS:
    /// A batch of job changes (queued from the runtime's thread).
    void changed(const coroute::ChangeSet &changes);
    /// Jobs the runtime accepted for a submit() or rerun().
    void submitted(const QList<coroute::JobId> &ids);
    /// A request the router refused: its display name and the error as JSON.
    void refused(const QString &request, const QJsonObject &error);
    /// A plan that did not validate: {"valid": false, "errors": [{loc, msg, type}, ...]}.
    void planRejected(const QString &name, const QJsonObject &errors);
    void planStarted(const QString &name, int jobs);
    /// The plan's summary (counts, outcome, wall time) once every job ended.
    void planFinished(const QString &name, const QJsonObject &summary);
    /// One sample of the runtime thread's event-loop lag, in ms.
    void runtimeLagSampled(double lagMs);

private:
    void invoke(std::function<void()> fn);

    class Worker;
    Options m_options;
    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr; ///< lives on m_thread
    QJsonArray m_routes;
    RunId m_runId = 0;
    bool m_stopped = false;
};

} // namespace coroute
