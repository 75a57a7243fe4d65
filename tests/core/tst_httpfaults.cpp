// HTTP peers that misbehave: reset, stall, trickle, lie about Content-Length, send endless
// headers or no HTTP at all. Each request ends with a clear error, never a wrong success,
// and a bad answer never leaks into the next response on a reused connection.

#include "jobs/builtins.h"
#include "jobs/http/httpclient.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"

#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <sys/socket.h>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// A raw HTTP/1.1 peer on 127.0.0.1 whose behaviour is chosen by the request path. It reads
// whole request heads and answers each as scripted, keeping connections alive.
class FaultPeer : public QTcpServer
{
public:
    FaultPeer() { QVERIFY(listen(QHostAddress::LocalHost)); }

    QUrl url(const QString &path) const
    {
        return QUrl(u"http://127.0.0.1:%1%2"_s.arg(serverPort()).arg(path));
    }

    int connections = 0;
    int disconnections = 0;
    qint64 headerBytesSent = 0;
    QStringList paths;

protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QTcpSocket(this);
        s->setSocketDescriptor(fd);
        ++connections;
        auto buffer = std::make_shared<QByteArray>();
        connect(s, &QTcpSocket::disconnected, this, [this, s] {
            ++disconnections;
            s->deleteLater();
        });
        connect(s, &QTcpSocket::readyRead, this, [this, s, buffer] {
            buffer->append(s->readAll());
            for (qsizetype end; (end = buffer->indexOf("\r\n\r\n")) >= 0;) {
                const QByteArray head = buffer->left(end);
                buffer->remove(0, end + 4);
                const QByteArray path = head.split('\n').value(0).split(' ').value(1);
                paths << QString::fromLatin1(path);
                answer(s, path);
            }
        });
    }

private:
    static void reset(QTcpSocket *s)
    {
        const struct linger hard{1, 0}; // close() sends RST instead of FIN
        ::setsockopt(int(s->socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        s->abort();
    }

    // Writes one byte per interval until count bytes went out or the client left.
    void trickle(QTcpSocket *s, int count, int intervalMs)
    {
        auto *timer = new QTimer(s);
        auto left = std::make_shared<int>(count);
        connect(timer, &QTimer::timeout, s, [s, timer, left] {
            if (--*left < 0 || s->state() != QAbstractSocket::ConnectedState) {
                timer->stop();
                return;
            }
            s->write("x");
        });
        timer->start(intervalMs);
    }

    void endlessHeaders(QTcpSocket *s)
    {
        s->write("HTTP/1.1 200 OK\r\n");
        auto sendMore = [this, s] {
            // Bounded: 64 MiB at most, far beyond any sane limit.
            if (s->state() != QAbstractSocket::ConnectedState || headerBytesSent > (64 << 20) || s->bytesToWrite() > 0)
                return;
            QByteArray block;
            for (int i = 0; i < 256; ++i)
                block += "X-Filler-" + QByteArray::number(headerBytesSent + i) + ": " + QByteArray(48, 'a') + "\r\n";
            headerBytesSent += block.size();
            s->write(block);
        };
        connect(s, &QTcpSocket::bytesWritten, s, sendMore);
        sendMore();
    }

    void answer(QTcpSocket *s, const QByteArray &path)
    {
        const QPointer<QTcpSocket> guard(s);
        if (path == "/ok") {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        } else if (path == "/reset-before") {
            reset(s);
        } else if (path == "/reset-mid") {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + QByteArray(1000, 'a'));
            s->flush();
            QTimer::singleShot(50, s, [s] { reset(s); });
        } else if (path == "/stall") {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        } else if (path == "/trickle") {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            trickle(s, 100000, 20); // would take over half an hour
        } else if (path == "/short") {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + QByteArray(10, 's'));
            s->disconnectFromHost();
        } else if (path == "/long-same") {
            // More bytes than announced, in the same segment, and the connection kept open.
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                     "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbogus!");
        } else if (path == "/long-later") {
            // The excess comes after the client has its complete answer: it must not become
            // the answer to the next request on this connection.
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            QTimer::singleShot(100, s, [guard] {
                if (guard)
                    guard->write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbogus!");
            });
        } else if (path == "/headers") {
            endlessHeaders(s);
        } else if (path == "/continue") {
            s->write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        } else if (path == "/garbage") {
            s->write("THIS IS NOT HTTP\r\n\r\nat all");
            s->disconnectFromHost();
        } else if (path == "/bad-status") {
            s->write("HTTP/1.1 abc Weird\r\nContent-Length: 2\r\n\r\nok");
            s->disconnectFromHost();
        } else {
            s->write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }
};

