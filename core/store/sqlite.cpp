#include "store/sqlite.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSqlite, "coroute.sqlite", QtInfoMsg)

namespace coroute {

// ---- SqliteError ----------------------------------------------------------------------------

SqliteError::SqliteError(int extendedCode, QString message, QString sql)
    : m_extendedCode(extendedCode), m_message(std::move(message)), m_sql(std::move(sql))
{
    m_what = m_message.toUtf8();
}

QJsonObject SqliteError::toJson() const
{
    return {{u"code"_s, code()}, {u"extended_code"_s, m_extendedCode}, {u"message"_s, m_message}};
}

QString sqliteErrorString(int code)
{
    return QString::fromUtf8(sqlite3_errstr(code));
}

// ---- SqliteStatement ------------------------------------------------------------------------

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_stmt(std::exchange(other.m_stmt, nullptr))
{
}

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_db = std::exchange(other.m_db, nullptr);
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_stmt);
}

void SqliteStatement::fail(int rc) const
{
    // The connection's message is the precise one ("UNIQUE constraint failed: t.id"); the
    // extended code from sqlite3_extended_errcode matches it.
    const int ext = m_db ? sqlite3_extended_errcode(m_db) : rc;
    const QString msg = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : sqliteErrorString(rc);
    throw SqliteError((ext & 0xff) == (rc & 0xff) ? ext : rc, msg, sql());
}

void SqliteStatement::check(int rc) const
{
    if (rc != SQLITE_OK)
        fail(rc);
}

QString SqliteStatement::sql() const
{
    return m_stmt ? QString::fromUtf8(sqlite3_sql(m_stmt)) : QString();
}

bool SqliteStatement::isReadOnly() const
{
    return !m_stmt || sqlite3_stmt_readonly(m_stmt) != 0;
}

int SqliteStatement::parameterCount() const
{
    return m_stmt ? sqlite3_bind_parameter_count(m_stmt) : 0;
}

QString SqliteStatement::parameterName(int index) const
{
    return QString::fromUtf8(sqlite3_bind_parameter_name(m_stmt, index));
}

int SqliteStatement::parameterIndex(const QString &name) const
{
    if (!m_stmt || name.isEmpty())
        return 0;
    const QChar first = name.front();
    if (first == u':' || first == u'@' || first == u'$' || first == u'?')
        return sqlite3_bind_parameter_index(m_stmt, name.toUtf8().constData());
    for (const char prefix : {':', '@', '$'}) {
        const QByteArray full = QByteArray(1, prefix) + name.toUtf8();
        if (const int i = sqlite3_bind_parameter_index(m_stmt, full.constData()))
            return i;
    }
    return 0;
}

void SqliteStatement::bind(int index, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        check(sqlite3_bind_null(m_stmt, index));
        return;
    case QJsonValue::Bool:
        check(sqlite3_bind_int64(m_stmt, index, value.toBool() ? 1 : 0));
        return;
    case QJsonValue::Double:
        // QJsonValue keeps integers exactly (qint64) when parsed or built from one.
        bind(index, value.toVariant());
        return;
    case QJsonValue::String:
        bind(index, QVariant(value.toString()));
        return;
    case QJsonValue::Object: {
        const auto o = value.toObject();
        if (o.size() == 1 && o.contains(u"$blob"_s)) {
            const auto data = QByteArray::fromBase64Encoding(o.value(u"$blob"_s).toString().toLatin1(),
                                                             QByteArray::AbortOnBase64DecodingErrors);
            if (!data)
                throw SqliteError(SQLITE_MISMATCH, u"parameter %1: $blob is not valid base64"_s.arg(index), sql());
            bind(index, QVariant(*data));
            return;
        }
        bind(index, QVariant(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact))));
        return;
    }
    case QJsonValue::Array:
        bind(index, QVariant(QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact))));
        return;
    }
}

