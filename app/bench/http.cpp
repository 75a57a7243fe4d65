#include "bench/loopbackserver.h"
#include "bench/benchhistory.h"
#include "bench/workloads.h"

#include "jobs/http/httpclient.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"

#include <QThreadPool>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

constexpr qint64 defaultN = 2'000;
constexpr int workers = 64;
constexpr qint64 bodyBytes = 1024;

struct Load
{
    qint64 next = 0;          // the counter the workers share
    qint64 total = 0;
    qint64 ok = 0;
    qint64 bad = 0;
    QString firstBad;
    std::vector<double> latencyMs;
};

// The job's result: the body's size when the status is 200, else minus the status.
QCoro::Task<qint64> fetch(Context &ctx, QUrl url)
{
    HttpRequest request;
    request.url = std::move(url);
    auto response = co_await ctx.http().send(std::move(request), ctx.token());
    co_return response.status == 200 ? qint64(response.body.size()) : -qint64(response.status);
}

void check(Load &load, const JobOutcome &outcome)
{
    QString problem;
    if (!outcome.job)
        problem = u"refused"_s;
    else if (outcome.job->state != JobState::Succeeded)
        problem = outcome.job->error.message;
    else if (const auto got = outcome.job->result.toJson().toInteger(); got != bodyBytes)
        problem = got < 0 ? u"status %1"_s.arg(-got) : u"body of %1 bytes"_s.arg(got);
    if (problem.isEmpty()) {
        ++load.ok;
    } else {
        if (!load.bad++)
            load.firstBad = problem;
    }
}

// One of the 64 workers: takes the next request number and issues it, back to back.
QCoro::Task<void> worker(Runtime &runtime, const CallRequest &request, Load &load)
{
    while (load.next < load.total) {
        ++load.next;
        const double t0 = nowSeconds();
        const auto outcome = co_await runtime.call(request);
        load.latencyMs.push_back((nowSeconds() - t0) * 1e3);
        check(load, outcome);
    }
}

double percentile(std::vector<double> sorted, double p)
{
    if (sorted.empty())
        return 0;
    std::sort(sorted.begin(), sorted.end());
    const auto at = size_t(p * double(sorted.size() - 1) + 0.5);
    return sorted[std::min(at, sorted.size() - 1)];
}

} // namespace

QCoro::Task<void> runHttp(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    beginReport(report, options, options.url.isEmpty() ? u"loopback"_s : u"url"_s, n);

    std::unique_ptr<LoopbackServer> server;
    QUrl url(options.url);
    if (options.url.isEmpty()) {
        server = std::make_unique<LoopbackServer>(QByteArray(bodyBytes, 'x'));
        if (!server->listen()) {
            report.fail(u"loopback server: "_s + server->errorString());
            co_return;
        }
        url = QUrl(u"http://127.0.0.1:%1/1k"_s.arg(server->port()));
    }

    Runtime runtime;

    BenchHistory history(runtime, options, report, u"w3"_s);
    runtime.setService<HttpClient>(std::make_shared<HttpClient>(
        HttpClientOptions{.perHostLimit = workers, .clock = &runtime.clock(), .pool = &runtime.pool()}));
    runtime.router().get(u"/fetch"_s, [url](Context &ctx) { return fetch(ctx, url); });
    const CallRequest request{u"GET"_s, u"/fetch"_s, {}, QJsonValue(QJsonValue::Undefined)};

    Load warmup{.total = 1};
    check(warmup, co_await runtime.call(request)); // one warm-up request, allowed before timing
    if (warmup.bad) {
        report.fail(u"warm-up request: "_s + warmup.firstBad);
        co_return;
    }

    Load load{.total = n};
    load.latencyMs.reserve(size_t(n));
    std::vector<QCoro::Task<void>> running;
    running.reserve(workers);
    const auto before = readMemory();

    const double t0 = nowSeconds();
    for (int w = 0; w < workers; ++w)
        running.push_back(worker(runtime, request, load));
    for (auto &task : running)
        co_await task;
    const double wall = nowSeconds() - t0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"rps"_s, double(n) / wall, 0);
    report.setRounded(u"p50_ms"_s, percentile(load.latencyMs, 0.50), 3);
    report.setRounded(u"p99_ms"_s, percentile(load.latencyMs, 0.99), 3);
    report.set(u"workers"_s, workers);
    endReport(report, before);
    if (load.bad)
        report.fail(u"%1 requests failed, first: %2"_s.arg(load.bad).arg(load.firstBad));
    if (load.ok != n)
        report.fail(u"%1 of %2 requests checked ok"_s.arg(load.ok).arg(n));
}

} // namespace coroute::bench
