#include "bench/workloads.h"

#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include <QTemporaryDir>

#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {
constexpr qint64 defaultN = 1'000'000;
constexpr qint64 wave = 10'000;     // most jobs in flight at once
constexpr int finishedWindow = 20'000; // finished jobs the registry keeps (more than a wave)
} // namespace

QCoro::Task<void> runLoad(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    beginReport(report, options, u"store"_s, n);

    QTemporaryDir dir;
    QString error;
    auto store = HistoryStore::open(dir.filePath(u"history.sqlite"_s), &error);
    if (!store) {
        report.fail(error);
        co_return;
    }
    Runtime runtime;
    runtime.router().get(u"/items/{id:int}"_s, [](Context &ctx) -> QCoro::Task<qint64> {
        co_return ctx.param(u"id"_s).toInteger();
    });
    runtime.jobs().setFinishedWindow(finishedWindow);
    HistoryRecorder recorder(runtime, *store, u"bench load"_s, u"coroute bench load"_s);
    const auto before = readMemory();

    const double t0 = nowSeconds();
    qint64 sum = 0;
    qint64 unsuccessful = 0;
    qint64 refused = 0;
    qint64 maxRegistry = 0;
    std::vector<JobId> ids;
    ids.reserve(size_t(wave));
    for (qint64 start = 0; start < n; start += wave) {
        ids.clear();
        for (qint64 i = start; i < std::min(n, start + wave); ++i) {
            const auto submission = runtime.submit({u"GET"_s, u"/items/"_s + QString::number(i), {}, {}});
            if (submission.accepted())
                ids.push_back(submission.id);
            else
                ++refused;
        }
        for (const auto id : ids) {
            const auto info = co_await runtime.wait(id);
            if (info.state == JobState::Succeeded)
                sum += info.result.toJson().toInteger();
            else
                ++unsuccessful;
        }
        maxRegistry = std::max(maxRegistry, qint64(runtime.jobs().count()));
        // These no-op jobs finish without ever yielding to the event loop, so the registry's
        // batch timer would not fire and no finished job could leave the window: hand the
        // wave's batch to the store now, as a loop turn would.
        runtime.jobs().flush();
    }
    const double submitted = nowSeconds() - t0;
    recorder.finish(); // the last batch, the end of the run, and every write done
    const double wall = nowSeconds() - t0;
    const qint64 stored = store->jobCount(recorder.runId());

    report.setRounded(u"wall_s"_s, wall, 3);
    report.setRounded(u"run_s"_s, submitted, 3);
    report.setRounded(u"us_per_job"_s, wall * 1e6 / double(n), 3);
    report.set(u"wave"_s, wave);
    report.set(u"registry_max"_s, maxRegistry);
    report.set(u"evicted"_s, runtime.jobs().evictedCount());
    report.set(u"store_queue_peak"_s, store->peakQueued());
    report.set(u"store_throttled_ms"_s, store->throttledMs());
    report.set(u"stored"_s, stored);
    endReport(report, before);
    report.set(u"store"_s, true);
    if (refused)
        report.fail(u"%1 requests refused"_s.arg(refused));
    if (unsuccessful)
        report.fail(u"%1 jobs did not succeed"_s.arg(unsuccessful));
    if (sum != n * (n - 1) / 2)
        report.fail(u"sum(id) = %1, expected %2"_s.arg(sum).arg(n * (n - 1) / 2));
    if (stored != n)
        report.fail(u"%1 jobs in the store, expected %2"_s.arg(stored).arg(n));
}

} // namespace coroute::bench
