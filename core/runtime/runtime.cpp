#include "runtime/runtime.h"

#include "async/clock.h"
#include "async/detail/execution.h"
#include "async/pool.h"
#include "async/semaphore.h"
#include "async/sleep.h"
#include "async/detail/detached.h"
#include "runtime/detail/jobrecord_p.h"
#include "runtime/detail/recordtable_p.h"
#include "trace/spandata.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QThreadPool>
#include <QTimer>

#include <exception>

#include <unordered_map>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcRuntime, "coroute.runtime", QtInfoMsg)

namespace coroute {

namespace {
// Wall time, as everything that reads job times (the GUI's "now", log entries, runs) uses.
qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// Never throws: a handler that throws when called (a hand-built Handler, an empty one) gives
// a call holding the exception, so the job fails instead of escaping its driver.
HandlerCall startHandler(const Route &route, Context &ctx) noexcept
{
    try {
        return route.handler.async(ctx);
    } catch (...) {
        return HandlerCall(std::current_exception());
    }
}

// A URL's user:password must never reach the registry, the history or a trace: what a job
// records of its request (not what its handler gets) has it as "***". True when v changed.
bool redactCredentials(QJsonValue &v)
{
    if (v.isString()) {
        const QString s = v.toString();
        const QString redacted = coroute::redactCredentials(s);
        if (redacted == s)
            return false;
        v = redacted;
        return true;
    }
    // Const iteration: nothing is copied unless something changes.
    bool changed = false;
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        QJsonObject out;
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            QJsonValue item = it.value();
            if (redactCredentials(item)) {
                if (!changed)
                    out = o;
                out.insert(it.key(), item);
                changed = true;
            }
        }
        if (changed)
            v = out;
    } else if (v.isArray()) {
        const QJsonArray a = v.toArray();
        QJsonArray out;
        for (qsizetype i = 0; i < a.size(); ++i) {
            QJsonValue item = a.at(i);
            if (redactCredentials(item)) {
                if (!changed)
                    out = a;
                out[i] = item;
                changed = true;
            }
        }
        if (changed)
            v = out;
    }
    return changed;
}

void redactCredentials(QJsonObject &o)
{
    // Numbers and booleans hold no credentials, and most parameters are ids.
    const bool textual = std::any_of(o.constBegin(), o.constEnd(), [](const QJsonValueConstRef &v) {
        return v.isString() || v.isObject() || v.isArray();
    });
    if (!textual)
        return;
    QJsonValue v(o);
    if (redactCredentials(v))
        o = v.toObject();
}

bool defaultRetryable(const std::exception_ptr &e)
{
    try {
        std::rethrow_exception(e);
    } catch (const Cancelled &) {
        return false;
    } catch (const Error &err) {
        // A client error will fail the same way again.
        return err.status() < 400 || err.status() >= 500;
    } catch (...) {
        return true;
    }
}

// What a handler threw, when it is neither an Error nor Cancelled: a sentence with the text
// of std exceptions (nested ones included, outermost first) and of common non-std types.
JobError describeException(std::exception_ptr e)
{
    QString text;
    QString foreign; // the outermost one is not a std::exception: what it was
    for (int depth = 0; e && depth < 8; ++depth) {
        std::exception_ptr next;
        QString part;
        try {
            std::rethrow_exception(e);
        } catch (const Error &err) {
            part = err.error().message;
        } catch (const std::exception &ex) {
            part = QString::fromUtf8(ex.what());
            if (const auto *nested = dynamic_cast<const std::nested_exception *>(&ex))
                next = nested->nested_ptr();
        } catch (const QString &str) {
            foreign = u"a QString: "_s + str;
        } catch (const char *str) {
            foreign = u"a C string: "_s + QString::fromUtf8(str);
        } catch (int i) {
            foreign = u"an int: "_s + QString::number(i);
        } catch (long i) {
            foreign = u"a long: "_s + QString::number(i);
        } catch (...) {
            foreign = u"an object of a type that is not a std::exception"_s;
        }
        if (!foreign.isEmpty()) {
            part = u"threw "_s + std::exchange(foreign, QString());
            if (depth == 0)
                return {500, u"unknown_exception"_s, u"the handler "_s + part, {}};
        }
        text += (text.isEmpty() ? QString() : u": "_s) + part;
        e = next;
    }
    return {500, u"exception"_s, text, {}};
}

