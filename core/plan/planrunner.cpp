#include "plan/planrunner.h"

#include "plan/planrunner_p.h"
#include "plan/reference_p.h"
#include "runtime/runtime.h"

#include <QJsonArray>
#include <QLoggingCategory>

#include <coroutine>
#include <functional>
#include <optional>

using namespace Qt::StringLiterals;

Q_DECLARE_LOGGING_CATEGORY(lcPlan)

namespace coroute {

namespace {

PlanJobState planStateOf(JobState s)
{
    switch (s) {
    case JobState::Succeeded: return PlanJobState::Succeeded;
    case JobState::TimedOut: return PlanJobState::TimedOut;
    case JobState::Cancelled: return PlanJobState::Cancelled;
    default: return PlanJobState::Failed;
    }
}

} // namespace

void detail::PlanWatcher::promise_type::unhandled_exception() const noexcept
{
    qCCritical(lcPlan, "an exception escaped a plan job's watcher");
}

detail::PlanWatcher PlanRunner::Private::watch(int instance, JobId id)
{
    JobInfo info;
    try {
        info = co_await runtime.wait(id);
    } catch (const Error &e) {
        info.state = JobState::Failed;
        info.error = e.error();
    }
    onJobEnded(instance, info);
}

QString nameOf(PlanJobState state)
{
    switch (state) {
    case PlanJobState::Pending: return u"pending"_s;
    case PlanJobState::Running: return u"running"_s;
    case PlanJobState::Succeeded: return u"succeeded"_s;
    case PlanJobState::Failed: return u"failed"_s;
    case PlanJobState::TimedOut: return u"timed_out"_s;
    case PlanJobState::Cancelled: return u"cancelled"_s;
    case PlanJobState::Skipped: return u"skipped"_s;
    }
    return {};
}

QJsonObject PlanJobResult::toJson() const
{
    QJsonObject o{{u"job"_s, id}, {u"state"_s, nameOf(state)}};
    if (job)
        o.insert(u"job_id"_s, qint64(job));
    if (state == PlanJobState::Succeeded)
        o.insert(u"result"_s, result);
    if (!error.isNull())
        o.insert(u"error"_s, error.toJson());
    if (job) {
        o.insert(u"attempts"_s, attempts);
        o.insert(u"started_ms"_s, startedMs);
        o.insert(u"duration_ms"_s, durationMs);
    }
    return o;
}

QJsonObject PlanCounts::toJson() const
{
    return {{u"total"_s, total},         {u"done"_s, done()},        {u"succeeded"_s, succeeded},
            {u"failed"_s, failed},       {u"cancelled"_s, cancelled}, {u"skipped"_s, skipped},
            {u"running"_s, running},     {u"pending"_s, pending}};
}

QString PlanResult::outcome() const
{
    return cancelled ? u"cancelled"_s : succeeded() ? u"succeeded"_s : u"failed"_s;
}

QJsonObject PlanResult::toJson() const
{
    QJsonObject o = counts.toJson();
    o.insert(u"name"_s, name);
    o.insert(u"outcome"_s, outcome());
    o.insert(u"wall_ms"_s, wallMs);
    QJsonArray list;
    for (const auto &j : jobs)
        list.append(j.toJson());
    o.insert(u"jobs"_s, list);
    return o;
}

void PlanRunner::Private::build()
{
    for (qsizetype g = 0; g < plan.jobs.size(); ++g)
        groupIndex.insert(plan.jobs[g].id, int(g));
    for (qsizetype g = 0; g < plan.jobs.size(); ++g) {
        const auto &job = plan.jobs[g];
        Group group;
        for (const auto &dep : job.after)
            group.dependencies.append(groupIndex.value(dep));
        const int n = job.foreach ? int(job.foreach->size()) : 1;
        for (int k = 0; k < n; ++k) {
            PlanJobResult r;
            r.id = job.instanceId(k);
            r.planJob = job.id;
            r.index = job.foreach ? k : -1;
            group.instances.append(int(instances.size()));
            instances.append(std::move(r));
            groupOf.append(int(g));
        }
        group.unfinished = n;
        groups.append(std::move(group));
    }
    unfinished = int(instances.size());
    if (concurrency < 1)
        concurrency = plan.concurrency;
}

QJsonValue PlanRunner::Private::groupResult(int g) const
{
    if (!plan.jobs[g].foreach)
        return instances[groups[g].instances.first()].result;
    QJsonArray all; // a foreach job's results, in item order
    for (int i : groups[g].instances)
        all.append(instances[i].result);
    return all;
}

void PlanRunner::Private::schedule()
{
    // Settling a job can end up here again (a job that finishes inside submit()); the outer
    // call repeats its pass instead of recursing.
    if (scheduling) {
        rescheduled = true;
        return;
    }
    scheduling = true;
    do {
        rescheduled = false;
        scheduleOnce();
    } while (rescheduled);
    scheduling = false;
    if (unfinished == 0 && done && !done->isSet()) {
        // Queued, so run()'s caller never resumes (and maybe destroys us) inside this call.
        QMetaObject::invokeMethod(q, [this] { done->set(); }, Qt::QueuedConnection);
    }
}

void PlanRunner::Private::scheduleOnce()
{
    for (qsizetype i = 0; i < instances.size(); ++i) {
        if (instances[i].state != PlanJobState::Pending)
            continue;
        if (stopping) {
            settle(int(i), PlanJobState::Cancelled, {},
                   {499, u"cancelled"_s,
                    u"not started: the plan was cancelled (%1) by %2"_s.arg(nameOf(stopReason), stopBy), {}});
            continue;
        }
        const Group &group = groups[groupOf[i]];
        bool ready = true;
        int failedDependency = -1;
        for (int dep : group.dependencies) {
            if (groups[dep].unfinished > 0)
                ready = false;
            else if (!groups[dep].allSucceeded)
                failedDependency = dep;
        }
        if (failedDependency >= 0) {
            settle(int(i), PlanJobState::Skipped, {},
                   {424, u"dependency_failed"_s,
                    u"dependency '%1' did not succeed"_s.arg(plan.jobs[failedDependency].id), {}});
            continue;
        }
        if (ready && running < concurrency)
            start(int(i));
    }
}

void PlanRunner::Private::start(int i)
{
    const int g = groupOf[i];
    const PlanJob &job = plan.jobs[g];
    const int index = instances[i].index;
    const detail::ReferenceLookup lookup = [&](const detail::Reference &ref, QString *error) -> std::optional<QJsonValue> {
        QString why;
        std::optional<QJsonValue> value;
        if (ref.isItem())
            value = detail::navigate(job.foreach->at(index), ref.path, &why);
        else
            value = detail::navigate(groupResult(groupIndex.value(ref.job)), ref.path, &why);
        if (!value)
            *error = u"%1: %2"_s.arg(ref.text, why);
        return value;
    };
    QString error;
    CallRequest request;
    request.method = job.method;
    request.path = detail::substituteText(job.path, lookup, true, &error);
    if (error.isEmpty())
        request.query = detail::substitute(job.query, lookup, &error).toObject();
    if (error.isEmpty())
        request.body = detail::substitute(job.body, lookup, &error);
    if (!error.isEmpty()) {
        settle(i, PlanJobState::Failed, {}, {422, u"reference_error"_s, error, {}});
        return;
    }
    SubmitOptions options;
    options.timeout = job.timeout;
    options.retry = job.retry;
    instances[i].startedMs = clock.elapsed();
    instances[i].state = PlanJobState::Running;
    ++running;
    const auto submission = runtime.submit(request, std::move(options));
    if (!submission.accepted()) {
        --running;
        const auto &refused = *submission.refused;
        QString why = u"%1: %2 %3"_s.arg(request.displayName()).arg(refused.status).arg(refused.message);
        for (const auto &entry : refused.detail) {
            const auto e = entry.toObject();
            QStringList loc;
            for (const auto &part : e.value(u"loc"_s).toArray())
                loc << (part.isString() ? part.toString() : QString::number(part.toInteger()));
            why += u"; %1: %2"_s.arg(loc.join(u'.'), e.value(u"msg"_s).toString());
        }
        settle(i, PlanJobState::Failed, {}, {refused.status, u"refused"_s, why, refused.toJson()});
        return;
    }
    instances[i].job = submission.id;
    Q_EMIT q->jobStarted(instances[i]);
    watch(i, submission.id);
}

void PlanRunner::Private::onJobEnded(int i, const JobInfo &info)
{
    --running;
    auto &inst = instances[i];
    inst.attempts = info.attempts;
    if (info.startedMs && info.finishedMs)
        inst.durationMs = info.finishedMs - info.startedMs;
    const auto state = planStateOf(info.state);
    settle(i, state, state == PlanJobState::Succeeded ? info.result.toJson() : QJsonValue(), info.error);
}

void PlanRunner::Private::settle(int i, PlanJobState state, QJsonValue result, JobError error)
{
    auto &inst = instances[i];
    inst.state = state;
    inst.result = std::move(result);
    inst.error = std::move(error);
    if (inst.job && inst.durationMs == 0)
        inst.durationMs = clock.elapsed() - inst.startedMs;
    --unfinished;
    Group &group = groups[groupOf[i]];
    --group.unfinished;
    if (state != PlanJobState::Succeeded)
        group.allSucceeded = false;
    Q_EMIT q->jobFinished(inst);
    const bool failure = state == PlanJobState::Failed || state == PlanJobState::TimedOut
                      || state == PlanJobState::Cancelled;
    if (failure && !stopping && plan.onFailure == FailurePolicy::FailFast) {
        qCInfo(lcPlan) << "plan job" << inst.id << nameOf(state) << "; fail_fast cancels the rest";
        stop(CancelReason::SiblingFailed, u"plan"_s);
    }
    schedule();
}

void PlanRunner::Private::stop(CancelReason reason, const QString &by)
{
    if (stopping)
        return;
    stopping = true;
    stopReason = reason;
    stopBy = by;
    for (const auto &inst : std::as_const(instances)) {
        if (inst.state == PlanJobState::Running)
            runtime.cancel(inst.job, reason, by);
    }
    if (started)
        schedule();
}

PlanRunner::PlanRunner(Runtime &runtime, Plan plan, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>(this, runtime, std::move(plan)))
{
}

PlanRunner::~PlanRunner() = default;

const Plan &PlanRunner::plan() const { return d->plan; }

void PlanRunner::setConcurrency(int n)
{
    if (n >= 1)
        d->concurrency = n;
}

int PlanRunner::concurrency() const
{
    return d->concurrency >= 1 ? d->concurrency : d->plan.concurrency;
}

QCoro::Task<PlanResult> PlanRunner::run(std::stop_token token)
{
    d->build();
    d->started = true;
    d->clock.start();
    d->done = std::make_unique<AsyncEvent>();
    d->done->setDescription(u"plan "_s + d->plan.name);
    // The token may fire on another thread: cancel on ours.
    std::optional<std::stop_callback<std::function<void()>>> onStop;
    if (token.stop_possible()) {
        onStop.emplace(token, std::function<void()>([this] {
                           QMetaObject::invokeMethod(this, [this] { cancel(); }, Qt::QueuedConnection);
                       }));
    }
    if (d->stopping) { // cancelled before it started
        d->stopping = false;
        d->stop(d->stopReason, d->stopBy);
    }
    d->schedule();
    co_await d->done->wait();
    PlanResult result;
    result.name = d->plan.name;
    result.jobs = d->instances;
    result.counts = counts();
    result.wallMs = d->clock.elapsed();
    result.cancelled = d->stopping && d->stopReason != CancelReason::SiblingFailed;
    co_return result;
}

void PlanRunner::cancel(CancelReason reason, const QString &requestedBy)
{
    if (!d->started) {
        d->stopping = true;
        d->stopReason = reason;
        d->stopBy = requestedBy;
        return;
    }
    d->stop(reason, requestedBy);
}

PlanCounts PlanRunner::counts() const
{
    PlanCounts c;
    c.total = int(d->instances.size());
    for (const auto &inst : std::as_const(d->instances)) {
        switch (inst.state) {
        case PlanJobState::Pending: ++c.pending; break;
        case PlanJobState::Running: ++c.running; break;
        case PlanJobState::Succeeded: ++c.succeeded; break;
        case PlanJobState::Failed:
        case PlanJobState::TimedOut: ++c.failed; break;
        case PlanJobState::Cancelled: ++c.cancelled; break;
        case PlanJobState::Skipped: ++c.skipped; break;
        }
    }
    return c;
}

QList<PlanJobResult> PlanRunner::jobs() const
{
    return d->instances;
}

qint64 PlanRunner::elapsedMs() const
{
    return d->clock.isValid() ? d->clock.elapsed() : 0;
}

} // namespace coroute
