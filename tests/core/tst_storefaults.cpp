// The history store under SQLite faults: another connection holding the lock, damaged
// files, paths that cannot be written. It retries without losing batches, refuses damaged
// files at open with a clear message, and reports what it could not write.

#include "sqlitescalar.h"
#include "store/historystore.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <thread>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

JobInfo job(JobId id, JobState state)
{
    JobInfo j;
    j.id = id;
    j.method = u"GET"_s;
    j.path = u"/sys/sleep"_s;
    j.route = u"/sys/sleep"_s;
    j.state = state;
    j.createdMs = 1000 + qint64(id);
    if (state == JobState::Succeeded) {
        j.finishedMs = 2000 + qint64(id);
        j.result = QJsonObject{{u"n"_s, qint64(id)}, {u"pad"_s, QString(200, u'x')}};
    }
    return j;
}

ChangeSet batchOf(JobId first, int count)
{
    ChangeSet c;
    for (int i = 0; i < count; ++i)
        c.jobs << job(first + JobId(i), JobState::Succeeded);
    return c;
}

// Another process's connection, holding SQLite's write lock until released.
class Locker
{
public:
    explicit Locker(const QString &path)
    {
        sqlite3_open(path.toUtf8().constData(), &m_db);
        m_ok = sqlite3_exec(m_db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~Locker() { release(); sqlite3_close(m_db); }
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

QString integrity(const QString &path)
{
    return coroute::test::sqliteScalar(path, "PRAGMA integrity_check");
}

// A valid history with one finished run of n jobs, closed (its WAL checkpointed).
RunId makeHistory(const QString &path, int n)
{
    QString error;
    auto store = HistoryStore::open(path, &error);
    if (!store)
        return 0;
    const auto run = store->beginRun(u"seed"_s, u"test"_s);
    store->record(run, batchOf(1, n));
    store->endRun(run);
    store->flush();
    return run;
}

} // namespace

class tst_StoreFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lockedDatabaseLosesNoBatch()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QString error;
        auto store = HistoryStore::open(path, &error, {.busyTimeout = 50ms});
        QVERIFY2(store, qPrintable(error));
        const auto run = store->beginRun(u"locked"_s, u"test"_s);
        QVERIFY(run > 0);

        Locker locker(path);
        QVERIFY(locker.isLocked());
        for (int b = 0; b < 20; ++b)
            store->record(run, batchOf(JobId(1 + b * 10), 10));
        store->endRun(run);
        // Several busy timeouts pass while the lock is held: nothing is written yet...
        QTest::qWait(400);
        QCOMPARE(store->jobs(run).size(), 0);
        // ...and once it is released, every queued batch is.
        locker.release();
        QCOMPARE(store->flush(), QString());
        const auto jobs = store->jobs(run);
        QCOMPARE(jobs.size(), 200);
        for (const auto &j : jobs)
            QCOMPARE(j.result.toJson().toObject().value(u"n"_s).toInteger(), qint64(j.id));
        QCOMPARE(store->run(run)->state, u"finished"_s);
        store.reset();
        QCOMPARE(integrity(path), u"ok"_s);
    }

    void lockHeldForeverIsReportedNotHung()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QString error;
        auto store = HistoryStore::open(path, &error, {.busyTimeout = 20ms, .giveUpAfter = 300ms});
        QVERIFY2(store, qPrintable(error));
        const auto run = store->beginRun(u"locked"_s, u"test"_s);
        {
            Locker locker(path);
            QVERIFY(locker.isLocked());
            store->record(run, batchOf(1, 5));
            // flush() gives up after giveUpAfter and says why, instead of waiting forever.
            const auto err = store->flush();
            QVERIFY2(err.contains(u"locked"_s), qPrintable(err));
            QVERIFY2(err.contains(path), qPrintable(err));
        }
        // The lock is gone: later batches are written again.
        store->record(run, batchOf(100, 3));
        store->flush();
        QCOMPARE(store->jobs(run).size(), 3);
    }

    void randomBytesAreNotAHistory()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"junk.sqlite"_s);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray junk(64 * 1024, Qt::Uninitialized);
        QRandomGenerator rng(42);
        for (auto &c : junk)
            c = char(rng.bounded(256));
        f.write(junk);
        f.close();
        QString error;
        auto store = HistoryStore::open(path, &error);
        QVERIFY(!store);
        QVERIFY2(error.contains(u"file is not a database"_s), qPrintable(error));
        QVERIFY2(error.contains(path), qPrintable(error));
        // The file is left as it was: nothing overwrote the user's data.
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), junk);
    }

    void overwrittenPageIsRefused()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QVERIFY(makeHistory(path, 400) > 0);
        QFile f(path);
        QVERIFY(f.size() > 8 * 4096);
        QVERIFY(f.open(QIODevice::ReadWrite));
        // Page 5 (1-based), well inside the jobs table's b-tree: random bytes.
        f.seek(4 * 4096);
        QByteArray junk(4096, Qt::Uninitialized);
        QRandomGenerator rng(7);
        for (auto &c : junk)
            c = char(rng.bounded(256));
        f.write(junk);
        f.close();
        QString error;
        auto store = HistoryStore::open(path, &error);
        QVERIFY(!store);
        QVERIFY2(error.contains(u"is damaged"_s) || error.contains(u"malformed"_s), qPrintable(error));
        QVERIFY2(error.contains(path), qPrintable(error));
    }

    void unwritablePlaces_data()
    {
        // Tests run as root, which chmod does not stop; these places refuse even root.
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected");
        QTest::newRow("folder in /proc") << u"/proc/coroute-nowhere/h.sqlite"_s << u"cannot create the folder"_s;
        QTest::newRow("file in /proc") << u"/proc/h.sqlite"_s << u"cannot open history"_s;
        QTest::newRow("folder is a file") << u"%1/file.txt/h.sqlite"_s << u"cannot create the folder"_s;
    }

    void unwritablePlaces()
    {
        QFETCH(QString, path);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QFile file(dir.filePath(u"file.txt"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        if (path.contains(u"%1"_s))
            path = path.arg(dir.path());
        QString error;
        auto store = HistoryStore::open(path, &error);
        QVERIFY(!store);
        QVERIFY2(error.contains(expected), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(tst_StoreFaults)
#include "tst_storefaults.moc"
