// QBENCHMARK micro-suite for the hot paths of dispatch: route matching, a job's submit to
// completion, span open/close, a sleep's timer, the registry's change-set batching and the
// history store's writes. Run it in a Release build:
//   tst_bench_micro [-tickcounter|-callgrind]
#include "async/clock.h"
#include "bench/benchroutes.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"
#include "store/historystore.h"
#include "trace/span.h"

#include <QEventLoop>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <optional>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_Micro : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void routeMatch_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status"); // 0: a match
        QTest::newRow("literal") << u"GET"_s << u"/health"_s << 0;
        QTest::newRow("int param") << u"GET"_s << u"/items/42"_s << 0;
        QTest::newRow("nested") << u"GET"_s << u"/items/42/tags"_s << 0;
        QTest::newRow("404") << u"GET"_s << u"/nothing/here"_s << 404;
        QTest::newRow("422") << u"GET"_s << u"/items/abc"_s << 422;
    }

    void routeMatch()
    {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(int, status);
        Router r;
        bench::addW1Routes(r);
        int got = -1;
        QBENCHMARK {
            const auto res = r.resolve(method, path);
            got = std::holds_alternative<RouteMatch>(res) ? 0 : std::get<DispatchError>(res).status;
        }
        QCOMPARE(got, status);
    }

    void parseAndResolve()
    {
        Router r;
        bench::addW1Routes(r);
        const QString line = u"GET /items/12345"_s;
        bool matched = false;
        QBENCHMARK {
            const auto req = CallRequest::parse(line);
            matched = std::holds_alternative<RouteMatch>(r.resolve(req->method, req->path, req->query, req->body));
        }
        QVERIFY(matched);
    }

    // One job from submit() to its terminal state (the handler never suspends).
    void jobSubmitComplete()
    {
        Runtime rt;
        bench::addW1Routes(rt.router());
        const CallRequest request{u"GET"_s, u"/items/7"_s, {}, QJsonValue(QJsonValue::Undefined)};
        JobId last = 0;
        QBENCHMARK {
            last = rt.submit(request).id;
        }
        QVERIFY(last != 0);
        const auto info = rt.jobs().job(last);
        QVERIFY(info);
        QCOMPARE(info->state, JobState::Succeeded);
        QCOMPARE(info->result.toJson()[u"id"_s].toInteger(), 7);
    }

    // submit + wait, the shape of W1 routed.
    void jobSubmitWait()
    {
        Runtime rt;
        bench::addW1Routes(rt.router());
        const CallRequest request{u"GET"_s, u"/items/7"_s, {}, QJsonValue(QJsonValue::Undefined)};
        qint64 sum = 0;
        QBENCHMARK {
            auto task = rt.wait(rt.submit(request).id);
            QVERIFY(task.isReady());
            sum += 1;
        }
        QVERIFY(sum > 0);
    }

    // Building and emitting one change set of 1,000 changed jobs.
    void changeSetBatching_data()
    {
        QTest::addColumn<bool>("connected");
        QTest::newRow("with a receiver") << true;
        QTest::newRow("no receiver") << false;
    }

    void changeSetBatching()
    {
        QFETCH(bool, connected);
        Runtime rt;
        bench::addW1Routes(rt.router());
        qsizetype received = 0;
        if (connected) {
            connect(&rt.jobs(), &JobRegistry::changed, this,
                    [&](const ChangeSet &set) { received += set.jobs.size(); });
        }
        const CallRequest request{u"GET"_s, u"/health"_s, {}, QJsonValue(QJsonValue::Undefined)};
        QBENCHMARK {
            for (int i = 0; i < 1000; ++i)
                rt.submit(request);
            rt.jobs().flush();
        }
        if (connected)
            QVERIFY(received >= 1000);
    }

    // A child span opened and ended inside a running job, 1,000 per round (then the batch is
    // flushed, as the registry's timer would).
    void spanOpenClose()
    {
        Runtime rt;
        rt.setBlockingThreshold(std::chrono::hours(1)); // the benchmark holds the loop on purpose
        qsizetype spans = 0;
        connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &set) { spans += set.spans.size(); });
        rt.router().get(u"/spans"_s, [&rt](Context &ctx) -> QCoro::Task<int> {
            QBENCHMARK {
                for (int i = 0; i < 1000; ++i) {
                    auto span = ctx.span(u"step"_s);
                    span.setAttribute(u"i"_s, i);
                }
                rt.jobs().flush();
            }
            co_return 0;
        });
        const auto submission = rt.submit({u"GET"_s, u"/spans"_s, {}, QJsonValue(QJsonValue::Undefined)});
        QVERIFY(submission.accepted());
        QCOMPARE(rt.jobs().job(submission.id)->state, JobState::Succeeded);
        QVERIFY(spans >= 1000);
    }

    // A sleep's deadline scheduled and fired through the system clock's queue, 1,000 per
    // round, with 10,000 later deadlines pending (W2's crowd).
    void timerScheduleFire()
    {
        auto &clock = Clock::system();
        std::vector<Clock::TimerId> crowd;
        for (int i = 0; i < 10'000; ++i)
            crowd.push_back(clock.schedule(clock.now() + std::chrono::hours(1), [] {}));
        QEventLoop loop;
        bool stuck = false;
        QTimer watchdog; // bounds every round: a queue that never fires fails instead of hanging
        watchdog.setSingleShot(true);
        connect(&watchdog, &QTimer::timeout, &loop, [&] {
            stuck = true;
            loop.quit();
        });
        int fired = 0;
        int target = 0;
        std::vector<Clock::TimerId> round;
        QBENCHMARK {
            target += 1000;
            round.clear();
            const auto due = clock.now();
            for (int i = 0; i < 1000; ++i) {
                round.push_back(clock.schedule(due, [&] {
                    if (++fired == target)
                        loop.quit();
                }));
            }
            watchdog.start(60'000);
            if (!stuck)
                loop.exec();
        }
        // Had a round got stuck, its callbacks (which capture this frame) must not outlive it.
        for (const auto id : round)
            clock.unschedule(id);
        for (const auto id : crowd)
            clock.unschedule(id);
        QVERIFY(!stuck);
        QCOMPARE(fired, target);
    }

    // The history writer: 1,000 finished W1 jobs with their root spans per round, queued and
    // flushed into a real SQLite file (one transaction per batch, as the recorder sends them).
    void storeWrite()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"history.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        const RunId run = store->beginRun(u"micro"_s, u"tst_bench_micro"_s);

        // A real batch: what the registry emits for 1,000 W1 jobs.
        Runtime rt;
        bench::addW1Routes(rt.router());
        std::optional<ChangeSet> batch;
        connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &set) { batch = set; });
        for (int i = 0; i < 1000; ++i)
            rt.submit({u"GET"_s, u"/items/%1"_s.arg(i), {}, QJsonValue(QJsonValue::Undefined)});
        rt.jobs().flush();
        QVERIFY(batch && batch->jobs.size() == 1000 && batch->spans.size() == 1000);

        JobId offset = 0;
        QBENCHMARK {
            ChangeSet next = *batch; // fresh ids each round: rows are inserted, not replaced
            offset += 1000;
            for (auto &job : next.jobs)
                job.id += offset;
            for (auto &span : next.spans)
                span.job += offset;
            store->record(run, next);
            QCOMPARE(store->flush(), QString());
        }
        QVERIFY(store->jobCount(run) >= 1000);
    }
};

QTEST_GUILESS_MAIN(tst_Micro)
#include "tst_micro.moc"
