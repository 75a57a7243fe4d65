#include "jobs/builtins.h"
#include "jobs/fs/fileroots.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"
#include "eventloopchecker.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QThreadPool>
#include <QTimer>

#include <atomic>

using namespace coroute;
using namespace Qt::StringLiterals;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(f.write(data), data.size());
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QByteArray data(n, Qt::Uninitialized);
    QRandomGenerator gen(seed);
    gen.fillRange(reinterpret_cast<quint32 *>(data.data()), n / 4);
    for (qsizetype i = n / 4 * 4; i < n; ++i)
        data[i] = char(gen.generate());
    return data;
}

CallRequest get(const QString &path, QJsonObject query)
{
    return {u"GET"_s, path, std::move(query), QJsonValue(QJsonValue::Undefined)};
}

CallRequest post(const QString &path, QJsonObject body)
{
    return {u"POST"_s, path, {}, body};
}

// Runs one call to completion on the test's loop.
JobOutcome callNow(Runtime &rt, CallRequest request, SubmitOptions options = {})
{
    JobOutcome outcome;
    const bool done = coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
        outcome = co_await rt.call(std::move(request), std::move(options));
    }(), 60000);
    if (!done)
        qWarning("call did not finish");
    return outcome;
}

// A sandbox: base/root is the root, base/outside holds a secret, with links out of the root.
struct Sandbox
{
    QTemporaryDir base;
    QString root;
    QString outside;

    Sandbox()
    {
        const QString b = QFileInfo(base.path()).canonicalFilePath();
        QDir(b).mkpath(u"root/a/b"_s);
        QDir(b).mkpath(u"outside"_s);
        root = b + u"/root"_s;
        outside = b + u"/outside"_s;
        writeFile(outside + u"/secret.txt"_s, "secret");
        writeFile(root + u"/file.txt"_s, "inside");
        QFile::link(outside, root + u"/out"_s);                       // a symlink leading out
        QFile::link(root + u"/file.txt"_s, root + u"/inlink"_s);      // a symlink staying inside
        QFile::link(outside + u"/new.txt"_s, root + u"/dangling"_s);  // dangling, aimed outside
        // A folder that was checked, then swapped for a link out (the classic race).
        QDir(root).mkpath(u"swapped"_s);
        writeFile(root + u"/swapped/secret.txt"_s, "harmless");
        QDir(root + u"/swapped"_s).removeRecursively();
        QFile::link(outside, root + u"/swapped"_s);
    }
};

} // namespace