// How a job's handler ended, before it is classified into a final state.
struct Ending
{
    JobResult result;
    JobError error;
    bool timedOut = false;
    bool cancelled = false;
};

// A plain function, so that no coroutine frame carries these catches.
void classify(std::exception_ptr e, Ending &ending)
{
    try {
        std::rethrow_exception(e);
    } catch (const TimedOut &) {
        ending.timedOut = true;
    } catch (const Cancelled &) {
        ending.cancelled = true;
    } catch (const Error &err) {
        ending.error = err.error();
    } catch (...) {
        ending.error = describeException(std::current_exception());
    }
}
} // namespace

class Runtime::Private
{
public:
    // Tracks one job for the awaitables: what it waits on, and how long it holds the loop.
    class JobExecution final : public detail::ExecutionContext
    {
    public:
        JobExecution(Private *d, const std::shared_ptr<detail::JobRecord> &rec) : m_d(d), m_record(rec) {}
        void setWaitingOn(const QString &what) override;
        void ranFor(std::chrono::nanoseconds exclusive) override;
        /// The runtime is going away: nothing more is recorded (a stretch still measuring
        /// may outlive it when a waiter resumed inline by the job destroys the runtime).
        void detach() { m_d = nullptr; }

    private:
        Private *m_d;
        std::weak_ptr<detail::JobRecord> m_record; // the registry may drop a finished job
    };

    explicit Private(Runtime *owner) : q(owner) {}

    Runtime *q;
    Router router;
    JobRegistry registry;
    QThreadPool pool;
    QObject *anchor = detail::makeAnchor(q); // a child: moves and dies with the runtime
    Clock *clock = &Clock::system();
    JobId nextId = 1;
    int globalPermits = 0;
    std::unique_ptr<Semaphore> globalLimit;
    QHash<QString, std::shared_ptr<Semaphore>> limits;
    std::unordered_map<std::type_index, Provider> providers;
    std::unordered_map<std::type_index, std::shared_ptr<void>> services;
    std::chrono::milliseconds blockingThreshold{50};
    std::chrono::milliseconds shutdownGrace{10000};
    // The last cancel_requested event's attributes: cancels come in runs of the same reason
    // and requester (cancelAll, a parent's children), which then share one object.
    QJsonObject cancelEvent;
    CancelReason cancelEventReason = CancelReason::None;
    QString cancelEventBy;
    // The same for the final error message of cancelled jobs.
    QString cancelMessage;
    CancelReason cancelMessageReason = CancelReason::None;
    QString cancelMessageBy;

    Semaphore &namedLimit(const QString &name)
    {
        auto &sem = limits[name];
        if (!sem) {
            qCInfo(lcRuntime) << "limit" << name << "was not configured; using 4 permits";
            sem = std::make_shared<Semaphore>(4, name);
        }
        return *sem;
    }

    void run(std::shared_ptr<detail::JobRecord> rec, RouteMatch match, SubmitOptions options);
    detail::Detached runDirect(std::shared_ptr<detail::JobRecord> rec, std::unique_ptr<Context> ctx);
    detail::Detached runGeneral(std::shared_ptr<detail::JobRecord> rec, std::unique_ptr<Context> ctx,
                                SubmitOptions options);
    void conclude(detail::JobRecord &rec, Context &ctx, Ending ending);
    /// Out of runDirect so that its frame holds no Ending.
    void conclude(detail::JobRecord &rec, Context &ctx, HandlerOutcome outcome);
    QCoro::Task<JobResult> invoke(const Route &route, Context &ctx, const SubmitOptions &options);
    QCoro::Task<JobResult> invokeWithRetry(const Route &route, Context &ctx, const SubmitOptions &options,
                                            detail::JobRecord &rec);
    void startTimeout(detail::JobRecord &rec, std::chrono::milliseconds limit);
    void finish(detail::JobRecord &rec, Context &ctx, JobState state, JobResult result, JobError error);
    void abandon(detail::JobRecord &rec);
};

