// `coroute serve` under attack: the token only in the Authorization header (never from the
// query string), oversize bodies refused before they are buffered, slow clients (slowloris)
// that do not hold up anyone else, and no non-loopback bind without --allow-remote. Also the
// same request handling in-process through ApiServer::handleRaw().

#include "serve/apiserver.h"

#include "jobs/sysroutes.h"
#include "router/router.h"
#include "runtime/runtime.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

constexpr int Bound = 30000;

QString binary()
{
    return qEnvironmentVariable("COROUTE_BIN");
}

/// One request on a fresh connection; the raw response (status line, headers, body).
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket s;
    s.connectToHost(u"127.0.0.1"_s, port);
    if (!s.waitForConnected(Bound))
        return {};
    s.write(request);
    QByteArray response;
    (void)QTest::qWaitFor([&] {
        response += s.readAll();
        const auto end = response.indexOf("\r\n\r\n");
        if (end < 0)
            return s.state() != QAbstractSocket::ConnectedState;
        const auto lengthAt = response.toLower().indexOf("content-length: ");
        if (lengthAt < 0)
            return s.state() != QAbstractSocket::ConnectedState;
        const qint64 length = response.mid(lengthAt + 16, response.indexOf("\r\n", lengthAt) - lengthAt - 16).toLongLong();
        return response.size() >= end + 4 + length;
    }, Bound);
    return response;
}

int statusOf(const QByteArray &response)
{
    return response.startsWith("HTTP/1.1 ") ? response.mid(9, 3).toInt() : 0;
}

} // namespace