void SqliteStatement::bind(int index, const QVariant &value)
{
    if (index < 1 || index > parameterCount())
        throw SqliteError(SQLITE_RANGE,
                          u"parameter index %1 out of range: the statement has %2 parameters"_s.arg(index).arg(
                              parameterCount()),
                          sql());
    if (value.isNull()) {
        check(sqlite3_bind_null(m_stmt, index));
        return;
    }
    switch (value.typeId()) {
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
        check(sqlite3_bind_int64(m_stmt, index, value.toLongLong()));
        return;
    case QMetaType::ULong:
    case QMetaType::ULongLong: {
        const auto u = value.toULongLong();
        if (u > quint64(std::numeric_limits<qint64>::max()))
            check(sqlite3_bind_double(m_stmt, index, double(u)));
        else
            check(sqlite3_bind_int64(m_stmt, index, qint64(u)));
        return;
    }
    case QMetaType::Double:
    case QMetaType::Float:
        check(sqlite3_bind_double(m_stmt, index, value.toDouble()));
        return;
    case QMetaType::QByteArray: {
        const QByteArray data = value.toByteArray();
        check(sqlite3_bind_blob64(m_stmt, index, data.constData(), sqlite3_uint64(data.size()), SQLITE_TRANSIENT));
        return;
    }
    default: {
        const QByteArray text = value.toString().toUtf8();
        check(sqlite3_bind_text64(m_stmt, index, text.constData(), sqlite3_uint64(text.size()), SQLITE_TRANSIENT,
                                  SQLITE_UTF8));
        return;
    }
    }
}

void SqliteStatement::bindInt64(int index, qint64 value)
{
    check(sqlite3_bind_int64(m_stmt, index, value));
}

void SqliteStatement::bindDouble(int index, double value)
{
    check(sqlite3_bind_double(m_stmt, index, value));
}