void Runtime::Private::JobExecution::setWaitingOn(const QString &what)
{
    if (!m_d)
        return;
    const auto rec = m_record.lock();
    auto *m_rec = rec.get();
    if (!m_rec || m_rec->info.waitingOn == what)
        return;
    m_rec->info.waitingOn = what;
    m_d->registry.markDirty(*m_rec);
}

void Runtime::Private::JobExecution::ranFor(std::chrono::nanoseconds exclusive)
{
    if (!m_d)
        return;
    const auto rec = m_record.lock();
    auto *m_rec = rec.get();
    if (!m_rec || exclusive < m_d->blockingThreshold)
        return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(exclusive).count();
    const QString warning = u"blocked the event loop for %1 ms in %2 (threshold %3 ms)"_s.arg(ms).arg(
        m_rec->info.method + u' ' + m_rec->info.route).arg(m_d->blockingThreshold.count());
    m_rec->info.warnings.append(warning);
    m_d->registry.markDirty(*m_rec);
    const QJsonObject attrs{{u"duration_ms"_s, qint64(ms)}, {u"route"_s, m_rec->info.route}};
    if (m_rec->context) {
        m_rec->context->addRootEvent(u"loop_blocked"_s, attrs);
        m_rec->context->log(warning, LogLevel::Warning);
    } else if (m_rec->rootSpanId) {
        // The stretch that blocked also finished the job: its root span already ended, but
        // usually still waits in the registry's pending batch.
        m_d->registry.addEventToPendingSpan(m_rec->rootSpanId, {trace::nowNs(), u"loop_blocked"_s, attrs});
        m_d->registry.appendLog(m_rec->info.id, {m_rec->info.id, nowMs(), LogLevel::Warning, warning});
    }
    qCWarning(lcRuntime).noquote() << "job" << m_rec->info.id << warning;
}

QJsonObject JobOutcome::toJson() const
{
    if (refused)
        return refused->toJson();
    return job ? job->toJson() : QJsonObject{};
}

Runtime::Runtime(QObject *parent) : QObject(parent), d(std::make_unique<Private>(this))
{
}

Runtime::~Runtime()
{
    // Suspended jobs hold references into this runtime, and their frames may only end by
    // resuming. Cancel them and let them unwind (bounded) rather than leave them dangling.
    if (d->registry.activeCount() > 0) {
        qCWarning(lcRuntime) << d->registry.activeCount() << "jobs still active when the runtime was destroyed;"
                             << "cancelling them (use shutdown() to wait properly)";
        cancelAll(CancelReason::Shutdown, u"shutdown"_s);
        QElapsedTimer waited;
        waited.start();
        while (d->registry.activeCount() > 0 && waited.elapsed() < d->shutdownGrace.count())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        if (d->registry.activeCount() > 0) {
            qCCritical(lcRuntime) << d->registry.activeCount() << "jobs ignored cancellation for"
                                  << d->shutdownGrace.count() << "ms; abandoning them";
            // Collected first: abandoning resumes waiters, which may submit more jobs.
            QList<std::shared_ptr<detail::JobRecord>> stuck;
            d->registry.m_records->forEach([&stuck](const auto &rec) {
                if (!isTerminal(rec->info.state))
                    stuck.append(rec);
            });
            for (const auto &rec : std::as_const(stuck))
                d->abandon(*rec);
        }
    }
    d->pool.waitForDone();
    d->registry.m_records->forEach([](const auto &rec) {
        if (rec->execution)
            static_cast<Private::JobExecution *>(rec->execution.get())->detach();
    });
}

