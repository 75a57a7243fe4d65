#include "runtime/context.h"

#include "async/detail/resumption.h"
#include "runtime/detail/jobrecord_p.h"
#include "runtime/runtime.h"

#include <QDateTime>
#include <QThread>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace coroute {

Context::Context(Runtime &runtime, JobId job, std::shared_ptr<const Route> route, QJsonObject pathParams,
                 QJsonObject query, QJsonValue body, std::stop_token token, TraceId traceId,
                 quint64 parentSpan, qint64 startNs)
    : m_runtime(runtime)
    , m_job(job)
    , m_route(std::move(route))
    , m_pathParams(std::move(pathParams))
    , m_query(std::move(query))
    , m_body(std::move(body))
    , m_token(std::move(token))
{
    auto &root = m_root.data;
    root.traceId = traceId.isNull() ? TraceId::random() : traceId;
    root.spanId = trace::newSpanId();
    root.parentId = parentSpan;
    root.job = m_job;
    root.name = m_route->displayName();
    root.startNs = startNs ? startNs : trace::nowNs();
    root.thread = u"loop"_s;
}

Context::~Context()
{
    // A root never ended (the runtime always ends it) would be lost: end it as unset.
    if (!m_root.ended)
        endSpan(m_root, SpanStatus::Unset, {});
}

TraceId Context::traceId() const
{
    return m_root.data.traceId;
}

quint64 Context::rootSpanId() const
{
    return m_root.data.spanId;
}

quint64 Context::currentSpanId() const
{
    QMutexLocker lock(&m_spanMutex);
    return m_open.empty() ? m_root.data.spanId : m_open.back()->data.spanId;
}

Span Context::span(const QString &name, const QJsonObject &attributes)
{
    auto state = std::make_shared<detail::SpanState>();
    auto &d = state->data;
    d.traceId = m_root.data.traceId;
    d.spanId = trace::newSpanId();
    d.job = m_job;
    d.name = name;
    d.attributes = attributes;
    d.startNs = trace::nowNs();
    d.thread = QThread::currentThread() == m_runtime.thread() ? u"loop"_s : u"pool"_s;
    {
        QMutexLocker lock(&m_spanMutex);
        d.parentId = m_open.empty() ? m_root.data.spanId : m_open.back()->data.spanId;
        m_open.push_back(state);
    }
    return Span(this, std::move(state));
}

void Context::endSpan(detail::SpanState &state, SpanStatus status, const QString &message)
{
    SpanData data;
    {
        QMutexLocker lock(&m_spanMutex);
        if (state.ended)
            return;
        state.ended = true;
        // Interleaved spans (gather branches) may end out of order: remove wherever it is.
        std::erase_if(m_open, [&state](const auto &open) { return open.get() == &state; });
        if (state.data.status == SpanStatus::Unset) {
            state.data.status = status;
            state.data.statusMessage = message;
        }
        state.data.endNs = trace::nowNs();
        // Ended, its data is read only for its ids: move the rest out rather than copy it.
        data = std::move(state.data);
        state.data.traceId = data.traceId;
        state.data.spanId = data.spanId;
    }
    deliver(std::move(data));
}

void Context::addEventToCurrentSpan(const QString &name, const QJsonObject &attributes) const
{
    QMutexLocker lock(&m_spanMutex);
    detail::SpanState &target = m_open.empty() ? m_root : *m_open.back();
    if (!target.ended)
        target.data.events.append({trace::nowNs(), name, attributes});
}

void Context::addRootEvent(const QString &name, const QJsonObject &attributes)
{
    updateSpan(m_root, [&](SpanData &d) { d.events.append({trace::nowNs(), name, attributes}); });
}

void Context::endRoot(SpanStatus status, const QString &message, std::shared_ptr<const JobSpanFacts> facts)
{
    updateSpan(m_root, [&](SpanData &d) {
        d.jobFacts = std::move(facts);
        d.status = status;
        d.statusMessage = message;
    });
    endSpan(m_root, status, message);
}

void Context::deliver(SpanData data) const
{
    auto *rt = &m_runtime;
    if (QThread::currentThread() == rt->thread()) {
        rt->jobs().addSpan(std::move(data));
        return;
    }
    QMutexLocker lock(&m_spanMutex); // keeps delivery order for one job's pool spans
    // postTo rather than a queued invokeMethod: its hand-off is visible to ThreadSanitizer.
    detail::postTo(rt->anchor(), [rt, data = std::move(data)]() mutable { rt->jobs().addSpan(std::move(data)); });
}

QJsonValue Context::param(const QString &name) const
{
    if (const auto v = m_pathParams.value(name); !v.isUndefined())
        return v;
    if (const auto v = m_query.value(name); !v.isUndefined())
        return v;
    if (m_body.isObject())
        return m_body.toObject().value(name);
    return QJsonValue(QJsonValue::Undefined);
}