void SqliteStatement::bindText(int index, QByteArrayView utf8)
{
    // A null view is empty text, not NULL (SQLite binds NULL for a null pointer).
    const char *data = utf8.data() ? utf8.data() : "";
    check(sqlite3_bind_text64(m_stmt, index, data, sqlite3_uint64(utf8.size()), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void SqliteStatement::bind(const QString &name, const QJsonValue &value)
{
    const int i = parameterIndex(name);
    if (i == 0)
        throw SqliteError(SQLITE_RANGE, u"the statement has no parameter named %1"_s.arg(name), sql());
    bind(i, value);
}

void SqliteStatement::bind(const QString &name, const QVariant &value)
{
    const int i = parameterIndex(name);
    if (i == 0)
        throw SqliteError(SQLITE_RANGE, u"the statement has no parameter named %1"_s.arg(name), sql());
    bind(i, value);
}

void SqliteStatement::bindAll(const QJsonValue &params)
{
    const int count = parameterCount();
    if (params.isNull() || params.isUndefined()) {
        if (count > 0)
            throw SqliteError(SQLITE_RANGE, u"the statement has %1 parameters but none were given"_s.arg(count), sql());
        return;
    }
    if (params.isArray()) {
        const auto values = params.toArray();
        if (values.size() != count)
            throw SqliteError(SQLITE_RANGE,
                              u"the statement has %1 parameters but %2 values were given"_s.arg(count).arg(values.size()),
                              sql());
        for (int i = 0; i < count; ++i) {
            if (!parameterName(i + 1).isEmpty() && !parameterName(i + 1).startsWith(u'?'))
                throw SqliteError(SQLITE_RANGE,
                                  u"parameter %1 is named; pass an object to bind it"_s.arg(parameterName(i + 1)), sql());
            bind(i + 1, values.at(i));
        }
        return;
    }
    if (params.isObject()) {
        const auto values = params.toObject();
        QList<bool> bound(count, false);
        for (auto it = values.begin(); it != values.end(); ++it) {
            const int i = parameterIndex(it.key());
            if (i == 0)
                throw SqliteError(SQLITE_RANGE, u"the statement has no parameter named %1"_s.arg(it.key()), sql());
            bind(i, it.value());
            bound[i - 1] = true;
        }
        for (int i = 0; i < count; ++i) {
            if (!bound[i]) {
                const QString name = parameterName(i + 1);
                throw SqliteError(SQLITE_RANGE,
                                  name.isEmpty() ? u"positional parameter %1 needs an array of values"_s.arg(i + 1)
                                                 : u"no value for parameter %1"_s.arg(name),
                                  sql());
            }
        }
        return;
    }
    throw SqliteError(SQLITE_MISMATCH, u"params must be an array (positional) or an object (named)"_s, sql());
}

void SqliteStatement::clearBindings()
{
    check(sqlite3_clear_bindings(m_stmt));
}

bool SqliteStatement::step()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(rc);
}

void SqliteStatement::run()
{
    while (step()) {
    }
}

void SqliteStatement::reset()
{
    // sqlite3_reset repeats the last step's error; that error was reported by step() already.
    sqlite3_reset(m_stmt);
}

int SqliteStatement::columnCount() const
{
    return m_stmt ? sqlite3_column_count(m_stmt) : 0;
}

QString SqliteStatement::columnName(int column) const
{
    return QString::fromUtf8(sqlite3_column_name(m_stmt, column));
}

QStringList SqliteStatement::columnNames() const
{
    QStringList names;
    for (int i = 0; i < columnCount(); ++i)
        names.append(columnName(i));
    return names;
}

int SqliteStatement::columnType(int column) const
{
    return sqlite3_column_type(m_stmt, column);
}

QJsonValue SqliteStatement::column(int column) const
{
    switch (sqlite3_column_type(m_stmt, column)) {
    case SQLITE_INTEGER:
        return QJsonValue(qint64(sqlite3_column_int64(m_stmt, column)));
    case SQLITE_FLOAT:
        return QJsonValue(sqlite3_column_double(m_stmt, column));
    case SQLITE_TEXT:
        return QJsonValue(columnText(column));
    case SQLITE_BLOB:
        return QJsonValue(QString::fromLatin1(columnBlob(column).toBase64()));
    default:
        return QJsonValue(QJsonValue::Null);
    }
}

QVariant SqliteStatement::columnVariant(int column) const
{
    switch (sqlite3_column_type(m_stmt, column)) {
    case SQLITE_INTEGER:
        return QVariant(qlonglong(sqlite3_column_int64(m_stmt, column)));
    case SQLITE_FLOAT:
        return QVariant(sqlite3_column_double(m_stmt, column));
    case SQLITE_TEXT:
        return QVariant(columnText(column));
    case SQLITE_BLOB:
        return QVariant(columnBlob(column));
    default:
        return QVariant();
    }
}

qint64 SqliteStatement::columnInt64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double SqliteStatement::columnDouble(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

QString SqliteStatement::columnText(int column) const
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(text, sqlite3_column_bytes(m_stmt, column));
}

QByteArrayView SqliteStatement::columnUtf8(int column) const
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QByteArrayView(text, sqlite3_column_bytes(m_stmt, column));
}

QByteArray SqliteStatement::columnBlob(int column) const
{
    const auto *data = static_cast<const char *>(sqlite3_column_blob(m_stmt, column));
    return QByteArray(data, sqlite3_column_bytes(m_stmt, column));
}

QJsonObject SqliteStatement::row() const
{
    QJsonObject o;
    for (int i = 0; i < columnCount(); ++i)
        o.insert(columnName(i), column(i));
    return o;
}

// ---- SqliteDb -------------------------------------------------------------------------------

SqliteDb::SqliteDb(const QString &path, const SqliteOptions &options)
{
    open(path, options);
}

SqliteDb::SqliteDb(SqliteDb &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
    , m_path(std::move(other.m_path))
    , m_busyTimeout(other.m_busyTimeout)
    , m_stop(std::move(other.m_stop))
{
    // The handlers point at the object: re-register them on the new address.
    if (m_db) {
        setBusyTimeout(m_busyTimeout);
        setStopToken(m_stop);
    }
}

SqliteDb &SqliteDb::operator=(SqliteDb &&other) noexcept
{
    if (this != &other) {
        close();
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
        m_busyTimeout = other.m_busyTimeout;
        m_stop = std::move(other.m_stop);
        if (m_db) {
            setBusyTimeout(m_busyTimeout);
            setStopToken(m_stop);
        }
    }
    return *this;
}

SqliteDb::~SqliteDb()
{
    close();
}

void SqliteDb::fail(int rc, const QString &sql) const
{
    const int ext = m_db ? sqlite3_extended_errcode(m_db) : rc;
    const QString msg = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : sqliteErrorString(rc);
    throw SqliteError((ext & 0xff) == (rc & 0xff) ? ext : rc, msg, sql);
}

void SqliteDb::open(const QString &path, const SqliteOptions &options)
{
    close();
    int flags = options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!options.readOnly && options.create)
        flags |= SQLITE_OPEN_CREATE;
    // FULLMUTEX: interrupt() and finalizing from another thread stay safe.
    flags |= SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE;
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const QString msg = db ? QString::fromUtf8(sqlite3_errmsg(db)) : sqliteErrorString(rc);
        const int ext = db ? sqlite3_extended_errcode(db) : rc;
        sqlite3_close_v2(db);
        throw SqliteError(ext, u"cannot open %1: %2"_s.arg(path, msg));
    }
    m_db = db;
    m_path = path;
    sqlite3_extended_result_codes(m_db, 1);
    try {
        setBusyTimeout(options.busyTimeout);
        if (!options.readOnly && options.wal) {
            exec(u"PRAGMA journal_mode=WAL"_s);
            exec(u"PRAGMA synchronous=NORMAL"_s);
        }
    } catch (...) {
        close();
        throw;
    }
    qCDebug(lcSqlite) << "opened" << path;
}

