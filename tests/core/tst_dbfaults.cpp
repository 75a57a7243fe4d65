// /db jobs under SQLite faults: a lock held by another connection, damaged files, a
// read-only connection, a full disk (RLIMIT_FSIZE). Each job fails with a clear error and
// the database stays intact: what was committed stays, nothing is half written.

#include "sqlitescalar.h"
#include "jobs/builtins.h"
#include "jobs/db/database.h"
#include "jobs/db/databasepool.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <csignal>
#include <sys/resource.h>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

CallRequest post(const QString &path, const QJsonObject &body)
{
    return {u"POST"_s, path, {}, body};
}

int execSql(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open(path.toUtf8().constData(), &db);
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
}

QString scalar(const QString &path, const char *sql)
{
    return coroute::test::sqliteScalar(path, sql);
}

void scribble(const QString &path, qint64 offset, qint64 size, quint32 seed)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    f.seek(offset);
    QByteArray junk(size, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    for (auto &c : junk)
        c = char(rng.bounded(256));
    f.write(junk);
}

class Locker
{
public:
    explicit Locker(const QString &path)
    {
        sqlite3_open(path.toUtf8().constData(), &m_db);
        m_ok = sqlite3_exec(m_db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~Locker()
    {
        release();
        sqlite3_close(m_db);
    }
    bool isLocked() const { return m_ok; }
    void release()
    {
        if (m_ok)
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        m_ok = false;
    }

private:
    sqlite3 *m_db = nullptr;
    bool m_ok = false;
};

} // namespace

class tst_DbFaults : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString file(const QString &name) const { return QFileInfo(m_dir.filePath(name)).absoluteFilePath(); }

