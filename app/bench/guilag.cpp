#include "bench/benchroutes.h"
#include "bench/workloads.h"
#include "gui/guicommand.h"

#include "models/changethrottle.h"
#include "models/jobtreemodel.h"
#include "runtime/callrequest.h"
#include "runtime/runtime.h"
#include "runtimehost.h"
#include "trace/loopmonitor.h"
#include "widgets/mainwindow.h"

#include <qcoro/qcorotimer.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace coroute::bench {

namespace {

constexpr qint64 defaultN1 = 100'000; // W1-routed
constexpr qint64 defaultN2 = 10'000;  // W2

// WORKLOADS.md's W1 route table plus W2's sleeper.
void addRoutes(Runtime &rt)
{
    addW1Routes(rt.router());
    addW2Route(rt.router());
}

/// What the runtime thread reports back: written there, read here once done is set.
struct Outcome
{
    std::atomic<bool> done{false};
    qint64 refused = 0;
    qint64 unsuccessful = 0;
    qint64 sum = 0;
    std::optional<QCoro::Task<void>> task;
};

// Runs on the runtime's thread: submits every job, then awaits them all.
QCoro::Task<void> drive(Runtime &rt, QStringList lines, qint64 sleepers, Outcome &out)
{
    std::vector<JobId> ids;
    ids.reserve(size_t(lines.size() + sleepers));
    for (const auto &line : std::as_const(lines)) {
        const auto request = CallRequest::parse(line);
        const auto s = request ? rt.submit(*request) : Submission{};
        if (s.accepted())
            ids.push_back(s.id);
        else
            ++out.refused;
    }
    const CallRequest sleep{u"GET"_s, u"/sleep"_s, QJsonObject{{u"ms"_s, 100}}, QJsonValue(QJsonValue::Undefined)};
    for (qint64 i = 0; i < sleepers; ++i) {
        const auto s = rt.submit(sleep);
        if (s.accepted())
            ids.push_back(s.id);
        else
            ++out.refused;
    }
    for (const auto id : ids) {
        const auto info = co_await rt.wait(id);
        if (info.state != JobState::Succeeded)
            ++out.unsuccessful;
        else if (info.result.toJson().isObject())
            out.sum += info.result.toJson()[u"id"_s].toInteger();
    }
    out.done = true;
}

// CPU time of the calling thread, in ms: what the GUI thread spent, whatever the machine's load.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

} // namespace

QCoro::Task<void> runGuiLag(BenchOptions options, BenchReport &report)
{
    const qint64 n1 = options.n > 0 ? options.n : defaultN1;
    const qint64 n2 = options.n > 0 ? qMax<qint64>(1, options.n / 10) : defaultN2;
    beginReport(report, options, u"w1-routed+w2"_s, n1 + n2);

    gui::tuneAllocatorForGui(); // as `coroute gui` does
    RuntimeHost::Options hostOptions;
    hostOptions.builtins = false;
    hostOptions.setup = addRoutes;
    RuntimeHost host(hostOptions);
    MainWindow window(&host, nullptr);
    window.resize(1400, 860);
    window.show();
    QStringList lines;
    lines.reserve(n1);
    for (qint64 i = 0; i < n1; ++i)
        lines.append(u"GET /items/"_s + QString::number(i));
    // Let the window settle before sampling.
    co_await QCoro::sleepFor(200ms);

    const auto before = readMemory();
    LoopMonitor lag(5, 1'000'000);
    const double cpu0 = threadCpuMs();
    auto out = std::make_shared<Outcome>();
    const double t0 = nowSeconds();
    host.post([out, lines = std::move(lines), n2](Runtime &rt) mutable {
        out->task.emplace(drive(rt, std::move(lines), n2, *out));
    });
    while (!out->done)
        co_await QCoro::sleepFor(20ms);
    const double wall = nowSeconds() - t0;
    // The window follows the whole run: wait until the last batch has been applied.
    const qint64 total = n1 + n2;
    const auto seen = [&] {
        const auto *m = window.jobModel();
        return qint64(m->countIn(JobState::Succeeded) + m->countIn(JobState::Failed) + m->evictedJobs());
    };
    for (int i = 0; i < 500 && (seen() < total || window.throttle()->hasPending()); ++i)
        co_await QCoro::sleepFor(20ms);
    const auto stats = lag.stats();
    const double guiCpuMs = threadCpuMs() - cpu0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"lag_p50_ms"_s, stats.p50Ms, 3);
    report.setRounded(u"lag_p99_ms"_s, stats.p99Ms, 3);
    report.setRounded(u"lag_max_ms"_s, stats.maxMs, 3);
    report.set(u"lag_samples"_s, stats.samples);
    report.setRounded(u"gui_cpu_ms"_s, guiCpuMs, 1);
    report.set(u"gui_jobs_seen"_s, seen());
    endReport(report, before);
    host.shutdown();
    if (out->refused)
        report.fail(u"%1 requests refused"_s.arg(out->refused));
    if (out->unsuccessful)
        report.fail(u"%1 jobs did not succeed"_s.arg(out->unsuccessful));
    if (out->sum != n1 * (n1 - 1) / 2)
        report.fail(u"sum(id) = %1, expected %2"_s.arg(out->sum).arg(n1 * (n1 - 1) / 2));
    if (seen() != total)
        report.fail(u"the window saw %1 finished jobs of %2"_s.arg(seen()).arg(total));
}

} // namespace coroute::bench