void SqliteDb::close()
{
    if (!m_db)
        return;
    // close_v2 defers the close until live statements are finalized.
    sqlite3_close_v2(m_db);
    m_db = nullptr;
}

SqliteStatement SqliteDb::prepare(const QString &sql)
{
    const QByteArray utf8 = sql.toUtf8();
    qsizetype used = 0;
    auto stmt = prepareNext(utf8, &used);
    // Anything but whitespace and comments after the first statement is a second statement.
    bool more = false;
    try {
        qsizetype rest = 0;
        more = !prepareNext(QByteArrayView(utf8).sliced(used), &rest).isNull();
    } catch (const SqliteError &) {
        more = true; // a second statement, even if it does not compile on its own
    }
    if (more)
        throw SqliteError(SQLITE_ERROR, u"expected one SQL statement, got several"_s, sql);
    if (stmt.isNull())
        throw SqliteError(SQLITE_MISUSE, u"no SQL statement given"_s, sql);
    return stmt;
}

SqliteStatement SqliteDb::prepareNext(QByteArrayView utf8, qsizetype *used)
{
    const char *begin = utf8.data();
    const char *tail = begin;
    qsizetype offset = 0;
    sqlite3_stmt *stmt = nullptr;
    // Skip empty statements (";;") so a null result means nothing is left.
    while (offset < utf8.size()) {
        const int rc = sqlite3_prepare_v2(m_db, begin + offset, int(utf8.size() - offset), &stmt, &tail);
        if (rc != SQLITE_OK)
            fail(rc, QString::fromUtf8(begin + offset, utf8.size() - offset));
        const qsizetype consumed = tail - (begin + offset);
        offset += consumed;
        if (stmt || consumed == 0)
            break;
    }
    if (used)
        *used = offset;
    return SqliteStatement(m_db, stmt);
}

void SqliteDb::exec(const QString &sql)
{
    const QByteArray utf8 = sql.toUtf8();
    QByteArrayView rest(utf8);
    while (!rest.isEmpty()) {
        qsizetype used = 0;
        auto stmt = prepareNext(rest, &used);
        if (stmt.isNull())
            break;
        stmt.run();
        rest = rest.sliced(used);
    }
}

