// QBENCHMARK micro-suite for the hot paths of dispatch: route matching, a job's submit to
// completion, and the registry's change-set batching. Run it in a Release build:
//   tst_bench_micro [-tickcounter|-callgrind]
#include "bench/benchroutes.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"

#include <QTest>

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
};

QTEST_GUILESS_MAIN(tst_Micro)
#include "tst_micro.moc"