class tst_Fs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapesAreRefused_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("readStatus");
        QTest::addColumn<int>("writeStatus");
        const QString nul = u"a"_s + QChar(0) + u"b"_s;
        QTest::newRow("dotdot") << u"../outside/secret.txt"_s << 403 << 403;
        QTest::newRow("dotdot only") << u".."_s << 403 << 403;
        QTest::newRow("a/../../x") << u"a/../../outside/secret.txt"_s << 403 << 403;
        QTest::newRow("deep climb") << u"a/b/../../../outside/secret.txt"_s << 403 << 403;
        QTest::newRow("absolute outside") << u"@OUTSIDE@/secret.txt"_s << 403 << 403;
        QTest::newRow("absolute /etc") << u"/etc/passwd"_s << 403 << 403;
        QTest::newRow("%2e%2e%2f") << u"%2e%2e%2foutside%2fsecret.txt"_s << 403 << 403;
        QTest::newRow("%2e%2e/ upper") << u"%2E%2E/outside/secret.txt"_s << 403 << 403;
        QTest::newRow("%2f absolute") << u"%2fetc%2fpasswd"_s << 403 << 403;
        QTest::newRow("%00") << u"file.txt%00.png"_s << 400 << 400;
        QTest::newRow("raw NUL") << nul << 400 << 400;
        QTest::newRow("fullwidth dots") << u"\uFF0E\uFF0E/outside/secret.txt"_s << 403 << 403;
        QTest::newRow("fullwidth solidus") << u"\uFF0E\uFF0E\uFF0Foutside\uFF0Fsecret.txt"_s << 403 << 403;
        QTest::newRow("symlink out") << u"out/secret.txt"_s << 403 << 403;
        QTest::newRow("symlink out itself") << u"out"_s << 403 << 403;
        QTest::newRow("swapped dir") << u"swapped/secret.txt"_s << 403 << 403;
        QTest::newRow("dangling link out") << u"dangling"_s << 404 << 403;
    }

    void escapesAreRefused()
    {
        QFETCH(QString, path);
        QFETCH(int, readStatus);
        QFETCH(int, writeStatus);
        Sandbox box;
        path.replace(u"@OUTSIDE@"_s, box.outside);
        const FileRoots roots({box.root});

        // The direct API.
        const auto expectError = [&](auto &&fn, int status) {
            try {
                fn();
                QFAIL("no error thrown");
            } catch (const Error &e) {
                QCOMPARE(e.status(), status);
                if (status == 403) {
                    QCOMPARE(e.error().type, u"forbidden_path"_s);
                    QVERIFY2(e.error().message.contains(u"escapes root "_s + box.root), qPrintable(e.error().message));
                }
                if (status == 400)
                    QCOMPARE(e.error().type, u"invalid_path"_s);
            }
        };
        expectError([&] { roots.resolveForRead(path); }, readStatus);
        expectError([&] { roots.resolveForWrite(path); }, writeStatus);

        // Through the runtime.
        Runtime rt;
        registerBuiltins(rt, {.roots = {box.root}});
        const auto checkJob = [&](const JobOutcome &o, int status) {
            QVERIFY(o.job.has_value());
            QCOMPARE(o.job->state, JobState::Failed);
            QCOMPARE(o.job->error.status, status);
            if (status == 403)
                QVERIFY2(o.job->error.message.contains(box.root), qPrintable(o.job->error.message));
        };
        checkJob(callNow(rt, get(u"/fs/read"_s, {{u"path"_s, path}})), readStatus);
        checkJob(callNow(rt, get(u"/fs/hash"_s, {{u"path"_s, path}})), readStatus);
        checkJob(callNow(rt, get(u"/fs/stat"_s, {{u"path"_s, path}})), readStatus);
        checkJob(callNow(rt, post(u"/fs/write"_s, {{u"path"_s, path}, {u"text"_s, u"pwned"_s}})), writeStatus);
        checkJob(callNow(rt, post(u"/fs/copy"_s, {{u"from"_s, u"file.txt"_s}, {u"to"_s, path}})), writeStatus);

        // Nothing outside was touched.
        QCOMPARE(readFile(box.outside + u"/secret.txt"_s), QByteArray("secret"));
        QVERIFY(!QFileInfo::exists(box.outside + u"/new.txt"_s));
        QCOMPARE(QDir(box.outside).entryList(QDir::Files | QDir::Hidden), QStringList{u"secret.txt"_s});
    }

    void allowedPaths_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected"); // relative to the root
        QTest::newRow("plain") << u"file.txt"_s << u"file.txt"_s;
        QTest::newRow("dot segments") << u"./a/../file.txt"_s << u"file.txt"_s;
        QTest::newRow("absolute inside") << u"@ROOT@/file.txt"_s << u"file.txt"_s;
        QTest::newRow("encoded slash inside") << u"a%2f..%2ffile.txt"_s << u"file.txt"_s;
        QTest::newRow("symlink inside") << u"inlink"_s << u"file.txt"_s;
        QTest::newRow("fullwidth letters") << u"\uFF46ile.txt"_s << u"file.txt"_s;
    }

    void allowedPaths()
    {
        QFETCH(QString, path);
        QFETCH(QString, expected);
        Sandbox box;
        path.replace(u"@ROOT@"_s, box.root);
        const FileRoots roots({box.root});
        QCOMPARE(roots.resolveForRead(path), box.root + u'/' + expected);
        QCOMPARE(roots.resolveForWrite(path), box.root + u'/' + expected);

        // Decoded once only: "%252e%252e" is the literal name "%2e%2e", which does not exist.
        try {
            roots.resolveForRead(u"%252e%252e/outside/secret.txt"_s);
            QFAIL("no error");
        } catch (const Error &e) {
            QCOMPARE(e.status(), 404);
            QCOMPARE(e.error().type, u"not_found"_s);
        }
    }

    void severalRoots()
    {
        QTemporaryDir a, b;
        writeFile(b.path() + u"/only-b.txt"_s, "b");
        writeFile(a.path() + u"/both.txt"_s, "a");
        writeFile(b.path() + u"/both.txt"_s, "b");
        const FileRoots roots({a.path(), b.path(), a.path() + u"/missing"_s});
        const QString ca = QFileInfo(a.path()).canonicalFilePath();
        const QString cb = QFileInfo(b.path()).canonicalFilePath();
        QCOMPARE(roots.roots(), (QStringList{ca, cb}));
        QCOMPARE(roots.resolveForRead(u"only-b.txt"_s), cb + u"/only-b.txt"_s);
        QCOMPARE(roots.resolveForRead(u"both.txt"_s), ca + u"/both.txt"_s);
        QCOMPARE(roots.resolveForWrite(u"new.txt"_s), ca + u"/new.txt"_s);
        QCOMPARE(roots.resolveForWrite(u"only-b.txt"_s), cb + u"/only-b.txt"_s);
        QCOMPARE(roots.resolveForRead(cb + u"/both.txt"_s), cb + u"/both.txt"_s);
        try {
            roots.resolveForRead(u"nope.txt"_s);
            QFAIL("no error");
        } catch (const Error &e) {
            QCOMPARE(e.status(), 404);
        }
    }

    void read()
    {
        Sandbox box;
        Runtime rt;
        registerBuiltins(rt, {.roots = {box.root}});
        const QByteArray utf8 = u"h\u00e9llo \u2603\n"_s.toUtf8();
        writeFile(box.root + u"/text.txt"_s, utf8);
        QByteArray binary("\x00\x01\xff\xfe text", 10);
        writeFile(box.root + u"/a/bin.dat"_s, binary);

        auto o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"text.txt"_s}}));
        QVERIFY(o.succeeded());
        auto r = o.job->result.toJson().toObject();
        QCOMPARE(r.value(u"path"_s).toString(), u"text.txt"_s);
        QCOMPARE(r.value(u"bytes"_s).toInteger(), utf8.size());
        QCOMPARE(r.value(u"text"_s).toString(), QString::fromUtf8(utf8));
        QVERIFY(!r.contains(u"base64"_s));

        o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"a/bin.dat"_s}}));
        QVERIFY(o.succeeded());
        r = o.job->result.toJson().toObject();
        QCOMPARE(r.value(u"path"_s).toString(), u"a/bin.dat"_s);
        QCOMPARE(r.value(u"bytes"_s).toInteger(), binary.size());
        QCOMPARE(QByteArray::fromBase64(r.value(u"base64"_s).toString().toLatin1()), binary);
        QVERIFY(!r.contains(u"text"_s));

        // A multi-chunk file arrives whole.
        const QByteArray big = randomBytes(3 * 1024 * 1024 + 17, 7);
        writeFile(box.root + u"/big.bin"_s, big);
        o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"big.bin"_s}}));
        QVERIFY(o.succeeded());
        QCOMPARE(QByteArray::fromBase64(o.job->result.toJson().toObject().value(u"base64"_s).toString().toLatin1()), big);

        o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"text.txt"_s}, {u"max_bytes"_s, 4}}));
        QVERIFY(o.job.has_value());
        QCOMPARE(o.job->error.status, 413);
        QCOMPARE(o.job->error.type, u"too_large"_s);

        o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"missing.txt"_s}}));
        QCOMPARE(o.job->error.status, 404);
        QCOMPARE(o.job->error.type, u"not_found"_s);

        o = callNow(rt, get(u"/fs/read"_s, {{u"path"_s, u"a"_s}}));
        QCOMPARE(o.job->error.status, 400);
    }

    void hash_data()
    {
        QTest::addColumn<QString>("algo");
        QTest::addColumn<qsizetype>("size");
        const QList<std::pair<QString, QCryptographicHash::Algorithm>> algos{
            {u"sha256"_s, QCryptographicHash::Sha256}, {u"sha1"_s, QCryptographicHash::Sha1},
            {u"md5"_s, QCryptographicHash::Md5}};
        for (const auto &[name, alg] : algos) {
            QTest::addRow("%s empty", qPrintable(name)) << name << qsizetype(0);
            QTest::addRow("%s small", qPrintable(name)) << name << qsizetype(1000);
            QTest::addRow("%s multi-chunk", qPrintable(name)) << name << qsizetype(3 * 1024 * 1024 + 5);
        }
    }

    void hash()
    {
        QFETCH(QString, algo);
        QFETCH(qsizetype, size);
        QTemporaryDir tmp;
        const QByteArray data = randomBytes(size, 42);
        writeFile(tmp.path() + u"/data.bin"_s, data);
        const auto alg = algo == u"sha256"_s ? QCryptographicHash::Sha256
                         : algo == u"sha1"_s ? QCryptographicHash::Sha1
                                             : QCryptographicHash::Md5;
        const QString expected = QString::fromLatin1(QCryptographicHash::hash(data, alg).toHex());

        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        const auto o = callNow(rt, get(u"/fs/hash"_s, {{u"path"_s, u"data.bin"_s}, {u"algo"_s, algo}}));
        QVERIFY(o.succeeded());
        const auto r = o.job->result.toJson().toObject();
        QCOMPARE(r.value(u"hex"_s).toString(), expected);
        QCOMPARE(r.value(u"algo"_s).toString(), algo);
        QCOMPARE(r.value(u"bytes"_s).toInteger(), size);
        QCOMPARE(r.value(u"path"_s).toString(), u"data.bin"_s);
        if (size > 0)
            QCOMPARE(o.job->progress, 1.0);
    }

    void hashDefaultsAndRefusals()
    {
        QTemporaryDir tmp;
        writeFile(tmp.path() + u"/x"_s, "abc");
        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        auto o = callNow(rt, get(u"/fs/hash"_s, {{u"path"_s, u"x"_s}}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"algo"_s).toString(), u"sha256"_s);
        QCOMPARE(o.job->result.toJson().toObject().value(u"hex"_s).toString(),
                 u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_s);
        o = callNow(rt, get(u"/fs/hash"_s, {{u"path"_s, u"x"_s}, {u"algo"_s, u"crc32"_s}}));
        QVERIFY(o.refused.has_value());
        QCOMPARE(o.refused->status, 422);
        o = callNow(rt, get(u"/fs/hash"_s, {}));
        QVERIFY(o.refused.has_value());
        QCOMPARE(o.refused->status, 422);
    }

    void hashKeepsTheLoopTurning()
    {
        QTemporaryDir tmp;
        const QByteArray data = randomBytes(64 * 1024 * 1024, 3);
        writeFile(tmp.path() + u"/big.bin"_s, data);
        const QString expected =
            QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        coroute::test::EventLoopChecker checker(1);
        JobOutcome o;
        // Built outside the coroutine: GCC 12 rejects braced temporaries inside co_await.
        const auto request = get(u"/fs/hash"_s, {{u"path"_s, u"big.bin"_s}});
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> { o = co_await rt.call(request); }(), 60000);
        const int ticks = checker.ticks();
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"hex"_s).toString(), expected);
        // A blocked loop would fire the timer at most once, after the hash.
        QVERIFY2(ticks >= 3, qPrintable(QString::number(ticks)));
    }

    void cancelledBeforeItRuns()
    {
        QTemporaryDir tmp;
        writeFile(tmp.path() + u"/x"_s, randomBytes(1024 * 1024, 1));
        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        // Hold the only pool thread, so the hash is still queued when the cancel arrives (a
        // finished hash keeps its result: without this the test would race the pool).
        rt.pool().setMaxThreadCount(1);
        std::atomic<bool> holding{false};
        std::atomic<bool> release{false};
        rt.pool().start([&] {
            holding = true;
            for (int i = 0; i < 30000 && !release; ++i)
                QThread::msleep(1);
        });
        QTRY_VERIFY_WITH_TIMEOUT(holding.load(), 10000);
        const auto sub = rt.submit(get(u"/fs/hash"_s, {{u"path"_s, u"x"_s}}));
        QVERIFY(sub.accepted());
        rt.cancel(sub.id);
        QTRY_VERIFY_WITH_TIMEOUT(isTerminal(rt.jobs().job(sub.id)->state), 10000);
        release = true;
        QCOMPARE(rt.jobs().job(sub.id)->state, JobState::Cancelled);
    }

    void write()
    {
        QTemporaryDir tmp;
        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        const QString file = tmp.path() + u"/out.txt"_s;

        auto o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"out.txt"_s}, {u"text"_s, u"h\u00e9"_s}}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"path"_s).toString(), u"out.txt"_s);
        QCOMPARE(o.job->result.toJson().toObject().value(u"bytes"_s).toInteger(), 3);
        QCOMPARE(readFile(file), u"h\u00e9"_s.toUtf8());

        const QByteArray bin("\x00\x01\x02", 3);
        o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"out.txt"_s},
                                              {u"base64"_s, QString::fromLatin1(bin.toBase64())}}));
        QVERIFY(o.succeeded());
        QCOMPARE(readFile(file), bin);

        o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"out.txt"_s}, {u"text"_s, u"+more"_s}, {u"append"_s, true}}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"bytes"_s).toInteger(), 8);
        QCOMPARE(readFile(file), bin + "+more");

        // Appending to a file that does not exist yet creates it.
        o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"fresh.txt"_s}, {u"text"_s, u"x"_s}, {u"append"_s, true}}));
        QVERIFY(o.succeeded());
        QCOMPARE(readFile(tmp.path() + u"/fresh.txt"_s), QByteArray("x"));

        // Exactly one of text and base64; valid base64.
        const QList<QJsonObject> bad{
            {{u"path"_s, u"out.txt"_s}},
            {{u"path"_s, u"out.txt"_s}, {u"text"_s, u"a"_s}, {u"base64"_s, u"YQ=="_s}},
            {{u"path"_s, u"out.txt"_s}, {u"base64"_s, u"not base64!"_s}},
        };
        for (const auto &body : bad) {
            o = callNow(rt, post(u"/fs/write"_s, body));
            QVERIFY(o.job.has_value());
            QCOMPARE(o.job->error.status, 422);
            QCOMPARE(o.job->error.type, u"invalid_body"_s);
        }
        QCOMPARE(readFile(file), bin + "+more");

        o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"no/such/dir.txt"_s}, {u"text"_s, u"a"_s}}));
        QCOMPARE(o.job->error.status, 404);
        QDir(tmp.path()).mkdir(u"folder"_s);
        o = callNow(rt, post(u"/fs/write"_s, {{u"path"_s, u"folder"_s}, {u"text"_s, u"a"_s}}));
        QCOMPARE(o.job->error.status, 400);
        QCOMPARE(QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden), (QStringList{u"fresh.txt"_s, u"out.txt"_s}));
    }

    void cancelledWriteLeavesOldFile()
    {
        QTemporaryDir tmp;
        Runtime rt;
        registerBuiltins(rt, {.roots = {tmp.path()}});
        const QString file = tmp.path() + u"/target.txt"_s;
        const QByteArray big = randomBytes(48 * 1024 * 1024, 9);
        const QJsonObject body{{u"path"_s, u"target.txt"_s}, {u"base64"_s, QString::fromLatin1(big.toBase64())}};

        // Cancel as soon as the first chunk is written; a run the cancel came too late for
        // must at least have written everything. Retried so one run is cancelled mid-way.
        bool cancelledMidway = false;
        for (int attempt = 0; attempt < 6 && !cancelledMidway; ++attempt) {
            writeFile(file, "old content");
            const auto sub = rt.submit(post(u"/fs/write"_s, body));
            QVERIFY(sub.accepted());
            double progressAtCancel = -1;
            QTimer poll;
            poll.setInterval(0);
            connect(&poll, &QTimer::timeout, this, [&] {
                const auto job = rt.jobs().job(sub.id);
                if (job->progress > 0 || isTerminal(job->state)) {
                    progressAtCancel = job->progress;
                    rt.cancel(sub.id);
                    poll.stop();
                }
            });
            poll.start();
            QTRY_VERIFY_WITH_TIMEOUT(isTerminal(rt.jobs().job(sub.id)->state), 60000);
            const auto job = *rt.jobs().job(sub.id);
            if (job.state == JobState::Cancelled) {
                QCOMPARE(readFile(file), QByteArray("old content"));
                cancelledMidway = progressAtCancel > 0 && progressAtCancel < 1;
            } else {
                QCOMPARE(job.state, JobState::Succeeded);
                QCOMPARE(readFile(file), big);
            }
            // No temporary file is left behind either way.
            QCOMPARE(QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden), QStringList{u"target.txt"_s});
        }
        QVERIFY(cancelledMidway);
    }

    void copy()
    {
        Sandbox box;
        Runtime rt;
        registerBuiltins(rt, {.roots = {box.root}});
        const QByteArray data = randomBytes(5 * 1024 * 1024 + 3, 11);
        writeFile(box.root + u"/src.bin"_s, data);
        writeFile(box.root + u"/a/dst.bin"_s, "old");
        auto o = callNow(rt, post(u"/fs/copy"_s, {{u"from"_s, u"src.bin"_s}, {u"to"_s, u"a/dst.bin"_s}}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"bytes"_s).toInteger(), data.size());
        QCOMPARE(o.job->progress, 1.0);
        QCOMPARE(readFile(box.root + u"/a/dst.bin"_s), data);

        o = callNow(rt, post(u"/fs/copy"_s, {{u"from"_s, u"missing"_s}, {u"to"_s, u"a/x"_s}}));
        QCOMPARE(o.job->error.status, 404);
        o = callNow(rt, post(u"/fs/copy"_s, {{u"from"_s, u"out/secret.txt"_s}, {u"to"_s, u"a/x"_s}}));
        QCOMPARE(o.job->error.status, 403);
        QVERIFY(!QFileInfo::exists(box.root + u"/a/x"_s));

        // Cancelled while its work waits for a pool thread: the destination keeps its old
        // content. The only pool thread is held until the cancel was made.
        writeFile(box.root + u"/a/dst.bin"_s, "old");
        rt.pool().setMaxThreadCount(1);
        std::atomic<bool> release{false};
        std::atomic<bool> holding{false};
        rt.pool().start([&] {
            holding = true;
            QDeadlineTimer deadline(30000);
            while (!release && !deadline.hasExpired())
                QThread::msleep(1);
        });
        QTRY_VERIFY_WITH_TIMEOUT(holding.load(), 10000);
        const auto sub = rt.submit(post(u"/fs/copy"_s, {{u"from"_s, u"src.bin"_s}, {u"to"_s, u"a/dst.bin"_s}}));
        rt.cancel(sub.id);
        release = true;
        QTRY_VERIFY_WITH_TIMEOUT(isTerminal(rt.jobs().job(sub.id)->state), 10000);
        QCOMPARE(rt.jobs().job(sub.id)->state, JobState::Cancelled);
        QCOMPARE(readFile(box.root + u"/a/dst.bin"_s), QByteArray("old"));
        QCOMPARE(QDir(box.root + u"/a"_s).entryList(QDir::Files | QDir::Hidden), QStringList{u"dst.bin"_s});
        rt.pool().waitForDone(30000);
    }

    void list()
    {
        Sandbox box;
        Runtime rt;
        registerBuiltins(rt, {.roots = {box.root}});
        writeFile(box.root + u"/a/b/deep.txt"_s, "12345");
        QFile::link(box.root + u"/a"_s, box.root + u"/alink"_s);

        const auto run = [&](QJsonObject query, QJsonArray &streamed) {
            SubmitOptions options;
            options.onItem = [&streamed](const QJsonValue &v) { streamed.append(v); };
            return callNow(rt, get(u"/fs/list"_s, std::move(query)), std::move(options));
        };
        QJsonArray streamed;
        auto o = run({}, streamed);
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toArray(), streamed);
        QHash<QString, QJsonObject> byPath;
        for (const auto &v : std::as_const(streamed))
            byPath.insert(v.toObject().value(u"path"_s).toString(), v.toObject());
        QCOMPARE(QSet<QString>(byPath.keyBegin(), byPath.keyEnd()),
                 (QSet<QString>{u"a"_s, u"file.txt"_s, u"out"_s, u"inlink"_s, u"dangling"_s, u"swapped"_s, u"alink"_s}));
        QCOMPARE(byPath[u"a"_s].value(u"type"_s).toString(), u"dir"_s);
        QCOMPARE(byPath[u"file.txt"_s].value(u"type"_s).toString(), u"file"_s);
        QCOMPARE(byPath[u"file.txt"_s].value(u"size"_s).toInteger(), 6);
        QCOMPARE(byPath[u"out"_s].value(u"type"_s).toString(), u"symlink"_s);
        QCOMPARE(byPath[u"dangling"_s].value(u"type"_s).toString(), u"symlink"_s);
        const auto modified = QDateTime::fromString(byPath[u"file.txt"_s].value(u"modified"_s).toString(), Qt::ISODateWithMs);
        QVERIFY(modified.isValid());
        QCOMPARE(modified.timeSpec(), Qt::UTC);

        // Recursive: descends into folders, never through links (neither out nor back in).
        streamed = {};
        o = run({{u"recursive"_s, true}}, streamed);
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toArray(), streamed);
        QSet<QString> paths;
        for (const auto &v : std::as_const(streamed))
            paths.insert(v.toObject().value(u"path"_s).toString());
        QCOMPARE(paths, (QSet<QString>{u"a"_s, u"a/b"_s, u"a/b/deep.txt"_s, u"file.txt"_s, u"out"_s, u"inlink"_s,
                                       u"dangling"_s, u"swapped"_s, u"alink"_s}));

        // A sub-folder: paths stay relative to the root.
        streamed = {};
        o = run({{u"path"_s, u"a/b"_s}}, streamed);
        QVERIFY(o.succeeded());
        QCOMPARE(streamed.size(), 1);
        QCOMPARE(streamed[0].toObject().value(u"path"_s).toString(), u"a/b/deep.txt"_s);

        // Many entries come in several batches, in order.
        QDir(box.root).mkdir(u"many"_s);
        for (int i = 0; i < 600; ++i)
            writeFile(box.root + u"/many/f%1"_s.arg(i), QByteArray::number(i));
        streamed = {};
        o = run({{u"path"_s, u"many"_s}}, streamed);
        QVERIFY(o.succeeded());
        QCOMPARE(streamed.size(), 600);
        QCOMPARE(o.job->result.toJson().toArray(), streamed);

        o = run({{u"path"_s, u"out"_s}}, streamed);
        QCOMPARE(o.job->error.status, 403);
        o = run({{u"path"_s, u"file.txt"_s}}, streamed);
        QCOMPARE(o.job->error.status, 400);
        o = run({{u"path"_s, u"nope"_s}}, streamed);
        QCOMPARE(o.job->error.status, 404);
    }

    void stat()
    {
        Sandbox box;
        Runtime rt;
        registerBuiltins(rt, {.roots = {box.root}});
        QFile::setPermissions(box.root + u"/file.txt"_s,
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
        auto o = callNow(rt, get(u"/fs/stat"_s, {{u"path"_s, u"file.txt"_s}}));
        QVERIFY(o.succeeded());
        auto r = o.job->result.toJson().toObject();
        QCOMPARE(r.value(u"path"_s).toString(), u"file.txt"_s);
        QCOMPARE(r.value(u"type"_s).toString(), u"file"_s);
        QCOMPARE(r.value(u"size"_s).toInteger(), 6);
        QCOMPARE(r.value(u"permissions"_s).toString(), u"0644"_s);
        QCOMPARE(r.value(u"readable"_s).toBool(), true);
        QCOMPARE(r.value(u"writable"_s).toBool(), true);
        QVERIFY(QDateTime::fromString(r.value(u"modified"_s).toString(), Qt::ISODateWithMs).isValid());
        if (r.contains(u"created"_s))
            QVERIFY(QDateTime::fromString(r.value(u"created"_s).toString(), Qt::ISODateWithMs).isValid());

        o = callNow(rt, get(u"/fs/stat"_s, {{u"path"_s, u"a"_s}}));
        QCOMPARE(o.job->result.toJson().toObject().value(u"type"_s).toString(), u"dir"_s);
        o = callNow(rt, get(u"/fs/stat"_s, {{u"path"_s, u"inlink"_s}}));
        QCOMPARE(o.job->result.toJson().toObject().value(u"type"_s).toString(), u"symlink"_s);
        QCOMPARE(o.job->result.toJson().toObject().value(u"target"_s).toString(), u"file.txt"_s);
        o = callNow(rt, get(u"/fs/stat"_s, {{u"path"_s, u""_s}}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toObject().value(u"type"_s).toString(), u"dir"_s);
    }

    void filesFromOtherHandlers()
    {
        QTemporaryDir tmp;
        Runtime rt;
        rt.router().get(u"/mine"_s, [](Context &ctx) -> QCoro::Task<QString> {
            co_return ctx.files().resolveForWrite(u"note.txt"_s);
        });
        // Without the service: a precise 500.
        auto o = callNow(rt, get(u"/mine"_s, {}));
        QCOMPARE(o.job->error.status, 500);
        QCOMPARE(o.job->error.type, u"no_service"_s);
        registerBuiltins(rt, {.roots = {tmp.path()}});
        o = callNow(rt, get(u"/mine"_s, {}));
        QVERIFY(o.succeeded());
        QCOMPARE(o.job->result.toJson().toString(), QFileInfo(tmp.path()).canonicalFilePath() + u"/note.txt"_s);
    }

    void routesAreDocumented()
    {
        Runtime rt;
        registerBuiltins(rt, {.roots = {QDir::tempPath()}});
        int count = 0;
        for (const auto &route : rt.router().routes()) {
            if (!route->pathTemplate.startsWith(u"/fs/"_s))
                continue;
            ++count;
            QVERIFY2(!route->summary.isEmpty(), qPrintable(route->displayName()));
            QVERIFY2(!route->description.isEmpty(), qPrintable(route->displayName()));
            for (const auto &p : route->queryParams + route->bodyFields)
                QVERIFY2(!p.description.isEmpty(), qPrintable(route->displayName() + u' ' + p.name));
        }
        QCOMPARE(count, 6);
    }
};

QTEST_GUILESS_MAIN(tst_Fs)
#include "tst_fs.moc"
