#include "bench/benchhistory.h"
#include "bench/benchroutes.h"
#include "bench/workloads.h"

#include "runtime/callrequest.h"
#include "runtime/runtime.h"

#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

constexpr qint64 defaultN = 100'000;

QCoro::Task<qint64> noop(qint64 i)
{
    co_return i;
}

QCoro::Task<void> runBare(qint64 n, BenchReport &report)
{
    std::vector<QCoro::Task<qint64>> tasks;
    tasks.reserve(size_t(n));
    const auto before = readMemory();

    const double t0 = nowSeconds();
    for (qint64 i = 0; i < n; ++i)
        tasks.push_back(noop(i));
    qint64 sum = 0;
    for (auto &task : tasks)
        sum += co_await task;
    const double wall = nowSeconds() - t0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"us_per_job"_s, wall * 1e6 / double(n), 3);
    endReport(report, before);
    if (sum != n * (n - 1) / 2)
        report.fail(u"sum(i) = %1, expected %2"_s.arg(sum).arg(n * (n - 1) / 2));
}

QCoro::Task<void> runRouted(qint64 n, const BenchOptions &options, BenchReport &report)
{
    Runtime runtime;
    BenchHistory history(runtime, options, report, u"w1"_s);
    addW1Routes(runtime.router());
    QStringList lines;
    lines.reserve(n);
    for (qint64 i = 0; i < n; ++i)
        lines.append(u"GET /items/"_s + QString::number(i));
    std::vector<JobId> ids;
    ids.reserve(size_t(n));
    qint64 refused = 0;
    const auto before = readMemory();

    const double t0 = nowSeconds();
    for (const auto &line : std::as_const(lines)) {
        const auto request = CallRequest::parse(line);
        const auto submission = request ? runtime.submit(*request) : Submission{};
        if (submission.accepted())
            ids.push_back(submission.id);
        else
            ++refused;
    }
    qint64 sum = 0;
    qint64 unsuccessful = 0;
    for (const auto id : ids) {
        const auto info = co_await runtime.wait(id);
        if (const auto *result = info.result.value<Item>(); result && info.state == JobState::Succeeded)
            sum += result->id;
        else
            ++unsuccessful;
    }
    const double wall = nowSeconds() - t0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"us_per_job"_s, wall * 1e6 / double(n), 3);
    endReport(report, before);
    if (refused)
        report.fail(u"%1 requests refused"_s.arg(refused));
    if (unsuccessful)
        report.fail(u"%1 jobs did not succeed"_s.arg(unsuccessful));
    if (sum != n * (n - 1) / 2)
        report.fail(u"sum(id) = %1, expected %2"_s.arg(sum).arg(n * (n - 1) / 2));
}

} // namespace

QCoro::Task<void> runDispatch(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    const bool bare = options.mode == u"bare"_s;
    beginReport(report, options, bare ? u"bare"_s : u"routed"_s, n);
    if (bare)
        co_await runBare(n, report);
    else
        co_await runRouted(n, options, report);
}

} // namespace coroute::bench
