// Smoke test of `coroute bench`: each implemented workload runs with a small N and prints one
// JSON line with its documented keys and a passing check. No timing assertions: figures are
// for tests/bench/README.md, not for CI.
#include "cliprocess.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_Bench : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(qEnvironmentVariable("COROUTE_BIN")), "COROUTE_BIN must name the coroute binary"); }

    void workloads_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("workload");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<int>("n");
        QTest::addColumn<QStringList>("figures");
        const QStringList common{u"wall_s"_s, u"rss_before_kb"_s, u"peak_rss_kb"_s};
        QTest::newRow("w1 routed") << QStringList{u"w1"_s, u"--n"_s, u"1000"_s} << u"W1"_s << u"routed"_s << 1000
                                   << common + QStringList{u"us_per_job"_s};
        QTest::newRow("w1 bare") << QStringList{u"w1"_s, u"--mode"_s, u"bare"_s, u"--n"_s, u"1000"_s} << u"W1"_s
                                 << u"bare"_s << 1000 << common + QStringList{u"us_per_job"_s};
        QTest::newRow("dispatch-bare alias") << QStringList{u"dispatch-bare"_s, u"--n"_s, u"500"_s} << u"W1"_s
                                             << u"bare"_s << 500 << common;
        QTest::newRow("w2") << QStringList{u"w2"_s, u"--n"_s, u"200"_s} << u"W2"_s << u"sleep"_s << 200
                            << common + QStringList{u"start_s"_s};
        QTest::newRow("w3 loopback") << QStringList{u"w3"_s, u"--n"_s, u"200"_s} << u"W3"_s << u"loopback"_s << 200
                                     << common.mid(0, 1) + QStringList{u"rps"_s, u"p50_ms"_s, u"p99_ms"_s};
        const QStringList sqlite{u"insert_s"_s, u"select_s"_s, u"insert_rows_s"_s, u"select_rows_s"_s,
                                 u"rss_before_kb"_s, u"peak_rss_kb"_s};
        QTest::newRow("w4 runtime") << QStringList{u"w4"_s, u"--n"_s, u"2000"_s} << u"W4"_s << u"runtime"_s << 2000
                                    << sqlite;
        QTest::newRow("w4 raw") << QStringList{u"sqlite"_s, u"--n"_s, u"2000"_s, u"--raw"_s} << u"W4"_s << u"raw"_s
                                << 2000 << sqlite;
        QTest::newRow("w5") << QStringList{u"w5"_s, u"--n"_s, u"4"_s, u"--file-mb"_s, u"1"_s} << u"W5"_s
                            << u"sha256_temp"_s << 4 << common + QStringList{u"mb_s"_s, u"bytes"_s, u"pool_threads"_s};
        QTest::newRow("w6") << QStringList{u"w6"_s, u"--n"_s, u"200"_s, u"--no-store"_s} << u"W6"_s
                            << u"sleep_60s"_s << 200
                            << QStringList{u"cancel_ms"_s, u"start_ms"_s, u"rss_before_kb"_s, u"peak_rss_kb"_s};
    }

    void workloads()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, workload);
        QFETCH(QString, variant);
        QFETCH(int, n);
        QFETCH(QStringList, figures);
        const auto run = test::runCoroute(QStringList{u"bench"_s} + args);
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        const auto lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        QJsonParseError error;
        const auto json = QJsonDocument::fromJson(lines.first(), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QCOMPARE(json.value(u"check"_s).toString(), u"ok"_s);
        QCOMPARE(json.value(u"workload"_s).toString(), workload);
        QCOMPARE(json.value(u"variant"_s).toString(), variant);
        QCOMPARE(json.value(u"peer"_s).toString(), u"coroute"_s);
        QCOMPARE(json.value(u"n"_s).toInteger(), n);
        // The history store is on unless --no-store, and only runs through a runtime use it.
        const bool runtimeRun = variant != u"bare"_s && variant != u"raw"_s;
        QCOMPARE(json.value(u"store"_s), QJsonValue(runtimeRun && !args.contains(u"--no-store"_s)));
        for (const auto &key : figures) {
            QVERIFY2(json.value(key).isDouble(), qPrintable(u"missing figure "_s + key));
            QVERIFY2(json.value(key).toDouble() >= 0, qPrintable(key));
        }
        QVERIFY(json.value(u"peak_rss_kb"_s).toInteger() > 0);
        // Keys in the documented order: the line starts with the workload.
        QVERIFY(lines.first().startsWith("{\"workload\":"));
        QVERIFY(lines.first().endsWith("\"check\":\"ok\"}"));
    }

    void guiLagSmoke()
    {
        const auto run = test::runCoroute({u"bench"_s, u"gui-lag"_s, u"--n"_s, u"2000"_s, u"--no-store"_s});
        QCOMPARE(run.exitCode, 0);
        const auto json = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(json.value(u"workload"_s).toString(), u"gui-lag"_s);
        QCOMPARE(json.value(u"check"_s).toString(), u"ok"_s);
        QCOMPARE(json.value(u"gui_jobs_seen"_s).toInteger(), 2200);
        for (const auto &key : {u"lag_p50_ms"_s, u"lag_p99_ms"_s, u"lag_max_ms"_s})
            QVERIFY2(json.value(key).toDouble() >= 0, qPrintable(key));
        QVERIFY(json.value(u"lag_samples"_s).toInt() > 0);
    }

    // W5 with a manifest: the digests listed are checked; a wrong one fails the check.
    void filesManifest()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QByteArray manifest;
        for (int i = 0; i < 3; ++i) {
            const QByteArray data(100'000 + i, char('a' + i));
            QFile f(dir.filePath(u"f%1.bin"_s.arg(i)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
            manifest += QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex() + "\tf"
                        + QByteArray::number(i) + ".bin\n";
        }
        const QString path = dir.filePath(u"manifest.txt"_s);
        auto write = [&](const QByteArray &text) {
            QFile f(path);
            return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
        };
        QVERIFY(write(manifest));
        auto run = test::runCoroute({u"bench"_s, u"w5"_s, u"--manifest"_s, path});
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        auto json = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(json.value(u"variant"_s).toString(), u"sha256_manifest"_s);
        QCOMPARE(json.value(u"n"_s).toInteger(), 3);
        QCOMPARE(json.value(u"bytes"_s).toInteger(), 300'003);
        QCOMPARE(json.value(u"check"_s).toString(), u"ok"_s);

        manifest.replace(0, 1, manifest.startsWith('0') ? "1" : "0"); // the first digest is now wrong
        QVERIFY(write(manifest));
        run = test::runCoroute({u"bench"_s, u"w5"_s, u"--manifest"_s, path});
        QCOMPARE(run.exitCode, 1);
        json = QJsonDocument::fromJson(run.out.trimmed()).object();
        QVERIFY2(json.value(u"check"_s).toString().startsWith(u"BAD"_s), run.out);
    }

    // W3 against a URL that does not answer 200 with 1,024 bytes fails its check.
    void httpWrongBody()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const QString url = u"http://127.0.0.1:%1/"_s.arg(server.serverPort());
        server.close(); // nothing listens there any more: connecting fails
        const auto run = test::runCoroute({u"bench"_s, u"w3"_s, u"--n"_s, u"10"_s, u"--url"_s, url});
        QCOMPARE(run.exitCode, 1);
        const auto json = QJsonDocument::fromJson(run.out.trimmed()).object();
        QVERIFY2(json.value(u"check"_s).toString().startsWith(u"BAD"_s), run.out);
    }

    void loadSmoke()
    {
        // The 1,000,000-job load, small: every job accounted for in the history store.
        const auto run = test::runCoroute({u"bench"_s, u"load"_s, u"--n"_s, u"20000"_s}, 120000);
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        const auto json = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(json.value(u"workload"_s).toString(), u"load"_s);
        QCOMPARE(json.value(u"check"_s).toString(), u"ok"_s);
        QCOMPARE(json.value(u"store"_s), QJsonValue(true));
        QCOMPARE(json.value(u"stored"_s).toInteger(), 20000);
        // The registry kept a bounded window; the rest left it for the store.
        QVERIFY(json.value(u"registry_max"_s).toInteger() <= 30000);
        QVERIFY(json.value(u"peak_rss_kb"_s).toInteger() > 0);
        QVERIFY(json.value(u"store_queue_peak"_s).toInteger() >= 1);
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("no workload") << QStringList{} << QByteArray("needs one WORKLOAD");
        QTest::newRow("unknown") << QStringList{u"w9"_s} << QByteArray("unknown workload");
        QTest::newRow("bad mode") << QStringList{u"w1"_s, u"--mode"_s, u"fast"_s} << QByteArray("--mode takes");
        QTest::newRow("mode on w2") << QStringList{u"w2"_s, u"--mode"_s, u"bare"_s} << QByteArray("w1 only");
        QTest::newRow("bad n") << QStringList{u"w1"_s, u"--n"_s, u"-3"_s} << QByteArray("--n takes");
        QTest::newRow("url on w1") << QStringList{u"w1"_s, u"--url"_s, u"http://127.0.0.1/"_s} << QByteArray("w3 only");
        QTest::newRow("bad url") << QStringList{u"w3"_s, u"--url"_s, u"ftp://x/"_s} << QByteArray("--url takes");
        QTest::newRow("raw on w5") << QStringList{u"w5"_s, u"--raw"_s} << QByteArray("w4 only");
        QTest::newRow("bad file-mb") << QStringList{u"w5"_s, u"--file-mb"_s, u"0"_s} << QByteArray("--file-mb takes");
        QTest::newRow("manifest and n") << QStringList{u"w5"_s, u"--manifest"_s, u"m.txt"_s, u"--n"_s, u"3"_s}
                                        << QByteArray("--n does not apply");
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        const auto run = test::runCoroute(QStringList{u"bench"_s} + args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), run.err);
        QVERIFY(run.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Bench)
#include "tst_bench.moc"
