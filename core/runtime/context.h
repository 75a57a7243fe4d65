#pragma once

#include "async/cancellation.h"
#include "async/detail/tsan.h"
#include "router/route.h"
#include "runtime/jobinfo.h"
#include "trace/span.h"

#include <QJsonObject>
#include <QJsonValue>

#include <qcoro/qcorotask.h>

#include <memory>
#include <stop_token>
#include <typeindex>
#include <vector>

class QThreadPool;

namespace coroute {

class Runtime;
class Clock;
class FileRoots;
class HttpClient;
class Database;

/// What a handler receives: its parameters, its cancellation token, and the runtime's
/// services. Valid for the duration of the handler call. Methods marked thread-safe may be
/// called from a pool thread (a sync handler); the rest belong to the runtime's thread.
class Context
{
public:
    /// Made by the runtime for each job; opens the job's root span (a child of parentSpan in
    /// traceId, or the root of a new trace when traceId is null).
    Context(Runtime &runtime, JobId job, std::shared_ptr<const Route> route, QJsonObject pathParams,
            QJsonObject query, QJsonValue body, std::stop_token token, TraceId traceId = {},
            quint64 parentSpan = 0, qint64 startNs = 0);
    ~Context();
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;

    JobId jobId() const { return m_job; }
    const Route &route() const { return *m_route; }
    Runtime &runtime() const { return m_runtime; }

    /// A parameter by name: path first, then query, then a field of an object body.
    /// Undefined when absent. Thread-safe.
    QJsonValue param(const QString &name) const;
    const QJsonObject &pathParams() const { return m_pathParams; }
    const QJsonObject &query() const { return m_query; }
    const QJsonValue &body() const { return m_body; }

    /// Fires when the job is cancelled (by a person, a timeout, its parent, shutdown). Pass it
    /// to every awaitable; check it in long pool work. Thread-safe.
    std::stop_token token() const { return m_token; }
    bool isCancelled() const { return m_token.stop_requested(); }
    /// Throws Cancelled once the job was cancelled. Thread-safe.
    void throwIfCancelled() const { coroute::throwIfCancelled(m_token); }

    /// Adds a line to the job's log. Thread-safe.
    void log(const QString &message, LogLevel level = LogLevel::Info) const;
    void warn(const QString &message) const { log(message, LogLevel::Warning); }
    /// Reports progress in [0, 1] with optional text. Thread-safe.
    void setProgress(double fraction, const QString &text = {}) const;

    /// Runs another route as a child job and returns its result. The child is cancelled
    /// with this job, and also when token fires (then with reasonOnStop: a combinator's token
    /// usually fires because a sibling failed). Throws Error with the child's error (or the
    /// dispatch error) when it fails, and Cancelled when it was cancelled from here.
    QCoro::Task<QJsonValue> call(QString method, QString path, QJsonObject query = {},
                                 QJsonValue body = QJsonValue(QJsonValue::Undefined),
                                 std::stop_token token = {},
                                 CancelReason reasonOnStop = CancelReason::SiblingFailed);
    /// Starts a background job (FastAPI's BackgroundTasks) that outlives this handler, linked
    /// to this job in the history. Throws Error when the request does not dispatch.
    JobId background(QString method, QString path, QJsonObject query = {},
                     QJsonValue body = QJsonValue(QJsonValue::Undefined));

    /// The dependency of type T provided with Runtime::provide<T>(), created on first use for
    /// this job and cleaned up when the job ends. Throws Error(500) when nothing provides T.
    /// Thread-safe.
    template<typename T>
    std::shared_ptr<T> get()
    {
        return std::static_pointer_cast<T>(dependency(std::type_index(typeid(T))));
    }

    QThreadPool &pool() const;
    Clock &clock() const;

    /// Opens a span, a child of the innermost span of this job still open (the job's root
    /// span at first). It follows the job across co_await and onto pool threads, and child
    /// jobs started while it is open hang below it. Thread-safe.
    Span span(const QString &name, const QJsonObject &attributes = {});
    /// The job's trace id (shared by its whole job tree) and root span id.
    TraceId traceId() const;
    quint64 rootSpanId() const;
    /// The innermost open span (the root span when no other is open). Thread-safe.
    quint64 currentSpanId() const;

    // Services of the built-in local jobs (registered by registerBuiltins). Each throws
    // Error(500, "no_service") when its service was not registered on the runtime.

    /// Sandboxed file access, confined to the configured root folders (core/jobs/fs).
    FileRoots &files() const;
    /// The shared HTTP client: timeouts, retries, size limits, per-host limits (core/jobs/http).
    HttpClient &http() const;
    /// The SQLite database at name (a path inside the roots), opened on first use and shared
    /// by jobs; statements run on its own thread (core/jobs/db).
    QCoro::Task<std::shared_ptr<Database>> db(QString name);

private:
    friend class Runtime;
    friend class Span;
    /// Applies change to the span's data unless it ended. A template: a std::function capturing
    /// references would allocate on every span update.
    template<typename Change>
    void updateSpan(detail::SpanState &state, Change &&change)
    {
        QMutexLocker lock(&m_spanMutex);
        if (!state.ended)
            change(state.data);
    }
    void endSpan(detail::SpanState &state, SpanStatus status, const QString &message);
    /// Adds an event to the innermost open span. Thread-safe.
    void addEventToCurrentSpan(const QString &name, const QJsonObject &attributes) const;
    void addRootEvent(const QString &name, const QJsonObject &attributes);
    /// Ends the root span with the job's outcome; the runtime calls it once, at the end.
    void endRoot(SpanStatus status, const QString &message, std::shared_ptr<const JobSpanFacts> facts);
    void deliver(SpanData data) const;
    std::shared_ptr<void> dependency(std::type_index type);
    /// Awaits the async cleanups of every dependency created, newest first.
    QCoro::Task<void> releaseDependencies();
    /// Whether any dependency was created (then releaseDependencies() has work).
    bool hasDependencies();

    Runtime &m_runtime;
    JobId m_job;
    std::shared_ptr<const Route> m_route;
    QJsonObject m_pathParams;
    QJsonObject m_query;
    QJsonValue m_body;
    std::stop_token m_token;

    mutable detail::Mutex m_spanMutex;
    mutable detail::SpanState m_root; ///< guarded by m_spanMutex; inline: one allocation per job fewer
    std::vector<std::shared_ptr<detail::SpanState>> m_open; ///< child spans, innermost last; none: the root

    detail::Mutex m_depsMutex;
    struct Created
    {
        std::type_index type;
        std::shared_ptr<void> instance;
    };
    std::vector<Created> m_deps;
};

} // namespace coroute
