#include "bench/benchhistory.h"
#include "bench/workloads.h"

#include "async/sleep.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"

#include <QCoreApplication>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {
constexpr qint64 defaultN = 10'000;
} // namespace

QCoro::Task<void> runCancel(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    beginReport(report, options, u"sleep_60s"_s, n);

    Runtime runtime;

    BenchHistory history(runtime, options, report, u"w6"_s);
    auto started = std::make_shared<qint64>(0);
    runtime.router().get(u"/park"_s, [started](Context &ctx) -> QCoro::Task<int> {
        ++*started;
        co_await sleep(ctx.clock(), std::chrono::seconds(60), ctx.token());
        co_return 1;
    });
    const CallRequest request{u"GET"_s, u"/park"_s, {}, QJsonValue(QJsonValue::Undefined)};
    const auto before = readMemory();

    const double t0 = nowSeconds();
    const auto jobs = submitAll(runtime, request, n, report);
    const auto &ids = jobs.ids;
    // Async handlers start inside submit(); wait (bounded) in case a start is ever deferred.
    while (*started < qint64(ids.size()) && nowSeconds() - t0 < 30.0)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    const double startMs = (nowSeconds() - t0) * 1e3;

    const double t1 = nowSeconds();
    qint64 notCancelled = 0;
    for (const auto id : ids) {
        if (!runtime.cancel(id))
            ++notCancelled;
    }
    qint64 settledOtherwise = 0;
    for (const auto id : ids) {
        const auto info = co_await runtime.wait(id);
        if (info.state != JobState::Cancelled)
            ++settledOtherwise;
    }
    const double cancelMs = (nowSeconds() - t1) * 1e3;

    report.setRounded(u"cancel_ms"_s, cancelMs, 3);
    report.setRounded(u"start_ms"_s, startMs, 3);
    endReport(report, before);
    if (*started != n)
        report.fail(u"%1 of %2 jobs started"_s.arg(*started).arg(n));
    if (notCancelled)
        report.fail(u"%1 cancel calls refused"_s.arg(notCancelled));
    if (settledOtherwise)
        report.fail(u"%1 jobs did not end cancelled"_s.arg(settledOtherwise));
}

} // namespace coroute::bench
