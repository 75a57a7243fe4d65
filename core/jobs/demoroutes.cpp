#include "jobs/demoroutes.h"

#include "async/combinators.h"
#include "async/semaphore.h"
#include "async/sleep.h"
#include "runtime/context.h"
#include "runtime/error.h"

#include <QElapsedTimer>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace coroute {

namespace {

// A child job per source, so the inspector shows the fan-out as a tree.
Work<QJsonValue> source(Context &ctx, const QString &name, int ms, bool fail = false)
{
    return [&ctx, name, ms, fail](std::stop_token token) {
        QJsonObject query{{u"ms"_s, ms}, {u"fail"_s, fail}};
        return ctx.call(u"GET"_s, u"/demo/source/"_s + name, query, QJsonValue(QJsonValue::Undefined), token);
    };
}

QCoro::Task<QJsonObject> sourceHandler(Context &ctx)
{
    const auto name = ctx.param(u"name"_s).toString();
    co_await sleep(ctx.clock(), milliseconds(ctx.param(u"ms"_s).toInteger()), ctx.token());
    if (ctx.param(u"fail"_s).toBool())
        throw Error(502, u"source_failed"_s, u"source '%1' failed on purpose"_s.arg(name));
    co_return QJsonObject{{u"source"_s, name}, {u"value"_s, name.size() * 7}};
}

QCoro::Task<QJsonObject> dashboard(Context &ctx)
{
    QElapsedTimer timer;
    timer.start();
    const int ms = int(ctx.param(u"ms"_s).toInteger());
    // The work list is built before the co_await: GCC 12 rejects a braced list of temporaries
    // inside a co_await expression ("array used as initializer").
    std::vector<Work<QJsonValue>> work{source(ctx, u"users"_s, ms), source(ctx, u"orders"_s, ms),
                                       source(ctx, u"stats"_s, ms)};
    auto parts = co_await gather<QJsonValue>(std::move(work), ctx.token());
    co_return QJsonObject{{u"users"_s, parts[0]}, {u"orders"_s, parts[1]}, {u"stats"_s, parts[2]},
                          {u"elapsed_ms"_s, timer.elapsed()}};
}

QCoro::Task<QJsonObject> tolerant(Context &ctx)
{
    std::vector<Work<QJsonValue>> work{source(ctx, u"users"_s, 50), source(ctx, u"flaky"_s, 30, true),
                                       source(ctx, u"stats"_s, 80)};
    auto settled = co_await gatherSettled<QJsonValue>(std::move(work), ctx.token());
    const QStringList names{u"users"_s, u"flaky"_s, u"stats"_s};
    QJsonObject results;
    QJsonObject errors;
    for (size_t i = 0; i < settled.size(); ++i) {
        const auto &s = settled[i];
        if (s.state == Settled<QJsonValue>::State::Succeeded)
            results.insert(names[qsizetype(i)], *s.value);
        else
            errors.insert(names[qsizetype(i)], s.errorMessage());
    }
    co_return QJsonObject{{u"results"_s, results}, {u"errors"_s, errors}};
}

QCoro::Task<void> group(Context &ctx)
{
    TaskGroup members(ctx.token());
    members.spawn([&ctx](std::stop_token t) -> QCoro::Task<void> {
        auto task = source(ctx, u"slow-a"_s, 2000)(t);
        co_await task;
    });
    members.spawn([&ctx](std::stop_token t) -> QCoro::Task<void> {
        auto task = source(ctx, u"slow-b"_s, 2000)(t);
        co_await task;
    });
    members.spawn([&ctx](std::stop_token t) -> QCoro::Task<void> {
        auto task = source(ctx, u"broken"_s, 50, true)(t);
        co_await task;
    });
    co_await members.join();
}

QCoro::Task<QJsonObject> slow(Context &ctx)
{
    const auto limit = milliseconds(ctx.param(u"timeout_ms"_s).toInteger());
    const auto work = milliseconds(ctx.param(u"work_ms"_s).toInteger());
    auto done = co_await withTimeout<QJsonValue>(
        limit,
        [&ctx, work](std::stop_token t) -> QCoro::Task<QJsonValue> {
            co_await sleep(ctx.clock(), work, t);
            co_return QJsonValue(true);
        },
        ctx.token());
    co_return QJsonObject{{u"completed"_s, done}};
}

QCoro::Task<QJsonObject> batch(Context &ctx)
{
    const auto items = ctx.param(u"items"_s).toArray();
    Semaphore permits(int(ctx.param(u"concurrency"_s).toInteger()), u"demo-batch"_s);
    const auto itemMs = milliseconds(ctx.param(u"item_ms"_s).toInteger());
    int inFlight = 0;
    int maxInFlight = 0;
    int done = 0;
    QJsonArray processed;
    for (int i = 0; i < items.size(); ++i)
        processed.append(QJsonValue());
    TaskGroup workers(ctx.token());
    for (int i = 0; i < items.size(); ++i) {
        workers.spawn([&, i](std::stop_token t) -> QCoro::Task<void> {
            auto permit = co_await permits.acquire(t);
            maxInFlight = qMax(maxInFlight, ++inFlight);
            co_await sleep(ctx.clock(), itemMs, t);
            --inFlight;
            processed[i] = QJsonObject{{u"item"_s, items[i]}, {u"index"_s, i}};
            ++done;
            ctx.setProgress(double(done) / double(items.size()), u"%1/%2"_s.arg(done).arg(items.size()));
        });
    }
    co_await workers.join();
    co_return QJsonObject{{u"processed"_s, processed}, {u"max_in_flight"_s, maxInFlight}};
}

// Child jobs that finish one after another: a run with finished and unfinished jobs at any moment.
QCoro::Task<QJsonObject> fanout(Context &ctx)
{
    const int n = int(ctx.param(u"n"_s).toInteger());
    const int step = int(ctx.param(u"step_ms"_s).toInteger());
    std::vector<Work<QJsonValue>> work;
    for (int i = 1; i <= n; ++i) {
        work.push_back([&ctx, i, step](std::stop_token t) {
            return ctx.call(u"GET"_s, u"/sys/sleep"_s, {{u"ms"_s, i * step}}, QJsonValue(QJsonValue::Undefined), t);
        });
    }
    auto results = co_await gather<QJsonValue>(std::move(work), ctx.token());
    co_return QJsonObject{{u"children"_s, int(results.size())}};
}

QCoro::Task<QJsonObject> block(Context &ctx)
{
    // Deliberately wrong: busy-waits on the loop thread so the loop monitor can be seen catching it.
    const auto ms = ctx.param(u"ms"_s).toInteger();
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
    }
    co_return QJsonObject{{u"blocked_ms"_s, ms}};
}

} // namespace

