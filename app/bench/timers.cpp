#include "bench/benchhistory.h"
#include "bench/benchroutes.h"
#include "bench/workloads.h"

#include "runtime/callrequest.h"
#include "runtime/runtime.h"

#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {
constexpr qint64 defaultN = 10'000;
constexpr int sleepMs = 100;
} // namespace

QCoro::Task<void> runTimers(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    beginReport(report, options, u"sleep"_s, n);

    Runtime runtime;

    BenchHistory history(runtime, options, report, u"w2"_s);
    addW2Route(runtime.router());
    // Input prepared before timing, typed as a plan would pass it (W1 measures parsing).
    const CallRequest request{u"GET"_s, u"/sleep"_s, QJsonObject{{u"ms"_s, sleepMs}}, QJsonValue(QJsonValue::Undefined)};
    const auto before = readMemory();

    const double t0 = nowSeconds();
    const auto jobs = submitAll(runtime, request, n, report);
    const double started = nowSeconds() - t0;
    qint64 sum = 0;
    for (const auto id : jobs.ids) {
        const auto info = co_await runtime.wait(id);
        if (info.state == JobState::Succeeded)
            sum += info.result.toJson().toInteger();
    }
    const double wall = nowSeconds() - t0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"start_s"_s, started, 6);
    endReport(report, before);
    if (sum != n)
        report.fail(u"sum = %1, expected %2"_s.arg(sum).arg(n));
}

} // namespace coroute::bench