Router &Runtime::router() { return d->router; }
const Router &Runtime::router() const { return d->router; }
JobRegistry &Runtime::jobs() { return d->registry; }
QThreadPool &Runtime::pool() { return d->pool; }
QObject *Runtime::anchor() const { return d->anchor; }
Clock &Runtime::clock() const { return *d->clock; }
void Runtime::setClock(Clock &clock) { d->clock = &clock; }

void Runtime::setShutdownGrace(std::chrono::milliseconds grace)
{
    d->shutdownGrace = std::max(grace, std::chrono::milliseconds(0));
}

std::chrono::milliseconds Runtime::shutdownGrace() const
{
    return d->shutdownGrace;
}

void Runtime::setBlockingThreshold(std::chrono::milliseconds threshold)
{
    d->blockingThreshold = threshold;
}

std::chrono::milliseconds Runtime::blockingThreshold() const
{
    return d->blockingThreshold;
}

void Runtime::setGlobalLimit(int permits)
{
    d->globalPermits = qMax(0, permits);
    if (d->globalPermits == 0)
        return; // jobs holding permits of an older semaphore keep it alive through shared state
    if (d->globalLimit)
        d->globalLimit->setCapacity(d->globalPermits);
    else
        d->globalLimit = std::make_unique<Semaphore>(d->globalPermits, u"global"_s);
}

int Runtime::globalLimit() const { return d->globalPermits; }

void Runtime::setLimit(const QString &name, int permits)
{
    auto &sem = d->limits[name];
    if (sem)
        sem->setCapacity(permits);
    else
        sem = std::make_shared<Semaphore>(permits, name);
}

int Runtime::limit(const QString &name) const
{
    const auto sem = d->limits.value(name);
    return sem ? sem->capacity() : 0;
}

void Runtime::addProvider(std::type_index type, Provider provider)
{
    d->providers.insert_or_assign(type, std::move(provider));
}

void Runtime::setServiceImpl(std::type_index type, std::shared_ptr<void> service)
{
    d->services.insert_or_assign(type, std::move(service));
}

void *Runtime::serviceImpl(std::type_index type) const
{
    const auto it = d->services.find(type);
    return it == d->services.end() ? nullptr : it->second.get();
}

const Runtime::Provider *Runtime::provider(std::type_index type) const
{
    const auto it = d->providers.find(type);
    return it == d->providers.end() ? nullptr : &it->second;
}

Submission Runtime::submit(const CallRequest &request, SubmitOptions options)
{
    auto resolution = d->router.resolve(request.method, request.path, request.query, request.body);
    if (auto *err = std::get_if<DispatchError>(&resolution))
        return {0, *err};
    auto &match = std::get<RouteMatch>(resolution);

    // Filled in place: a JobInfo built aside and moved in costs a move of every member.
    auto rec = d->registry.create(d->nextId++, options.parent);
    JobInfo &info = rec->info;
    info.linkedFrom = options.linkedFrom;
    info.method = match.route->method;
    const auto queryAt = request.path.indexOf(QLatin1Char('?'));
    info.path = queryAt < 0 ? request.path : request.path.left(queryAt); // shares when no query
    info.route = match.route->pathTemplate;
    // Shared rather than merged when one of them is empty (most routes have one kind).
    if (match.pathParams.isEmpty()) {
        info.params = match.query;
    } else {
        info.params = match.pathParams;
        for (auto it = match.query.constBegin(); it != match.query.constEnd(); ++it)
            info.params.insert(it.key(), it.value());
    }
    info.body = match.body;
    redactCredentials(info.params);
    redactCredentials(info.body);
    info.kind = match.route->handler.kind;
    info.executor = match.route->policy.executor;
    info.createdMs = nowMs();
    rec->createdNs = trace::nowNs();
    rec->execution = std::make_shared<Private::JobExecution>(d.get(), rec);

    // A child submitted after its parent was cancelled starts cancelled.
    if (options.parent) {
        if (auto *p = d->registry.record(options.parent); p && p->info.cancelReason != CancelReason::None)
            cancel(rec->info.id, CancelReason::Parent, u"job:"_s + QString::number(options.parent));
    }
    const auto id = rec->info.id;
    // The handler runs eagerly up to its first suspension: that stretch belongs to the job.
    detail::ExecutionScope scope(rec->execution);
    d->run(std::move(rec), std::move(match), std::move(options));
    return {id, std::nullopt};
}

