#pragma once
// A thin RAII layer over the SQLite C API, synchronous: use it on one thread at a time (a
// database's own thread, the history writer). sqlite3.h stays private to Coroute::Core.

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <chrono>
#include <exception>
#include <stop_token>

struct sqlite3;
struct sqlite3_stmt;

namespace coroute {

/// An SQLite failure: SQLite's own message (sqlite3_errmsg) and its result codes.
class SqliteError : public std::exception
{
public:
    SqliteError(int extendedCode, QString message, QString sql = {});

    /// Primary result code (SQLITE_CONSTRAINT = 19, SQLITE_BUSY = 5, ...).
    int code() const noexcept { return m_extendedCode & 0xff; }
    /// Extended result code (SQLITE_CONSTRAINT_UNIQUE = 2067, ...).
    int extendedCode() const noexcept { return m_extendedCode; }
    /// SQLite's message, e.g. `near "SELEC": syntax error`.
    const QString &message() const noexcept { return m_message; }
    /// The statement that failed, when known.
    const QString &sql() const noexcept { return m_sql; }
    /// {"code", "extended_code", "message"}
    QJsonObject toJson() const;
    const char *what() const noexcept override { return m_what.constData(); }

private:
    int m_extendedCode;
    QString m_message;
    QString m_sql;
    QByteArray m_what;
};

/// How SqliteDb opens a file.
struct SqliteOptions
{
    bool readOnly = false;   ///< SQLITE_OPEN_READONLY instead of READWRITE
    bool create = true;      ///< create the file when missing (ignored when readOnly)
    bool wal = true;         ///< journal_mode=WAL, synchronous=NORMAL (not for read-only)
    /// How long a statement waits for another connection's lock before SQLITE_BUSY.
    std::chrono::milliseconds busyTimeout{5000};
};

class SqliteDb;

/// A prepared statement; finalized on destruction. Move-only. Parameter indexes are 1-based
/// (as in SQLite), column indexes 0-based.
class SqliteStatement
{
public:
    SqliteStatement() = default;
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;
    ~SqliteStatement();

    /// True for an empty statement (only whitespace or comments were prepared).
    bool isNull() const { return m_stmt == nullptr; }
    QString sql() const;
    /// Whether the statement does not write (sqlite3_stmt_readonly).
    bool isReadOnly() const;

    int parameterCount() const;
    /// The name of parameter index with its prefix (":a", "@a", "$a"), empty for "?".
    QString parameterName(int index) const;
    /// Index of a named parameter; name may omit the prefix (":", "@", "$" are tried). 0 if none.
    int parameterIndex(const QString &name) const;

    /// Binds null (null/undefined), an integer (bool, integral number), a double, text, or a
    /// blob written as {"$blob": "<base64>"}; other arrays and objects bind as their JSON text.
    void bind(int index, const QJsonValue &value);
    /// Binds null, integers, doubles, text (QString), blobs (QByteArray); others as text.
    void bind(int index, const QVariant &value);
    /// Typed binds for hot loops (no QVariant, no UTF-16 round trip); an index out of range
    /// throws SqliteError(SQLITE_RANGE). bindText copies utf8 (SQLITE_TRANSIENT); a null view is ''.
    void bindInt64(int index, qint64 value);
    void bindDouble(int index, double value);
    void bindText(int index, QByteArrayView utf8);
    /// Binds by name (see parameterIndex); throws SqliteError(SQLITE_RANGE) for an unknown name.
    void bind(const QString &name, const QJsonValue &value);
    void bind(const QString &name, const QVariant &value);
    /// Binds a JSON array to positional parameters or an object to named ones; null or
    /// undefined binds nothing. Every parameter of the statement must be given, and every
    /// given value must be used, else SqliteError(SQLITE_RANGE) with a precise message.
    void bindAll(const QJsonValue &params);
    void clearBindings();

    /// Runs one step: true when a row is available, false when the statement is done.
    /// Throws SqliteError with the connection's message.
    bool step();
    /// Steps until done, discarding rows.
    void run();
    /// Rewinds the statement to run again; bindings are kept.
    void reset();

