// Adversarial inputs for the local jobs: file roots (encoded traversal, NUL bytes, long and deep
// paths, Unicode look-alikes, a symlink swapped in between check and use), URLs (schemes other
// than http/https, credentials never recorded) and SQL (parameters never spliced, identifiers
// validated). A secret file lies outside the root; no answer may ever carry its content.

#include "coroutinetest.h"

#include "jobs/builtins.h"
#include "jobs/fs/fileroots.h"
#include "runtime/callrequest.h"
#include "runtime/error.h"
#include "runtime/runtime.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace coroute;

namespace {

const QByteArray Secret = "TOP-SECRET-CONTENT";

JobOutcome call(Runtime &rt, CallRequest request)
{
    JobOutcome outcome;
    const bool done = test::runCoroutine([&]() -> QCoro::Task<void> { outcome = co_await rt.call(request); }(),
                                         60000);
    if (!done)
        qWarning() << "call did not finish:" << request.displayName();
    return outcome;
}

int statusOf(const JobOutcome &o)
{
    if (o.refused)
        return o.refused->status;
    return o.job && o.job->state != JobState::Succeeded ? o.job->error.status : 200;
}

bool write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class tst_Security : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_root;    // the only root
    QString m_outside; // beside it, holding the secret

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = m_tmp.filePath(u"root"_s);
        m_outside = m_tmp.filePath(u"outside"_s);
        QVERIFY(QDir().mkpath(m_root + u"/dir"_s));
        QVERIFY(QDir().mkpath(m_outside));
        QVERIFY(write(m_outside + u"/secret.txt"_s, Secret));
        QVERIFY(write(m_outside + u"/file.txt"_s, Secret));
        QVERIFY(write(m_root + u"/dir/file.txt"_s, "inside"));
        QVERIFY(write(m_root + u"/%2e%2e%2fsecret.txt"_s, "a literal name, decoded once only"));
    }

    // --- file roots -----------------------------------------------------------------------

    void hostilePaths_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QList<int>>("statuses"); // any of these; never 200 with the secret
        const QList<int> forbidden{403};
        QTest::newRow("plain ..") << u"../outside/secret.txt"_s << forbidden;
        QTest::newRow("encoded ../") << u"%2e%2e%2foutside%2fsecret.txt"_s << forbidden;
        QTest::newRow("encoded upper") << u"%2E%2E/outside/secret.txt"_s << forbidden;
        QTest::newRow("encoded slash only") << u"..%2foutside%2fsecret.txt"_s << forbidden;
        QTest::newRow("dir then up") << u"dir/../../outside/secret.txt"_s << forbidden;
        QTest::newRow("absolute outside") << m_outside + u"/secret.txt"_s << forbidden;
        // Decoded once: the result is a literal (inside) name, not a second traversal.
        QTest::newRow("double encoded") << u"%252e%252e%252foutside%252fsecret.txt"_s << QList<int>{404};
        QTest::newRow("NUL") << u"dir/file.txt\0/../../outside/secret.txt"_s << QList<int>{400};
        QTest::newRow("encoded NUL") << u"dir/file.txt%00../../outside/secret.txt"_s << QList<int>{400};
        QTest::newRow("fullwidth dots") << u"\uFF0E\uFF0E/outside/secret.txt"_s << forbidden;
        QTest::newRow("fullwidth solidus") << u"..\uFF0Foutside\uFF0Fsecret.txt"_s << forbidden;
        QTest::newRow("two dot leader") << u"\u2025/outside/secret.txt"_s << forbidden;
        QTest::newRow("encoded fullwidth") << u"%EF%BC%8E%EF%BC%8E/outside/secret.txt"_s << forbidden;
        QTest::newRow("64 KiB") << u"dir/"_s + QString(64 * 1024, u'a') << QList<int>{400, 404};
        QTest::newRow("64 KiB then up") << QString(64 * 1024, u'a') + u"/../../outside/secret.txt"_s
                                        << QList<int>{400, 403, 404};
        QString deep;
        for (int i = 0; i < 1000; ++i)
            deep += u"d/"_s;
        QTest::newRow("1000 levels") << deep + u"file.txt"_s << QList<int>{400, 404};
        QString up;
        for (int i = 0; i < 1000; ++i)
            up += u"../"_s;
        QTest::newRow("1000 levels up") << up + u"outside/secret.txt"_s << forbidden;
        QTest::newRow("deep down then up") << deep + up + u"outside/secret.txt"_s << QList<int>{400, 403, 404};
    }

    void hostilePaths()
    {
        QFETCH(QString, path);
        QFETCH(QList<int>, statuses);
        // The direct API.
        FileRoots roots({m_root});
        int status = 200;
        try {
            (void)roots.resolveForRead(path);
        } catch (const Error &e) {
            status = e.status();
        }
        QVERIFY2(statuses.contains(status), qPrintable(u"direct: %1"_s.arg(status)));
        // Every reading job through a runtime.
        Runtime rt;
        registerBuiltins(rt, {.roots = {m_root}});
        for (const auto &route : {u"/fs/read"_s, u"/fs/hash"_s, u"/fs/stat"_s, u"/fs/list"_s}) {
            const auto o = call(rt, {u"GET"_s, route, {{u"path"_s, path}}, {}});
            const QByteArray json = QJsonDocument(o.toJson()).toJson();
            QVERIFY2(!json.contains(Secret), qPrintable(route));
            QVERIFY2(statuses.contains(statusOf(o)) || (route == u"/fs/stat"_s && statusOf(o) == 404),
                     qPrintable(u"%1: %2"_s.arg(route).arg(statusOf(o))));
        }
    }

    void symlinkSwappedBetweenCheckAndUse()
    {
        // A thread keeps swapping root/dir for a symlink to the outside folder (which holds a
        // file.txt with the secret) and back, while /fs/read and /fs/hash jobs read dir/file.txt,
        // /fs/list lists dir (and the root, recursively), /fs/stat describes dir/file.txt and
        // /fs/write jobs write into dir.
        Runtime rt;
        registerBuiltins(rt, {.roots = {m_root}});
        const QByteArray dir = QFile::encodeName(m_root + u"/dir"_s);
        const QByteArray real = QFile::encodeName(m_root + u"/dir.real"_s);
        const QByteArray target = QFile::encodeName(m_outside);
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(Secret);
        const QString secretHash = QString::fromLatin1(h.result().toHex());
        std::atomic<bool> stop{false};
        std::atomic<int> swaps{0};
        std::thread swapper([&] {
            while (!stop) {
                // Each state holds a little while, so checks and opens land in both of them.
                if (::rename(dir.constData(), real.constData()) == 0) {
                    (void)::symlink(target.constData(), dir.constData());
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
                    (void)::unlink(dir.constData());
                    (void)::rename(real.constData(), dir.constData());
                }
                ++swaps;
                std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
        });
        int inside = 0;
        int leaks = 0;
        for (int round = 0; round < 80; ++round) {
            QList<JobId> ids;
            for (int i = 0; i < 25; ++i) {
                const QString route = i % 2 ? u"/fs/hash"_s : u"/fs/read"_s;
                ids << rt.submit({u"GET"_s, route, {{u"path"_s, u"dir/file.txt"_s}}, {}}).id;
            }
            for (const auto id : std::as_const(ids)) {
                JobInfo info;
                test::runCoroutine([&]() -> QCoro::Task<void> { info = co_await rt.wait(id); }(), 60000);
                const QByteArray json = QJsonDocument(info.toJson()).toJson();
                if (json.contains(Secret) || json.contains(secretHash.toLatin1()))
                    ++leaks;
                if (info.state == JobState::Succeeded)
                    ++inside;
            }
        }
        // Listings and stats race the same swap: nothing outside the root may be named or
        // measured (secret.txt exists only outside; the outside file.txt has the secret's size,
        // the inside one 6 bytes).
        int listed = 0;
        int stated = 0;
        QStringList metadataLeaks;
        for (int round = 0; round < 80; ++round) {
            QList<JobId> ids;
            for (int i = 0; i < 24; ++i) {
                if (i % 3 == 0)
                    ids << rt.submit({u"GET"_s, u"/fs/list"_s, {{u"path"_s, u"dir"_s}}, {}}).id;
                else if (i % 3 == 1)
                    ids << rt.submit({u"GET"_s, u"/fs/list"_s, {{u"recursive"_s, true}}, {}}).id;
                else
                    ids << rt.submit({u"GET"_s, u"/fs/stat"_s, {{u"path"_s, u"dir/file.txt"_s}}, {}}).id;
            }
            for (const auto id : std::as_const(ids)) {
                JobInfo info;
                test::runCoroutine([&]() -> QCoro::Task<void> { info = co_await rt.wait(id); }(), 60000);
                if (info.state != JobState::Succeeded)
                    continue;
                if (info.route.endsWith(u"/fs/stat"_s)) {
                    ++stated;
                    if (info.result.toJson().toObject().value(u"size"_s).toInteger() == Secret.size())
                        metadataLeaks << QString::fromUtf8(QJsonDocument(info.result.toJson().toObject()).toJson());
                    continue;
                }
                ++listed;
                for (const auto &entry : info.result.toJson().toArray()) {
                    if (entry.toObject().value(u"path"_s).toString() == u"dir/secret.txt"_s)
                        metadataLeaks << QString::fromUtf8(QJsonDocument(entry.toObject()).toJson());
                }
            }
        }
        // Writes race the same swap: none may land outside the root.
        int written = 0;
        for (int round = 0; round < 20; ++round) {
            QList<JobId> ids;
            for (int i = 0; i < 25; ++i) {
                const QJsonObject body{{u"path"_s, u"dir/new%1.txt"_s.arg(i)}, {u"text"_s, u"x"_s}};
                ids << rt.submit({u"POST"_s, u"/fs/write"_s, {}, body}).id;
            }
            for (const auto id : std::as_const(ids)) {
                JobInfo info;
                test::runCoroutine([&]() -> QCoro::Task<void> { info = co_await rt.wait(id); }(), 60000);
                if (info.state == JobState::Succeeded)
                    ++written;
            }
        }
        stop = true;
        swapper.join();
        QVERIFY(swaps > 0);
        QCOMPARE(leaks, 0);
        QVERIFY(inside > 0); // the reads did run, not just fail
        QVERIFY2(metadataLeaks.isEmpty(), qPrintable(metadataLeaks.join(u"\n"_s)));
        QVERIFY(listed > 0);
        QVERIFY(stated > 0);
        QVERIFY(written > 0);
        const auto strays = QDir(m_outside).entryList({u"new*"_s}, QDir::Files);
        QVERIFY2(strays.isEmpty(), qPrintable(strays.join(u", "_s)));
    }

    // --- URLs -----------------------------------------------------------------------------

    void otherSchemesRefused_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("file") << u"file:///etc/passwd"_s;
        QTest::newRow("ftp") << u"ftp://127.0.0.1/x"_s;
        QTest::newRow("gopher") << u"gopher://127.0.0.1:70/1"_s;
        QTest::newRow("data") << u"data:text/plain,hello"_s;
        QTest::newRow("javascript") << u"javascript:alert(1)"_s;
        QTest::newRow("dict") << u"dict://127.0.0.1:2628/d:x"_s;
        QTest::newRow("no scheme") << u"127.0.0.1/x"_s;
        QTest::newRow("upper FILE") << u"FILE:///etc/passwd"_s;
    }
    void otherSchemesRefused()
    {
        QFETCH(QString, url);
        Runtime rt;
        registerBuiltins(rt, {.roots = {m_root}});
        const auto get = call(rt, {u"GET"_s, u"/http/get"_s, {{u"url"_s, url}}, {}});
        QCOMPARE(statusOf(get), 400);
        const QJsonObject body{{u"method"_s, u"POST"_s}, {u"url"_s, url}, {u"body"_s, u"x"_s}};
        const auto post = call(rt, {u"POST"_s, u"/http/request"_s, {}, body});
        QCOMPARE(statusOf(post), 400);
    }

    void credentialsInUrlsNeverRecorded()
    {
        QTemporaryDir dir;
        QString error;
        const QString dbPath = dir.filePath(u"history.sqlite"_s);
        auto store = HistoryStore::open(dbPath, &error);
        QVERIFY2(store, qPrintable(error));
        JobInfo info;
        QList<JobInfo> stored;
        RunId run = 0;
        {
            Runtime rt;
            registerBuiltins(rt, {.roots = {m_root}});
            HistoryRecorder recorder(rt, *store, u"security"_s, u"tst_security"_s);
            run = recorder.runId();
            // Port 1 on loopback refuses the connection: the job fails with the URL in hand.
            const auto byQuery = call(rt, {u"GET"_s, u"/http/get?url=http://user:secret@127.0.0.1:1/"_s, {}, {}});
            const auto byParam = call(rt, {u"GET"_s, u"/http/get"_s,
                                           {{u"url"_s, u"http://user:secret@127.0.0.1:1/x?y=1"_s}}, {}});
            const auto byBody = call(rt, {u"POST"_s, u"/http/request"_s, {},
                                          QJsonObject{{u"url"_s, u"http://user:secret@127.0.0.1:1/"_s},
                                                      {u"method"_s, u"POST"_s}, {u"body"_s, u"x"_s}}});
            for (const auto *o : {&byQuery, &byParam, &byBody}) {
                QVERIFY2(o->job, QJsonDocument(o->toJson()).toJson().constData());
                QVERIFY(o->job->state == JobState::Failed);
                const QByteArray json = QJsonDocument(o->toJson()).toJson();
                QVERIFY2(!json.contains("secret"), json.constData());
                for (const auto &log : rt.jobs().logs(o->job->id))
                    QVERIFY2(!log.message.contains(u"secret"_s), qPrintable(log.message));
            }
            recorder.finish();
        }
        for (const auto &job : store->jobs(run)) {
            QVERIFY2(!QJsonDocument(job.toJson()).toJson().contains("secret"), qPrintable(job.path));
            for (const auto &log : store->logs(run, job.id))
                QVERIFY2(!log.message.contains(u"secret"_s), qPrintable(log.message));
        }
        for (const auto &span : store->spans(run))
            QVERIFY2(!QJsonDocument(span.toJson()).toJson().contains("secret"), qPrintable(span.name));
        QVERIFY(store->jobCount(run) >= 3);
        // The run's command line (what `coroute call` records) is redacted too.
        const RunId cli = store->beginRun(u"call GET /http/get"_s,
                                          u"coroute call GET /http/get?url=http://user:secret@127.0.0.1:1/"_s);
        QVERIFY(cli);
        QVERIFY(!store->run(cli)->command.contains(u"secret"_s));
        store->endRun(cli);
        store->flush();
        store.reset(); // closes: everything is in the main file now, or still in its WAL
        for (const auto &suffix : {u""_s, u"-wal"_s, u"-journal"_s}) {
            QFile f(dbPath + suffix);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            QVERIFY2(!f.readAll().contains("secret"), qPrintable(u"history file"_s + suffix));
        }
    }

    void redactCredentials_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("user:password") << u"http://user:secret@h:1/x"_s << u"http://***@h:1/x"_s;
        QTest::newRow("user only") << u"https://token@h/"_s << u"https://***@h/"_s;
        QTest::newRow("in a sentence") << u"get ftp://a:b@h and http://c:d@i/"_s << u"get ftp://***@h and http://***@i/"_s;
        QTest::newRow("@ in the query") << u"http://h/p?mail=a@b"_s << u"http://h/p?mail=a@b"_s;
        QTest::newRow("@ in a bare query") << u"http://h?mail=a@b"_s << u"http://h?mail=a@b"_s;
        QTest::newRow("no URL") << u"a@b"_s << u"a@b"_s;
    }
    void redactCredentials()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QCOMPARE(coroute::redactCredentials(text), expected);
    }

    // --- SQL ------------------------------------------------------------------------------

    void sqlParametersNeverSpliced()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {m_root}});
        const QString hostile = u"'); DROP TABLE t; --"_s;
        const QString db = u"sql.db"_s;
        QCOMPARE(statusOf(call(rt, {u"POST"_s, u"/db/exec"_s, {},
                                    QJsonObject{{u"db"_s, db}, {u"sql"_s, u"CREATE TABLE t (v TEXT)"_s}}})), 200);
        QCOMPARE(statusOf(call(rt, {u"POST"_s, u"/db/exec"_s, {},
                                    QJsonObject{{u"db"_s, db}, {u"sql"_s, u"INSERT INTO t VALUES (?)"_s},
                                                {u"params"_s, QJsonArray{hostile}}}})), 200);
        QCOMPARE(statusOf(call(rt, {u"POST"_s, u"/db/bulk"_s, {},
                                    QJsonObject{{u"db"_s, db}, {u"table"_s, u"t"_s},
                                                {u"columns"_s, QJsonArray{u"v"_s}},
                                                {u"rows"_s, QJsonArray{QJsonArray{hostile}}}}})), 200);
        const auto q = call(rt, {u"POST"_s, u"/db/query"_s, {},
                                 QJsonObject{{u"db"_s, db}, {u"sql"_s, u"SELECT v FROM t WHERE v = ?"_s},
                                             {u"params"_s, QJsonArray{hostile}}}});
        QCOMPARE(statusOf(q), 200);
        const QByteArray json = QJsonDocument(q.toJson()).toJson();
        QVERIFY2(json.count(QJsonDocument(QJsonArray{hostile}).toJson(QJsonDocument::Compact).mid(2).chopped(2)) >= 2,
                 json.constData());
    }

    void bulkIdentifiersValidated_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("column");
        QTest::newRow("table; DROP") << u"t; DROP TABLE x"_s << u"v"_s;
        QTest::newRow("quoted table") << u"\"t\""_s << u"v"_s;
        QTest::newRow("comment table") << u"t--"_s << u"v"_s;
        QTest::newRow("unicode table") << u"t\u00e9"_s << u"v"_s;
        QTest::newRow("fullwidth table") << u"\uFF54"_s << u"v"_s;
        QTest::newRow("empty table") << QString() << u"v"_s;
        QTest::newRow("column; DROP") << u"t"_s << u"v) VALUES (1); DROP TABLE t; --"_s;
        QTest::newRow("quoted column") << u"t"_s << u"\"v\""_s;
        QTest::newRow("comment column") << u"t"_s << u"v--"_s;
        QTest::newRow("unicode column") << u"t"_s << u"v\u0301"_s;
    }
    void bulkIdentifiersValidated()
    {
        QFETCH(QString, table);
        QFETCH(QString, column);
        Runtime rt;
        registerBuiltins(rt, {.roots = {m_root}});
        const QString db = u"ident.db"_s;
        QCOMPARE(statusOf(call(rt, {u"POST"_s, u"/db/exec"_s, {},
                                    QJsonObject{{u"db"_s, db}, {u"sql"_s, u"CREATE TABLE IF NOT EXISTS t (v TEXT)"_s}}})),
                 200);
        const auto o = call(rt, {u"POST"_s, u"/db/bulk"_s, {},
                                 QJsonObject{{u"db"_s, db}, {u"table"_s, table}, {u"columns"_s, QJsonArray{column}},
                                             {u"rows"_s, QJsonArray{QJsonArray{u"x"_s}}}}});
        QCOMPARE(statusOf(o), 422);
        // The table is still there.
        QCOMPARE(statusOf(call(rt, {u"POST"_s, u"/db/query"_s, {},
                                    QJsonObject{{u"db"_s, db}, {u"sql"_s, u"SELECT count(*) FROM t"_s}}})),
                 200);
    }
};

QTEST_GUILESS_MAIN(tst_Security)
#include "tst_security.moc"
