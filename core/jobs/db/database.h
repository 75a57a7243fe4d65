#pragma once

#include "async/pool.h"
#include "runtime/error.h"
#include "store/sqlite.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <qcoro/qcoroasyncgenerator.h>
#include <qcoro/qcorotask.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>

namespace coroute {

/// What an exec did: rows changed (summed over its statements) and the last inserted rowid.
struct ExecResult
{
    qint64 changes = 0;
    qint64 lastInsertId = 0;
    /// {"changes", "last_insert_id"}
    QJsonObject toJson() const;
};

/// How a Database opens its file.
struct DatabaseOptions
{
    std::chrono::milliseconds busyTimeout{5000};
    bool readOnly = false;
};

/// Maps an SQLite failure to a job error: SQLITE_CONSTRAINT 409 "constraint_violation",
/// SQLITE_BUSY/LOCKED 503 "database_busy", SQLITE_READONLY 403 "read_only", a parameter
/// mismatch (SQLITE_RANGE) 422 "invalid_params", I/O, full, corrupt, not-a-database and
/// internal errors 500
/// "sqlite_error", everything else (syntax, no such table, ...) 400 "sqlite_error". The
/// detail is {code, extended_code, message} with SQLite's own message.
Error sqliteJobError(const SqliteError &error);

class Database;

namespace detail {
/// Scope of one operation on a Database's thread: the connection watches the operation's
/// token and a stop interrupts it. Internal to Database::run().
class DatabaseOpScope
{
public:
    DatabaseOpScope(Database &db, std::stop_token token, bool ownsCursor = false);
    ~DatabaseOpScope();
    DatabaseOpScope(const DatabaseOpScope &) = delete;
    DatabaseOpScope &operator=(const DatabaseOpScope &) = delete;

private:
    struct Interrupter
    {
        Database *db;
        bool ownsCursor;
        void operator()() const;
    };
    Database &m_db;
    std::optional<std::stop_callback<Interrupter>> m_onStop;
};
} // namespace detail

/// One SQLite connection living on its own dedicated thread; jobs share it through
/// DatabasePool. Statements run on that thread, one operation at a time in FIFO order, and
/// every await resumes on the awaiting thread. Create with std::make_shared.
///
/// Cancellation: an operation still queued is dropped at once; a running one is interrupted
/// (sqlite3_interrupt, plus a progress handler scoped to the operation) and the await ends
/// with Cancelled once the statement stopped. Failures throw Error (see sqliteJobError).
class Database : public std::enable_shared_from_this<Database>
{
public:
    /// Starts the connection's thread. The file is opened by open() (or the first operation).
    explicit Database(QString path, DatabaseOptions options = {});
    /// Waits for queued operations, then closes the connection.
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    QString path() const { return m_path; }

    /// Opens the file (creating it when missing) with WAL and the busy timeout. Idempotent.
    QCoro::Task<void> open(std::stop_token token = {});

    /// Runs sql with params bound: a JSON array for positional `?`, an object for `:name`,
    /// `@name`, `$name`. Without params sql may hold several statements, run in order.
    QCoro::Task<ExecResult> exec(QString sql, QJsonValue params = {}, std::stop_token token = {});

    /// Runs one SELECT and yields its rows as JSON objects (column name -> value, blobs as
    /// base64) in chunks of up to chunkRows, each read on the database's thread. The cursor
    /// stays open between chunks; dropping the generator finalizes it.
    QCoro::AsyncGenerator<QJsonArray> query(QString sql, QJsonValue params, int chunkRows, std::stop_token token);

    /// Inserts rows (each an array matching columns) into table, batch rows per transaction
    /// through one prepared statement. Identifiers must match ^[A-Za-z_][A-Za-z0-9_]*$
    /// (Error 422 invalid_identifier); rows are all checked first (Error 422 invalid_row with
    /// the row index). Returns the rows inserted. A failure keeps the batches committed before.
    QCoro::Task<qint64> bulkInsert(QString table, QStringList columns, QJsonArray rows, int batch,
                                   std::stop_token token);

    /// The escape hatch: runs fn(SqliteDb &) on the database's thread and returns its result
    /// (prepared statements in a loop, transactions). SqliteError thrown by fn becomes Error.
    template<typename Fn>
    auto run(Fn fn, std::stop_token token = {}) -> QCoro::Task<std::invoke_result_t<Fn &, SqliteDb &>>
    {
        return runOp(std::move(fn), std::move(token), false);
    }

    /// Whether name is a valid SQL identifier for bulkInsert: ^[A-Za-z_][A-Za-z0-9_]*$
    static bool isValidIdentifier(const QString &name);

private:
    friend class detail::DatabaseOpScope;
    struct Cursor;
    struct CursorDeleter
    {
        Database *db;
        void operator()(Cursor *cursor) const;
    };

    template<typename Fn>
    auto runOp(Fn fn, std::stop_token token, bool ownsCursor)
        -> QCoro::Task<std::invoke_result_t<Fn &, SqliteDb &>>
    {
        using R = std::invoke_result_t<Fn &, SqliteDb &>;
        auto self = shared_from_this();
        const std::stop_token stop = token;
        auto work = [this, ownsCursor, fn = std::move(fn)](std::stop_token t) mutable -> R {
            ensureOpenOnThread();
            detail::DatabaseOpScope scope(*this, t, ownsCursor);
            return fn(m_db);
        };
        try {
            if constexpr (std::is_void_v<R>) {
                co_await runInPool(m_thread, std::move(work), std::move(token));
            } else {
                auto result = co_await runInPool(m_thread, std::move(work), std::move(token));
                co_return result;
            }
        } catch (const SqliteError &e) {
            // Interrupted because the job was cancelled: that is a cancellation, not a failure.
            constexpr int sqliteInterrupt = 9; // SQLITE_INTERRUPT, without exposing sqlite3.h
            if (e.code() == sqliteInterrupt && stop.stop_requested())
                throw Cancelled();
            throw sqliteJobError(e);
        }
    }

    /// On the database's thread: opens the connection when it is not open yet.
    void ensureOpenOnThread();

    QString m_path;
    DatabaseOptions m_options;
    SqliteDb m_db;
    /// Query cursors stepped but not finished: while one is open, sqlite3_interrupt would hit
    /// it too (and stay armed), so cancellation then relies on the scoped progress handler.
    std::atomic<int> m_openCursors{0};
    QThreadPool m_thread; // one thread, kept alive: the connection's own thread
};

} // namespace coroute
