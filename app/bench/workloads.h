#pragma once
// The workloads of /work/shared/WORKLOADS.md (tests/bench/README.md has the figures).
// Each one runs once, fills the report with its figures and its check, and returns.

#include "bench/benchreport.h"

#include "runtime/jobstate.h"

#include <qcoro/qcorotask.h>

#include <vector>

namespace coroute {
class Runtime;
struct CallRequest;
}

namespace coroute::bench {

/// W1 dispatch: N no-op jobs through router + registry (routed), or N bare QCoro tasks.
QCoro::Task<void> runDispatch(BenchOptions options, BenchReport &report);
/// W2 timers: N jobs each sleeping 100 ms.
QCoro::Task<void> runTimers(BenchOptions options, BenchReport &report);
/// W3 http: N GETs through the runtime's HttpClient, 64 workers back to back.
QCoro::Task<void> runHttp(BenchOptions options, BenchReport &report);
/// W4 sqlite: N rows inserted in transactions of 1,000, then streamed back (or --raw libsqlite3).
QCoro::Task<void> runSqlite(BenchOptions options, BenchReport &report);
/// W5 files: N files hashed (SHA-256) concurrently through /fs/hash jobs.
QCoro::Task<void> runFiles(BenchOptions options, BenchReport &report);
/// W6 cancellation: N jobs sleeping 60 s, cancelled one call per job.
QCoro::Task<void> runCancel(BenchOptions options, BenchReport &report);
/// load: N jobs (default 1,000,000) in waves through one runtime recording into a history
/// store; bounded registry window; every job must be in the store at the end.
QCoro::Task<void> runLoad(BenchOptions options, BenchReport &report);
/// gui-lag: the inspector window open while W1-routed and W2 run through it (app/bench/guilag.cpp).
QCoro::Task<void> runGuiLag(BenchOptions options, BenchReport &report);

/// Fills the fields every report starts with, in the documented order.
void beginReport(BenchReport &report, const BenchOptions &options, const QString &variant, qint64 n);
/// Adds the memory figures and the store flag, after the timed region.
void endReport(BenchReport &report, const Memory &before);

/// The jobs a workload started: all of them are started before any is awaited.
struct Started
{
    std::vector<JobId> ids;
    qint64 refused = 0;
};
/// Submits request n times; fails the report when any submit was refused.
Started submitAll(Runtime &runtime, const CallRequest &request, qint64 n, BenchReport &report);

} // namespace coroute::bench