HttpRequest request(const QUrl &url, std::chrono::milliseconds timeout = 5000ms)
{
    HttpRequest r;
    r.url = url;
    r.timeout = timeout;
    return r;
}

// Sends and returns the error, or a null JobError when the request succeeded.
QCoro::Task<JobError> errorOf(HttpClient &client, HttpRequest r, HttpResponse *response = nullptr)
{
    try {
        auto answer = co_await client.send(std::move(r));
        if (response)
            *response = answer;
    } catch (const Error &e) {
        co_return JobError(e.error());
    }
    co_return JobError{};
}

QCoro::Task<JobOutcome> callGet(Runtime &rt, const QUrl &url, int timeoutMs)
{
    QUrlQuery q;
    q.addQueryItem(u"url"_s, url.toString());
    q.addQueryItem(u"timeout_ms"_s, QString::number(timeoutMs));
    CallRequest call{u"GET"_s, u"/http/get?"_s + q.toString(QUrl::FullyEncoded), {}, QJsonValue(QJsonValue::Undefined)};
    co_return co_await rt.call(call);
}

} // namespace

class tst_HttpFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void failures_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("timeoutMs");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::newRow("reset before the answer") << u"/reset-before"_s << 5000 << 502 << u"connection_closed"_s;
        QTest::newRow("reset mid-body") << u"/reset-mid"_s << 5000 << 502 << u"connection_closed"_s;
        QTest::newRow("stall after headers") << u"/stall"_s << 300 << 504 << u"timeout"_s;
        QTest::newRow("trickle a byte at a time") << u"/trickle"_s << 400 << 504 << u"timeout"_s;
        QTest::newRow("body shorter than Content-Length") << u"/short"_s << 5000 << 502 << u"connection_closed"_s;
        QTest::newRow("endless headers") << u"/headers"_s << 20000 << 502 << u"headers_too_large"_s;
        QTest::newRow("not HTTP") << u"/garbage"_s << 5000 << 502 << u"invalid_response"_s;
        QTest::newRow("malformed status line") << u"/bad-status"_s << 5000 << 502 << u"invalid_response"_s;
    }

    void failures()
    {
        QFETCH(QString, path);
        QFETCH(int, timeoutMs);
        QFETCH(int, status);
        QFETCH(QString, type);
        FaultPeer peer;
        HttpClient client;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto error = co_await errorOf(client, request(peer.url(path), std::chrono::milliseconds(timeoutMs)));
            CO_VERIFY2(!error.isNull(), "a faulty peer must not give a success");
            CO_COMPARE(error.type, type);
            CO_COMPARE(error.status, status);
            CO_VERIFY2(error.message.contains(peer.url(path).toString()), qPrintable(error.message));
        }(), 30000);
        // The connection was given up, not left open.
        QTRY_COMPARE_WITH_TIMEOUT(peer.disconnections, peer.connections, 10000);
        if (path == u"/headers")
            QVERIFY2(peer.headerBytesSent < (8 << 20), "the client read far beyond its header limit");

        // Through a runtime: the /http/get job fails with the same error, and the client
        // still works afterwards.
        Runtime rt;
        registerBuiltins(rt);
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto outcome = co_await callGet(rt, peer.url(path), timeoutMs);
            CO_VERIFY(outcome.job.has_value());
            CO_COMPARE(outcome.job->state, JobState::Failed);
            CO_COMPARE(outcome.job->error.type, type);
            CO_COMPARE(outcome.job->error.status, status);
            const auto ok = co_await callGet(rt, peer.url(u"/ok"_s), 5000);
            CO_VERIFY(ok.job.has_value());
            CO_COMPARE(ok.job->state, JobState::Succeeded);
            CO_COMPARE(ok.job->result.toJson().toObject().value(u"body"_s).toString(), u"ok"_s);
        }(), 30000);
    }

    void timeoutIsTotalNotIdle()
    {
        // The trickling peer sends a byte every 20 ms: an idle timeout would never fire.
        FaultPeer peer;
        HttpClient client;
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto error = co_await errorOf(client, request(peer.url(u"/trickle"_s), 300ms));
            CO_COMPARE(error.type, u"timeout"_s);
            CO_VERIFY2(error.message.contains(u"within 300 ms"_s), qPrintable(error.message));
        }(), 30000);
    }

    void continueThenAnswer()
    {
        FaultPeer peer;
        HttpClient client;
        Runtime rt;
        registerBuiltins(rt);
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            HttpResponse response;
            const auto error = co_await errorOf(client, request(peer.url(u"/continue"_s)), &response);
            CO_VERIFY(error.isNull());
            CO_COMPARE(response.status, 200);
            CO_COMPARE(response.body, QByteArray("ok"));
            const auto outcome = co_await callGet(rt, peer.url(u"/continue"_s), 5000);
            CO_COMPARE(outcome.job->state, JobState::Succeeded);
            CO_COMPARE(outcome.job->result.toJson().toObject().value(u"status"_s).toInt(), 200);
        }());
    }

    void excessBodyNeverLeaksIntoTheNextResponse_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("same segment") << u"/long-same"_s;
        QTest::newRow("after the answer") << u"/long-later"_s;
    }

    void excessBodyNeverLeaksIntoTheNextResponse()
    {
        QFETCH(QString, path);
        FaultPeer peer;
        HttpClient client({.perHostLimit = 1}); // one connection: the next request would reuse it
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            HttpResponse first;
            const auto error = co_await errorOf(client, request(peer.url(path)), &first);
            // Either the extra bytes are ignored (the declared body is the answer) or it is an
            // error; never a body mixed with them.
            if (error.isNull())
                CO_COMPARE(first.body, QByteArray("hello"));
            QTest::qWait(250); // the late excess has arrived on the idle connection
            for (int i = 0; i < 3; ++i) {
                HttpResponse next;
                const auto nextError = co_await errorOf(client, request(peer.url(u"/ok"_s)), &next);
                CO_VERIFY2(nextError.isNull(), qPrintable(nextError.message));
                CO_COMPARE(next.status, 200);
                CO_COMPARE(next.body, QByteArray("ok"));
            }
        }(), 30000);
        QCOMPARE(peer.paths.count(u"/ok"_s), 3);
    }

    void manyFaultsInParallel()
    {
        // Every kind at once through one runtime: each job ends, none succeeds wrongly, and a
        // good request among them succeeds.
        FaultPeer peer;
        Runtime rt;
        registerBuiltins(rt);
        const QStringList bad{u"/reset-before"_s, u"/reset-mid"_s, u"/stall"_s, u"/trickle"_s,
                              u"/short"_s,        u"/headers"_s,   u"/garbage"_s, u"/bad-status"_s};
        coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            QList<JobId> ids;
            for (int round = 0; round < 3; ++round) {
                for (const auto &p : bad) {
                    QUrlQuery q;
                    q.addQueryItem(u"url"_s, peer.url(p).toString());
                    q.addQueryItem(u"timeout_ms"_s, u"500"_s);
                    ids << rt.submit({u"GET"_s, u"/http/get?"_s + q.toString(QUrl::FullyEncoded), {},
                                      QJsonValue(QJsonValue::Undefined)}).id;
                }
            }
            const auto good = co_await callGet(rt, peer.url(u"/ok"_s), 5000);
            CO_COMPARE(good.job->state, JobState::Succeeded);
            for (auto id : ids) {
                const auto info = co_await rt.wait(id);
                CO_COMPARE(info.state, JobState::Failed);
                CO_VERIFY(info.error.status == 502 || info.error.status == 504);
            }
        }(), 60000);
        QCOMPARE(rt.jobs().activeCount(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_HttpFaults)
#include "tst_httpfaults.moc"
