#pragma once
// Shared by the ui tests: a RuntimeHost with small routes for trees, failures and sleeps,
// and a way to read the runtime's own counts from its thread.

#include "async/combinators.h"
#include "async/sleep.h"
#include "models/jobtreemodel.h"
#include "runtime/context.h"
#include "runtime/error.h"
#include "runtime/runtime.h"
#include "runtimehost.h"

#include <QTest>

#include <array>
#include <atomic>
#include <memory>

namespace coroute::test {

using namespace Qt::StringLiterals;

inline QCoro::Task<int> leaf(Context &ctx)
{
    co_await sleep(ctx.clock(), std::chrono::milliseconds(ctx.param(u"ms"_s).toInteger()), ctx.token());
    if (ctx.param(u"fail"_s).toBool())
        throw Error(502, u"leaf_failed"_s, u"failed on purpose"_s);
    co_return 1;
}

inline QCoro::Task<int> tree(Context &ctx)
{
    const int n = int(ctx.param(u"n"_s).toInteger());
    const int ms = int(ctx.param(u"ms"_s).toInteger());
    const bool failOne = ctx.param(u"fail"_s).toBool();
    std::vector<Work<QJsonValue>> work;
    for (int i = 0; i < n; ++i) {
        work.push_back([&ctx, ms, i, failOne](std::stop_token t) {
            QJsonObject q{{u"ms"_s, ms}, {u"fail"_s, failOne && i == 0}};
            return ctx.call(u"GET"_s, u"/leaf"_s, q, QJsonValue(QJsonValue::Undefined), t);
        });
    }
    auto settled = co_await gatherSettled<QJsonValue>(std::move(work), ctx.token());
    co_return int(settled.size());
}

inline void addTestRoutes(Runtime &rt)
{
    rt.router()
        .get(u"/leaf"_s, leaf)
        .query({.name = u"ms"_s, .type = ParamType::Int, .defaultValue = 0})
        .query({.name = u"fail"_s, .type = ParamType::Bool, .defaultValue = false});
    rt.router()
        .get(u"/tree"_s, tree)
        .query({.name = u"n"_s, .type = ParamType::Int, .defaultValue = 3})
        .query({.name = u"ms"_s, .type = ParamType::Int, .defaultValue = 0})
        .query({.name = u"fail"_s, .type = ParamType::Bool, .defaultValue = false});
}

/// The runtime's counts by state, read on its thread.
struct RuntimeCounts
{
    std::array<std::atomic<int>, 8> counts{};
    std::atomic<int> active{-1};
    std::atomic<bool> ready{false};
};

inline std::shared_ptr<RuntimeCounts> readCounts(RuntimeHost &host)
{
    auto out = std::make_shared<RuntimeCounts>();
    host.post([out](Runtime &rt) {
        for (int s = 0; s < 8; ++s)
            out->counts[size_t(s)] = rt.jobs().countIn(JobState(s));
        out->active = rt.jobs().activeCount();
        out->ready = true;
    });
    return out;
}

/// Waits until the runtime has no unfinished job (bounded).
inline bool waitIdle(RuntimeHost &host, int timeoutMs = 30000)
{
    return QTest::qWaitFor(
        [&] {
            auto c = readCounts(host);
            if (!QTest::qWaitFor([&] { return c->ready.load(); }, 5000))
                return false;
            return c->active.load() == 0;
        },
        timeoutMs);
}

} // namespace coroute::test
