#include "store/historystore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "cliprocess.h"

#include <csignal>

using namespace Qt::StringLiterals;

namespace {

using Run = coroute::test::CliRun;
using coroute::test::catchesSignal;
using coroute::test::runCoroute;

QString binary()
{
    return coroute::test::coroutePath();
}

} // namespace

class tst_Run : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QString &name, const QString &text)
    {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(text.toUtf8());
        return f.fileName();
    }
    QStringList common(const QString &db) const
    {
        return {u"--root"_s, m_dir.path(), u"--db"_s, m_dir.filePath(db)};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(binary()), "COROUTE_BIN must name the coroute binary");
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir(m_dir.path()).mkpath(u"in"_s));
        write(u"in/a.txt"_s, u"alpha"_s);
        write(u"in/b.txt"_s, u"bravo!"_s);
    }

    void exitCodes_data()
    {
        QTest::addColumn<QString>("plan");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("all succeed") << uR"({"jobs": [{"id": "h", "route": "GET /sys/health"},
            {"id": "s", "route": "GET /sys/sleep?ms=1", "after": ["h"]}]})"_s << 0;
        QTest::newRow("a job fails") << uR"({"jobs": [{"id": "bad", "route": "GET /demo/source/x", "query": {"fail": true, "ms": 1}},
            {"id": "ok", "route": "GET /sys/health"}]})"_s << 1;
        QTest::newRow("a job is skipped") << uR"({"jobs": [{"id": "bad", "route": "GET /fs/stat?path=in/missing"},
            {"id": "then", "route": "GET /sys/health", "after": ["bad"]}]})"_s << 1;
        QTest::newRow("a job times out") << uR"({"jobs": [{"id": "t", "route": "GET /sys/sleep?ms=60000", "timeout_ms": 20}]})"_s << 1;
        QTest::newRow("invalid") << uR"({"jobs": [{"id": "x", "route": "GET /nope"}]})"_s << 2;
    }
    void exitCodes()
    {
        QFETCH(QString, plan);
        QFETCH(int, exitCode);
        const auto file = write(u"exit.json"_s, plan);
        auto r = runCoroute(QStringList{u"run"_s, file} + common(u"exit.db"_s));
        QVERIFY2(r.exitCode == exitCode, r.err.constData());
        const auto summary = QJsonDocument::fromJson(r.out).object();
        if (exitCode == 2) {
            QCOMPARE(summary[u"valid"_s].toBool(true), false);
        } else {
            QCOMPARE(summary[u"outcome"_s].toString(), exitCode == 0 ? u"succeeded"_s : u"failed"_s);
            QCOMPARE(summary[u"jobs"_s].toArray().size(), 2 - (QTest::currentDataTag() == QByteArray("a job times out")));
        }
    }

    void usageErrorsExit2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("no plan") << QStringList{u"run"_s} << QByteArray("needs one plan file");
        QTest::newRow("missing file") << QStringList{u"run"_s, u"/nonexistent/plan.json"_s}
                                      << QByteArray("plan file not found: /nonexistent/plan.json");
        QTest::newRow("bad concurrency") << QStringList{u"run"_s, u"x.json"_s, u"--concurrency"_s, u"0"_s}
                                         << QByteArray("--concurrency");
    }
    void usageErrorsExit2()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        auto r = runCoroute(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
    }

    void invalidPlanListsEveryProblemAndRunsNothing()
    {
        const auto file = write(u"invalid.json"_s, uR"({"concurrency": "lots", "jobs": [
            {"id": "a", "route": "GET /sys/sleep", "query": {"ms": "soon"}},
            {"id": "b", "route": "GET /fs/stat?path=in/a.txt", "after": ["zz"]},
            {"id": "c", "route": "POST /fs/write", "body": {"path": "out.txt", "text": "${a.result}"}}]})"_s);
        auto r = runCoroute(QStringList{u"run"_s, file} + common(u"invalid.db"_s));
        QCOMPARE(r.exitCode, 2);
        const auto doc = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(doc[u"valid"_s].toBool(true), false);
        QStringList locs;
        for (const auto &e : doc[u"errors"_s].toArray())
            locs << e[u"loc"_s].toString();
        locs.sort();
        QCOMPARE(locs, (QStringList{u"/concurrency"_s, u"/jobs/0/query/ms"_s, u"/jobs/1/after/0"_s,
                                    u"/jobs/2/body/text"_s}));
        QVERIFY(r.err.contains("nothing was run"));
        QVERIFY(r.err.contains("/jobs/1/after/0: unknown dependency 'zz'"));
        QVERIFY(!QFile::exists(m_dir.filePath(u"out.txt"_s)));
        // Nothing ran: no run (and no job) in the history.
        QString error;
        auto store = coroute::HistoryStore::open(m_dir.filePath(u"invalid.db"_s), &error);
        QVERIFY2(store, qPrintable(error));
        QVERIFY(store->runs().isEmpty());
    }

    void jsonlEventsAreInOrder()
    {
        const auto file = write(u"events.json"_s, uR"({"name": "events", "concurrency": 2, "jobs": [
            {"id": "sizes", "route": "GET /fs/stat", "foreach": ["a.txt", "b.txt"], "query": {"path": "in/${item}"}},
            {"id": "save", "route": "POST /fs/write", "after": ["sizes"],
             "body": {"path": "sizes.txt", "text": "${sizes.result.0.size},${sizes.result.1.size}"}},
            {"id": "check", "route": "GET /fs/read", "after": ["save"], "query": {"path": "${save.result.path}"}}]})"_s);
        auto r = runCoroute(QStringList{u"run"_s, file, u"--jsonl"_s} + common(u"events.db"_s));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto lines = r.lines();
        QCOMPARE(lines.size(), 4 * 2 + 1);
        QHash<QString, qsizetype> startedAt;
        QHash<QString, qsizetype> finishedAt;
        qint64 lastT = 0;
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const auto &e = lines[i];
            const QString event = e[u"event"_s].toString();
            if (event == u"summary"_s) {
                QCOMPARE(i, lines.size() - 1);
                continue;
            }
            QVERIFY(e[u"t_ms"_s].toInteger(-1) >= lastT);
            lastT = e[u"t_ms"_s].toInteger();
            const QString job = e[u"job"_s].toString();
            if (event == u"started"_s) {
                QCOMPARE(e[u"state"_s].toString(), u"running"_s);
                startedAt.insert(job, i);
            } else {
                QCOMPARE(event, u"finished"_s);
                QCOMPARE(e[u"state"_s].toString(), u"succeeded"_s);
                QVERIFY(e.contains(u"result"_s));
                QVERIFY(startedAt.contains(job)); // started before finished
                finishedAt.insert(job, i);
            }
        }
        QCOMPARE(startedAt.keys().size(), 4);
        QVERIFY(finishedAt[u"sizes[0]"_s] < startedAt[u"save"_s]);
        QVERIFY(finishedAt[u"sizes[1]"_s] < startedAt[u"save"_s]);
        QVERIFY(finishedAt[u"save"_s] < startedAt[u"check"_s]);
        const auto summary = lines.last();
        QCOMPARE(summary[u"succeeded"_s].toInt(), 4);
        QCOMPARE(summary[u"total"_s].toInt(), 4);
        QCOMPARE(summary[u"outcome"_s].toString(), u"succeeded"_s);
        QVERIFY(summary.contains(u"wall_ms"_s));
        const auto check = lines[finishedAt[u"check"_s]];
        QCOMPARE(check[u"result"_s][u"text"_s].toString(), u"5,6"_s);
        // Not a terminal: plain progress lines on stderr.
        QVERIFY2(r.err.contains("[4/4] check succeeded in "), r.err.constData());
    }

    void sigintCancelsRecordsAndExits130()
    {
        const auto file = write(u"long.json"_s, uR"({"name": "long", "concurrency": 2, "jobs": [
            {"id": "s", "route": "GET /sys/sleep", "foreach": [1, 2, 3, 4], "query": {"ms": 60000}},
            {"id": "after", "route": "GET /sys/health", "after": ["s"]}]})"_s);
        const QString db = m_dir.filePath(u"sigint.db"_s);
        QProcess p;
        p.start(binary(), QStringList{u"run"_s, file, u"--jsonl"_s} + common(u"sigint.db"_s));
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QVERIFY(QTest::qWaitFor([&] {
            out += p.readAllStandardOutput();
            return out.count("\"started\"") == 2;
        }, 20000));
        QVERIFY(QTest::qWaitFor([&] { return catchesSignal(p.processId(), SIGINT); }, 10000));
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        out += p.readAllStandardOutput();
        const auto summary = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
        QCOMPARE(summary[u"event"_s].toString(), u"summary"_s);
        QCOMPARE(summary[u"outcome"_s].toString(), u"interrupted"_s);
        QCOMPARE(summary[u"cancelled"_s].toInt(), 5);

        QString error;
        auto store = coroute::HistoryStore::open(db, &error);
        QVERIFY2(store, qPrintable(error));
        const auto runs = store->runs();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0].state, u"interrupted"_s);
        const auto jobs = store->jobs(runs[0].id);
        QCOMPARE(jobs.size(), 2); // the two that were running; the rest never started
        for (const auto &job : jobs) {
            QCOMPARE(job.state, coroute::JobState::Cancelled);
            QCOMPARE(job.cancelReason, coroute::CancelReason::Shutdown);
            QCOMPARE(job.route, u"/sys/sleep"_s);
        }
    }

    void traceWritesAChromeTrace()
    {
        const auto file = write(u"trace.json"_s, uR"({"jobs": [
            {"id": "a", "route": "GET /sys/sleep?ms=2"},
            {"id": "b", "route": "GET /demo/dashboard?ms=1", "after": ["a"]}]})"_s);
        const QString tracePath = m_dir.filePath(u"run-trace.json"_s);
        auto r = runCoroute(QStringList{u"run"_s, file, u"--trace"_s, tracePath} + common(u"trace.db"_s));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        for (const auto &path : {tracePath, m_dir.filePath(u"call-trace.json"_s)}) {
            if (path != tracePath) {
                auto c = runCoroute(QStringList{u"call"_s, u"GET"_s, u"/demo/dashboard?ms=1"_s, u"--trace"_s, path}
                                 + common(u"trace.db"_s));
                QVERIFY2(c.exitCode == 0, c.err.constData());
            }
            QFile f(path);
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
            QJsonParseError pe;
            const auto doc = QJsonDocument::fromJson(f.readAll(), &pe).object();
            QCOMPARE(pe.error, QJsonParseError::NoError);
            QStringList names;
            int begins = 0;
            int ends = 0;
            for (const auto &e : doc[u"traceEvents"_s].toArray()) {
                const auto ph = e[u"ph"_s].toString();
                begins += ph == u"b"_s;
                ends += ph == u"e"_s;
                if (ph == u"b"_s)
                    names << e[u"name"_s].toString();
            }
            QVERIFY(begins > 0);
            QCOMPARE(begins, ends);
            // The dashboard and its three child jobs all appear.
            QVERIFY2(names.filter(u"/demo/source"_s).size() >= 3, qPrintable(names.join(u", "_s)));
        }
    }
};

QTEST_GUILESS_MAIN(tst_Run)
#include "tst_run.moc"
