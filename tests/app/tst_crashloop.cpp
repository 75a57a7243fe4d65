// kill -9 in the middle of history writes, again and again, against one history file: the
// store always opens, stays intact, keeps every finished job with its result, and marks the
// unfinished jobs of killed runs interrupted.

#include "sqlitescalar.h"
#include "store/historystore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace coroute;
using namespace Qt::StringLiterals;

namespace {

QString binary()
{
    return qEnvironmentVariable("COROUTE_BIN");
}

// Rows in the jobs table as another reader sees them (WAL: readers do not block the writer).
int storedJobs(const QString &path)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt *s = nullptr;
    int n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

QString integrity(const QString &path)
{
    return coroute::test::sqliteScalar(path, "PRAGMA integrity_check");
}

} // namespace

class tst_CrashLoop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killNineRepeatedly()
    {
        QVERIFY2(QFile::exists(binary()), "COROUTE_BIN must name the coroute binary");
        QTemporaryDir dir;
        const auto db = dir.filePath(u"history.sqlite"_s);
        const auto planPath = dir.filePath(u"plan.json"_s);
        QJsonArray items;
        for (int i = 0; i < 200; ++i)
            items.append(i);
        const QJsonObject plan{
            {u"name"_s, u"crashloop"_s},
            {u"concurrency"_s, 16},
            {u"jobs"_s, QJsonArray{QJsonObject{{u"id"_s, u"nap"_s},
                                               {u"route"_s, u"GET /sys/sleep?ms=5"_s},
                                               {u"foreach"_s, items}}}}};
        QFile f(planPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(plan).toJson());
        f.close();

        // Succeeded jobs per run as seen after each crash: they may never disappear.
        QHash<RunId, int> succeededBefore;
        QRandomGenerator rng(2026);
        int killedMidway = 0;
        int interruptedSeen = 0;
        const int iterations = 10;
        for (int i = 0; i < iterations; ++i) {
            const int before = storedJobs(db);
            QProcess p;
            p.setStandardErrorFile(QProcess::nullDevice());
            p.setStandardOutputFile(QProcess::nullDevice());
            p.start(binary(), {u"run"_s, planPath, u"--db"_s, db, u"--concurrency"_s, u"16"_s});
            QVERIFY(p.waitForStarted(10000));
            // A different moment each time: after 1..~190 of this run's rows, then a random
            // extra few milliseconds (bounded waits only).
            const int target = before + 1 + i * 19 + int(rng.bounded(10));
            const bool reached = QTest::qWaitFor(
                [&] { return storedJobs(db) >= target || p.state() == QProcess::NotRunning; }, 20000);
            Q_UNUSED(reached); // either way the process is killed (or has ended) next
            QTest::qWait(int(rng.bounded(15)));
            if (p.state() != QProcess::NotRunning) {
                ++killedMidway;
                p.kill(); // SIGKILL
            }
            // waitForFinished() is false for a process that already ended: ask for the state.
            if (p.state() != QProcess::NotRunning)
                p.waitForFinished(10000);
            QCOMPARE(p.state(), QProcess::NotRunning);

            QString error;
            auto store = HistoryStore::open(db, &error);
            QVERIFY2(store, qPrintable(u"iteration %1: %2"_s.arg(i).arg(error)));
            QCOMPARE(integrity(db), u"ok"_s);
            const auto runs = store->runs(100);
            QCOMPARE(runs.size(), i + 1);
            for (const auto &run : runs) {
                QVERIFY2(run.state != u"running"_s, "a killed run is still shown running");
                int succeeded = 0;
                for (const auto &job : store->jobs(run.id)) {
                    QVERIFY2(job.state != JobState::Running && job.state != JobState::Pending
                                 && job.state != JobState::Cancelling,
                             qPrintable(u"run %1 job %2 left %3"_s.arg(run.id).arg(job.id).arg(nameOf(job.state))));
                    if (job.state == JobState::Interrupted)
                        ++interruptedSeen;
                    if (job.state == JobState::Succeeded) {
                        ++succeeded;
                        QCOMPARE(job.result.toJson().toObject().value(u"slept_ms"_s).toInt(), 5);
                    }
                }
                QVERIFY2(succeeded >= succeededBefore.value(run.id),
                         qPrintable(u"run %1 lost finished jobs: %2 -> %3"_s.arg(run.id).arg(succeededBefore.value(run.id)).arg(succeeded)));
                succeededBefore[run.id] = succeeded;
            }
        }
        // Most runs must really have been killed mid-write for the test to mean anything.
        QVERIFY2(killedMidway >= iterations / 2, qPrintable(u"only %1 runs were killed midway"_s.arg(killedMidway)));
        QVERIFY(interruptedSeen > 0);

        // A last run completes normally on the same file.
        QProcess last;
        last.setStandardOutputFile(QProcess::nullDevice());
        last.start(binary(), {u"run"_s, planPath, u"--db"_s, db});
        QVERIFY(last.waitForFinished(60000));
        QCOMPARE(last.exitCode(), 0);
        QString error;
        auto store = HistoryStore::open(db, &error);
        QVERIFY2(store, qPrintable(error));
        const auto latest = store->latestRun();
        QVERIFY(latest);
        QCOMPARE(store->run(*latest)->state, u"finished"_s);
        QCOMPARE(store->jobs(*latest).size(), 200);
        QCOMPARE(integrity(db), u"ok"_s);
    }
};

QTEST_GUILESS_MAIN(tst_CrashLoop)
#include "tst_crashloop.moc"