QCoro::Task<JobOutcome> Runtime::call(CallRequest request, SubmitOptions options)
{
    const auto submission = submit(request, std::move(options));
    if (!submission.accepted())
        co_return JobOutcome{std::nullopt, submission.refused};
    auto info = co_await wait(submission.id);
    co_return JobOutcome{std::move(info), std::nullopt};
}

QCoro::Task<JobInfo> Runtime::wait(JobId id, std::stop_token token)
{
    auto rec = d->registry.m_records->share(id); // keeps the record alive while waiting
    if (!rec)
        throw Error(404, u"unknown_job"_s, u"no job with id "_s + QString::number(id));
    co_await rec->done.wait(std::move(token));
    // An explicit copy: QCoro 0.8's return_value(U &&) moves from a non-const lvalue.
    co_return JobInfo(rec->info);
}

bool Runtime::cancel(JobId id, CancelReason reason, const QString &requestedBy)
{
    auto *rec = d->registry.record(id);
    if (!rec || isTerminal(rec->info.state) || rec->info.cancelReason != CancelReason::None)
        return false;
    rec->info.cancelReason = reason;
    rec->info.cancelledBy = requestedBy;
    if (rec->context) {
        if (d->cancelEvent.isEmpty() || d->cancelEventReason != reason || d->cancelEventBy != requestedBy) {
            d->cancelEvent = QJsonObject{{u"reason"_s, nameOf(reason)}, {u"requested_by"_s, requestedBy}};
            d->cancelEventReason = reason;
            d->cancelEventBy = requestedBy;
        }
        rec->context->addRootEvent(u"cancel_requested"_s, d->cancelEvent);
    }
    if (rec->info.state == JobState::Running)
        d->registry.setState(*rec, JobState::Cancelling);
    else
        d->registry.markDirty(*rec);
    if (!rec->children.isEmpty()) {
        const QString by = u"job:"_s + QString::number(id);
        for (auto child : std::as_const(rec->children))
            cancel(child, CancelReason::Parent, by);
    }
    rec->stop.request_stop();
    return true;
}

int Runtime::cancelAll(CancelReason reason, const QString &requestedBy)
{
    QList<JobId> active;
    d->registry.m_records->forEach([&active](const auto &rec) {
        if (!isTerminal(rec->info.state))
            active.append(rec->info.id);
    });
    std::sort(active.begin(), active.end());
    int n = 0;
    for (auto id : std::as_const(active))
        n += cancel(id, reason, requestedBy) ? 1 : 0;
    return n;
}

QCoro::Task<void> Runtime::shutdown()
{
    cancelAll(CancelReason::Shutdown, u"shutdown"_s);
    QList<std::shared_ptr<detail::JobRecord>> active;
    d->registry.m_records->forEach([&active](const auto &rec) {
        if (!isTerminal(rec->info.state))
            active.append(rec);
    });
    // The grace is wall time, not the runtime's clock: a ManualClock must not hold shutdown.
    std::stop_source deadline;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &timer, [&deadline] { deadline.request_stop(); });
    timer.start(d->shutdownGrace);
    for (const auto &rec : std::as_const(active)) {
        try {
            co_await rec->done.wait(deadline.get_token());
        } catch (const Cancelled &) {
            break; // the grace is over
        }
    }
    timer.stop();
    for (const auto &rec : std::as_const(active)) {
        if (!isTerminal(rec->info.state))
            d->abandon(*rec);
    }
    d->registry.flush();
}

