#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "cliprocess.h"

#include <csignal>

using namespace Qt::StringLiterals;

namespace {

using coroute::test::catchesSignal;
using coroute::test::runCoroute;

QString binary()
{
    return coroute::test::coroutePath();
}


} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(binary()), "COROUTE_BIN must name the coroute binary"); }

    void versionAndHelp()
    {
        auto v = runCoroute({u"--version"_s});
        QCOMPARE(v.exitCode, 0);
        QVERIFY(v.out.startsWith("coroute "));
        auto h = runCoroute({u"--help"_s});
        QCOMPARE(h.exitCode, 0);
        QVERIFY(h.out.contains("call METHOD PATH"));
    }

    void badUsageExits2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("unknown command") << QStringList{u"frobnicate"_s} << QByteArray("unknown command");
        QTest::newRow("call without path") << QStringList{u"call"_s, u"GET"_s} << QByteArray("needs METHOD and PATH");
        QTest::newRow("bad query") << QStringList{u"call"_s, u"GET"_s, u"/sys/health"_s, u"--query"_s, u"novalue"_s}
                                   << QByteArray("key=value");
        QTest::newRow("bad body") << QStringList{u"call"_s, u"POST"_s, u"/demo/batch"_s, u"--body"_s, u"{items:"_s}
                                  << QByteArray("not valid JSON");
        QTest::newRow("bad timeout") << QStringList{u"call"_s, u"GET"_s, u"/sys/health"_s, u"--timeout"_s, u"soon"_s}
                                     << QByteArray("--timeout");
        QTest::newRow("relative path") << QStringList{u"call"_s, u"GET"_s, u"sys/health"_s} << QByteArray("start with '/'");
        QTest::newRow("routes with both formats") << QStringList{u"routes"_s, u"--json"_s, u"--openapi"_s}
                                                  << QByteArray("exclusive");
    }
    void badUsageExits2()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        auto r = runCoroute(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
    }

    void noCommandWithoutDisplayPrintsUsage()
    {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        for (const auto &key : {u"QT_QPA_PLATFORM"_s, u"DISPLAY"_s, u"WAYLAND_DISPLAY"_s})
            env.remove(key);
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("COROUTE_BIN"), {});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardOutput().contains("Usage: coroute"));
        p.start(qEnvironmentVariable("COROUTE_BIN"), {u"gui"_s});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("no display"));
    }

    void guiScreenshot()
    {
        // ctest sets QT_QPA_PLATFORM=offscreen.
        QTemporaryDir dir;
        const QString png = dir.filePath(u"shot.png"_s);
        auto r = runCoroute({u"gui"_s, u"--demo"_s, u"--db"_s, dir.filePath(u"h.sqlite"_s), u"--screenshot"_s, png,
                          u"--after"_s, u"400"_s});
        QCOMPARE(r.exitCode, 0);
        QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 400 && image.height() > 300);
        // The run was recorded in the history it was given.
        auto runs = runCoroute({u"history"_s, u"runs"_s, u"--json"_s, u"--db"_s, dir.filePath(u"h.sqlite"_s)});
        QCOMPARE(runs.exitCode, 0);
        QVERIFY2(runs.out.contains("\"gui\""), runs.out.constData());
    }

    void routesListsBuiltins()
    {
        auto r = runCoroute({u"routes"_s, u"--json"_s});
        QCOMPARE(r.exitCode, 0);
        const auto routes = QJsonDocument::fromJson(r.out).array();
        QStringList names;
        for (const auto &v : routes)
            names << v[u"method"_s].toString() + u' ' + v[u"path"_s].toString();
        for (const auto &expected : {u"GET /sys/sleep"_s, u"GET /sys/cpu"_s, u"GET /sys/health"_s,
                                     u"GET /demo/dashboard"_s, u"POST /demo/batch"_s,
                                     u"GET /demo/items/{item_id:int}"_s})
            QVERIFY2(names.contains(expected), qPrintable(expected));
        auto o = runCoroute({u"routes"_s, u"--openapi"_s});
        QCOMPARE(o.exitCode, 0);
        const auto doc = QJsonDocument::fromJson(o.out).object();
        QCOMPARE(doc[u"openapi"_s].toString(), u"3.1.0"_s);
        QVERIFY(doc[u"paths"_s].toObject().contains(u"/demo/items/{item_id}"_s));
    }

    void callPrintsResults()
    {
        auto health = runCoroute({u"call"_s, u"GET"_s, u"/sys/health"_s});
        QCOMPARE(health.exitCode, 0);
        QCOMPARE(health.json()[u"status"_s].toString(), u"ok"_s);

        auto item = runCoroute({u"call"_s, u"get"_s, u"/demo/items/42"_s});
        QCOMPARE(item.exitCode, 0);
        QCOMPARE(item.json()[u"item_id"_s].toInt(), 42);

        auto sleep = runCoroute({u"call"_s, u"GET"_s, u"/sys/sleep"_s, u"--query"_s, u"ms=5"_s});
        QCOMPARE(sleep.exitCode, 0);
        QCOMPARE(sleep.json()[u"slept_ms"_s].toInt(), 5);

        auto cpu = runCoroute({u"call"_s, u"GET"_s, u"/sys/cpu?ms=20"_s});
        QCOMPARE(cpu.exitCode, 0);
        QCOMPARE(cpu.json()[u"on_loop_thread"_s].toBool(), false);

        auto batch = runCoroute({u"call"_s, u"POST"_s, u"/demo/batch"_s, u"--body"_s,
                              uR"({"items": ["a","b","c","d","e"], "concurrency": 2, "item_ms": 5})"_s});
        QCOMPARE(batch.exitCode, 0);
        QCOMPARE(batch.json()[u"processed"_s].toArray().size(), 5);
        QCOMPARE(batch.json()[u"max_in_flight"_s].toInt(), 2);
    }

    void dashboardGathersConcurrently()
    {
        auto r = runCoroute({u"call"_s, u"GET"_s, u"/demo/dashboard?ms=100"_s});
        QCOMPARE(r.exitCode, 0);
        const auto o = r.json().toObject();
        for (const auto &k : {u"users"_s, u"orders"_s, u"stats"_s})
            QCOMPARE(o[k][u"source"_s].toString(), k);
    }

    void tolerantKeepsTheGoodSources()
    {
        auto r = runCoroute({u"call"_s, u"GET"_s, u"/demo/tolerant"_s});
        QCOMPARE(r.exitCode, 0);
        const auto o = r.json().toObject();
        QCOMPARE(o[u"results"_s].toObject().keys(), (QStringList{u"stats"_s, u"users"_s}));
        QVERIFY(o[u"errors"_s][u"flaky"_s].toString().contains(u"on purpose"_s));
    }

    void failuresExit1_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("expected");
        QTest::newRow("404") << QStringList{u"call"_s, u"GET"_s, u"/nope"_s} << u"status"_s << QJsonValue(404);
        QTest::newRow("405") << QStringList{u"call"_s, u"POST"_s, u"/sys/health"_s} << u"status"_s << QJsonValue(405);
        QTest::newRow("422") << QStringList{u"call"_s, u"GET"_s, u"/demo/items/abc"_s} << u"status"_s << QJsonValue(422);
        QTest::newRow("422 missing") << QStringList{u"call"_s, u"GET"_s, u"/sys/sleep"_s} << u"status"_s << QJsonValue(422);
        QTest::newRow("timed out") << QStringList{u"call"_s, u"GET"_s, u"/demo/slow?timeout_ms=20&work_ms=60000"_s}
                                   << u"state"_s << QJsonValue(u"timed_out"_s);
        QTest::newRow("cli timeout") << QStringList{u"call"_s, u"GET"_s, u"/sys/sleep?ms=60000"_s, u"--timeout"_s, u"20"_s}
                                     << u"state"_s << QJsonValue(u"timed_out"_s);
        QTest::newRow("group") << QStringList{u"call"_s, u"GET"_s, u"/demo/group"_s} << u"state"_s
                               << QJsonValue(u"failed"_s);
    }
    void failuresExit1()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, key);
        QFETCH(QJsonValue, expected);
        auto r = runCoroute(args);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.json()[key], expected);
        QVERIFY(!r.err.isEmpty());
    }

    void sigintCancelsAndExits130()
    {
        QProcess p;
        p.start(binary(), {u"call"_s, u"GET"_s, u"/sys/sleep?ms=60000"_s});
        QVERIFY(p.waitForStarted());
        QVERIFY(QTest::qWaitFor([&] { return catchesSignal(p.processId(), SIGINT); }, 10000));
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        const auto job = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(job[u"state"_s].toString(), u"cancelled"_s);
        QCOMPARE(job[u"cancel_reason"_s].toString(), u"shutdown"_s);
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