qint64 SqliteDb::changes() const
{
    return sqlite3_changes64(m_db);
}

qint64 SqliteDb::totalChanges() const
{
    return sqlite3_total_changes64(m_db);
}

qint64 SqliteDb::lastInsertId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

bool SqliteDb::isAutocommit() const
{
    return sqlite3_get_autocommit(m_db) != 0;
}

int SqliteDb::busyHandler(void *self, int count)
{
    // Our own handler instead of sqlite3_busy_timeout so that a stop ends the wait at once.
    auto *db = static_cast<SqliteDb *>(self);
    static constexpr int delaysMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    constexpr int n = int(std::size(delaysMs));
    qint64 waited = 0;
    for (int i = 0; i < count; ++i)
        waited += delaysMs[std::min(i, n - 1)];
    const qint64 limit = db->m_busyTimeout.count();
    if (waited >= limit || db->m_stop.stop_requested())
        return 0;
    qint64 delay = std::min<qint64>(delaysMs[std::min(count, n - 1)], limit - waited);
    // Sleep in short slices so a stop is noticed promptly.
    while (delay > 0) {
        const qint64 slice = std::min<qint64>(delay, 5);
        std::this_thread::sleep_for(std::chrono::milliseconds(slice));
        delay -= slice;
        if (db->m_stop.stop_requested())
            return 0;
    }
    return 1;
}

int SqliteDb::progressHandler(void *self)
{
    return static_cast<SqliteDb *>(self)->m_stop.stop_requested() ? 1 : 0;
}

void SqliteDb::setBusyTimeout(std::chrono::milliseconds timeout)
{
    m_busyTimeout = timeout;
    if (!m_db)
        return;
    if (timeout.count() > 0)
        sqlite3_busy_handler(m_db, &SqliteDb::busyHandler, this);
    else
        sqlite3_busy_handler(m_db, nullptr, nullptr);
}

void SqliteDb::setStopToken(std::stop_token token)
{
    m_stop = std::move(token);
    if (!m_db)
        return;
    // Every 1000 VM instructions: cheap, and prompt for long statements.
    if (m_stop.stop_possible())
        sqlite3_progress_handler(m_db, 1000, &SqliteDb::progressHandler, this);
    else
        sqlite3_progress_handler(m_db, 0, nullptr, nullptr);
}

void SqliteDb::interrupt()
{
    if (m_db)
        sqlite3_interrupt(m_db);
}

QString SqliteDb::errorMessage() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString();
}

int SqliteDb::extendedErrorCode() const
{
    return m_db ? sqlite3_extended_errcode(m_db) : SQLITE_OK;
}

// ---- SqliteTransaction ----------------------------------------------------------------------

SqliteTransaction::SqliteTransaction(SqliteDb &db, Mode mode) : m_db(db)
{
    switch (mode) {
    case Mode::Deferred:
        m_db.exec(u"BEGIN"_s);
        break;
    case Mode::Immediate:
        m_db.exec(u"BEGIN IMMEDIATE"_s);
        break;
    case Mode::Exclusive:
        m_db.exec(u"BEGIN EXCLUSIVE"_s);
        break;
    }
}

SqliteTransaction::~SqliteTransaction()
{
    if (!m_active)
        return;
    try {
        rollback();
    } catch (const SqliteError &e) {
        qCWarning(lcSqlite) << "rollback failed:" << e.message();
    }
}

void SqliteTransaction::commit()
{
    m_db.exec(u"COMMIT"_s);
    m_active = false;
}

void SqliteTransaction::rollback()
{
    m_active = false;
    // Some errors (an interrupt, SQLITE_FULL) roll back on their own: then there is nothing left.
    if (m_db.isOpen() && !m_db.isAutocommit())
        m_db.exec(u"ROLLBACK"_s);
}

} // namespace coroute
