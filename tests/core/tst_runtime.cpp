#include "async/clock.h"
#include "async/sleep.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"
#include "liveguard.h"
#include "eventloopchecker.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

using Guard = coroute::test::LiveGuard;

CallRequest get(const QString &path)
{
    return {u"GET"_s, path, {}, QJsonValue(QJsonValue::Undefined)};
}

} // namespace

class tst_Runtime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { QCOMPARE(Guard::live(), 0); }

    void asyncHandlerSucceeds()
    {
        Runtime rt;
        rt.router().get(u"/hello/{name}"_s, [](Context &ctx) -> QCoro::Task<QJsonObject> {
            co_await sleep(1ms, ctx.token());
            co_return QJsonObject{{u"hello"_s, ctx.param(u"name"_s)}};
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/hello/qt"_s));
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
            CO_COMPARE(outcome.job->result.toJson().toObject().value(u"hello"_s).toString(), u"qt"_s);
            CO_COMPARE(outcome.job->route, u"/hello/{name}"_s);
            CO_COMPARE(outcome.job->path, u"/hello/qt"_s);
            CO_VERIFY(outcome.job->finishedMs >= outcome.job->startedMs);
        }());
    }

    void dispatchErrorsRefuseWithoutAJob()
    {
        Runtime rt;
        rt.router().get(u"/items/{id:int}"_s, [](Context &) { return 1; });
        auto notFound = rt.submit(get(u"/nope"_s));
        QVERIFY(!notFound.accepted());
        QCOMPARE(notFound.refused->status, 404);
        auto wrongMethod = rt.submit({u"POST"_s, u"/items/1"_s, {}, QJsonValue(QJsonValue::Undefined)});
        QCOMPARE(wrongMethod.refused->status, 405);
        QCOMPARE(wrongMethod.refused->allowed, QStringList{u"GET"_s});
        auto invalid = rt.submit(get(u"/items/abc"_s));
        QCOMPARE(invalid.refused->status, 422);
        QCOMPARE(rt.jobs().count(), 0);
    }

    void syncHandlerRunsOffTheLoop()
    {
        Runtime rt;
        std::atomic<bool> release{false};
        std::atomic<QThread *> handlerThread{nullptr};
        rt.router().get(u"/work"_s, [&](Context &) {
            handlerThread = QThread::currentThread();
            // Blocks its pool thread until the test saw the loop turn meanwhile (bounded).
            for (int i = 0; i < 10000 && !release; ++i)
                QThread::usleep(1000);
            return QJsonValue(42);
        });
        coroute::test::EventLoopChecker checker(1);
        const auto sub = rt.submit(get(u"/work"_s));
        QVERIFY(sub.accepted());
        QVERIFY(QTest::qWaitFor([&] { return handlerThread.load() != nullptr; }, 10000));
        const int ticksBefore = checker.ticks();
        QVERIFY(QTest::qWaitFor([&] { return checker.ticks() >= ticksBefore + 3; }, 10000));
        QCOMPARE(rt.jobs().job(sub.id)->state, JobState::Running);
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(sub.id)->state, JobState::Succeeded, 10000);
        QVERIFY(handlerThread.load() != QThread::currentThread());
        QCOMPARE(rt.jobs().job(sub.id)->result.toJson().toInt(), 42);
        QCOMPARE(rt.jobs().job(sub.id)->executor, Executor::Pool);
    }

    void cancellingAParentCancelsTheWholeTree()
    {
        Runtime rt;
        QStringList events;
        rt.router().get(u"/leaf"_s, [&](Context &ctx) -> QCoro::Task<void> {
            Guard g;
            events << u"leaf started"_s;
            try {
                co_await sleep(60s, ctx.token());
            } catch (const Cancelled &) {
                events << u"leaf cleanup"_s;
                throw;
            }
        });
        rt.router().get(u"/middle"_s, [&](Context &ctx) -> QCoro::Task<void> {
            Guard g;
            try {
                co_await ctx.call(u"GET"_s, u"/leaf"_s);
            } catch (const Cancelled &) {
                events << u"middle cleanup"_s;
                throw;
            }
        });
        rt.router().get(u"/top"_s, [&](Context &ctx) -> QCoro::Task<void> {
            Guard g;
            try {
                co_await ctx.call(u"GET"_s, u"/middle"_s);
            } catch (const Cancelled &) {
                events << u"top cleanup"_s;
                throw;
            }
        });
        const auto top = rt.submit(get(u"/top"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(events, QStringList{u"leaf started"_s}, 10000);
        QCOMPARE(rt.jobs().count(), 3);
        const auto middle = rt.jobs().children(top).value(0);
        const auto leaf = rt.jobs().children(middle).value(0);
        QVERIFY(middle && leaf);

        QVERIFY(rt.cancel(top, CancelReason::User, u"tester"_s));
        QVERIFY(!rt.cancel(top)); // the first request stands
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
        QCOMPARE(events, (QStringList{u"leaf started"_s, u"leaf cleanup"_s, u"middle cleanup"_s, u"top cleanup"_s}));
        const auto t = *rt.jobs().job(top), m = *rt.jobs().job(middle), l = *rt.jobs().job(leaf);
        QCOMPARE(t.state, JobState::Cancelled);
        QCOMPARE(m.state, JobState::Cancelled);
        QCOMPARE(l.state, JobState::Cancelled);
        QCOMPARE(t.cancelReason, CancelReason::User);
        QCOMPARE(t.cancelledBy, u"tester"_s);
        QCOMPARE(m.cancelReason, CancelReason::Parent);
        QVERIFY2(m.cancelledBy == u"job:%1"_s.arg(top), QJsonDocument(m.toJson()).toJson().constData());
        QCOMPARE(l.cancelReason, CancelReason::Parent);
        QCOMPARE(l.cancelledBy, u"job:%1"_s.arg(middle));
        QCOMPARE(m.parent, top);
        QCOMPARE(l.parent, middle);
    }

    void routeTimeoutEndsTimedOut()
    {
        ManualClock clock;
        Runtime rt;
        rt.setClock(clock);
        rt.router().get(u"/stuck"_s, [](Context &ctx) -> QCoro::Task<void> {
            co_await sleep(ctx.clock(), 1h, ctx.token());
        }).timeout(500ms);
        const auto id = rt.submit(get(u"/stuck"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Running, 10000);
        clock.advance(499ms);
        QCoreApplication::processEvents();
        QCOMPARE(rt.jobs().job(id)->state, JobState::Running);
        clock.advance(1ms);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::TimedOut, 10000);
        QCOMPARE(rt.jobs().job(id)->cancelReason, CancelReason::Timeout);
        QCOMPARE(rt.jobs().job(id)->error.type, u"timed_out"_s);
        QCOMPARE(clock.pendingTimers(), 0);
    }

    void submitTimeoutOverridesRoute()
    {
        ManualClock clock;
        Runtime rt;
        rt.setClock(clock);
        rt.router().get(u"/stuck"_s, [](Context &ctx) -> QCoro::Task<void> {
            co_await sleep(ctx.clock(), 1h, ctx.token());
        });
        const auto id = rt.submit(get(u"/stuck"_s), {.timeout = 50ms}).id;
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Running, 10000);
        clock.advance(50ms);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::TimedOut, 10000);
    }

    void retriesFollowThePolicy()
    {
        ManualClock clock;
        Runtime rt;
        rt.setClock(clock);
        int calls = 0;
        rt.router().get(u"/flaky"_s, [&](Context &) -> QCoro::Task<int> {
            if (++calls < 3)
                throw std::runtime_error("flaky");
            co_return calls;
        }).retry({.attempts = 3, .initialBackoff = 100ms, .maxBackoff = 1s, .multiplier = 2, .jitter = 0});
        const auto id = rt.submit(get(u"/flaky"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
        clock.advance(99ms);
        QCoreApplication::processEvents();
        QCOMPARE(calls, 1);
        clock.advance(1ms);
        QTRY_COMPARE_WITH_TIMEOUT(calls, 2, 10000);
        clock.advance(200ms);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Succeeded, 10000);
        QCOMPARE(rt.jobs().job(id)->attempts, 3);
        QCOMPARE(rt.jobs().job(id)->result.toJson().toInt(), 3);
    }

    void submitOptionsRetryOverridesTheRoute()
    {
        Runtime rt;
        int plainCalls = 0;
        int retriedCalls = 0;
        rt.router().get(u"/plain"_s, [&](Context &) -> QCoro::Task<int> {
            ++plainCalls;
            throw std::runtime_error("always");
            co_return 0;
        });
        rt.router().get(u"/retried"_s, [&](Context &) -> QCoro::Task<int> {
            ++retriedCalls;
            throw std::runtime_error("always");
            co_return 0;
        }).retry({.attempts = 4, .initialBackoff = 1ms});
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            SubmitOptions more;
            more.retry = RetryPolicy{.attempts = 3, .initialBackoff = 1ms};
            const auto plain = co_await rt.call(get(u"/plain"_s), more); // a route without retries
            CO_COMPARE(plain.job->state, JobState::Failed);
            CO_COMPARE(plain.job->attempts, 3);
            SubmitOptions none;
            none.retry = RetryPolicy{.attempts = 1};
            const auto once = co_await rt.call(get(u"/retried"_s), none);
            CO_COMPARE(once.job->attempts, 1);
        }());
        QCOMPARE(plainCalls, 3);
        QCOMPARE(retriedCalls, 1);
    }

    void clientErrorsAreNotRetried()
    {
        Runtime rt;
        int calls = 0;
        rt.router().get(u"/bad"_s, [&](Context &) -> QJsonValue {
            ++calls;
            throw Error(400, u"bad_input"_s, u"no"_s);
        }).retry({.attempts = 5, .initialBackoff = 1ms});
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/bad"_s));
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.status, 400);
            CO_COMPARE(outcome.job->error.type, u"bad_input"_s);
        }());
        QCOMPARE(calls, 1);
    }

    void handlerExceptionsBecomeFailures_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("type");
        QTest::newRow("std::exception") << 0 << u"exception"_s;
        QTest::newRow("non-standard") << 1 << u"unknown_exception"_s;
        QTest::newRow("coroute::Error") << 2 << u"teapot"_s;
    }
    void handlerExceptionsBecomeFailures()
    {
        QFETCH(int, kind);
        QFETCH(QString, type);
        Runtime rt;
        rt.router().get(u"/throw"_s, [kind](Context &) -> QCoro::Task<void> {
            if (kind == 0)
                throw std::logic_error("broken invariant");
            if (kind == 1)
                throw 42;
            throw Error(418, u"teapot"_s, u"short and stout"_s);
            co_return;
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/throw"_s));
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.type, type);
            CO_VERIFY(!outcome.job->error.message.isEmpty());
        }());
    }

    void globalLimitBoundsConcurrency()
    {
        Runtime rt;
        rt.setGlobalLimit(2);
        int inFlight = 0, maxInFlight = 0;
        rt.router().get(u"/w"_s, [&](Context &ctx) -> QCoro::Task<void> {
            maxInFlight = qMax(maxInFlight, ++inFlight);
            co_await sleep(5ms, ctx.token());
            --inFlight;
        });
        QList<JobId> ids;
        for (int i = 0; i < 10; ++i)
            ids << rt.submit(get(u"/w"_s)).id;
        // The first two take the permits at once (handlers start eagerly); the rest queue.
        QCOMPARE(rt.jobs().countIn(JobState::Running), 2);
        QCOMPARE(rt.jobs().countIn(JobState::Pending), 8);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().countIn(JobState::Succeeded), 10, 10000);
        QCOMPARE(maxInFlight, 2);
        qint64 queued = 0;
        for (auto id : ids)
            queued += rt.jobs().job(id)->queuedMs;
        QVERIFY(queued > 0); // the later jobs waited for permits
    }

    void namedLimitBoundsItsRoute()
    {
        Runtime rt;
        rt.setLimit(u"disk"_s, 1);
        int inFlight = 0, maxInFlight = 0;
        rt.router().get(u"/disk"_s, [&](Context &ctx) -> QCoro::Task<void> {
            maxInFlight = qMax(maxInFlight, ++inFlight);
            co_await sleep(2ms, ctx.token());
            --inFlight;
        }).limit(u"disk"_s);
        for (int i = 0; i < 5; ++i)
            rt.submit(get(u"/disk"_s));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().countIn(JobState::Succeeded), 5, 10000);
        QCOMPARE(maxInFlight, 1);
    }

    void cancellingAPendingJobNeverRunsIt()
    {
        Runtime rt;
        rt.setGlobalLimit(1);
        int runs = 0;
        rt.router().get(u"/w"_s, [&](Context &ctx) -> QCoro::Task<void> {
            ++runs;
            co_await sleep(60s, ctx.token());
        });
        const auto first = rt.submit(get(u"/w"_s)).id;
        const auto second = rt.submit(get(u"/w"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(runs, 1, 10000);
        QCOMPARE(rt.jobs().job(second)->state, JobState::Pending);
        QVERIFY(rt.cancel(second));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(second)->state, JobState::Cancelled, 10000);
        QCOMPARE(rt.jobs().job(second)->startedMs, 0);
        QVERIFY(rt.cancel(first));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
        QCOMPARE(runs, 1);
    }

    void tenThousandJobsAllReachTerminalStates()
    {
        Runtime rt;
        rt.router().get(u"/items/{id:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            const auto id = ctx.param(u"id"_s).toInteger();
            if (id % 10 == 0)
                co_await sleep(1ms, ctx.token());
            if (id % 7 == 0)
                throw std::runtime_error("seven");
            co_return QJsonValue(id);
        });
        constexpr int n = 10000;
        for (int i = 0; i < n; ++i)
            QVERIFY(rt.submit(get(u"/items/%1"_s.arg(i))).accepted());
        // every 13th is cancelled mid-flight
        for (JobId id = 1; id <= n; id += 13)
            rt.cancel(id);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 30000);
        const int terminal = rt.jobs().countIn(JobState::Succeeded) + rt.jobs().countIn(JobState::Failed)
                           + rt.jobs().countIn(JobState::Cancelled);
        QCOMPARE(terminal, n);
        QVERIFY(rt.jobs().countIn(JobState::Failed) > 0);
        QVERIFY(rt.jobs().countIn(JobState::Cancelled) > 0);
    }

    void changesArriveInBatches()
    {
        Runtime rt;
        rt.router().get(u"/n/{i:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await sleep(1ms, ctx.token());
            co_return ctx.param(u"i"_s);
        });
        QHash<JobId, JobState> lastSeen;
        int batches = 0;
        connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &set) {
            ++batches;
            for (const auto &j : set.jobs)
                lastSeen[j.id] = j.state;
        });
        for (int i = 0; i < 2000; ++i)
            rt.submit(get(u"/n/%1"_s.arg(i)));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 20000);
        rt.jobs().flush();
        QCOMPARE(lastSeen.size(), 2000);
        for (auto s : std::as_const(lastSeen))
            QCOMPARE(s, JobState::Succeeded);
        QVERIFY2(batches < 200, qPrintable(u"%1 batches for 2000 jobs"_s.arg(batches)));
    }

    void dependenciesAreProvidedAndCleanedUp()
    {
        struct Db : Guard
        {
            int id = 0;
            bool closed = false;
        };
        Runtime rt;
        int made = 0;
        QList<int> cleaned;
        rt.provide<Db>([&](Context &) {
            auto db = std::make_shared<Db>();
            db->id = ++made;
            return db;
        }, [&](Db &db) -> QCoro::Task<void> {
            co_await sleep(1ms);
            cleaned << db.id;
        });
        rt.router().get(u"/use"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            auto a = ctx.get<Db>();
            auto b = ctx.get<Db>();
            co_return QJsonValue(a == b ? a->id : -1);
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto first = co_await rt.call(get(u"/use"_s));
            auto second = co_await rt.call(get(u"/use"_s));
            CO_COMPARE(first.job->result.toJson().toInt(), 1);
            CO_COMPARE(second.job->result.toJson().toInt(), 2);
            CO_COMPARE(cleaned, (QList<int>{1, 2}));
        }());
    }

    void missingDependencyFailsTheJob()
    {
        struct Missing {};
        Runtime rt;
        rt.router().get(u"/use"_s, [](Context &ctx) -> QCoro::Task<void> {
            ctx.get<Missing>();
            co_return;
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto outcome = co_await rt.call(get(u"/use"_s));
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.type, u"missing_dependency"_s);
        }());
    }

    void backgroundJobsOutliveTheirHandler()
    {
        Runtime rt;
        rt.router().get(u"/later"_s, [](Context &ctx) -> QCoro::Task<void> {
            co_await sleep(5ms, ctx.token());
            throw Error(500, u"late_failure"_s, u"failed after the request returned"_s);
        });
        JobId spawned = 0;
        rt.router().get(u"/request"_s, [&](Context &ctx) -> QCoro::Task<QJsonValue> {
            spawned = ctx.background(u"GET"_s, u"/later"_s);
            co_return QJsonValue(u"accepted"_s);
        });
        JobId request = 0;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto outcome = co_await rt.call(get(u"/request"_s));
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
            request = outcome.job->id;
        }());
        QVERIFY(spawned);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(spawned)->state, JobState::Failed, 10000);
        QCOMPARE(rt.jobs().job(spawned)->linkedFrom, request);
        QCOMPARE(rt.jobs().job(spawned)->parent, JobId(0));
        QCOMPARE(rt.jobs().job(spawned)->error.type, u"late_failure"_s);
    }

    void streamingHandlersDeliverItems()
    {
        Runtime rt;
        rt.router().get(u"/count"_s, [](Context &ctx) -> QCoro::AsyncGenerator<int> {
            for (int i = 0; i < 5; ++i) {
                co_await sleep(1ms, ctx.token());
                co_yield i;
            }
        });
        QJsonArray items;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto outcome = co_await rt.call(get(u"/count"_s), {.onItem = [&](const QJsonValue &v) { items.append(v); }});
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
            CO_COMPARE(outcome.job->result.toJson().toArray(), (QJsonArray{0, 1, 2, 3, 4}));
        }());
        QCOMPARE(items, (QJsonArray{0, 1, 2, 3, 4}));
    }

    void shutdownCancelsEverything()
    {
        Runtime rt;
        rt.router().get(u"/forever"_s, [](Context &ctx) -> QCoro::Task<void> {
            Guard g;
            co_await sleep(1h, ctx.token());
        });
        for (int i = 0; i < 20; ++i)
            rt.submit(get(u"/forever"_s));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().countIn(JobState::Running), 20, 10000);
        coroute::test::runCoroutine(rt.shutdown());
        QCOMPARE(rt.jobs().countIn(JobState::Cancelled), 20);
        for (const auto &j : rt.jobs().jobs())
            QCOMPARE(j.cancelReason, CancelReason::Shutdown);
    }

    void blockingTheLoopIsFlaggedAwaitingIsNot()
    {
        Runtime rt;
        rt.setBlockingThreshold(30ms);
        rt.router().get(u"/blocks"_s, [](Context &ctx) -> QCoro::Task<void> {
            co_await sleep(1ms, ctx.token());
            QElapsedTimer t; // wrong on purpose: holds the loop after a resume
            t.start();
            while (t.elapsed() < 60) {
            }
        });
        rt.router().get(u"/awaits"_s, [](Context &ctx) -> QCoro::Task<void> {
            co_await sleep(60ms, ctx.token());
        });
        QList<SpanData> spans;
        connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &c) { spans += c.spans; });
        const auto blocking = rt.submit(get(u"/blocks"_s)).id;
        const auto awaiting = rt.submit(get(u"/awaits"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
        rt.jobs().flush();
        const auto b = *rt.jobs().job(blocking);
        QCOMPARE(b.warnings.size(), 1);
        QVERIFY2(b.warnings.first().contains(u"blocked the event loop"_s) && b.warnings.first().contains(u"/blocks"_s),
                 qPrintable(b.warnings.first()));
        QVERIFY(rt.jobs().job(awaiting)->warnings.isEmpty());
        bool eventOnSpan = false;
        for (const auto &s : std::as_const(spans)) {
            for (const auto &e : s.events)
                eventOnSpan |= s.job == blocking && e.name == u"loop_blocked"_s;
            if (s.job == awaiting)
                for (const auto &e : s.events)
                    QVERIFY(e.name != u"loop_blocked"_s);
        }
        QVERIFY(eventOnSpan);
        QVERIFY(!rt.jobs().logs(blocking).isEmpty());
    }

    void waitingOnSaysWhatAJobAwaits()
    {
        Runtime rt;
        rt.setGlobalLimit(1);
        rt.router().get(u"/nap"_s, [](Context &ctx) -> QCoro::Task<void> { co_await sleep(60s, ctx.token()); });
        const auto first = rt.submit(get(u"/nap"_s)).id;
        const auto second = rt.submit(get(u"/nap"_s)).id;
        QTRY_VERIFY_WITH_TIMEOUT(rt.jobs().job(first)->waitingOn.startsWith(u"sleep "_s), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(rt.jobs().job(second)->waitingOn.startsWith(u"semaphore 'global'"_s), 10000);
        QVERIFY2(rt.jobs().job(second)->waitingOn.contains(u"position 1"_s), qPrintable(rt.jobs().job(second)->waitingOn));
        rt.cancelAll();
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
        QVERIFY(rt.jobs().job(first)->waitingOn.isEmpty());
    }

    void finishedJobsBeyondTheWindowLeaveAfterTheirLastBatch()
    {
        Runtime rt;
        rt.jobs().setFinishedWindow(100);
        rt.router().get(u"/leaf"_s, [](Context &ctx) -> QCoro::Task<int> {
            co_await sleep(1ms, ctx.token());
            co_return 1;
        });
        rt.router().get(u"/job/{i:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await ctx.call(u"GET"_s, u"/leaf"_s);
            co_return ctx.param(u"i"_s);
        });
        QHash<JobId, JobState> finalStates;
        connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &c) {
            for (const auto &j : c.jobs)
                finalStates[j.id] = j.state;
        });
        for (int i = 0; i < 1000; ++i)
            rt.submit(get(u"/job/%1"_s.arg(i)));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 30000);
        rt.jobs().flush();
        // Every job's final state went out before it left the registry.
        QCOMPARE(finalStates.size(), 2000);
        for (auto s : std::as_const(finalStates))
            QCOMPARE(s, JobState::Succeeded);
        QVERIFY2(rt.jobs().count() <= 100, qPrintable(QString::number(rt.jobs().count())));
        QCOMPARE(rt.jobs().count() + rt.jobs().evictedCount(), 2000);
        // Evicted together with its parent: no orphaned children remain.
        for (const auto &j : rt.jobs().jobs())
            QVERIFY(j.parent == 0 || rt.jobs().job(j.parent).has_value());
        QVERIFY(!rt.jobs().job(1)); // the oldest is gone
    }

    // Records are kept by id in submission order; a job that outlives thousands of newer ones
    // must stay reachable (it moves aside so it does not pin the slots after it).
    void longRunningJobOutlivesManyEvictedOnes()
    {
        Runtime rt;
        rt.jobs().setFinishedWindow(10);
        rt.router().get(u"/long"_s, [](Context &ctx) -> QCoro::Task<void> { co_await sleep(60s, ctx.token()); });
        rt.router().get(u"/quick/{i:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> { co_return ctx.param(u"i"_s); });
        const auto first = rt.submit(get(u"/long"_s)).id;
        JobId last = 0;
        for (int round = 0; round < 5; ++round) {
            for (int i = 0; i < 1000; ++i)
                last = rt.submit(get(u"/quick/%1"_s.arg(i))).id;
            rt.jobs().flush(); // sends the batch, then evicts beyond the window
        }
        QCOMPARE(rt.jobs().evictedCount(), 5000 - 10);
        QCOMPARE(rt.jobs().count(), 11);
        QCOMPARE(rt.jobs().job(first)->state, JobState::Running);
        QVERIFY(!rt.jobs().job(first + 1));
        QCOMPARE(rt.jobs().job(last)->result.toJson(), QJsonValue(999));
        QVERIFY(!rt.jobs().job(last + 1));
        QVERIFY(!rt.jobs().job(0));
        const auto all = rt.jobs().jobs();
        QCOMPARE(all.size(), 11);
        QCOMPARE(all.first().id, first);
        for (qsizetype i = 1; i < all.size(); ++i)
            QVERIFY(all[i - 1].id < all[i].id);

        // A new job after the compaction lands in the table and the old one is still cancellable.
        const auto next = rt.submit(get(u"/quick/7"_s)).id;
        QCOMPARE(next, last + 1);
        QCOMPARE(rt.jobs().job(next)->state, JobState::Succeeded);
        QVERIFY(rt.cancel(first));
        std::optional<JobInfo> info;
        auto waiter = [&]() -> QCoro::Task<void> { info = co_await rt.wait(first); };
        auto task = waiter();
        QTRY_VERIFY_WITH_TIMEOUT(info.has_value(), 10000);
        QCOMPARE(info->state, JobState::Cancelled);
        QCOMPARE(rt.jobs().activeCount(), 0);
    }

    void logsAndProgressFromAPoolThread()
    {
        Runtime rt;
        rt.router().get(u"/report"_s, [](Context &ctx) {
            ctx.log(u"from the pool"_s);
            ctx.setProgress(0.5, u"half"_s);
            return true;
        });
        const auto id = rt.submit(get(u"/report"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Succeeded, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().logs(id).size(), 1, 10000);
        QCOMPARE(rt.jobs().logs(id).first().message, u"from the pool"_s);
    }

    // A waiter that the job's end resumes inline may destroy the runtime within the job's last
    // stretch (as `coroute bench w4` does); measuring that stretch must not reach the
    // destroyed runtime (it crashed in JobExecution::ranFor before).
    void waiterMayDestroyRuntime()
    {
        auto rt = std::make_unique<Runtime>();
        rt->setBlockingThreshold(1ms);
        rt->router().get(u"/hop"_s, [](Context &ctx) -> QCoro::Task<int> {
            co_await sleep(1ms, ctx.token());
            co_return 7;
        });
        bool done = false;
        bool succeeded = false;
        auto waiter = [&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt->call({u"GET"_s, u"/hop"_s, {}, QJsonValue(QJsonValue::Undefined)});
            succeeded = outcome.succeeded();
            QThread::msleep(5); // the rest of the stretch holds the loop past the threshold
            rt.reset();
            done = true;
        };
        auto task = waiter();
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QVERIFY(succeeded);
    }
};

QTEST_GUILESS_MAIN(tst_Runtime)
#include "tst_runtime.moc"
