#include "bench/benchhistory.h"
#include "bench/workloads.h"

#include "jobs/builtins.h"
#include "jobs/db/database.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"
#include "store/sqlite.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QVariant>

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

constexpr qint64 defaultN = 100'000;
constexpr qint64 rowsPerTransaction = 1'000;
constexpr auto createSql = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, value REAL)";
constexpr auto insertSql = "INSERT INTO items (id, name, value) VALUES (?, ?, ?)";
constexpr auto selectSql = "SELECT id, name, value FROM items";

/// What one pass read back.
struct Scan
{
    qint64 rows = 0;
    double sum = 0;
    qint64 nameBytes = 0; // the names are read too, as WORKLOADS.md asks
};

/// The figures of one variant: seconds for the inserts and for the select.
struct Timing
{
    double insertS = 0;
    double selectS = 0;
    Scan scan;
};

// ---- runtime: a handler awaiting Database::run(fn) (the connection's own thread) ---------------

// The 100 transactions through one prepared statement, with the runtime's SQLite wrapper and
// its typed binds (bind(QVariant) with a QString name measured 69 % / 49 % of raw, best of 5).
qint64 insertRows(SqliteDb &db, qint64 n)
{
    auto insert = db.prepare(QString::fromLatin1(insertSql));
    char name[32];
    for (qint64 first = 1; first <= n; first += rowsPerTransaction) {
        SqliteTransaction transaction(db);
        const qint64 last = std::min(n, first + rowsPerTransaction - 1);
        for (qint64 i = first; i <= last; ++i) {
            const int len = std::snprintf(name, sizeof name, "name-%lld", static_cast<long long>(i));
            insert.bindInt64(1, i);
            insert.bindText(2, QByteArrayView(name, len));
            insert.bindDouble(3, double(i) * 0.5);
            insert.run();
            insert.reset();
        }
        transaction.commit();
    }
    return n;
}

// Steps the cursor row by row (streamed), reading all three columns.
Scan selectRows(SqliteDb &db)
{
    auto select = db.prepare(QString::fromLatin1(selectSql));
    Scan scan;
    while (select.step()) {
        scan.rows += select.columnInt64(0) > 0 ? 1 : 0;
        scan.nameBytes += select.columnUtf8(1).size();
        scan.sum += select.columnDouble(2);
    }
    return scan;
}

QCoro::Task<QJsonObject> sqliteHandler(Context &ctx, QString file, qint64 n)
{
    auto db = co_await ctx.db(file);
    auto create = [](SqliteDb &c) { c.exec(QString::fromLatin1(createSql)); };
    co_await db->run(std::move(create), ctx.token());

    auto insert = [n](SqliteDb &c) { return insertRows(c, n); };
    const double t0 = nowSeconds();
    const qint64 inserted = co_await db->run(std::move(insert), ctx.token());
    const double t1 = nowSeconds();
    auto select = [](SqliteDb &c) { return selectRows(c); };
    const Scan scan = co_await db->run(std::move(select), ctx.token());
    const double t2 = nowSeconds();
    co_return QJsonObject{{u"inserted"_s, inserted}, {u"insert_s"_s, t1 - t0}, {u"select_s"_s, t2 - t1},
                          {u"rows"_s, scan.rows}, {u"sum"_s, scan.sum}, {u"name_bytes"_s, scan.nameBytes}};
}

QCoro::Task<Timing> runThroughRuntime(const QString &file, qint64 n, QString &failure,
                                      const BenchOptions &options, BenchReport &report)
{
    Runtime runtime;
    BenchHistory history(runtime, options, report, u"w4"_s);
    registerBuiltins(runtime, {.roots = {QFileInfo(file).absolutePath()}});
    runtime.router().post(u"/sqlite"_s, [file, n](Context &ctx) { return sqliteHandler(ctx, file, n); });
    const auto outcome = co_await runtime.call({u"POST"_s, u"/sqlite"_s, {}, QJsonValue(QJsonValue::Undefined)});
    Timing timing;
    if (!outcome.succeeded()) {
        failure = QString::fromUtf8(QJsonDocument(outcome.toJson()).toJson(QJsonDocument::Compact));
        co_return timing;
    }
    const auto result = outcome.job->result.toJson().toObject();
    timing.insertS = result[u"insert_s"_s].toDouble();
    timing.selectS = result[u"select_s"_s].toDouble();
    timing.scan = {result[u"rows"_s].toInteger(), result[u"sum"_s].toDouble(), result[u"name_bytes"_s].toInteger()};
    co_return timing;
}