void Runtime::Private::abandon(detail::JobRecord &rec)
{
    const QString message = u"%1 did not stop within %2 ms of shutdown; abandoned"_s.arg(rec.info.displayName())
                                .arg(shutdownGrace.count());
    qCWarning(lcRuntime).noquote() << "job" << rec.info.id << message;
    rec.info.warnings.append(message);
    rec.abandoned = true;
    if (rec.timeoutTimer) {
        clock->unschedule(rec.timeoutTimer);
        rec.timeoutTimer = 0;
    }
    JobError error{499, u"did_not_stop"_s, message, {}};
    if (rec.context) {
        rec.context->log(message, LogLevel::Warning);
        finish(rec, *rec.context, JobState::Cancelled, {}, std::move(error));
        return;
    }
    // Between the context's end and finish() (releasing dependencies): close the record only.
    rec.info.finishedMs = nowMs();
    rec.info.error = std::move(error);
    registry.setState(rec, JobState::Cancelled);
    rec.done.set();
}

void Runtime::Private::startTimeout(detail::JobRecord &rec, std::chrono::milliseconds limit)
{
    const auto id = rec.info.id;
    rec.timeoutTimer = clock->schedule(clock->now() + limit, [this, id] {
        if (auto *r = registry.record(id))
            r->timeoutTimer = 0;
        q->cancel(id, CancelReason::Timeout, u"timeout"_s);
    });
}

QCoro::Task<JobResult> Runtime::Private::invoke(const Route &route, Context &ctx, const SubmitOptions &options)
{
    switch (route.handler.kind) {
    case HandlerKind::Async: {
        auto outcome = co_await route.handler.async(ctx);
        if (outcome.error)
            std::rethrow_exception(outcome.error); // the retry policy looks at it
        co_return JobResult(outcome.value);
    }
    case HandlerKind::Sync:
        co_return co_await runInPool(pool, [&route, &ctx] { return route.handler.sync(ctx); }, ctx.token());
    case HandlerKind::Streaming: {
        auto gen = route.handler.streaming(ctx);
        QJsonArray items;
        auto it = co_await gen.begin();
        while (it != gen.end()) {
            items.append(*it);
            if (options.onItem)
                options.onItem(*it);
            co_await ++it;
        }
        co_return JobResult(QJsonValue(items));
    }
    }
    co_return JobResult();
}

QCoro::Task<JobResult> Runtime::Private::invokeWithRetry(const Route &route, Context &ctx,
                                                          const SubmitOptions &options, detail::JobRecord &rec)
{
    const auto &policy = options.retry ? *options.retry : route.policy.retry;
    const int attempts = qMax(1, policy.attempts);
    for (int attempt = 1;; ++attempt) {
        ++rec.info.attempts;
        std::exception_ptr failure;
        try {
            auto value = co_await invoke(route, ctx, options);
            co_return value;
        } catch (...) {
            failure = std::current_exception();
        }
        const bool retryable = policy.retryIf ? policy.retryIf(failure) : defaultRetryable(failure);
        if (attempt >= attempts || !retryable || ctx.isCancelled())
            std::rethrow_exception(failure);
        const auto delay = policy.delayFor(attempt, QRandomGenerator::global()->generateDouble());
        ctx.log(u"attempt %1 failed; retrying in %2 ms"_s.arg(attempt).arg(delay.count()), LogLevel::Warning);
        co_await sleep(*clock, delay, ctx.token());
    }
}

