// `coroute serve` against slow, silent and surplus clients (slowloris): a client trickling its
// headers, a silent one, a stalled body and an idle kept-alive connection are cut off by the
// server's deadlines; a normal client and a server-sent-events stream in parallel are not
// (deadlines are for receiving requests, never for sending answers); /sys/health stays
// responsive while 50 slow clients hang around; the connection caps (total, per peer address)
// answer the excess 503. In-process ApiServers with small limits on real loopback sockets, and
// one `coroute serve` child for the command-line options.

#include "serve/apiserver.h"

#include "jobs/sysroutes.h"
#include "router/router.h"
#include "runtime/runtime.h"

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
using namespace coroute;

namespace {

constexpr int Bound = 30000; // every wait ends within this many ms
constexpr int Small = 300;   // the deadlines of the servers under test, in ms

const QByteArray Health = "GET /sys/health HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n";

/// A raw HTTP client on loopback that collects whatever the server sends.
struct Client
{
    std::unique_ptr<QTcpSocket> socket = std::make_unique<QTcpSocket>();
    QByteArray received;

    explicit Client(quint16 port, const QHostAddress &from = {})
    {
        QObject::connect(socket.get(), &QIODevice::readyRead, socket.get(), [this] { received += socket->readAll(); });
        if (!from.isNull())
            socket->bind(from);
        socket->connectToHost(QHostAddress::LocalHost, port);
    }
    bool connected() const { return socket->state() == QAbstractSocket::ConnectedState; }
    bool closed() const { return socket->state() == QAbstractSocket::UnconnectedState; }
    int status() const { return received.startsWith("HTTP/1.1 ") ? received.mid(9, 3).toInt() : 0; }
    /// Whether a complete answer with Content-Length has arrived (after `from` bytes).
    bool hasAnswer(qsizetype from = 0) const { return answerEnd(from) > 0; }
    qsizetype answerEnd(qsizetype from = 0) const
    {
        const auto end = received.indexOf("\r\n\r\n", from);
        const auto at = received.toLower().indexOf("content-length: ", from);
        if (end < 0 || at < 0 || at > end)
            return -1;
        const qint64 length = received.mid(at + 16, received.indexOf("\r\n", at) - at - 16).toLongLong();
        return received.size() >= end + 4 + length ? end + 4 + length : -1;
    }
    QJsonObject body(qsizetype from = 0) const
    {
        const auto end = received.indexOf("\r\n\r\n", from);
        return QJsonDocument::fromJson(received.mid(end + 4, answerEnd(from) - end - 4)).object();
    }
};

struct Server
{
    Runtime rt;
    std::unique_ptr<serve::ApiServer> api;
    quint16 port = 0;

    explicit Server(serve::ApiServerOptions options)
    {
        rt.router().include(sysRoutes(), u"/sys"_s);
        options.token = "t";
        api = std::make_unique<serve::ApiServer>(rt, options);
        QString error;
        if (api->start(serve::ListenAddress{QHostAddress::LocalHost, 0}, &error))
            port = api->port();
        else
            qWarning() << error;
    }
};

serve::ApiServerOptions smallLimits()
{
    serve::ApiServerOptions o;
    o.headerTimeoutMs = Small;
    o.bodyTimeoutMs = Small;
    o.idleTimeoutMs = Small;
    return o;
}

} // namespace