// ---- raw: libsqlite3 on the calling thread, the in-process reference ---------------------------

void rawCheck(sqlite3 *db, int rc, int expected = SQLITE_OK)
{
    if (rc != expected)
        throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
}

Timing runRaw(const QString &file, qint64 n)
{
    sqlite3 *db = nullptr;
    const QByteArray path = QFile::encodeName(file);
    const int opened = sqlite3_open_v2(path.constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> guard(db, &sqlite3_close_v2);
    rawCheck(db, opened);
    rawCheck(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr));
    rawCheck(db, sqlite3_exec(db, createSql, nullptr, nullptr, nullptr));

    Timing timing;
    sqlite3_stmt *insert = nullptr;
    const double t0 = nowSeconds();
    rawCheck(db, sqlite3_prepare_v2(db, insertSql, -1, &insert, nullptr));
    char name[32];
    for (qint64 first = 1; first <= n; first += rowsPerTransaction) {
        rawCheck(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr));
        const qint64 last = std::min(n, first + rowsPerTransaction - 1);
        for (qint64 i = first; i <= last; ++i) {
            const int len = std::snprintf(name, sizeof name, "name-%lld", static_cast<long long>(i));
            sqlite3_bind_int64(insert, 1, i);
            sqlite3_bind_text(insert, 2, name, len, SQLITE_TRANSIENT);
            sqlite3_bind_double(insert, 3, double(i) * 0.5);
            rawCheck(db, sqlite3_step(insert), SQLITE_DONE);
            sqlite3_reset(insert);
        }
        rawCheck(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr));
    }
    sqlite3_finalize(insert);
    const double t1 = nowSeconds();

    sqlite3_stmt *select = nullptr;
    rawCheck(db, sqlite3_prepare_v2(db, selectSql, -1, &select, nullptr));
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        timing.scan.rows += sqlite3_column_int64(select, 0) > 0 ? 1 : 0;
        timing.scan.nameBytes += sqlite3_column_text(select, 1) ? sqlite3_column_bytes(select, 1) : 0;
        timing.scan.sum += sqlite3_column_double(select, 2);
    }
    sqlite3_finalize(select);
    rawCheck(db, rc, SQLITE_DONE);
    const double t2 = nowSeconds();
    timing.insertS = t1 - t0;
    timing.selectS = t2 - t1;
    return timing;
}

void removeDatabase(const QString &file)
{
    for (const auto suffix : {"", "-wal", "-shm", "-journal"})
        QFile::remove(file + QString::fromLatin1(suffix));
}

} // namespace

QCoro::Task<void> runSqlite(BenchOptions options, BenchReport &report)
{
    const qint64 n = options.n > 0 ? options.n : defaultN;
    beginReport(report, options, options.raw ? u"raw"_s : u"runtime"_s, n);

    QTemporaryDir temp;
    QString file = options.dbPath;
    if (file.isEmpty()) {
        if (!temp.isValid()) {
            report.fail(u"cannot make a temporary folder: "_s + temp.errorString());
            co_return;
        }
        file = temp.filePath(u"w4.sqlite"_s);
    }
    file = QFileInfo(file).absoluteFilePath();
    removeDatabase(file); // a fresh file every run
    const auto before = readMemory();

    Timing timing;
    QString failure;
    if (options.raw)
        timing = runRaw(file, n);
    else
        timing = co_await runThroughRuntime(file, n, failure, options, report);
    if (!failure.isEmpty()) {
        report.fail(failure);
        co_return;
    }

    report.setRounded(u"insert_s"_s, timing.insertS, 6);
    report.setRounded(u"select_s"_s, timing.selectS, 6);
    report.setRounded(u"insert_rows_s"_s, double(n) / timing.insertS, 0);
    report.setRounded(u"select_rows_s"_s, double(n) / timing.selectS, 0);
    endReport(report, before);
    if (options.dbPath.isEmpty())
        removeDatabase(file);
    const double expectedSum = 0.25 * double(n) * double(n + 1);
    if (timing.scan.rows != n)
        report.fail(u"select read %1 rows, expected %2"_s.arg(timing.scan.rows).arg(n));
    if (timing.scan.sum != expectedSum)
        report.fail(u"sum(value) = %1, expected %2"_s.arg(timing.scan.sum, 0, 'f', 1).arg(expectedSum, 0, 'f', 1));
}

} // namespace coroute::bench