Router demoRoutes()
{
    Router r;
    r.get(u"/source/{name}"_s, sourceHandler)
        .summary(u"One data source of the demos"_s)
        .pathParam(u"name"_s, u"Source name"_s)
        .query({.name = u"ms"_s, .type = ParamType::Int, .description = u"Latency in ms"_s,
                .defaultValue = 100, .minimum = 0, .maximum = 60000})
        .query({.name = u"fail"_s, .type = ParamType::Bool, .description = u"Fail after the latency"_s,
                .defaultValue = false});
    r.get(u"/dashboard"_s, dashboard)
        .summary(u"Gather three sources concurrently"_s)
        .description(u"Three child jobs, each as slow as the ms parameter, gathered fail-fast: the whole "
                     u"takes about one such latency, not three."_s)
        .query({.name = u"ms"_s, .type = ParamType::Int, .description = u"Latency of each source"_s,
                .defaultValue = 100, .minimum = 0, .maximum = 60000});
    r.post(u"/batch"_s, batch)
        .summary(u"Process a list under a semaphore"_s)
        .bodyField({.name = u"items"_s, .type = ParamType::Array, .description = u"Items to process"_s,
                    .required = true})
        .bodyField({.name = u"concurrency"_s, .type = ParamType::Int, .description = u"Permits"_s,
                    .defaultValue = 3, .minimum = 1, .maximum = 1000})
        .bodyField({.name = u"item_ms"_s, .type = ParamType::Int, .description = u"Work per item in ms"_s,
                    .defaultValue = 50, .minimum = 0, .maximum = 60000});
    r.get(u"/tolerant"_s, tolerant)
        .summary(u"Gather with one failing source, keeping the others"_s);
    r.get(u"/group"_s, group)
        .summary(u"TaskGroup: one failure cancels the rest"_s)
        .description(u"Two slow members are cancelled when the third fails; the job fails with its error."_s);
    r.get(u"/slow"_s, slow)
        .summary(u"Work that outlives its timeout"_s)
        .query({.name = u"timeout_ms"_s, .type = ParamType::Int, .description = u"Time allowed"_s,
                .defaultValue = 200, .minimum = 0, .maximum = 3600000})
        .query({.name = u"work_ms"_s, .type = ParamType::Int, .description = u"Time the work takes"_s,
                .defaultValue = 1000, .minimum = 0, .maximum = 3600000});
    r.get(u"/items/{item_id:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonObject> {
         const auto id = ctx.param(u"item_id"_s).toInteger();
         co_return QJsonObject{{u"item_id"_s, id}, {u"name"_s, u"item %1"_s.arg(id)}};
     })
        .summary(u"A typed path parameter"_s)
        .pathParam(u"item_id"_s, u"Integer id of the item"_s);
    r.get(u"/fanout"_s, fanout)
        .summary(u"Child jobs finishing one after another"_s)
        .description(u"Gathers n child jobs GET /sys/sleep, the i-th sleeping i x step_ms."_s)
        .query({.name = u"n"_s, .type = ParamType::Int, .description = u"Number of children"_s,
                .defaultValue = 10, .minimum = 1, .maximum = 10000})
        .query({.name = u"step_ms"_s, .type = ParamType::Int, .description = u"Extra sleep per child"_s,
                .defaultValue = 100, .minimum = 0, .maximum = 60000});
    r.get(u"/block"_s, block)
        .summary(u"Blocks the event loop on purpose (the mistake the loop monitor catches)"_s)
        .query({.name = u"ms"_s, .type = ParamType::Int, .description = u"Milliseconds to block"_s,
                .defaultValue = 100, .minimum = 0, .maximum = 10000});
    return r;
}

} // namespace coroute
