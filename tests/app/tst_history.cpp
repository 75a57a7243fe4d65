#include "cliprocess.h"
#include "store/historystore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_History : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void callsAreRecordedAndBrowsable()
    {
        QTemporaryDir dir;
        const auto db = dir.filePath(u"h.sqlite"_s);
        QCOMPARE(test::runCoroute({u"call"_s, u"GET"_s, u"/demo/dashboard?ms=5"_s, u"--db"_s, db}).exitCode, 0);
        QCOMPARE(test::runCoroute({u"call"_s, u"GET"_s, u"/demo/group"_s, u"--db"_s, db}).exitCode, 1);

        const auto runs = test::runCoroute({u"history"_s, u"runs"_s, u"--json"_s, u"--db"_s, db});
        QCOMPARE(runs.exitCode, 0);
        const auto list = runs.json().toArray();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0][u"name"_s].toString(), u"call GET /demo/group"_s);
        QCOMPARE(list[0][u"failed"_s].toInt(), 2); // the group and its broken member
        QCOMPARE(list[1][u"jobs"_s].toInt(), 4);
        const int dashboardRun = list[1][u"id"_s].toInt();

        const auto jobs =
            test::runCoroute({u"history"_s, u"jobs"_s, QString::number(dashboardRun), u"--json"_s, u"--db"_s, db});
        QCOMPARE(jobs.exitCode, 0);
        QCOMPARE(jobs.json().toArray().size(), 4);
        for (const auto &j : jobs.json().toArray())
            QCOMPARE(j[u"state"_s].toString(), u"succeeded"_s);

        const auto job = test::runCoroute({u"history"_s, u"job"_s, u"%1:1"_s.arg(dashboardRun), u"--db"_s, db});
        QCOMPARE(job.exitCode, 0);
        const auto o = job.json().toObject();
        QCOMPARE(o[u"route"_s].toString(), u"/demo/dashboard"_s);
        QVERIFY(o[u"result"_s][u"users"_s].isObject());
        QCOMPARE(o[u"spans"_s].toArray().size(), 1);

        const auto groupMembers = test::runCoroute({u"history"_s, u"jobs"_s, list[0][u"id"_s].toVariant().toString(),
                                                    u"--json"_s, u"--db"_s, db})
                                      .json()
                                      .toArray();
        int cancelled = 0;
        for (const auto &j : groupMembers)
            cancelled += j[u"state"_s].toString() == u"cancelled"_s;
        QCOMPARE(cancelled, 2); // the two slow siblings

        QCOMPARE(test::runCoroute({u"history"_s, u"jobs"_s, u"999"_s, u"--db"_s, db}).exitCode, 1);
        QCOMPARE(test::runCoroute({u"history"_s, u"job"_s, u"x:y"_s, u"--db"_s, db}).exitCode, 2);
        QCOMPARE(test::runCoroute({u"history"_s, u"bogus"_s, u"--db"_s, db}).exitCode, 2);
    }

    void traceExportWritesBothFormats()
    {
        QTemporaryDir dir;
        const auto db = dir.filePath(u"h.sqlite"_s);
        QCOMPARE(test::runCoroute({u"call"_s, u"GET"_s, u"/demo/dashboard?ms=5"_s, u"--db"_s, db}).exitCode, 0);
        const auto chrome = dir.filePath(u"t.json"_s);
        const auto otlp = dir.filePath(u"o.json"_s);
        QCOMPARE(test::runCoroute({u"trace"_s, u"export"_s, u"--db"_s, db, u"-o"_s, chrome}).exitCode, 0);
        QCOMPARE(test::runCoroute({u"trace"_s, u"export"_s, u"--format"_s, u"otlp"_s, u"--run"_s, u"1"_s, u"--db"_s, db,
                          u"-o"_s, otlp}).exitCode,
                 0);
        QFile c(chrome), t(otlp);
        QVERIFY(c.open(QIODevice::ReadOnly) && t.open(QIODevice::ReadOnly));
        const auto events = QJsonDocument::fromJson(c.readAll())[u"traceEvents"_s].toArray();
        int begins = 0;
        for (const auto &e : events)
            begins += e[u"ph"_s].toString() == u"b"_s;
        QCOMPARE(begins, 4);
        const auto spans = QJsonDocument::fromJson(t.readAll())[u"resourceSpans"_s][0][u"scopeSpans"_s][0][u"spans"_s].toArray();
        QCOMPARE(spans.size(), 4);
        QCOMPARE(test::runCoroute({u"trace"_s, u"export"_s, u"--format"_s, u"svg"_s, u"--db"_s, db, u"-o"_s, otlp})
                     .exitCode,
                 2);
        QCOMPARE(test::runCoroute({u"trace"_s, u"export"_s, u"--run"_s, u"42"_s, u"--db"_s, db, u"-o"_s, otlp})
                     .exitCode,
                 1);
    }

    void sigkillMidRunLeavesAReadableHistory()
    {
        QTemporaryDir dir;
        const auto db = dir.filePath(u"h.sqlite"_s);
        QProcess p;
        p.start(qEnvironmentVariable("COROUTE_BIN"),
                {u"call"_s, u"GET"_s, u"/demo/fanout?n=40&step_ms=100"_s, u"--db"_s, db});
        QVERIFY(p.waitForStarted());
        // Wait until some children finished and were written (bounded), then kill -9.
        const auto finishedChildren = [&] {
            QString error;
            auto store = HistoryStore::open(db, &error);
            if (!store || !store->latestRun())
                return 0;
            int n = 0;
            for (const auto &j : store->jobs(*store->latestRun()))
                n += j.state == JobState::Succeeded;
            return n;
        };
        QVERIFY(QTest::qWaitFor([&] { return finishedChildren() >= 3; }, 30000));
        ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(10000));

        QString error;
        auto store = HistoryStore::open(db, &error);
        QVERIFY2(store, qPrintable(error));
        QVERIFY(store->interruptedAtOpen() > 0);
        const auto run = *store->latestRun();
        QCOMPARE(store->run(run)->state, u"interrupted"_s);
        int succeeded = 0, interrupted = 0;
        for (const auto &j : store->jobs(run)) {
            if (j.state == JobState::Succeeded) {
                ++succeeded;
                QVERIFY(j.result.toJson().isObject()); // finished jobs keep their results
            } else {
                QCOMPARE(j.state, JobState::Interrupted);
                ++interrupted;
            }
        }
        QVERIFY(succeeded >= 3);
        QVERIFY(interrupted >= 1); // at least the fan-out itself
        // The CLI reads it too.
        QCOMPARE(test::runCoroute({u"history"_s, u"runs"_s, u"--db"_s, db}).exitCode, 0);
    }
};

QTEST_GUILESS_MAIN(tst_History)
#include "tst_history.moc"