class tst_ServeSecurity : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    quint16 m_port = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(binary()), "COROUTE_BIN must name the coroute binary");
        m_server.start(binary(), {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--token"_s, u"secret"_s, u"--root"_s,
                                  m_dir.path(), u"--db"_s, m_dir.filePath(u"h.sqlite"_s)});
        QVERIFY(m_server.waitForStarted(Bound));
        QVERIFY(QTest::qWaitFor([&] { return m_server.canReadLine() || m_server.state() != QProcess::Running; },
                                Bound));
        const QUrl url(QJsonDocument::fromJson(m_server.readLine()).object().value(u"listening"_s).toString());
        m_port = quint16(url.port());
        QVERIFY(m_port != 0);
    }

    void tokenOnlyFromTheAuthorizationHeader_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::newRow("header") << QByteArray("GET /sys/health HTTP/1.1\r\nAuthorization: Bearer secret\r\n\r\n") << 200;
        QTest::newRow("none") << QByteArray("GET /sys/health HTTP/1.1\r\n\r\n") << 401;
        QTest::newRow("wrong") << QByteArray("GET /sys/health HTTP/1.1\r\nAuthorization: Bearer secret2\r\n\r\n") << 401;
        QTest::newRow("empty") << QByteArray("GET /sys/health HTTP/1.1\r\nAuthorization: Bearer \r\n\r\n") << 401;
        QTest::newRow("query access_token") << QByteArray("GET /sys/health?access_token=secret HTTP/1.1\r\n\r\n") << 401;
        QTest::newRow("query token") << QByteArray("GET /sys/health?token=secret HTTP/1.1\r\n\r\n") << 401;
        QTest::newRow("query authorization")
            << QByteArray("GET /sys/health?authorization=Bearer%20secret HTTP/1.1\r\n\r\n") << 401;
        QTest::newRow("cookie") << QByteArray("GET /sys/health HTTP/1.1\r\nCookie: token=secret\r\n\r\n") << 401;
        QTest::newRow("basic") << QByteArray("GET /sys/health HTTP/1.1\r\nAuthorization: Basic c2VjcmV0\r\n\r\n") << 401;
        QTest::newRow("token with NUL")
            << QByteArray("GET /sys/health HTTP/1.1\r\nAuthorization: Bearer secret") + '\0' + QByteArray("x\r\n\r\n")
            << 401;
    }
    void tokenOnlyFromTheAuthorizationHeader()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        const auto response = exchange(m_port, request);
        QVERIFY2(statusOf(response) == status || (status == 401 && statusOf(response) == 400), response.constData());
    }

    void oversizeBodiesRefusedEarly()
    {
        // 100 MB declared: refused from the headers, without sending (or buffering) the body.
        const auto response = exchange(m_port, "POST /_jobs HTTP/1.1\r\nAuthorization: Bearer secret\r\n"
                                               "Content-Length: 100000000\r\n\r\n{");
        QCOMPARE(statusOf(response), 413);
        // Unauthenticated and oversize: still no more than a refusal.
        const auto anon = exchange(m_port, "POST /_jobs HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n{");
        QVERIFY2(statusOf(anon) == 413 || statusOf(anon) == 401, anon.constData());
    }

    void slowClientsDoNotBlockOthers()
    {
        // 50 sockets trickle a request's headers at one byte per 100 ms (slowloris).
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < 50; ++i) {
            slow.push_back(std::make_unique<QTcpSocket>());
            slow.back()->connectToHost(u"127.0.0.1"_s, m_port);
        }
        QVERIFY(QTest::qWaitFor([&] {
            for (const auto &s : slow) {
                if (s->state() != QAbstractSocket::ConnectedState)
                    return false;
            }
            return true;
        }, Bound));
        const QByteArray trickle = "GET /sys/health HTTP/1.1\r\nAuthorization: Bearer secret\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        int sent = 0;
        QTimer drip;
        drip.setInterval(100);
        connect(&drip, &QTimer::timeout, this, [&] {
            if (sent >= trickle.size())
                return;
            for (const auto &s : slow)
                s->write(trickle.mid(sent, 1));
            ++sent;
        });
        drip.start();
        // Meanwhile a normal client is answered, again and again.
        int answered = 0;
        for (int i = 0; i < 10; ++i) {
            const auto response = exchange(m_port, "GET /sys/health HTTP/1.1\r\nAuthorization: Bearer secret\r\n\r\n");
            QCOMPARE(statusOf(response), 200);
            ++answered;
            QTest::qWait(100);
        }
        QCOMPARE(answered, 10);
        QVERIFY(sent > 5); // the slow clients were trickling all along
        drip.stop();
        for (const auto &s : slow)
            s->abort();
    }

    void nonLoopbackBindNeedsTheFlag_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::newRow("any v4") << u"0.0.0.0:0"_s;
        QTest::newRow("any v6") << u"[::]:0"_s;
        QTest::newRow("lan") << u"192.168.1.10:0"_s;
        QTest::newRow("v4-mapped any") << u"[::ffff:0.0.0.0]:0"_s;
    }
    void nonLoopbackBindNeedsTheFlag()
    {
        QFETCH(QString, listen);
        QProcess p;
        p.start(binary(), {u"serve"_s, u"--listen"_s, listen, u"--token"_s, u"x"_s});
        QVERIFY(p.waitForFinished(Bound));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("--allow-remote"));
        QVERIFY(p.readAllStandardOutput().isEmpty()); // never listened
    }

    void inProcessRequestHandling()
    {
        // The same handling without sockets (ApiServer::handleRaw, the fuzz target's way in).
        coroute::Runtime rt;
        rt.router().include(coroute::sysRoutes(), u"/sys"_s);
        coroute::serve::ApiServer server(rt, {.token = "t", .maxBodyBytes = 16});
        const auto handle = [&](coroute::serve::RawRequest rq) {
            QBuffer out;
            out.open(QIODevice::WriteOnly);
            server.handleRaw(rq, &out);
            (void)QTest::qWaitFor([&] { return server.pendingResponses() == 0 && !out.data().isEmpty(); }, Bound);
            return out.data();
        };
        QCOMPARE(statusOf(handle({"GET", "/sys/health", {{"Authorization", "Bearer t"}}, {}})), 200);
        QCOMPARE(statusOf(handle({"GET", "/sys/health?access_token=t", {}, {}})), 401);
        QCOMPARE(statusOf(handle({"GET", "/sys/health", {{"Authorization", "Bearer x"}}, {}})), 401);
        QCOMPARE(statusOf(handle({"POST", "/_jobs", {{"Authorization", "Bearer t"}}, QByteArray(17, ' ')})), 413);
        QCOMPARE(statusOf(handle({"POST", "/_jobs", {{"Authorization", "Bearer t"}}, "{\"route\": 1}"})), 422);
        QCOMPARE(statusOf(handle({"GET", "/_jobs/99999999999999999999999", {{"Authorization", "Bearer t"}}, {}})), 422);
    }

    void cleanupTestCase()
    {
        m_server.terminate();
        if (!m_server.waitForFinished(Bound)) {
            m_server.kill();
            m_server.waitForFinished(Bound);
        }
    }
};

QTEST_GUILESS_MAIN(tst_ServeSecurity)
#include "tst_servesecurity.moc"
