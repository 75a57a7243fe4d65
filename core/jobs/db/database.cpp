#include "jobs/db/database.h"

#include <QLoggingCategory>
#include <QRegularExpression>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcDb, "coroute.db", QtInfoMsg)

namespace coroute {

QJsonObject ExecResult::toJson() const
{
    return {{u"changes"_s, changes}, {u"last_insert_id"_s, lastInsertId}};
}

Error sqliteJobError(const SqliteError &error)
{
    const auto detail = error.toJson();
    switch (error.code()) {
    case SQLITE_CONSTRAINT:
        return Error(409, u"constraint_violation"_s, error.message(), detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Error(503, u"database_busy"_s,
                     u"the database stayed locked by another connection: %1"_s.arg(error.message()), detail);
    case SQLITE_READONLY:
        return Error(403, u"read_only"_s, error.message(), detail);
    case SQLITE_RANGE:
        return Error(422, u"invalid_params"_s, error.message(), detail);
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: // a damaged or foreign file: not something the caller's SQL can fix
    case SQLITE_INTERNAL:
    case SQLITE_PROTOCOL:
        return Error(500, u"sqlite_error"_s, error.message(), detail);
    default:
        return Error(400, u"sqlite_error"_s, error.message(), detail);
    }
}

// ---- DatabaseOpScope ------------------------------------------------------------------------

namespace detail {

DatabaseOpScope::DatabaseOpScope(Database &db, std::stop_token token, bool ownsCursor) : m_db(db)
{
    m_db.m_db.setStopToken(token);
    if (token.stop_possible())
        m_onStop.emplace(token, Interrupter{&db, ownsCursor});
}

DatabaseOpScope::~DatabaseOpScope()
{
    // Waits for an interrupt running on another thread: none reaches the next operation.
    m_onStop.reset();
    m_db.m_db.setStopToken({});
}

void DatabaseOpScope::Interrupter::operator()() const
{
    // Runs on the thread that requested the stop, while this operation runs. sqlite3_interrupt
    // hits every statement of the connection and stays armed while any is active, so with
    // another query's cursor open it would break that query too: the progress handler, scoped
    // to this operation, stops it instead (within 1000 VM steps).
    const int others = db->m_openCursors.load() - (ownsCursor ? 1 : 0);
    if (others <= 0)
        db->m_db.interrupt();
}

} // namespace detail

// ---- Database -------------------------------------------------------------------------------

struct Database::Cursor
{
    Database *db = nullptr;
    SqliteStatement statement;
    QStringList columns;
    bool started = false;
    bool done = false;

    ~Cursor()
    {
        if (started)
            --db->m_openCursors;
    }
};

void Database::CursorDeleter::operator()(Cursor *cursor) const
{
    // The statement belongs to the connection's thread: finalize it there, after any
    // operation still queued for it.
    detail::startInPool(db->m_thread, [cursor] { delete cursor; });
}

Database::Database(QString path, DatabaseOptions options) : m_path(std::move(path)), m_options(options)
{
    m_thread.setMaxThreadCount(1);
    m_thread.setExpiryTimeout(-1);
    m_thread.setObjectName(u"coroute-db"_s);
}

Database::~Database()
{
    detail::waitForPool(m_thread); // the connection was used there last
    m_db.close();
    qCDebug(lcDb) << "closed" << m_path;
}

void Database::ensureOpenOnThread()
{
    if (m_db.isOpen())
        return;
    SqliteOptions opts;
    opts.readOnly = m_options.readOnly;
    opts.busyTimeout = m_options.busyTimeout;
    m_db.open(m_path, opts);
    qCDebug(lcDb) << "opened" << m_path;
}

QCoro::Task<void> Database::open(std::stop_token token)
{
    auto nothing = [](SqliteDb &) {};
    co_await run(std::move(nothing), std::move(token));
}

QCoro::Task<ExecResult> Database::exec(QString sql, QJsonValue params, std::stop_token token)
{
    const bool hasParams = !params.isNull() && !params.isUndefined();
    // Lambdas are named before co_await: GCC 12 destroys a lambda temporary with captures twice.
    auto work = [sql, params, hasParams](SqliteDb &db) {
            ExecResult r;
            const QByteArray utf8 = sql.toUtf8();
            QByteArrayView rest(utf8);
            int statements = 0;
            while (!rest.isEmpty()) {
                qsizetype used = 0;
                auto stmt = db.prepareNext(rest, &used);
                rest = rest.sliced(used);
                if (stmt.isNull())
                    break;
                if (++statements == 1 && hasParams) {
                    qsizetype more = 0;
                    bool several = false;
                    try {
                        several = !db.prepareNext(rest, &more).isNull();
                    } catch (const SqliteError &) {
                        several = true;
                    }
                    if (several)
                        throw SqliteError(SQLITE_RANGE, u"params need a single SQL statement"_s, sql);
                }
                if (hasParams)
                    stmt.bindAll(params);
                else
                    stmt.bindAll(QJsonValue()); // a statement with parameters but no params fails clearly
                const qint64 before = db.totalChanges();
                stmt.run();
                if (db.totalChanges() != before)
                    r.changes += db.changes();
            }
            if (statements == 0)
                throw SqliteError(SQLITE_MISUSE, u"no SQL statement given"_s, sql);
            r.lastInsertId = db.lastInsertId();
            return r;
        };
    auto result = co_await run(std::move(work), std::move(token));
    co_return result;
}

QCoro::AsyncGenerator<QJsonArray> Database::query(QString sql, QJsonValue params, int chunkRows,
                                                  std::stop_token token)
{
    auto self = shared_from_this();
    const int chunk = qMax(1, chunkRows);
    std::unique_ptr<Cursor, CursorDeleter> cursor(new Cursor, CursorDeleter{this});
    cursor->db = this;
    Cursor *c = cursor.get();
    while (!c->done) {
        // c stays valid: the frame (and the cursor) outlive every operation awaited here.
        auto readChunk = [this, c, sql, params, chunk](SqliteDb &db) {
                if (!c->started) {
                    c->started = true;
                    ++m_openCursors;
                    c->statement = db.prepare(sql);
                    c->statement.bindAll(params);
                    c->columns = c->statement.columnNames();
                }
                QJsonArray out;
                try {
                    while (out.size() < chunk) {
                        if (!c->statement.step()) {
                            c->done = true;
                            c->statement = {};
                            break;
                        }
                        QJsonObject row;
                        for (int i = 0; i < c->columns.size(); ++i)
                            row.insert(c->columns.at(i), c->statement.column(i));
                        out.append(row);
                    }
                } catch (...) {
                    c->done = true;
                    c->statement = {};
                    throw;
                }
                return out;
            };
        auto rows = co_await runOp(std::move(readChunk), token, true);
        if (!rows.isEmpty())
            co_yield rows;
    }
}

bool Database::isValidIdentifier(const QString &name)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return re.match(name).hasMatch();
}

namespace {

QString quoted(const QString &identifier)
{
    // Validated identifiers have no quotes; quoting still keeps keywords ("order") usable.
    return u'"' + identifier + u'"';
}

} // namespace

QCoro::Task<qint64> Database::bulkInsert(QString table, QStringList columns, QJsonArray rows, int batch,
                                         std::stop_token token)
{
    if (!isValidIdentifier(table))
        throw Error(422, u"invalid_identifier"_s, u"invalid table name '%1': use letters, digits and _"_s.arg(table),
                    QJsonObject{{u"identifier"_s, table}});
    if (columns.isEmpty())
        throw Error(422, u"invalid_identifier"_s, u"no columns given"_s);
    for (const auto &col : std::as_const(columns)) {
        if (!isValidIdentifier(col))
            throw Error(422, u"invalid_identifier"_s,
                        u"invalid column name '%1': use letters, digits and _"_s.arg(col),
                        QJsonObject{{u"identifier"_s, col}});
    }
    const qsizetype width = columns.size();
    const int perBatch = qMax(1, batch);

    // Every row is checked before anything is written, on the database's thread (rows may be many).
    auto check = [rows, width](SqliteDb &) -> qsizetype {
            for (qsizetype i = 0; i < rows.size(); ++i) {
                const auto row = rows.at(i);
                if (!row.isArray() || row.toArray().size() != width)
                    return i;
            }
            return -1;
        };
    const auto invalidRow = co_await run(std::move(check), token);
    if (invalidRow >= 0) {
        const auto row = rows.at(invalidRow);
        const QString got = row.isArray() ? u"%1 values"_s.arg(row.toArray().size()) : u"not an array"_s;
        throw Error(422, u"invalid_row"_s,
                    u"row %1: expected an array of %2 values (one per column), got %3"_s.arg(invalidRow).arg(width).arg(got),
                    QJsonObject{{u"row"_s, qint64(invalidRow)}});
    }

    QStringList quotedColumns;
    for (const auto &col : std::as_const(columns))
        quotedColumns.append(quoted(col));
    const QString sql = u"INSERT INTO %1 (%2) VALUES (%3)"_s.arg(quoted(table), quotedColumns.join(u", "_s),
                                                                 QStringList(width, u"?"_s).join(u", "_s));
    qint64 inserted = 0;
    qsizetype failedRow = -1;
    for (qsizetype start = 0; start < rows.size(); start += perBatch) {
        const qsizetype end = qMin(rows.size(), start + perBatch);
        try {
            auto insertBatch = [&rows, &sql, &failedRow, start, end, width](SqliteDb &db) {
                    SqliteTransaction tx(db, SqliteTransaction::Mode::Immediate);
                    auto stmt = db.prepare(sql);
                    for (qsizetype i = start; i < end; ++i) {
                        const auto values = rows.at(i).toArray();
                        try {
                            for (qsizetype k = 0; k < width; ++k)
                                stmt.bind(int(k + 1), values.at(k));
                            stmt.run();
                        } catch (const SqliteError &e) {
                            failedRow = i;
                            throw SqliteError(e.extendedCode(), u"row %1: %2"_s.arg(i).arg(e.message()), e.sql());
                        }
                        stmt.reset();
                    }
                    tx.commit();
                };
            co_await run(std::move(insertBatch), token);
        } catch (Error &e) {
            // Say how far it got: earlier batches stay committed.
            JobError err = e.error();
            QJsonObject detail = err.detail.toObject();
            detail.insert(u"inserted"_s, inserted);
            if (failedRow >= 0)
                detail.insert(u"row"_s, qint64(failedRow));
            err.detail = detail;
            throw Error(err);
        }
        inserted += end - start;
    }
    co_return qint64(inserted);
}

} // namespace coroute
