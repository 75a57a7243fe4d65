#include "store/sqlite.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

#include <sqlite3.h>

using namespace coroute;
using namespace Qt::StringLiterals;

class tst_Sqlite : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString file(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void opensInWalMode()
    {
        SqliteDb db(file(u"wal.db"_s));
        QVERIFY(db.isOpen());
        auto mode = db.prepare(u"PRAGMA journal_mode"_s);
        QVERIFY(mode.step());
        QCOMPARE(mode.columnText(0), u"wal"_s);
        auto sync = db.prepare(u"PRAGMA synchronous"_s);
        QVERIFY(sync.step());
        QCOMPARE(sync.columnInt64(0), 1); // NORMAL
    }

    void bindEveryType_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<int>("sqliteType");
        QTest::addColumn<QJsonValue>("readBack");
        QTest::newRow("null") << QJsonValue(QJsonValue::Null) << SQLITE_NULL << QJsonValue(QJsonValue::Null);
        QTest::newRow("integer") << QJsonValue(qint64(9007199254740993)) << SQLITE_INTEGER
                                 << QJsonValue(qint64(9007199254740993));
        QTest::newRow("bool") << QJsonValue(true) << SQLITE_INTEGER << QJsonValue(qint64(1));
        QTest::newRow("double") << QJsonValue(2.5) << SQLITE_FLOAT << QJsonValue(2.5);
        QTest::newRow("text") << QJsonValue(u"héllo ✓"_s) << SQLITE_TEXT << QJsonValue(u"héllo ✓"_s);
        QTest::newRow("blob") << QJsonValue(QJsonObject{{u"$blob"_s, u"AAEC/w=="_s}}) << SQLITE_BLOB
                              << QJsonValue(u"AAEC/w=="_s);
        QTest::newRow("array as json text") << QJsonValue(QJsonArray{1, 2}) << SQLITE_TEXT << QJsonValue(u"[1,2]"_s);
    }

    void bindEveryType()
    {
        QFETCH(QJsonValue, value);
        QFETCH(int, sqliteType);
        QFETCH(QJsonValue, readBack);
        SqliteDb db(file(u"types.db"_s));
        db.exec(u"DROP TABLE IF EXISTS t; CREATE TABLE t (v)"_s);
        auto insert = db.prepare(u"INSERT INTO t (v) VALUES (?)"_s);
        insert.bind(1, value);
        insert.run();
        auto select = db.prepare(u"SELECT v FROM t"_s);
        QVERIFY(select.step());
        QCOMPARE(select.columnType(0), sqliteType);
        QCOMPARE(select.column(0), readBack);
        QVERIFY(!select.step());
    }

    void bindVariants()
    {
        SqliteDb db(file(u"variants.db"_s));
        db.exec(u"DROP TABLE IF EXISTS t; CREATE TABLE t (a, b, c, d, e)"_s);
        auto insert = db.prepare(u"INSERT INTO t VALUES (?, ?, ?, ?, ?)"_s);
        insert.bind(1, QVariant());
        insert.bind(2, QVariant(qlonglong(-7)));
        insert.bind(3, QVariant(0.25));
        insert.bind(4, QVariant(u"text"_s));
        insert.bind(5, QVariant(QByteArray("\x00\x01zz", 4)));
        insert.run();
        auto select = db.prepare(u"SELECT a, b, c, d, e FROM t"_s);
        QVERIFY(select.step());
        QVERIFY(select.columnVariant(0).isNull());
        QCOMPARE(select.columnVariant(1), QVariant(qlonglong(-7)));
        QCOMPARE(select.columnVariant(2), QVariant(0.25));
        QCOMPARE(select.columnVariant(3), QVariant(u"text"_s));
        QCOMPARE(select.columnVariant(4), QVariant(QByteArray("\x00\x01zz", 4)));
        QCOMPARE(select.row().value(u"b"_s), QJsonValue(qint64(-7)));
    }

    // The typed binds and the zero-copy text column of hot loops (coroute bench w4).
    void typedBindsAndUtf8Column()
    {
        SqliteDb db(file(u"typed.db"_s));
        db.exec(u"DROP TABLE IF EXISTS t; CREATE TABLE t (a, b, c)"_s);
        auto insert = db.prepare(u"INSERT INTO t VALUES (?, ?, ?)"_s);
        const char name[] = "n\xc3\xa9-42"; // "né-42" in UTF-8
        insert.bindInt64(1, std::numeric_limits<qint64>::min());
        insert.bindText(2, QByteArrayView(name, qsizetype(sizeof name - 1)));
        insert.bindDouble(3, -0.125);
        insert.run();
        insert.reset();
        insert.bindInt64(1, 1);
        insert.bindText(2, QByteArrayView());
        insert.bindDouble(3, 1e300);
        insert.run();
        auto select = db.prepare(u"SELECT a, b, c, typeof(b) FROM t ORDER BY a"_s);
        QVERIFY(select.step());
        QCOMPARE(select.columnInt64(0), std::numeric_limits<qint64>::min());
        QCOMPARE(select.columnUtf8(1), QByteArrayView("n\xc3\xa9-42"));
        QCOMPARE(select.columnText(1), u"n\u00e9-42"_s);
        QCOMPARE(select.columnDouble(2), -0.125);
        QCOMPARE(select.columnText(3), u"text"_s);
        QVERIFY(select.step());
        QVERIFY(select.columnUtf8(1).isEmpty());
        QCOMPARE(select.columnText(3), u"text"_s); // an empty text, not null
        QCOMPARE(select.columnDouble(2), 1e300);
        QVERIFY(!select.step());

        // An index out of range is SQLITE_RANGE (25), whatever the typed bind.
        insert.reset();
        for (int index : {0, 4}) {
            try {
                insert.bindInt64(index, 1);
                QFAIL("bindInt64 accepted a bad index");
            } catch (const SqliteError &e) {
                QCOMPARE(e.code(), 25);
            }
            QVERIFY_THROWS_EXCEPTION(SqliteError, insert.bindDouble(index, 1.0));
            QVERIFY_THROWS_EXCEPTION(SqliteError, insert.bindText(index, "x"));
        }
    }

    void bindNamedAndPositional_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QJsonValue>("params");
        QTest::newRow("positional") << u"SELECT ? || '-' || ?"_s << QJsonValue(QJsonArray{u"a"_s, u"b"_s});
        QTest::newRow("numbered") << u"SELECT ?1 || '-' || ?2"_s << QJsonValue(QJsonArray{u"a"_s, u"b"_s});
        QTest::newRow("colon") << u"SELECT :x || '-' || :y"_s << QJsonValue(QJsonObject{{u"x"_s, u"a"_s}, {u"y"_s, u"b"_s}});
        QTest::newRow("at") << u"SELECT @x || '-' || @y"_s << QJsonValue(QJsonObject{{u"x"_s, u"a"_s}, {u"y"_s, u"b"_s}});
        QTest::newRow("dollar with prefix") << u"SELECT $x || '-' || $y"_s
                                            << QJsonValue(QJsonObject{{u"$x"_s, u"a"_s}, {u"$y"_s, u"b"_s}});
    }

    void bindNamedAndPositional()
    {
        QFETCH(QString, sql);
        QFETCH(QJsonValue, params);
        SqliteDb db(file(u"params.db"_s));
        auto stmt = db.prepare(sql);
        stmt.bindAll(params);
        QVERIFY(stmt.step());
        QCOMPARE(stmt.columnText(0), u"a-b"_s);
    }

    void bindByName()
    {
        SqliteDb db(file(u"byname.db"_s));
        auto stmt = db.prepare(u"SELECT :a + @b"_s);
        QCOMPARE(stmt.parameterCount(), 2);
        QCOMPARE(stmt.parameterName(1), u":a"_s);
        stmt.bind(u"a"_s, QJsonValue(40));
        stmt.bind(u"@b"_s, QVariant(2));
        QVERIFY(stmt.step());
        QCOMPARE(stmt.columnInt64(0), 42);
        stmt.reset();
        stmt.bind(u"a"_s, QJsonValue(1));
        QVERIFY(stmt.step());
        QCOMPARE(stmt.columnInt64(0), 3); // bindings survive reset
        try {
            stmt.bind(u"nope"_s, QJsonValue(1));
            QFAIL("expected SqliteError");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_RANGE);
            QVERIFY(e.message().contains(u"nope"_s));
        }
    }

    void bindAllChecksCounts_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QJsonValue>("params");
        QTest::newRow("too few") << u"SELECT ?, ?"_s << QJsonValue(QJsonArray{1});
        QTest::newRow("too many") << u"SELECT ?"_s << QJsonValue(QJsonArray{1, 2});
        QTest::newRow("none given") << u"SELECT ?"_s << QJsonValue();
        QTest::newRow("missing name") << u"SELECT :a, :b"_s << QJsonValue(QJsonObject{{u"a"_s, 1}});
        QTest::newRow("unknown name") << u"SELECT :a"_s << QJsonValue(QJsonObject{{u"a"_s, 1}, {u"z"_s, 2}});
        QTest::newRow("scalar") << u"SELECT ?"_s << QJsonValue(5);
    }

    void bindAllChecksCounts()
    {
        QFETCH(QString, sql);
        QFETCH(QJsonValue, params);
        SqliteDb db(file(u"counts.db"_s));
        auto stmt = db.prepare(sql);
        QVERIFY_THROWS_EXCEPTION(SqliteError, stmt.bindAll(params));
    }

    void errorsCarrySqliteMessages()
    {
        SqliteDb db(file(u"errors.db"_s));
        try {
            db.prepare(u"SELEC 1"_s);
            QFAIL("expected SqliteError");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_ERROR);
            QVERIFY2(e.message().contains(u"syntax error"_s), qPrintable(e.message()));
            QCOMPARE(e.toJson().value(u"message"_s).toString(), e.message());
        }
        try {
            db.prepare(u"SELECT * FROM missing_table"_s);
            QFAIL("expected SqliteError");
        } catch (const SqliteError &e) {
            QVERIFY2(e.message().contains(u"no such table: missing_table"_s), qPrintable(e.message()));
        }
        db.exec(u"CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"_s);
        db.exec(u"INSERT INTO u (name) VALUES ('a')"_s);
        try {
            db.exec(u"INSERT INTO u (name) VALUES ('a')"_s);
            QFAIL("expected SqliteError");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_CONSTRAINT);
            QCOMPARE(e.extendedCode(), SQLITE_CONSTRAINT_UNIQUE);
            QVERIFY2(e.message().contains(u"UNIQUE constraint failed: u.name"_s), qPrintable(e.message()));
        }
        QVERIFY_THROWS_EXCEPTION(SqliteError, db.prepare(u"SELECT 1; SELECT 2"_s));
    }

    void scriptsRunStatementByStatement()
    {
        SqliteDb db(file(u"script.db"_s));
        db.exec(u"CREATE TABLE s (x); INSERT INTO s VALUES (1); ;; -- comment\n INSERT INTO s VALUES (2);"_s);
        auto count = db.prepare(u"SELECT count(*), sum(x) FROM s"_s);
        QVERIFY(count.step());
        QCOMPARE(count.columnInt64(0), 2);
        QCOMPARE(count.columnInt64(1), 3);
        QCOMPARE(db.lastInsertId(), 2);
        QCOMPARE(db.changes(), 1);
    }

    void transactionRollsBackUnlessCommitted()
    {
        SqliteDb db(file(u"tx.db"_s));
        db.exec(u"CREATE TABLE t (x)"_s);
        {
            SqliteTransaction tx(db);
            db.exec(u"INSERT INTO t VALUES (1)"_s);
            QVERIFY(!db.isAutocommit());
        } // rolled back
        QVERIFY(db.isAutocommit());
        {
            SqliteTransaction tx(db, SqliteTransaction::Mode::Immediate);
            db.exec(u"INSERT INTO t VALUES (2)"_s);
            tx.commit();
            QVERIFY(!tx.isActive());
        }
        try {
            SqliteTransaction tx(db);
            db.exec(u"INSERT INTO t VALUES (3)"_s);
            throw std::runtime_error("boom");
        } catch (const std::runtime_error &) {
        }
        auto rows = db.prepare(u"SELECT group_concat(x) FROM t"_s);
        QVERIFY(rows.step());
        QCOMPARE(rows.columnText(0), u"2"_s);
    }

    void busyTimeoutGivesSqliteBusy()
    {
        const QString path = file(u"busy.db"_s);
        SqliteDb holder(path);
        holder.exec(u"CREATE TABLE t (x)"_s);
        SqliteOptions options;
        options.busyTimeout = std::chrono::milliseconds(50);
        SqliteDb waiter(path, options);
        SqliteTransaction lock(holder, SqliteTransaction::Mode::Exclusive);
        try {
            waiter.exec(u"INSERT INTO t VALUES (1)"_s);
            QFAIL("expected SQLITE_BUSY");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_BUSY);
            QVERIFY2(e.message().contains(u"locked"_s), qPrintable(e.message()));
        }
    }

    void stopTokenInterruptsAStatement()
    {
        SqliteDb db(file(u"stop.db"_s));
        std::stop_source source;
        db.setStopToken(source.get_token());
        source.request_stop();
        auto stmt = db.prepare(u"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
                               "SELECT count(*) FROM c"_s);
        try {
            stmt.step();
            QFAIL("expected SQLITE_INTERRUPT");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_INTERRUPT);
        }
        stmt = {};
        db.setStopToken({});
        auto again = db.prepare(u"SELECT 7"_s);
        QVERIFY(again.step());
        QCOMPARE(again.columnInt64(0), 7);
    }

    void openFailureSaysWhy()
    {
        SqliteOptions options;
        options.create = false;
        try {
            SqliteDb db(file(u"no/such/folder.db"_s), options);
            QFAIL("expected SqliteError");
        } catch (const SqliteError &e) {
            QCOMPARE(e.code(), SQLITE_CANTOPEN);
            QVERIFY(e.message().contains(u"cannot open"_s));
        }
    }
};

QTEST_GUILESS_MAIN(tst_Sqlite)
#include "tst_sqlite.moc"
