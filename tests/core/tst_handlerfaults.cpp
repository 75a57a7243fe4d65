// Handlers that misbehave: throw anything, never finish, ignore their token, block the loop,
// or fail in the middle of a stream. Each ends with a clear job state and error.

#include "async/event.h"
#include "async/sleep.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"
#include "eventloopchecker.h"

#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <stdexcept>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

CallRequest get(const QString &path)
{
    return {u"GET"_s, path, {}, QJsonValue(QJsonValue::Undefined)};
}

struct NotAnException
{
    int code = 7;
};

struct CustomError : std::logic_error
{
    CustomError() : std::logic_error("custom logic failure") {}
};

// Throws what the test row names.
[[noreturn]] void throwKind(const QString &kind)
{
    if (kind == u"runtime_error")
        throw std::runtime_error("disk on fire");
    if (kind == u"subclass")
        throw CustomError();
    if (kind == u"bad_alloc")
        throw std::bad_alloc();
    if (kind == u"int")
        throw 42;
    if (kind == u"qstring")
        throw u"a QString message"_s;
    if (kind == u"cstring")
        throw "a C message";
    if (kind == u"struct")
        throw NotAnException{};
    if (kind == u"nested") {
        try {
            throw std::runtime_error("inner cause");
        } catch (...) {
            std::throw_with_nested(std::runtime_error("outer step failed"));
        }
    }
    if (kind == u"nested_foreign") {
        try {
            throw 5;
        } catch (...) {
            std::throw_with_nested(std::runtime_error("wrapping"));
        }
    }
    throw std::runtime_error("unknown kind");
}

} // namespace