void Runtime::Private::run(std::shared_ptr<detail::JobRecord> rec, RouteMatch match, SubmitOptions options)
{
    const Route &route = *match.route;
    // On the heap rather than in a coroutine frame: GCC gives every local of a coroutine its
    // own slot, so the frames stay small only if the coroutines hold little.
    auto ctx = std::make_unique<Context>(*q, rec->info.id, match.route, std::move(match.pathParams),
                                         std::move(match.query), std::move(match.body), rec->stop.get_token(),
                                         options.traceId, options.parentSpan, rec->createdNs);
    rec->context = ctx.get();
    const bool direct = route.handler.kind == HandlerKind::Async && route.policy.retry.attempts <= 1
                     && (!options.retry || options.retry->attempts <= 1) && globalPermits == 0
                     && route.policy.limit.isEmpty();
    if (!direct) {
        runGeneral(std::move(rec), std::move(ctx), std::move(options));
        return;
    }
    // Most jobs: no permits to queue for, no retry loop. Their setup happens here; only the
    // await of the handler lives in a coroutine frame.
    if (rec->stop.stop_requested()) { // a child whose parent was cancelled before it started
        Ending ending;
        ending.cancelled = true;
        conclude(*rec, *ctx, std::move(ending));
        return;
    }
    rec->info.startedMs = rec->info.createdMs; // nothing ran in between: same millisecond
    registry.setState(*rec, JobState::Running);
    if (const auto limit = options.timeout ? options.timeout : route.policy.timeout)
        startTimeout(*rec, *limit);
    ++rec->info.attempts;
    runDirect(std::move(rec), std::move(ctx));
}

detail::Detached Runtime::Private::runDirect(std::shared_ptr<detail::JobRecord> rec, std::unique_ptr<Context> ctx)
{
    auto outcome = co_await startHandler(ctx->route(), *ctx);
    if (ctx->hasDependencies()) // most jobs have none: skip the cleanup coroutine's frame
        co_await ctx->releaseDependencies();
    conclude(*rec, *ctx, std::move(outcome));
}

void Runtime::Private::conclude(detail::JobRecord &rec, Context &ctx, HandlerOutcome outcome)
{
    Ending ending;
    if (!outcome.error)
        ending.result = std::move(outcome.value);
    else if (rec.info.cancelReason == CancelReason::None)
        classify(outcome.error, ending);
    else
        ending.cancelled = true; // cancel requested: whatever the handler threw, it ends cancelled
    conclude(rec, ctx, std::move(ending));
}

detail::Detached Runtime::Private::runGeneral(std::shared_ptr<detail::JobRecord> rec, std::unique_ptr<Context> owned,
                                              SubmitOptions options)
{
    Context &ctx = *owned;
    const auto token = ctx.token();
    const Route &route = ctx.route();
    Ending ending;
    try {
        const auto queuedAt = nowMs();
        std::optional<Semaphore::Permit> global;
        std::optional<Semaphore::Permit> named;
        Semaphore *named_ = route.policy.limit.isEmpty() ? nullptr : &namedLimit(route.policy.limit);
        if (globalPermits > 0)
            global = globalLimit->tryAcquire();
        if (named_)
            named = named_->tryAcquire();
        if ((globalPermits > 0 && !global) || (named_ && !named)) {
            // Time spent queued on a limit shows as its own span: what a higher limit would save.
            auto queued = ctx.span(u"queued"_s);
            queued.setAttribute(u"limits"_s, named_ ? u"global,"_s + named_->name() : u"global"_s);
            if (globalPermits > 0 && !global)
                global.emplace(co_await globalLimit->acquire(token));
            if (named_ && !named)
                named.emplace(co_await named_->acquire(token));
        }
        throwIfCancelled(token);

        rec->info.startedMs = nowMs();
        rec->info.queuedMs = rec->info.startedMs - queuedAt;
        registry.setState(*rec, JobState::Running);
        if (const auto limit = options.timeout ? options.timeout : route.policy.timeout)
            startTimeout(*rec, *limit);
        ending.result = co_await invokeWithRetry(route, ctx, options, *rec);
    } catch (...) {
        classify(std::current_exception(), ending);
    }
    if (ctx.hasDependencies())
        co_await ctx.releaseDependencies();
    conclude(*rec, ctx, std::move(ending));
}

