#pragma once

#include "async/cancellation.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/jobinfo.h"
#include "runtime/jobregistry.h"

#include <QObject>

#include <qcoro/qcorotask.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <typeindex>

class QThreadPool;

namespace coroute {

class Clock;

/// How to run one submitted job.
struct SubmitOptions
{
    JobId parent = 0;      ///< run as a child of this job: cancelled with it
    JobId linkedFrom = 0;  ///< run in the background on behalf of this job
    /// Fails the job as timed_out when it has been running this long (overrides the route's).
    std::optional<std::chrono::milliseconds> timeout;
    /// Retries the job's handler with this policy (overrides the route's).
    std::optional<RetryPolicy> retry;
    /// Receives each item of a streaming route as it is produced, on the runtime's thread.
    std::function<void(const QJsonValue &)> onItem;
    /// Continues this trace below parentSpan (child and background jobs); null: a new trace.
    TraceId traceId;
    quint64 parentSpan = 0;
};

/// What submit() answers: a job id, or the dispatch error that refused the request.
struct Submission
{
    JobId id = 0;
    std::optional<DispatchError> refused;
    bool accepted() const { return id != 0; }
};

/// The end of a call: the job's final snapshot, or the dispatch error that refused it.
struct JobOutcome
{
    std::optional<JobInfo> job;
    std::optional<DispatchError> refused;

    bool succeeded() const { return job && job->state == JobState::Succeeded; }
    /// The job's JSON (with result or error), or the dispatch error's JSON.
    QJsonObject toJson() const;
};

/// The engine: a router, a registry of jobs, a thread pool and concurrency limits.
/// A runtime and its jobs belong to the thread it lives on; call it from that thread.
///
///     Runtime rt;
///     rt.router().get(u"/hello"_s, [](Context &) -> QCoro::Task<QString> { co_return u"hi"_s; });
///     auto outcome = co_await rt.call({.method = u"GET"_s, .path = u"/hello"_s});
class Runtime : public QObject
{
    Q_OBJECT
public:
    explicit Runtime(QObject *parent = nullptr);
    ~Runtime() override;

    Router &router();
    const Router &router() const;
    JobRegistry &jobs();
    /// Where sync handlers and runInPool work run.
    QThreadPool &pool();

    /// The clock for job timeouts and retry backoff (tests inject a ManualClock). Must outlive
    /// the runtime's jobs.
    Clock &clock() const;
    void setClock(Clock &clock);

    /// Maximum jobs running at once across all routes; 0 (the default) for no limit.
    void setGlobalLimit(int permits);
    int globalLimit() const;
    /// Permits of a named limit that routes opt into with RouteBuilder::limit(). A limit a
    /// route names but nobody set gets 4 permits.
    void setLimit(const QString &name, int permits);
    int limit(const QString &name) const;

    /// A stretch of a job's code that holds the event loop longer than this is recorded as a
    /// warning on the job and its root span (default 50 ms): the blocking-handler mistake.
    void setBlockingThreshold(std::chrono::milliseconds threshold);
    std::chrono::milliseconds blockingThreshold() const;

    /// Provides a dependency that handlers obtain with ctx.get<T>(): made by factory on first
    /// use in a job, released when the job ends (after awaiting cleanup, when given).
    template<typename T>
    void provide(std::function<std::shared_ptr<T>(Context &)> factory,
                 std::function<QCoro::Task<void>(T &)> cleanup = {})
    {
        Provider p;
        p.make = [factory = std::move(factory)](Context &ctx) -> std::shared_ptr<void> { return factory(ctx); };
        if (cleanup) {
            p.cleanup = [cleanup = std::move(cleanup)](void *instance) {
                return cleanup(*static_cast<T *>(instance));
            };
        }
        addProvider(std::type_index(typeid(T)), std::move(p));
    }

    /// Registers a runtime-wide service (the file roots, the HTTP client, the SQLite
    /// connections) that handlers reach through Context accessors. Replaces an earlier one.
    template<typename T>
    void setService(std::shared_ptr<T> service)
    {
        setServiceImpl(std::type_index(typeid(T)), std::move(service));
    }
    /// The service of type T, or null when none was registered.
    template<typename T>
    T *service() const
    {
        return static_cast<T *>(serviceImpl(std::type_index(typeid(T))));
    }

    /// Resolves the request and starts a job for it, or refuses it (404, 405, 422).
    Submission submit(const CallRequest &request, SubmitOptions options = {});
    /// Submits and waits until the job ends.
    QCoro::Task<JobOutcome> call(CallRequest request, SubmitOptions options = {});
    /// Waits until the job reaches a terminal state and returns its final snapshot.
    /// Completes early with Cancelled when the token fires. Unknown ids throw Error(404).
    QCoro::Task<JobInfo> wait(JobId id, std::stop_token token = {});

    /// Requests cancellation of the job and all its descendants. Returns false if the job is
    /// unknown, already finished, or already being cancelled (the first reason stands).
    bool cancel(JobId id, CancelReason reason = CancelReason::User,
                const QString &requestedBy = QStringLiteral("user"));
    /// Cancels every job not yet finished. Returns how many were cancelled.
    int cancelAll(CancelReason reason = CancelReason::User,
                  const QString &requestedBy = QStringLiteral("user"));
    /// Cancels everything with reason shutdown and waits until every job has settled, for at
    /// most shutdownGrace(). A job still not stopped then (a handler ignoring its token, or
    /// awaiting something that cannot be cancelled) is abandoned: it ends `cancelled` with
    /// error 499 "did_not_stop" and a warning; its coroutine frame stays suspended (never
    /// destroyed from outside) and whatever it does later is dropped.
    QCoro::Task<void> shutdown();
    /// How long shutdown() (and the destructor) wait for cancelled jobs; default 10 s.
    void setShutdownGrace(std::chrono::milliseconds grace);
    std::chrono::milliseconds shutdownGrace() const;

    struct Provider
    {
        std::function<std::shared_ptr<void>(Context &)> make;
        std::function<QCoro::Task<void>(void *)> cleanup;
    };

private:
    friend class Context;
    void addProvider(std::type_index type, Provider provider);
    void setServiceImpl(std::type_index type, std::shared_ptr<void> service);
    void *serviceImpl(std::type_index type) const;
    const Provider *provider(std::type_index type) const;
    /// Runs functions posted from other threads (detail::postTo) on the runtime's thread.
    QObject *anchor() const;

    class Private;
    std::unique_ptr<Private> d;
};

} // namespace coroute
