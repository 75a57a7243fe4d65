#include "jobs/sysroutes.h"

#include "async/sleep.h"
#include "runtime/context.h"
#include "runtime/runtime.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace coroute {

namespace {

constexpr double maxMs = 24.0 * 3600 * 1000;

QCoro::Task<QJsonObject> sleepHandler(Context &ctx)
{
    const auto ms = ctx.param(u"ms"_s).toInteger();
    co_await sleep(ctx.clock(), milliseconds(ms), ctx.token());
    co_return QJsonObject{{u"slept_ms"_s, ms}};
}

// Runs on a pool thread: burns CPU in slices so cancellation is noticed within a slice.
QJsonObject cpuHandler(Context &ctx)
{
    const auto ms = ctx.param(u"ms"_s).toInteger();
    QElapsedTimer timer;
    timer.start();
    QByteArray block(4096, 'x');
    qint64 rounds = 0;
    while (timer.elapsed() < ms) {
        ctx.throwIfCancelled();
        for (int i = 0; i < 64; ++i) {
            block = QCryptographicHash::hash(block, QCryptographicHash::Sha256).repeated(128);
            ++rounds;
        }
        if (ms > 0)
            ctx.setProgress(double(timer.elapsed()) / double(ms));
    }
    const bool onLoop = QThread::currentThread() == ctx.runtime().thread();
    return {{u"ms"_s, ms}, {u"rounds"_s, rounds}, {u"on_loop_thread"_s, onLoop},
            {u"digest"_s, QString::fromLatin1(block.left(32).toHex())}};
}

} // namespace

Router sysRoutes()
{
    Router r;
    r.get(u"/sleep"_s, sleepHandler)
        .summary(u"Sleep without blocking the loop"_s)
        .description(u"Awaits a cancellable timer for ms milliseconds."_s)
        .query({.name = u"ms"_s, .type = ParamType::Int, .description = u"Milliseconds to sleep"_s,
                .required = true, .minimum = 0, .maximum = maxMs});
    r.get(u"/cpu"_s, cpuHandler)
        .summary(u"Burn CPU on the thread pool"_s)
        .description(u"Hashes in a loop for ms milliseconds on a pool thread; checks cancellation "
                     "between slices and reports progress."_s)
        .query({.name = u"ms"_s, .type = ParamType::Int, .description = u"Milliseconds of CPU work"_s,
                .required = true, .minimum = 0, .maximum = maxMs});
    r.get(u"/health"_s, [](Context &ctx) -> QCoro::Task<QJsonObject> {
         auto &jobs = ctx.runtime().jobs();
         co_return QJsonObject{
             {u"status"_s, u"ok"_s},
             {u"version"_s, QCoreApplication::applicationVersion()},
             {u"jobs"_s, QJsonObject{{u"total"_s, jobs.count()}, {u"active"_s, jobs.activeCount()}}},
         };
     }).summary(u"Runtime health"_s);
    return r;
}

} // namespace coroute