void Runtime::Private::conclude(detail::JobRecord &rec, Context &ctx, Ending ending)
{
    // Blocking found in this last stretch must land on the job before its record closes.
    if (detail::currentExecution() == rec.execution.get())
        detail::ExecutionScope::checkpoint();

    if (rec.abandoned) {
        // shutdown() gave up on this job and recorded it; what it did since is dropped.
        qCWarning(lcRuntime) << "abandoned job" << rec.info.id << "ended late; its outcome is dropped";
        return;
    }
    if (rec.timeoutTimer) {
        clock->unschedule(rec.timeoutTimer);
        rec.timeoutTimer = 0;
    }
    // A handler that returned normally succeeded, even if a cancel came too late to stop it
    // (its effects happened); the request stays recorded as cancel_reason.
    const auto reason = rec.info.cancelReason;
    const bool returned = !ending.timedOut && !ending.cancelled && ending.error.isNull();
    if (returned) {
        finish(rec, ctx, JobState::Succeeded, std::move(ending.result), {});
    } else if (reason == CancelReason::Timeout || (ending.timedOut && reason == CancelReason::None)) {
        finish(rec, ctx, JobState::TimedOut, {},
               {504, u"timed_out"_s, u"%1 timed out"_s.arg(rec.info.displayName()), {}});
    } else if (reason != CancelReason::None || ending.cancelled) {
        // Cancels come in runs with one reason and requester: their jobs share the message.
        if (cancelMessage.isEmpty() || cancelMessageReason != reason || cancelMessageBy != rec.info.cancelledBy) {
            cancelMessageReason = reason;
            cancelMessageBy = rec.info.cancelledBy;
            cancelMessage = u"cancelled (%1) by %2"_s.arg(nameOf(reason), cancelMessageBy.isEmpty() ? u"the handler"_s
                                                                                                 : cancelMessageBy);
        }
        finish(rec, ctx, JobState::Cancelled, {}, {499, u"cancelled"_s, cancelMessage, {}});
    } else {
        finish(rec, ctx, JobState::Failed, {}, std::move(ending.error));
    }
}

void Runtime::Private::finish(detail::JobRecord &rec, Context &ctx, JobState state, JobResult result, JobError error)
{
    rec.info.finishedMs = nowMs();
    rec.info.result = std::move(result);
    rec.info.error = std::move(error);
    rec.info.waitingOn.clear();

    const auto reason = rec.info.cancelReason;
    auto facts = std::make_shared<const JobSpanFacts>(JobSpanFacts{rec.info.id,
                       rec.info.route,
                       rec.info.method,
                       rec.info.path,
                       nameOf(state),
                       nameOf(rec.info.executor),
                       rec.info.attempts,
                       rec.info.queuedMs,
                       reason == CancelReason::None ? QString() : nameOf(reason),
                       reason == CancelReason::None ? QString() : rec.info.cancelledBy,
                       !rec.info.error.isNull(),
                       rec.info.error.isNull() ? QString() : rec.info.error.type,
                       rec.info.error.isNull() ? 0 : rec.info.error.status});
    const auto status = state == JobState::Succeeded ? SpanStatus::Ok
                      : (state == JobState::Cancelled || state == JobState::TimedOut) ? SpanStatus::Cancelled
                                                                                     : SpanStatus::Error;
    ctx.endRoot(status, rec.info.error.message, std::move(facts));
    rec.rootSpanId = ctx.rootSpanId();
    rec.context = nullptr;
    if (state == JobState::Failed)
        qCDebug(lcRuntime) << rec.info.displayName() << "failed:" << rec.info.error.message;
    registry.setState(rec, state);
    // Last: waiters resume inline and may submit more work.
    rec.done.set();
}

} // namespace coroute