class tst_HandlerFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void throwsAnything_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("sync");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("message");
        const struct
        {
            const char *kind;
            const char *type;
            const char *message;
        } rows[] = {
            {"runtime_error", "exception", "disk on fire"},
            {"subclass", "exception", "custom logic failure"},
            {"bad_alloc", "exception", "std::bad_alloc"},
            {"int", "unknown_exception", "the handler threw an int: 42"},
            {"qstring", "unknown_exception", "the handler threw a QString: a QString message"},
            {"cstring", "unknown_exception", "the handler threw a C string: a C message"},
            {"struct", "unknown_exception", "the handler threw an object of a type that is not a std::exception"},
            {"nested", "exception", "outer step failed: inner cause"},
            {"nested_foreign", "exception", "wrapping: threw an int: 5"},
        };
        for (const auto &row : rows) {
            for (bool sync : {false, true}) {
                QTest::addRow("%s/%s", row.kind, sync ? "sync" : "async")
                    << QString::fromLatin1(row.kind) << sync << QString::fromLatin1(row.type)
                    << QString::fromLatin1(row.message);
            }
        }
    }

    void throwsAnything()
    {
        QFETCH(QString, kind);
        QFETCH(bool, sync);
        QFETCH(QString, type);
        QFETCH(QString, message);
        Runtime rt;
        if (sync) {
            rt.router().get(u"/throw"_s, [kind](Context &) -> QJsonValue { throwKind(kind); });
        } else {
            rt.router().get(u"/throw"_s, [kind](Context &ctx) -> QCoro::Task<QJsonValue> {
                co_await sleep(1ms, ctx.token()); // throw after a suspension, not eagerly
                throwKind(kind);
            });
        }
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/throw"_s));
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.status, 500);
            CO_COMPARE(outcome.job->error.type, type);
            CO_COMPARE(outcome.job->error.message, message);
        }());
        QCOMPARE(rt.jobs().activeCount(), 0);
    }

    void throwsEagerly()
    {
        // Thrown before the first suspension, inside submit(): still a failed job.
        Runtime rt;
        rt.router().get(u"/eager"_s, [](Context &) -> QCoro::Task<QJsonValue> {
            throwKind(u"int"_s);
            co_return QJsonValue();
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/eager"_s));
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.type, u"unknown_exception"_s);
        }());
    }

    void throwsBeforeReturningItsTask()
    {
        // A plain function that returns a task may throw before it has one to return.
        Runtime rt;
        const auto later = [](Context &) -> QCoro::Task<QJsonValue> { co_return QJsonValue(1); };
        rt.router().get(u"/plain"_s, [later](Context &ctx) -> QCoro::Task<QJsonValue> {
            if (ctx.param(u"fail"_s).toBool())
                throw Error(409, u"conflict"_s, u"refused before starting"_s);
            return later(ctx);
        }).query({.name = u"fail"_s, .type = ParamType::Bool, .defaultValue = false});
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto outcome = co_await rt.call(get(u"/plain?fail=true"_s));
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.status, 409);
            CO_COMPARE(outcome.job->error.message, u"refused before starting"_s);
            outcome = co_await rt.call(get(u"/plain"_s));
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
            CO_COMPARE(outcome.job->result.toJson(), QJsonValue(1));
            // The same through the retrying driver: each attempt fails the same way.
            SubmitOptions retried;
            retried.retry = RetryPolicy{.attempts = 2, .initialBackoff = 1ms, .maxBackoff = 1ms};
            outcome = co_await rt.call(get(u"/plain?fail=true"_s), std::move(retried));
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->attempts, 1); // a 409 is a client error: not retried
            CO_COMPARE(outcome.job->error.message, u"refused before starting"_s);
        }());
        QCOMPARE(rt.jobs().activeCount(), 0);
    }

    // Router::addRoute takes any Handler: one whose call throws (or an empty one) must fail
    // its job, not escape the job's driver and leave it running.
    void handBuiltHandlerThatThrowsFailsItsJob()
    {
        Runtime rt;
        Handler throwing;
        throwing.kind = HandlerKind::Async;
        throwing.async = [](Context &) -> HandlerCall { throw std::runtime_error("refused"); };
        rt.router().addRoute(u"GET"_s, u"/raw"_s, std::move(throwing));
        rt.router().addRoute(u"GET"_s, u"/empty"_s, Handler{});
        const auto raw = rt.submit(get(u"/raw"_s));
        const auto empty = rt.submit(get(u"/empty"_s));
        QVERIFY(raw.accepted() && empty.accepted());
        QCOMPARE(rt.jobs().job(raw.id)->state, JobState::Failed);
        QCOMPARE(rt.jobs().job(raw.id)->error.message, u"refused"_s);
        QCOMPARE(rt.jobs().job(empty.id)->state, JobState::Failed);
        QCOMPARE(rt.jobs().activeCount(), 0);
    }

    void neverFinishingHandlerIsCancelled()
    {
        // Awaits an event nobody sets, but with its token: cancel ends it.
        Runtime rt;
        AsyncEvent never;
        rt.router().get(u"/forever"_s, [&never](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await never.wait(ctx.token());
            co_return QJsonValue(u"impossible"_s);
        });
        const auto id = rt.submit(get(u"/forever"_s)).id;
        QVERIFY(id);
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Running, 5000);
        QVERIFY(rt.cancel(id));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(id)->state, JobState::Cancelled, 5000);
        QCOMPARE(never.waiterCount(), 0);
    }

    void uncancellableAsyncHandlerIsAbandonedAtShutdown()
    {
        // Awaits something that ignores cancellation: the job shows cancelling, shutdown()
        // returns after its grace and records the job as cancelled with did_not_stop.
        auto rt = std::make_unique<Runtime>();
        rt->setShutdownGrace(200ms);
        AsyncEvent release;
        bool resumed = false;
        rt->router().get(u"/stubborn"_s, [&](Context &) -> QCoro::Task<QJsonValue> {
            co_await release.wait(); // no token: cannot be cancelled
            resumed = true;
            co_return QJsonValue(u"late"_s);
        });
        rt->router().get(u"/polite"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await sleep(1h, ctx.token());
            co_return QJsonValue(u"impossible"_s);
        });
        const auto stubborn = rt->submit(get(u"/stubborn"_s)).id;
        const auto polite = rt->submit(get(u"/polite"_s)).id;
        QTRY_COMPARE_WITH_TIMEOUT(rt->jobs().job(stubborn)->state, JobState::Running, 5000);
        QVERIFY(rt->cancel(stubborn));
        QCOMPARE(rt->jobs().job(stubborn)->state, JobState::Cancelling);
        QTest::qWait(20); // a cancelled wait would have ended by now; this one does not
        QCOMPARE(rt->jobs().job(stubborn)->state, JobState::Cancelling);

        QVERIFY(coroute::test::runCoroutine(rt->shutdown(), 10000));
        const auto s = *rt->jobs().job(stubborn);
        QCOMPARE(s.state, JobState::Cancelled);
        QCOMPARE(s.error.type, u"did_not_stop"_s);
        QCOMPARE(s.error.status, 499);
        QVERIFY2(s.error.message.contains(u"did not stop within 200 ms"_s), qPrintable(s.error.message));
        QVERIFY(s.warnings.join(u'\n').contains(u"did not stop"_s));
        QCOMPARE(rt->jobs().job(polite)->state, JobState::Cancelled);
        QCOMPARE(rt->jobs().job(polite)->error.type, u"cancelled"_s);
        QCOMPARE(rt->jobs().activeCount(), 0);

        // The frame was never destroyed: it resumes later, and its late result is dropped.
        release.set();
        QVERIFY(resumed);
        QCOMPARE(rt->jobs().job(stubborn)->state, JobState::Cancelled);
        QVERIFY(rt->jobs().job(stubborn)->result.toJson().isUndefined() || rt->jobs().job(stubborn)->result.toJson().isNull());
        rt.reset();
    }

    void syncHandlerIgnoringItsTokenIsAbandonedAtShutdown()
    {
        Runtime rt;
        rt.setShutdownGrace(200ms);
        std::atomic<bool> release = false;
        std::atomic<bool> started = false;
        rt.router().get(u"/spin"_s, [&](Context &) -> QJsonValue {
            started = true;
            // Never looks at its token; bounded so a broken test cannot hang forever.
            for (int i = 0; i < 60000 && !release; ++i)
                QThread::msleep(1);
            return u"done"_s;
        });
        const auto id = rt.submit(get(u"/spin"_s)).id;
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 5000);
        QVERIFY(rt.cancel(id));
        QTest::qWait(20);
        QCOMPARE(rt.jobs().job(id)->state, JobState::Cancelling); // the pool work still runs

        coroute::test::EventLoopChecker checker;
        QVERIFY(coroute::test::runCoroutine(rt.shutdown(), 10000));
        QCOMPARE(rt.jobs().job(id)->state, JobState::Cancelled);
        QCOMPARE(rt.jobs().job(id)->error.type, u"did_not_stop"_s);
        QVERIFY(checker.ticks() > 0); // shutdown waited without blocking the loop

        release = true; // lets the pool drain; the late return is dropped
        QTRY_VERIFY_WITH_TIMEOUT(rt.pool().activeThreadCount() == 0, 10000);
        QCoreApplication::processEvents();
        QCOMPARE(rt.jobs().job(id)->state, JobState::Cancelled);
    }

    void destructorAbandonsStubbornJobs()
    {
        // Destroying a runtime with a job that ignores cancellation returns within the grace.
        // Never set nor destroyed: the abandoned frame stays suspended, reachable, and unresumed.
        static auto *release = new AsyncEvent;
        {
            Runtime rt;
            rt.setShutdownGrace(100ms);
            rt.router().get(u"/stubborn"_s, [](Context &) -> QCoro::Task<QJsonValue> {
                co_await release->wait();
                co_return QJsonValue();
            });
            QVERIFY(rt.submit(get(u"/stubborn"_s)).accepted());
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"still active when the runtime was destroyed"_s));
            QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"ignored cancellation"_s));
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"did not stop within"_s));
        }
        QCOMPARE(release->waiterCount(), 1);
    }

    void handlerBlockingTheLoop()
    {
        // One handler blocks the loop: a warning on that job; the others are only delayed.
        Runtime rt;
        rt.setBlockingThreshold(30ms);
        rt.router().get(u"/block"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await sleep(1ms, ctx.token());
            QThread::msleep(120); // the mistake: blocking work on the loop
            co_return QJsonValue(u"blocked"_s);
        });
        rt.router().get(u"/nap"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
            co_await sleep(5ms, ctx.token());
            co_return QJsonValue(u"ok"_s);
        });
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            QList<JobId> naps;
            const auto blocker = rt.submit(get(u"/block"_s)).id;
            for (int i = 0; i < 20; ++i)
                naps << rt.submit(get(u"/nap"_s)).id;
            const auto blocked = co_await rt.wait(blocker);
            CO_COMPARE(blocked.state, JobState::Succeeded);
            CO_VERIFY(blocked.warnings.join(u'\n').contains(u"blocked the event loop"_s));
            for (auto id : naps) {
                const auto info = co_await rt.wait(id);
                CO_COMPARE(info.state, JobState::Succeeded);
                CO_VERIFY(info.warnings.isEmpty());
            }
        }());
    }

    void streamThrowsMidway_data()
    {
        QTest::addColumn<bool>("coroute");
        QTest::newRow("Error") << true;
        QTest::newRow("std::exception") << false;
    }

    void streamThrowsMidway()
    {
        QFETCH(bool, coroute);
        Runtime rt;
        rt.router().get(u"/items"_s, [coroute](Context &ctx) -> QCoro::AsyncGenerator<int> {
            for (int i = 0; i < 3; ++i) {
                co_await sleep(1ms, ctx.token());
                co_yield i;
            }
            if (coroute)
                throw Error(502, u"upstream_broke"_s, u"the source went away after 3 items"_s);
            throw std::runtime_error("stream broke");
        });
        QJsonArray items;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(get(u"/items"_s),
                                                  {.onItem = [&](const QJsonValue &v) { items.append(v); }});
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Failed);
            if (coroute) {
                CO_COMPARE(outcome.job->error.status, 502);
                CO_COMPARE(outcome.job->error.type, u"upstream_broke"_s);
            } else {
                CO_COMPARE(outcome.job->error.type, u"exception"_s);
                CO_COMPARE(outcome.job->error.message, u"stream broke"_s);
            }
        }());
        QCOMPARE(items, (QJsonArray{0, 1, 2}));
    }
};

QTEST_GUILESS_MAIN(tst_HandlerFaults)
#include "tst_handlerfaults.moc"
