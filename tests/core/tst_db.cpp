#include "jobs/builtins.h"
#include "jobs/db/database.h"
#include "jobs/db/databasepool.h"
#include "runtime/runtime.h"
#include "store/sqlite.h"

#include "coroutinetest.h"
#include "eventloopchecker.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

CallRequest post(const QString &path, const QJsonObject &body)
{
    return {u"POST"_s, path, {}, body};
}

const QString countToBillion = u"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                               "WHERE x < 1000000000) SELECT count(*) AS n FROM c"_s;

} // namespace

class tst_Db : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString root() const { return QFileInfo(m_dir.path()).canonicalFilePath(); }

    // Runs one call to the end and returns the outcome.
    static JobOutcome call(Runtime &rt, const CallRequest &request, SubmitOptions options = {})
    {
        JobOutcome outcome;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            outcome = co_await rt.call(request, options);
        }(), 60000);
        return outcome;
    }

    static JobOutcome exec(Runtime &rt, const QString &db, const QString &sql, QJsonValue params = {})
    {
        QJsonObject body{{u"db"_s, db}, {u"sql"_s, sql}};
        if (!params.isNull())
            body.insert(u"params"_s, params);
        return call(rt, post(u"/db/exec"_s, body));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void execQueryBulkRoundTrip()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        auto created = exec(rt, u"round.db"_s, u"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)"_s);
        QVERIFY2(created.succeeded(), QJsonDocument(created.toJson()).toJson().constData());
        QVERIFY(QFile::exists(m_dir.filePath(u"round.db"_s)));

        auto inserted = exec(rt, u"round.db"_s, u"INSERT INTO t (name, score, data) VALUES (?, ?, ?)"_s,
                             QJsonArray{u"ada"_s, 1.5, QJsonObject{{u"$blob"_s, u"AQID"_s}}});
        QVERIFY(inserted.succeeded());
        QCOMPARE(inserted.job->result.toJson().toObject().value(u"changes"_s).toInteger(), 1);
        QCOMPARE(inserted.job->result.toJson().toObject().value(u"last_insert_id"_s).toInteger(), 1);

        auto named = exec(rt, u"round.db"_s, u"INSERT INTO t (name, score) VALUES (:name, @score)"_s,
                          QJsonObject{{u"name"_s, u"bob"_s}, {u"score"_s, 2}});
        QVERIFY(named.succeeded());
        QCOMPARE(named.job->result.toJson().toObject().value(u"last_insert_id"_s).toInteger(), 2);

        QJsonArray rows;
        for (int i = 0; i < 10; ++i)
            rows.append(QJsonArray{u"bulk%1"_s.arg(i), i});
        auto bulk = call(rt, post(u"/db/bulk"_s, {{u"db"_s, u"round.db"_s}, {u"table"_s, u"t"_s},
                                                  {u"columns"_s, QJsonArray{u"name"_s, u"score"_s}},
                                                  {u"rows"_s, rows}, {u"batch"_s, 3}}));
        QVERIFY2(bulk.succeeded(), QJsonDocument(bulk.toJson()).toJson().constData());
        QCOMPARE(bulk.job->result.toJson().toObject().value(u"inserted"_s).toInteger(), 10);

        auto query = call(rt, post(u"/db/query"_s, {{u"db"_s, u"round.db"_s},
                                                    {u"sql"_s, u"SELECT id, name, score, data FROM t ORDER BY id"_s},
                                                    {u"chunk_rows"_s, 4}}));
        QVERIFY2(query.succeeded(), QJsonDocument(query.toJson()).toJson().constData());
        const auto items = query.job->result.toJson().toArray();
        QCOMPARE(items.size(), 12);
        const auto first = items.at(0).toObject();
        QCOMPARE(first.value(u"id"_s).toInteger(), 1);
        QCOMPARE(first.value(u"name"_s).toString(), u"ada"_s);
        QCOMPARE(first.value(u"score"_s).toDouble(), 1.5);
        QCOMPARE(first.value(u"data"_s).toString(), u"AQID"_s); // blobs as base64
        QVERIFY(items.at(1).toObject().value(u"data"_s).isNull());
        QCOMPARE(items.at(11).toObject().value(u"name"_s).toString(), u"bulk9"_s);

        // One connection per file, shared by the jobs.
        QCOMPARE(rt.service<DatabasePool>()->openCount(), 1);
    }

    void streamedRowsArriveThroughOnItem()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"stream.db"_s,
                     u"CREATE TABLE s (n); INSERT INTO s VALUES (1), (2), (3), (4), (5)"_s).succeeded());
        QList<qint64> seen;
        SubmitOptions options;
        options.onItem = [&seen](const QJsonValue &item) { seen.append(item.toObject().value(u"n"_s).toInteger()); };
        auto outcome = call(rt,
                            post(u"/db/query"_s, {{u"db"_s, u"stream.db"_s},
                                                  {u"sql"_s, u"SELECT n FROM s WHERE n >= ? ORDER BY n"_s},
                                                  {u"params"_s, QJsonArray{2}}, {u"chunk_rows"_s, 2}}),
                            options);
        QVERIFY(outcome.succeeded());
        QCOMPARE(seen, (QList<qint64>{2, 3, 4, 5}));
    }

    void parametersAreNeverSpliced()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"inject.db"_s, u"CREATE TABLE t (name TEXT)"_s).succeeded());
        const QString evil = u"'); DROP TABLE t; --"_s;
        QVERIFY(exec(rt, u"inject.db"_s, u"INSERT INTO t (name) VALUES (?)"_s, QJsonArray{evil}).succeeded());
        auto named = exec(rt, u"inject.db"_s, u"INSERT INTO t (name) VALUES (:v)"_s, QJsonObject{{u"v"_s, evil}});
        QVERIFY(named.succeeded());
        auto bulk = call(rt, post(u"/db/bulk"_s, {{u"db"_s, u"inject.db"_s}, {u"table"_s, u"t"_s},
                                                  {u"columns"_s, QJsonArray{u"name"_s}},
                                                  {u"rows"_s, QJsonArray{QJsonArray{evil}}}}));
        QVERIFY(bulk.succeeded());
        auto rows = call(rt, post(u"/db/query"_s, {{u"db"_s, u"inject.db"_s},
                                                   {u"sql"_s, u"SELECT name FROM t WHERE name = ?"_s},
                                                   {u"params"_s, QJsonArray{evil}}}));
        QVERIFY2(rows.succeeded(), "the table must have survived");
        QCOMPARE(rows.job->result.toJson().toArray().size(), 3);
        for (const auto &row : rows.job->result.toJson().toArray())
            QCOMPARE(row.toObject().value(u"name"_s).toString(), evil);
    }

    void sqliteErrorsReachTheCaller_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("message");
        QTest::newRow("syntax") << u"SELEC 1"_s << 400 << u"sqlite_error"_s << u"syntax error"_s;
        QTest::newRow("no such table") << u"SELECT * FROM nope"_s << 400 << u"sqlite_error"_s << u"no such table: nope"_s;
        QTest::newRow("constraint") << u"INSERT INTO u (id) VALUES (1)"_s << 409 << u"constraint_violation"_s
                                    << u"UNIQUE constraint failed: u.id"_s;
        QTest::newRow("missing params") << u"INSERT INTO u (id) VALUES (?)"_s << 422 << u"invalid_params"_s
                                        << u"none were given"_s;
    }

    void sqliteErrorsReachTheCaller()
    {
        QFETCH(QString, sql);
        QFETCH(int, status);
        QFETCH(QString, type);
        QFETCH(QString, message);
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"errors.db"_s, u"CREATE TABLE IF NOT EXISTS u (id INTEGER UNIQUE); "
                                         "INSERT OR IGNORE INTO u VALUES (1)"_s).succeeded());
        auto outcome = exec(rt, u"errors.db"_s, sql);
        QVERIFY(outcome.job);
        QCOMPARE(outcome.job->state, JobState::Failed);
        const auto &error = outcome.job->error;
        QCOMPARE(error.status, status);
        QCOMPARE(error.type, type);
        QVERIFY2(error.message.contains(message), qPrintable(error.message));
        const auto detail = error.detail.toObject();
        QVERIFY2(detail.value(u"message"_s).toString().contains(message), QJsonDocument(detail).toJson().constData());
        QVERIFY(detail.contains(u"code"_s));
        QVERIFY(detail.contains(u"extended_code"_s));
    }

    void lockedDatabaseGivesBusyError()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        rt.service<DatabasePool>()->setBusyTimeout(200ms);
        QVERIFY(exec(rt, u"busy.db"_s, u"CREATE TABLE t (x)"_s).succeeded());

        SqliteDb other(m_dir.filePath(u"busy.db"_s));
        std::optional<SqliteTransaction> lock(std::in_place, other, SqliteTransaction::Mode::Exclusive);
        auto outcome = exec(rt, u"busy.db"_s, u"INSERT INTO t VALUES (1)"_s);
        QVERIFY(outcome.job);
        QCOMPARE(outcome.job->state, JobState::Failed);
        QCOMPARE(outcome.job->error.status, 503);
        QCOMPARE(outcome.job->error.type, u"database_busy"_s);
        QVERIFY2(outcome.job->error.message.contains(u"locked"_s), qPrintable(outcome.job->error.message));

        lock.reset(); // released: the same connection works again
        QVERIFY(exec(rt, u"busy.db"_s, u"INSERT INTO t VALUES (2)"_s).succeeded());
    }

    void cancelInterruptsALongQuery()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"long.db"_s, u"CREATE TABLE t (x); INSERT INTO t VALUES (42)"_s).succeeded());
        auto submission = rt.submit(post(u"/db/query"_s, {{u"db"_s, u"long.db"_s}, {u"sql"_s, countToBillion}}));
        QVERIFY(submission.accepted());
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(submission.id)->state, JobState::Running, 10000);
        QVERIFY(rt.cancel(submission.id));
        QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().job(submission.id)->state, JobState::Cancelled, 10000);

        auto after = call(rt, post(u"/db/query"_s, {{u"db"_s, u"long.db"_s}, {u"sql"_s, u"SELECT x FROM t"_s}}));
        QVERIFY2(after.succeeded(), "the connection stays usable after an interrupt");
        QCOMPARE(after.job->result.toJson().toArray().at(0).toObject().value(u"x"_s).toInteger(), 42);
    }

    void cancelInterruptsARunningStatementDirectly()
    {
        auto db = std::make_shared<Database>(m_dir.filePath(u"direct-cancel.db"_s));
        std::stop_source stop;
        std::atomic<bool> started{false};
        bool cancelled = false;
        bool done = false;
        // Named: a coroutine lambda's captures live in the closure, which must outlive the task.
        auto body = [&]() -> QCoro::Task<void> {
            try {
                co_await db->run(
                    [&started](SqliteDb &conn) {
                        auto stmt = conn.prepare(countToBillion);
                        started = true;
                        stmt.run();
                    },
                    stop.get_token());
            } catch (const Cancelled &) {
                cancelled = true;
            }
            done = true;
        };
        auto task = body();
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        stop.request_stop();
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QVERIFY(cancelled);

        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto r = co_await db->exec(u"CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)"_s);
            CO_COMPARE(r.changes, qint64(2));
        }());
    }

    void cancellingOneQueryLeavesAnOpenCursorAlone()
    {
        auto db = std::make_shared<Database>(m_dir.filePath(u"cursors.db"_s));
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            co_await db->exec(u"CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3), (4)"_s);
            // A query suspended between chunks keeps its cursor open on the connection.
            auto gen = db->query(u"SELECT x FROM t ORDER BY x"_s, {}, 1, {});
            auto it = co_await gen.begin();
            CO_COMPARE((*it).at(0).toObject().value(u"x"_s).toInteger(), qint64(1));

            std::stop_source stop;
            QTimer::singleShot(100, [&stop] { stop.request_stop(); });
            bool cancelled = false;
            try {
                co_await db->exec(countToBillion, {}, stop.get_token());
            } catch (const Cancelled &) {
                cancelled = true;
            }
            CO_VERIFY(cancelled);

            QList<qint64> rest;
            co_await ++it;
            while (it != gen.end()) {
                rest.append((*it).at(0).toObject().value(u"x"_s).toInteger());
                co_await ++it;
            }
            CO_COMPARE(rest, (QList<qint64>{2, 3, 4}));
        }(), 30000);
    }

    void resultsResumeOnTheAwaitingThread()
    {
        auto db = std::make_shared<Database>(m_dir.filePath(u"threads.db"_s));
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            auto *loop = QThread::currentThread();
            auto *dbThread = co_await db->run([](SqliteDb &) { return QThread::currentThread(); });
            CO_VERIFY(dbThread != loop);
            CO_COMPARE(QThread::currentThread(), loop);
            auto again = co_await db->run([](SqliteDb &) { return QThread::currentThread(); });
            CO_COMPARE(again, dbThread); // its own dedicated thread
        }());
    }

    void invalidBulkInputIsRefused_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QJsonArray>("columns");
        QTest::addColumn<QJsonArray>("rows");
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("row");
        const QJsonArray ok{QJsonArray{1, 2}};
        QTest::newRow("table injection") << u"t; DROP TABLE t"_s << QJsonArray{u"a"_s, u"b"_s} << ok
                                         << u"invalid_identifier"_s << -1;
        QTest::newRow("quoted table") << u"t\""_s << QJsonArray{u"a"_s, u"b"_s} << ok << u"invalid_identifier"_s << -1;
        QTest::newRow("digit first") << u"1t"_s << QJsonArray{u"a"_s, u"b"_s} << ok << u"invalid_identifier"_s << -1;
        QTest::newRow("bad column") << u"t"_s << QJsonArray{u"a"_s, u"b c"_s} << ok << u"invalid_identifier"_s << -1;
        QTest::newRow("column not a string") << u"t"_s << QJsonArray{u"a"_s, 3} << ok << u"invalid_identifier"_s << -1;
        QTest::newRow("short row") << u"t"_s << QJsonArray{u"a"_s, u"b"_s}
                                   << QJsonArray{QJsonArray{1, 2}, QJsonArray{1, 2}, QJsonArray{1}}
                                   << u"invalid_row"_s << 2;
        QTest::newRow("row not an array") << u"t"_s << QJsonArray{u"a"_s, u"b"_s}
                                          << QJsonArray{QJsonArray{1, 2}, QJsonObject{{u"a"_s, 1}}}
                                          << u"invalid_row"_s << 1;
    }

    void invalidBulkInputIsRefused()
    {
        QFETCH(QString, table);
        QFETCH(QJsonArray, columns);
        QFETCH(QJsonArray, rows);
        QFETCH(QString, type);
        QFETCH(int, row);
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"bulkbad.db"_s, u"CREATE TABLE IF NOT EXISTS t (a, b)"_s).succeeded());
        auto outcome = call(rt, post(u"/db/bulk"_s, {{u"db"_s, u"bulkbad.db"_s}, {u"table"_s, table},
                                                     {u"columns"_s, columns}, {u"rows"_s, rows}}));
        QVERIFY(outcome.job);
        QCOMPARE(outcome.job->state, JobState::Failed);
        QCOMPARE(outcome.job->error.status, 422);
        QCOMPARE(outcome.job->error.type, type);
        if (row >= 0)
            QCOMPARE(outcome.job->error.detail.toObject().value(u"row"_s).toInteger(), row);
        auto count = call(rt, post(u"/db/query"_s, {{u"db"_s, u"bulkbad.db"_s}, {u"sql"_s, u"SELECT count(*) AS n FROM t"_s}}));
        QVERIFY2(count.succeeded(), "the table survives");
        QCOMPARE(count.job->result.toJson().toArray().at(0).toObject().value(u"n"_s).toInteger(), 0); // nothing half-written
    }

    void bulkConstraintViolationSaysWhichRow()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"bulk409.db"_s, u"CREATE TABLE t (id INTEGER PRIMARY KEY)"_s).succeeded());
        QJsonArray rows;
        for (int i = 0; i < 10; ++i)
            rows.append(QJsonArray{i == 7 ? 3 : i});
        auto outcome = call(rt, post(u"/db/bulk"_s, {{u"db"_s, u"bulk409.db"_s}, {u"table"_s, u"t"_s},
                                                     {u"columns"_s, QJsonArray{u"id"_s}}, {u"rows"_s, rows},
                                                     {u"batch"_s, 5}}));
        QCOMPARE(outcome.job->state, JobState::Failed);
        QCOMPARE(outcome.job->error.status, 409);
        QCOMPARE(outcome.job->error.type, u"constraint_violation"_s);
        const auto detail = outcome.job->error.detail.toObject();
        QCOMPARE(detail.value(u"row"_s).toInteger(), 7);
        QCOMPARE(detail.value(u"inserted"_s).toInteger(), 5);
        auto count = call(rt, post(u"/db/query"_s, {{u"db"_s, u"bulk409.db"_s}, {u"sql"_s, u"SELECT count(*) AS n FROM t"_s}}));
        QCOMPARE(count.job->result.toJson().toArray().at(0).toObject().value(u"n"_s).toInteger(), 5); // failing batch rolled back
    }

    void loopKeepsTickingDuringABigBulkInsert()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(exec(rt, u"big.db"_s, u"CREATE TABLE big (id INTEGER, name TEXT, v REAL)"_s).succeeded());
        QJsonArray rows;
        for (int i = 0; i < 200000; ++i)
            rows.append(QJsonArray{i, u"row %1"_s.arg(i), i * 0.5});
        coroute::test::EventLoopChecker checker(1);
        const int before = checker.ticks();
        auto outcome = call(rt, post(u"/db/bulk"_s, {{u"db"_s, u"big.db"_s}, {u"table"_s, u"big"_s},
                                                     {u"columns"_s, QJsonArray{u"id"_s, u"name"_s, u"v"_s}},
                                                     {u"rows"_s, rows}}));
        QVERIFY2(outcome.succeeded(), QJsonDocument(outcome.toJson()).toJson().constData());
        QCOMPARE(outcome.job->result.toJson().toObject().value(u"inserted"_s).toInteger(), 200000);
        QVERIFY2(checker.ticks() > before + 1, "the event loop kept turning during the insert");
        auto count = call(rt, post(u"/db/query"_s, {{u"db"_s, u"big.db"_s}, {u"sql"_s, u"SELECT count(*) AS n FROM big"_s}}));
        QCOMPARE(count.job->result.toJson().toArray().at(0).toObject().value(u"n"_s).toInteger(), 200000);
    }

    void escapesAreForbidden_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("dotdot") << u"../escape.db"_s;
        QTest::newRow("nested dotdot") << u"sub/../../escape.db"_s;
        QTest::newRow("absolute outside") << QDir::tempPath() + u"/coroute-outside-escape.db"_s;
        QTest::newRow("symlinked folder") << u"outlink/escape.db"_s;
        QTest::newRow("symlinked file") << u"filelink.db"_s;
    }

    void escapesAreForbidden()
    {
        QFETCH(QString, name);
        QTemporaryDir outside;
        QVERIFY(outside.isValid());
        QTemporaryDir sandbox;
        QVERIFY(sandbox.isValid());
        QVERIFY(QDir(sandbox.path()).mkdir(u"sub"_s));
        QVERIFY(QFile::link(outside.path(), sandbox.filePath(u"outlink"_s)));
        QFile target(outside.filePath(u"target.db"_s));
        QVERIFY(target.open(QIODevice::WriteOnly));
        target.close();
        QVERIFY(QFile::link(target.fileName(), sandbox.filePath(u"filelink.db"_s)));

        Runtime rt;
        registerBuiltins(rt, {.roots = {QFileInfo(sandbox.path()).canonicalFilePath()}});
        auto outcome = exec(rt, name, u"CREATE TABLE pwned (x)"_s);
        QVERIFY(outcome.job);
        QCOMPARE(outcome.job->state, JobState::Failed);
        QCOMPARE(outcome.job->error.status, 403);
        QCOMPARE(outcome.job->error.type, u"forbidden_path"_s);
        QVERIFY(!QFile::exists(outside.filePath(u"escape.db"_s)));
        QCOMPARE(QFileInfo(target.fileName()).size(), 0);
        QVERIFY(!QFile::exists(QDir::tempPath() + u"/coroute-outside-escape.db"_s));
    }

    void insideRootsPathsWork()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {root()}});
        QVERIFY(QDir(root()).mkpath(u"nested"_s));
        QVERIFY(exec(rt, u"nested/a.db"_s, u"CREATE TABLE a (x)"_s).succeeded());
        QVERIFY(exec(rt, root() + u"/nested/a.db"_s, u"INSERT INTO a VALUES (1)"_s).succeeded());
        QCOMPARE(rt.service<DatabasePool>()->openCount(), 1); // the same file, the same connection
        auto missing = exec(rt, u"nofolder/a.db"_s, u"SELECT 1"_s);
        QCOMPARE(missing.job->error.status, 404);
    }
};

QTEST_GUILESS_MAIN(tst_Db)
#include "tst_db.moc"