    void setUp(Runtime &rt)
    {
        registerBuiltins(rt, {.roots = {QFileInfo(m_dir.path()).canonicalFilePath()}});
        rt.service<DatabasePool>()->setBusyTimeout(100ms);
    }

private Q_SLOTS:
    void lockedDatabaseIsBusy()
    {
        const auto path = file(u"busy.sqlite"_s);
        QCOMPARE(execSql(path, "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER)"), SQLITE_OK);
        Runtime rt;
        setUp(rt);
        const QJsonObject insert{{u"db"_s, u"busy.sqlite"_s}, {u"sql"_s, u"INSERT INTO t VALUES (1)"_s}};
        {
            Locker locker(path);
            QVERIFY(locker.isLocked());
            coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
                const auto outcome = co_await rt.call(post(u"/db/exec"_s, insert));
                CO_COMPARE(outcome.job->state, JobState::Failed);
                CO_COMPARE(outcome.job->error.status, 503);
                CO_COMPARE(outcome.job->error.type, u"database_busy"_s);
                CO_VERIFY2(outcome.job->error.message.contains(u"locked"_s), qPrintable(outcome.job->error.message));
            }());
        }
        // Released: the same job now succeeds, once: the failed one wrote nothing.
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(post(u"/db/exec"_s, insert));
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
        }());
        QCOMPARE(scalar(path, "SELECT count(*) FROM t"), u"1"_s);
    }

    void randomBytesAreNotADatabase()
    {
        const auto path = file(u"junk.sqlite"_s);
        scribble(path, 0, 32 * 1024, 1);
        const QByteArray before = [&] {
            QFile f(path);
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }();
        Runtime rt;
        setUp(rt);
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const QJsonObject body{{u"db"_s, u"junk.sqlite"_s}, {u"sql"_s, u"SELECT * FROM sqlite_master"_s}};
            for (const auto &route : {u"/db/query"_s, u"/db/exec"_s}) {
                const auto outcome = co_await rt.call(post(route, body));
                CO_COMPARE(outcome.job->state, JobState::Failed);
                CO_COMPARE(outcome.job->error.status, 500);
                CO_COMPARE(outcome.job->error.type, u"sqlite_error"_s);
                CO_VERIFY2(outcome.job->error.message.contains(u"file is not a database"_s),
                           qPrintable(outcome.job->error.message));
            }
        }());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before); // never "repaired" or truncated
    }

    void overwrittenPageIsCorrupt()
    {
        const auto path = file(u"damaged.sqlite"_s);
        QCOMPARE(execSql(path, "CREATE TABLE t (x INTEGER, pad TEXT);"
                               "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                               "INSERT INTO t SELECT i, printf('%.200c', 'x') FROM n;"),
                 SQLITE_OK);
        QVERIFY(QFileInfo(path).size() > 20 * 4096);
        scribble(path, 10 * 4096, 4096, 2);
        Runtime rt;
        setUp(rt);
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const QJsonObject body{{u"db"_s, u"damaged.sqlite"_s}, {u"sql"_s, u"SELECT sum(x), count(pad) FROM t"_s}};
            const auto outcome = co_await rt.call(post(u"/db/query"_s, body));
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.status, 500);
            CO_COMPARE(outcome.job->error.type, u"sqlite_error"_s);
            CO_VERIFY2(outcome.job->error.message.contains(u"malformed"_s), qPrintable(outcome.job->error.message));
        }());
    }

    void readOnlyConnectionRefusesWrites()
    {
        // Root ignores file modes, so a read-only connection (SQLITE_OPEN_READONLY) stands in
        // for a read-only file.
        const auto path = file(u"ro.sqlite"_s);
        QCOMPARE(execSql(path, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)"), SQLITE_OK);
        auto db = std::make_shared<Database>(path, DatabaseOptions{.readOnly = true});
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            try {
                co_await db->exec(u"INSERT INTO t VALUES (8)"_s);
                CO_FAIL("a write through a read-only connection succeeded");
            } catch (const Error &e) {
                CO_COMPARE(e.status(), 403);
                CO_COMPARE(e.error().type, u"read_only"_s);
            }
        }());
        db.reset();
        QCOMPARE(scalar(path, "SELECT group_concat(x) FROM t"), u"7"_s);
    }

    void diskFullFailsTheBulkJobAndKeepsTheFileIntact()
    {
        // RLIMIT_FSIZE in this process, SIGXFSZ ignored: write() answers EFBIG, as on a full
        // disk. The limit is raised back before anything else writes.
        const auto path = file(u"full.sqlite"_s);
        QCOMPARE(execSql(path, "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER, pad TEXT)"), SQLITE_OK);
        Runtime rt;
        setUp(rt);
        QJsonArray rows;
        for (int i = 0; i < 5000; ++i)
            rows.append(QJsonArray{i, QString(200, u'p')});
        const QJsonObject body{{u"db"_s, u"full.sqlite"_s}, {u"table"_s, u"t"_s},
                               {u"columns"_s, QJsonArray{u"x"_s, u"pad"_s}}, {u"rows"_s, rows}, {u"batch"_s, 500}};

        rlimit old{};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
        const auto oldHandler = ::signal(SIGXFSZ, SIG_IGN);
        rlimit small = old;
        small.rlim_cur = 256 * 1024;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        std::optional<JobInfo> job;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await rt.call(post(u"/db/bulk"_s, body));
            job = outcome.job;
        }(), 60000);
        ::setrlimit(RLIMIT_FSIZE, &old);
        ::signal(SIGXFSZ, oldHandler);

        QVERIFY(job);
        QCOMPARE(job->state, JobState::Failed);
        QCOMPARE(job->error.status, 500);
        QCOMPARE(job->error.type, u"sqlite_error"_s);
        QVERIFY2(job->error.message.contains(u"disk"_s), qPrintable(job->error.message));
        // Intact, and holding whole batches only.
        rt.service<DatabasePool>()->setBusyTimeout(100ms);
        QCOMPARE(scalar(path, "PRAGMA integrity_check"), u"ok"_s);
        const int kept = scalar(path, "SELECT count(*) FROM t").toInt();
        QVERIFY(kept < 5000);
        QCOMPARE(kept % 500, 0);
        QCOMPARE(scalar(path, "SELECT count(*) FROM t WHERE length(pad) != 200"), u"0"_s);
    }
};

QTEST_GUILESS_MAIN(tst_DbFaults)
#include "tst_dbfaults.moc"