class tst_ServeSlowClients : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tricklingHeadersAreCutOff()
    {
        Server server(smallLimits());
        QVERIFY(server.port != 0);
        Client slow(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(slow.connected(), Bound);
        // One byte every 20 ms: the whole head would take a minute, each byte comes well
        // within any idle deadline, and the head as a whole misses its 300 ms.
        const QByteArray head = "GET /sys/health HTTP/1.1\r\nAuthorization: Bearer t\r\nX-Pad: " + QByteArray(3000, 'a');
        int sent = 0;
        QTimer drip;
        drip.setInterval(20);
        connect(&drip, &QTimer::timeout, this, [&] {
            if (slow.connected() && sent < head.size())
                slow.socket->write(head.mid(sent++, 1));
        });
        drip.start();
        QTRY_VERIFY_WITH_TIMEOUT(slow.closed(), Bound);
        drip.stop();
        QVERIFY2(sent > 0, "the client did trickle");
        QVERIFY(sent < head.size());
        QCOMPARE(slow.status(), 408);
        QVERIFY2(slow.received.contains("request headers not received within 300 ms"), slow.received.constData());
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 0, Bound);
    }

    void silentClientIsCutOff()
    {
        Server server(smallLimits());
        QVERIFY(server.port != 0);
        Client silent(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(silent.connected(), Bound);
        QTRY_VERIFY_WITH_TIMEOUT(silent.closed(), Bound);
        QCOMPARE(silent.status(), 408);
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 0, Bound);
    }

    void stalledBodyIsCutOff()
    {
        Server server(smallLimits());
        QVERIFY(server.port != 0);
        Client stalled(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(stalled.connected(), Bound);
        stalled.socket->write("POST /_jobs HTTP/1.1\r\nAuthorization: Bearer t\r\nContent-Length: 100\r\n\r\n{\"route\":");
        QTRY_VERIFY_WITH_TIMEOUT(stalled.closed(), Bound);
        QCOMPARE(stalled.status(), 408);
        QVERIFY2(stalled.received.contains("request body stalled"), stalled.received.constData());
        QCOMPARE(server.rt.jobs().jobs().size(), 0); // the half request started nothing
    }

    void idleKeptAliveConnectionIsClosed()
    {
        Server server(smallLimits());
        QVERIFY(server.port != 0);
        Client client(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(client.connected(), Bound);
        client.socket->write(Health);
        QTRY_VERIFY_WITH_TIMEOUT(client.hasAnswer(), Bound);
        QCOMPARE(client.status(), 200);
        const auto answered = client.received.size();
        QTRY_VERIFY_WITH_TIMEOUT(client.closed(), Bound);
        QCOMPARE(client.received.size(), answered); // closed quietly: no 408 for a connection at rest
    }

    void normalClientAndEventStreamUnaffected()
    {
        // Every deadline at 300 ms; the job, its event stream and a plain long answer last
        // longer than that, and the normal client keeps its connection busy.
        Server server(smallLimits());
        QVERIFY(server.port != 0);
        Client submitter(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(submitter.connected(), Bound);
        const QByteArray job = R"({"route": "GET /sys/sleep", "query": {"ms": 1500}})";
        submitter.socket->write("POST /_jobs HTTP/1.1\r\nAuthorization: Bearer t\r\nContent-Length: "
                                + QByteArray::number(job.size()) + "\r\n\r\n" + job);
        QTRY_VERIFY_WITH_TIMEOUT(submitter.hasAnswer(), Bound);
        QCOMPARE(submitter.status(), 202);
        const qint64 id = submitter.body().value(u"id"_s).toInteger();
        QVERIFY(id > 0);

        Client events(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(events.connected(), Bound);
        events.socket->write("GET /_jobs/" + QByteArray::number(id) + "/events HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n");
        Client longCall(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(longCall.connected(), Bound);
        longCall.socket->write("GET /sys/sleep?ms=1000 HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n");

        // Meanwhile a normal client asks again and again on one kept-alive connection.
        Client normal(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(normal.connected(), Bound);
        int answers = 0;
        qsizetype at = 0;
        while (!events.received.contains("0\r\n\r\n") && answers < 1000) {
            normal.socket->write(Health);
            QTRY_VERIFY_WITH_TIMEOUT(normal.hasAnswer(at) || normal.closed(), Bound);
            QVERIFY2(normal.hasAnswer(at), "the normal client was cut off");
            QCOMPARE(normal.received.mid(at, 12), QByteArray("HTTP/1.1 200"));
            at = normal.answerEnd(at);
            ++answers;
            QTest::qWait(Small / 3); // well within the idle deadline
        }
        QVERIFY(answers > 3);
        QVERIFY2(events.received.startsWith("HTTP/1.1 200"), events.received.constData());
        QVERIFY2(events.received.contains("event: finished"), events.received.constData());
        QVERIFY(events.received.contains("\"state\":\"succeeded\""));
        QTRY_VERIFY_WITH_TIMEOUT(longCall.hasAnswer() || longCall.closed(), Bound);
        QCOMPARE(longCall.status(), 200);
        QVERIFY(longCall.received.contains("slept_ms"));
        QVERIFY(normal.connected());
    }

    void healthStaysResponsiveAmongFiftySlowClients()
    {
        serve::ApiServerOptions o;
        o.headerTimeoutMs = 3000; // long enough for them to hang around while health is asked
        Server server(o);
        QVERIFY(server.port != 0);
        std::vector<std::unique_ptr<Client>> slow;
        for (int i = 0; i < 50; ++i)
            slow.push_back(std::make_unique<Client>(server.port));
        const auto allConnected = [&] {
            for (const auto &c : slow) {
                if (!c->connected())
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allConnected(), Bound);
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 50, Bound);
        const QByteArray trickle = "GET /sys/health HTTP/1.1\r\nAuthorization: Bearer t\r\nX-Pad: " + QByteArray(3000, 'a');
        int sent = 0;
        QTimer drip;
        drip.setInterval(50);
        connect(&drip, &QTimer::timeout, this, [&] {
            for (const auto &c : slow) {
                if (c->connected())
                    c->socket->write(trickle.mid(sent, 1));
            }
            ++sent;
        });
        drip.start();
        int answered = 0;
        for (int i = 0; i < 5; ++i) {
            Client probe(server.port);
            probe.socket->write(Health);
            QTRY_VERIFY_WITH_TIMEOUT(probe.hasAnswer() || probe.closed(), Bound);
            QCOMPARE(probe.status(), 200);
            ++answered;
        }
        QCOMPARE(answered, 5);
        // Then the header deadline cuts every slow client off.
        const auto allClosed = [&] {
            for (const auto &c : slow) {
                if (!c->closed())
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allClosed(), Bound);
        drip.stop();
        QVERIFY(sent > 0);
        for (const auto &c : slow)
            QCOMPARE(c->status(), 408);
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 0, Bound);
    }

    void connectionCapRefusesTheExcess()
    {
        serve::ApiServerOptions o;
        o.maxConnections = 4;
        Server server(o);
        QVERIFY(server.port != 0);
        std::vector<std::unique_ptr<Client>> held;
        for (int i = 0; i < 4; ++i)
            held.push_back(std::make_unique<Client>(server.port));
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 4, Bound);
        Client excess(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(excess.closed(), Bound);
        QCOMPARE(excess.status(), 503);
        QVERIFY2(excess.received.contains("too many connections"), excess.received.constData());
        QCOMPARE(server.api->openConnections(), 4);
        for (const auto &c : held)
            QVERIFY(c->connected()); // the held ones are untouched
        // One leaves; then a newcomer is served.
        held.front()->socket->disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 3, Bound);
        Client next(server.port);
        next.socket->write(Health);
        QTRY_VERIFY_WITH_TIMEOUT(next.hasAnswer() || next.closed(), Bound);
        QCOMPARE(next.status(), 200);
    }

    void perPeerCapRefusesTheExcess()
    {
        serve::ApiServerOptions o;
        o.maxConnectionsPerPeer = 2;
        Server server(o);
        QVERIFY(server.port != 0);
        Client a(server.port);
        Client b(server.port);
        QTRY_COMPARE_WITH_TIMEOUT(server.api->openConnections(), 2, Bound);
        Client third(server.port);
        QTRY_VERIFY_WITH_TIMEOUT(third.closed(), Bound);
        QCOMPARE(third.status(), 503);
        QVERIFY2(third.received.contains("too many connections from 127.0.0.1"), third.received.constData());
        // Another address of the loopback net is another peer.
        QTcpSocket probe;
        if (!probe.bind(QHostAddress(u"127.0.0.2"_s)))
            QSKIP("cannot bind 127.0.0.2 here");
        probe.abort();
        Client other(server.port, QHostAddress(u"127.0.0.2"_s));
        other.socket->write(Health);
        QTRY_VERIFY_WITH_TIMEOUT(other.hasAnswer() || other.closed(), Bound);
        QCOMPARE(other.status(), 200);
        QCOMPARE(server.api->openConnections(), 3);
    }

    void commandLineOptions()
    {
        const QString bin = qEnvironmentVariable("COROUTE_BIN");
        QVERIFY2(QFile::exists(bin), "COROUTE_BIN must name the coroute binary");
        QProcess help;
        help.start(bin, {u"serve"_s, u"--help"_s});
        QVERIFY(help.waitForFinished(Bound));
        const QByteArray usage = help.readAllStandardOutput();
        for (const char *option : {"--header-timeout-ms", "--body-timeout-ms", "--idle-timeout-ms",
                                   "--max-connections", "--max-connections-per-peer"})
            QVERIFY2(usage.contains(option), option);
        for (const auto &bad : {QStringList{u"--max-connections"_s, u"0"_s},
                                QStringList{u"--idle-timeout-ms"_s, u"soon"_s},
                                QStringList{u"--header-timeout-ms"_s, u"-5"_s}}) {
            QProcess p;
            p.start(bin, QStringList{u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--token"_s, u"t"_s} + bad);
            QVERIFY(p.waitForFinished(Bound));
            QCOMPARE(p.exitCode(), 2);
            QVERIFY2(p.readAllStandardError().contains(bad.first().toUtf8()), qPrintable(bad.join(u' ')));
        }

        QTemporaryDir dir;
        QProcess server;
        server.start(bin, {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--token"_s, u"t"_s, u"--root"_s, dir.path(),
                           u"--db"_s, dir.filePath(u"h.sqlite"_s), u"--header-timeout-ms"_s, u"300"_s,
                           u"--max-connections"_s, u"2"_s});
        QVERIFY(server.waitForStarted(Bound));
        QVERIFY(QTest::qWaitFor([&] { return server.canReadLine() || server.state() != QProcess::Running; }, Bound));
        const QUrl url(QJsonDocument::fromJson(server.readLine()).object().value(u"listening"_s).toString());
        const auto port = quint16(url.port());
        QVERIFY(port != 0);
        {
            // Two busy connections fill --max-connections 2 (no deadline runs while a request
            // is answered); a third is refused.
            Client a(port);
            Client b(port);
            for (auto *c : {&a, &b})
                c->socket->write("GET /sys/sleep?ms=2000 HTTP/1.1\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n");
            QTRY_VERIFY_WITH_TIMEOUT(a.connected() && b.connected(), Bound);
            Client third(port);
            QTRY_VERIFY_WITH_TIMEOUT(third.closed(), Bound);
            QCOMPARE(third.status(), 503);
            QTRY_VERIFY_WITH_TIMEOUT(a.closed() && b.closed(), Bound);
            QCOMPARE(a.status(), 200);
            QCOMPARE(b.status(), 200);
        }
        // A silent client meets --header-timeout-ms 300 (it may first meet the cap, while the
        // server has not yet noticed that the two above are gone).
        int status = 0;
        for (int attempt = 0; attempt < 50 && status != 408; ++attempt) {
            Client silent(port);
            QTRY_VERIFY_WITH_TIMEOUT(silent.closed(), Bound);
            status = silent.status();
            QVERIFY2(status == 408 || status == 503, silent.received.constData());
        }
        QCOMPARE(status, 408);
        server.terminate();
        QVERIFY(server.waitForFinished(Bound));
    }
};

QTEST_GUILESS_MAIN(tst_ServeSlowClients)
#include "tst_serveslowclients.moc"
