// The CLI under storage faults: a damaged history file, and a full disk simulated with a
// file size limit (ulimit -f) on the child process. Clear message, right exit code, and the
// files stay readable and intact afterwards.

#include "cliprocess.h"
#include "sqlitescalar.h"
#include "store/historystore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace coroute;
using namespace Qt::StringLiterals;

namespace {

QString query(const QString &path, const char *sql)
{
    return coroute::test::sqliteScalar(path, sql);
}

void scribble(const QString &path, qint64 offset, qint64 size)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    f.seek(offset);
    QByteArray junk(size, Qt::Uninitialized);
    QRandomGenerator rng(99);
    for (auto &c : junk)
        c = char(rng.bounded(256));
    f.write(junk);
}

void writePlan(const QString &path, int jobs)
{
    QJsonArray items;
    for (int i = 0; i < jobs; ++i)
        items.append(i);
    const QJsonObject plan{{u"name"_s, u"many"_s},
                           {u"concurrency"_s, 32},
                           {u"jobs"_s, QJsonArray{QJsonObject{{u"id"_s, u"nap"_s},
                                                              {u"route"_s, u"GET /sys/sleep?ms=1"_s},
                                                              {u"foreach"_s, items}}}}};
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(plan).toJson());
}

} // namespace

class tst_FaultsCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(test::coroutePath()), "COROUTE_BIN must name the coroute binary"); }

    void damagedHistoryIsRefused_data()
    {
        QTest::addColumn<bool>("wholeFile");
        QTest::addColumn<QString>("expected");
        QTest::newRow("random bytes") << true << u"file is not a database"_s;
        QTest::newRow("page overwritten") << false << u"is damaged"_s;
    }

    void damagedHistoryIsRefused()
    {
        QFETCH(bool, wholeFile);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const auto db = dir.filePath(u"corrupt.sqlite"_s);
        if (wholeFile) {
            scribble(db, 0, 64 * 1024);
        } else {
            const auto plan = dir.filePath(u"plan.json"_s);
            writePlan(plan, 300);
            QCOMPARE(test::runCoroute({u"run"_s, plan, u"--db"_s, db}).exitCode, 0);
            QVERIFY(QFile(db).size() > 12 * 4096);
            scribble(db, 6 * 4096, 4096);
        }
        for (const auto &args : {QStringList{u"call"_s, u"GET"_s, u"/sys/health"_s, u"--db"_s, db},
                                 QStringList{u"history"_s, u"runs"_s, u"--db"_s, db}}) {
            const auto r = test::runCoroute(args);
            QVERIFY2(r.exitCode == 2, qPrintable(args.join(u' ') + u" exited "_s + QString::number(r.exitCode)
                                                 + u": "_s + QString::fromUtf8(r.err)));
            QVERIFY2(r.err.contains(expected.toUtf8()), r.err.constData());
            QVERIFY2(r.err.contains(db.toUtf8()), r.err.constData());
        }
    }

    void diskFullDuringDbJob()
    {
        // The job's database outgrows the limit: the job fails with SQLite's error, exit 1;
        // both files stay intact and the history has the failed job.
        QTemporaryDir dir;
        const auto history = dir.filePath(u"history.sqlite"_s);
        const QJsonObject create{{u"db"_s, u"data.sqlite"_s},
                                 {u"sql"_s, u"CREATE TABLE t (x INTEGER, pad TEXT)"_s}};
        QCOMPARE(test::runCoroute({u"call"_s, u"POST"_s, u"/db/exec"_s, u"--root"_s, dir.path(), u"--db"_s, history,
                             u"--body"_s, QString::fromUtf8(QJsonDocument(create).toJson(QJsonDocument::Compact))})
                     .exitCode,
                 0);
        const QJsonObject fill{{u"db"_s, u"data.sqlite"_s},
                               {u"sql"_s, u"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                                          "INSERT INTO t SELECT i, printf('%.200c', 'x') FROM n"_s}};
        const auto r = test::runCorouteWithFileLimit(
            {u"call"_s, u"POST"_s, u"/db/exec"_s, u"--root"_s, dir.path(), u"--db"_s, history, u"--body"_s,
             QString::fromUtf8(QJsonDocument(fill).toJson(QJsonDocument::Compact))},
            512);
        QVERIFY2(r.exitCode == 1, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(QString::fromUtf8(r.err))));
        const auto result = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(result.value(u"state"_s).toString(), u"failed"_s);
        const auto error = result.value(u"error"_s).toObject();
        QCOMPARE(error.value(u"type"_s).toString(), u"sqlite_error"_s);
        QCOMPARE(error.value(u"status"_s).toInt(), 500);
        QVERIFY2(error.value(u"message"_s).toString().contains(u"disk"_s), qPrintable(error.value(u"message"_s).toString()));

        const auto data = dir.filePath(u"data.sqlite"_s);
        QCOMPARE(query(data, "PRAGMA integrity_check"), u"ok"_s);
        QCOMPARE(query(data, "SELECT count(*) FROM t"), u"0"_s); // the statement was atomic
        QCOMPARE(query(history, "PRAGMA integrity_check"), u"ok"_s);
        QString openError;
        auto store = HistoryStore::open(history, &openError);
        QVERIFY2(store, qPrintable(openError));
        const auto jobs = store->jobs(*store->latestRun());
        QCOMPARE(jobs.size(), 1);
        QCOMPARE(jobs.first().state, JobState::Failed);
        QCOMPARE(jobs.first().error.type, u"sqlite_error"_s);
    }

    void diskFullDuringHistoryWrites()
    {
        // A plan of many jobs outgrows the limit with its history: the CLI says the history
        // lost writes and exits 1; the history still opens, intact, with what was committed.
        QTemporaryDir dir;
        const auto history = dir.filePath(u"history.sqlite"_s);
        const auto plan = dir.filePath(u"plan.json"_s);
        writePlan(plan, 2000);
        const auto r = test::runCorouteWithFileLimit({u"run"_s, plan, u"--db"_s, history}, 256);
        QVERIFY2(r.exitCode == 1, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(QString::fromUtf8(r.err))));
        QVERIFY2(r.err.contains("history write failed"), r.err.constData());
        const auto summary = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(summary.value(u"outcome"_s).toString(), u"succeeded"_s); // the jobs themselves ran

        QCOMPARE(query(history, "PRAGMA integrity_check"), u"ok"_s);
        QString openError;
        auto store = HistoryStore::open(history, &openError);
        QVERIFY2(store, qPrintable(openError));
        const auto runs = store->runs();
        QCOMPARE(runs.size(), 1);
        const auto jobs = store->jobs(runs.first().id);
        QVERIFY(jobs.size() < 2000 || runs.first().state != u"finished"_s);
        for (const auto &j : jobs) {
            if (j.state == JobState::Succeeded)
                QCOMPARE(j.result.toJson().toObject().value(u"slept_ms"_s).toInt(), 1);
        }
    }
};

QTEST_GUILESS_MAIN(tst_FaultsCli)
#include "tst_faultscli.moc"