void Context::log(const QString &message, LogLevel level) const
{
    addEventToCurrentSpan(u"log"_s, {{u"level"_s, nameOf(level)}, {u"message"_s, message}});
    LogEntry entry{m_job, QDateTime::currentMSecsSinceEpoch(), level, message};
    auto *rt = &m_runtime;
    if (QThread::currentThread() == rt->thread()) {
        rt->jobs().appendLog(m_job, std::move(entry));
        return;
    }
    detail::postTo(rt->anchor(), [rt, entry = std::move(entry)]() mutable {
        rt->jobs().appendLog(entry.job, std::move(entry));
    });
}

void Context::setProgress(double fraction, const QString &text) const
{
    auto *rt = &m_runtime;
    const auto apply = [rt, id = m_job, fraction = qBound(0.0, fraction, 1.0), text] {
        if (auto *r = rt->jobs().record(id); r && !isTerminal(r->info.state)) {
            r->info.progress = fraction;
            r->info.progressText = text;
            rt->jobs().markDirty(*r);
        }
    };
    if (QThread::currentThread() == rt->thread())
        apply();
    else
        detail::postTo(rt->anchor(), apply);
}

QCoro::Task<QJsonValue> Context::call(QString method, QString path, QJsonObject query, QJsonValue body,
                                      std::stop_token token, CancelReason reasonOnStop)
{
    const auto submission = m_runtime.submit({method, path, query, body},
                                             SubmitOptions{.parent = m_job, .traceId = traceId(), .parentSpan = currentSpanId()});
    if (!submission.accepted()) {
        const auto &err = *submission.refused;
        throw Error(err.status, u"dispatch"_s, u"%1 %2: %3"_s.arg(method, path, err.message), err.toJson());
    }
    // The wait itself is not cancellable: cancellation reaches the child, and we wait for it
    // to settle. The stop callback may run on any thread, so it only posts the cancel.
    auto *rt = &m_runtime;
    const auto childId = submission.id;
    const QString by = u"job:"_s + QString::number(m_job);
    std::optional<std::stop_callback<std::function<void()>>> onStop;
    if (token.stop_possible()) {
        onStop.emplace(token, std::function<void()>([rt, childId, reasonOnStop, by] {
            detail::postTo(rt->anchor(), [rt, childId, reasonOnStop, by] { rt->cancel(childId, reasonOnStop, by); });
        }));
    }
    const auto child = co_await m_runtime.wait(childId);
    onStop.reset();
    if (child.state == JobState::Succeeded)
        co_return child.result.toJson();
    if (child.state == JobState::Cancelled
        && (child.cancelReason == CancelReason::Parent || child.cancelReason == reasonOnStop))
        throw Cancelled(child.cancelReason);
    throw Error(child.error);
}

JobId Context::background(QString method, QString path, QJsonObject query, QJsonValue body)
{
    const auto submission = m_runtime.submit({method, path, query, body},
                                             SubmitOptions{.linkedFrom = m_job, .traceId = traceId(), .parentSpan = currentSpanId()});
    if (!submission.accepted()) {
        const auto &err = *submission.refused;
        throw Error(err.status, u"dispatch"_s, u"%1 %2: %3"_s.arg(method, path, err.message), err.toJson());
    }
    log(u"started background job %1: %2 %3"_s.arg(submission.id).arg(method, path));
    return submission.id;
}

std::shared_ptr<void> Context::dependency(std::type_index type)
{
    QMutexLocker lock(&m_depsMutex);
    for (const auto &c : m_deps) {
        if (c.type == type)
            return c.instance;
    }
    const auto *p = m_runtime.provider(type);
    if (!p)
        throw Error(500, u"missing_dependency"_s,
                    u"nothing provides %1; call Runtime::provide<T>() first"_s.arg(QString::fromLatin1(type.name())));
    auto instance = p->make(*this);
    m_deps.push_back({type, instance});
    return instance;
}

QCoro::Task<void> Context::releaseDependencies()
{
    std::vector<Created> deps;
    {
        QMutexLocker lock(&m_depsMutex);
        deps.swap(m_deps);
    }
    for (auto it = deps.rbegin(); it != deps.rend(); ++it) {
        const auto *p = m_runtime.provider(it->type);
        if (!p || !p->cleanup)
            continue;
        try {
            co_await p->cleanup(it->instance.get());
        } catch (const std::exception &e) {
            log(u"cleanup of a dependency failed: %1"_s.arg(QString::fromUtf8(e.what())), LogLevel::Error);
        } catch (...) {
            log(u"cleanup of a dependency failed"_s, LogLevel::Error);
        }
    }
}

bool Context::hasDependencies()
{
    QMutexLocker lock(&m_depsMutex);
    return !m_deps.empty();
}

QThreadPool &Context::pool() const { return m_runtime.pool(); }
Clock &Context::clock() const { return m_runtime.clock(); }

} // namespace coroute