    int columnCount() const;
    QString columnName(int column) const;
    QStringList columnNames() const;
    /// SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL (1..5).
    int columnType(int column) const;
    /// The value as JSON: integer, double, string, null; a blob as a base64 string.
    QJsonValue column(int column) const;
    /// The value as QVariant: qlonglong, double, QString, QByteArray (blob) or null.
    QVariant columnVariant(int column) const;
    qint64 columnInt64(int column) const;
    double columnDouble(int column) const;
    QString columnText(int column) const;
    /// The column as UTF-8 text without a copy: valid until the next step(), reset() or the
    /// statement's end. For hot loops that only look at the bytes.
    QByteArrayView columnUtf8(int column) const;
    QByteArray columnBlob(int column) const;
    /// The current row as {column name: column(i)}.
    QJsonObject row() const;

    sqlite3_stmt *handle() const { return m_stmt; }

private:
    friend class SqliteDb;
    SqliteStatement(sqlite3 *db, sqlite3_stmt *stmt) : m_db(db), m_stmt(stmt) {}
    [[noreturn]] void fail(int rc) const;
    void check(int rc) const;

    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
};

/// One SQLite connection; closed on destruction. Move-only. Not thread-safe except interrupt().
class SqliteDb
{
public:
    SqliteDb() = default;
    /// Opens path; throws SqliteError.
    explicit SqliteDb(const QString &path, const SqliteOptions &options = {});
    SqliteDb(SqliteDb &&other) noexcept;
    SqliteDb &operator=(SqliteDb &&other) noexcept;
    SqliteDb(const SqliteDb &) = delete;
    SqliteDb &operator=(const SqliteDb &) = delete;
    ~SqliteDb();

    /// Opens path (closing any open connection), applies WAL, synchronous=NORMAL and the busy
    /// timeout. Throws SqliteError.
    void open(const QString &path, const SqliteOptions &options = {});
    /// Closes the connection (statements still alive are finalized when they go).
    void close();
    bool isOpen() const { return m_db != nullptr; }
    QString path() const { return m_path; }

    /// Prepares one statement. Throws SqliteError, also when sql holds more than one statement.
    SqliteStatement prepare(const QString &sql);
    /// Prepares the first statement of utf8 and sets *used to the bytes it took, so a script
    /// can be run statement by statement. The statement is null when only whitespace or
    /// comments were left.
    SqliteStatement prepareNext(QByteArrayView utf8, qsizetype *used);
    /// Runs sql, which may hold several statements, without parameters.
    void exec(const QString &sql);

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    qint64 changes() const;
    qint64 totalChanges() const;
    qint64 lastInsertId() const;
    /// False while a transaction is open.
    bool isAutocommit() const;

    /// Waits up to timeout for other connections' locks (a busy handler that also gives up
    /// when the stop token fires).
    void setBusyTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds busyTimeout() const { return m_busyTimeout; }
    /// While token is set and fires, running statements fail with SQLITE_INTERRUPT (checked
    /// by a progress handler) and busy waits end. Only this connection's running step is hit.
    void setStopToken(std::stop_token token);
    /// sqlite3_interrupt: aborts what runs on the connection now. Safe from any thread while
    /// the connection is open.
    void interrupt();

    /// SQLite's current message and extended code for this connection.
    QString errorMessage() const;
    int extendedErrorCode() const;

    sqlite3 *handle() const { return m_db; }

private:
    [[noreturn]] void fail(int rc, const QString &sql = {}) const;
    static int busyHandler(void *self, int count);
    static int progressHandler(void *self);

    sqlite3 *m_db = nullptr;
    QString m_path;
    std::chrono::milliseconds m_busyTimeout{0};
    std::stop_token m_stop;
};

/// A transaction that rolls back unless committed (KDToolBox's KDSqlDatabaseTransaction).
class SqliteTransaction
{
public:
    enum class Mode { Deferred, Immediate, Exclusive };

    /// Begins the transaction; throws SqliteError (SQLITE_BUSY when another writer holds it).
    explicit SqliteTransaction(SqliteDb &db, Mode mode = Mode::Deferred);
    /// Rolls back unless commit() or rollback() ran. Never throws.
    ~SqliteTransaction();
    SqliteTransaction(const SqliteTransaction &) = delete;
    SqliteTransaction &operator=(const SqliteTransaction &) = delete;

    /// Commits; throws SqliteError, and then the destructor still rolls back.
    void commit();
    void rollback();
    bool isActive() const { return m_active; }

private:
    SqliteDb &m_db;
    bool m_active = true;
};

/// SQLite's name of a result code ("constraint failed", "database is locked").
QString sqliteErrorString(int code);

} // namespace coroute
