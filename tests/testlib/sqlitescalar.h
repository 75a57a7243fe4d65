#pragma once
// Test helper: reads one value straight from a SQLite file, past coroute's own code, so a test
// checks what is really on disk. Header-only: the suites that use it already link SQLite.

#include <QString>

#include <sqlite3.h>

namespace coroute::test {

/// The first column of the first row of sql on the file at path (opened read-only), as text;
/// "error: <sqlite's message>" when the file cannot be opened or the statement fails.
inline QString sqliteScalar(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *s = nullptr;
    QString result;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        result = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(s, 0)));
    else
        result = QStringLiteral("error: ") + QString::fromUtf8(sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return result;
}

} // namespace coroute::test
