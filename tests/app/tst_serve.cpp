// coroute serve: a real server process and a real HTTP client (QNetworkAccessManager).

#include "serve/bearerauth.h"
#include "serve/listenaddress.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using namespace coroute::serve;

namespace {

constexpr int Bound = 30000; // every wait ends within this many ms

QString binary()
{
    return qEnvironmentVariable("COROUTE_BIN");
}

struct Response
{
    int status = 0;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray contentType;
    QByteArray allow;
    QByteArray wwwAuthenticate;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

struct Event
{
    QByteArray name;
    QJsonObject data;
};

/// Splits a server-sent event stream into its complete events.
QList<Event> parseEvents(const QByteArray &stream)
{
    QList<Event> events;
    const auto blocks = stream.split('\n');
    Event current;
    bool any = false;
    for (const auto &line : blocks) {
        if (line.isEmpty()) {
            if (any)
                events.append(current);
            current = {};
            any = false;
        } else if (line.startsWith("event: ")) {
            current.name = line.mid(7);
            any = true;
        } else if (line.startsWith("data: ")) {
            current.data = QJsonDocument::fromJson(line.mid(6)).object();
            any = true;
        }
    }
    return events;
}

} // namespace

class tst_Serve : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    QString m_base;
    QNetworkAccessManager m_nam;

    QNetworkRequest request(const QString &pathAndQuery, std::optional<QByteArray> authorization)
    {
        QNetworkRequest req(QUrl(m_base + pathAndQuery));
        if (authorization)
            req.setRawHeader("Authorization", *authorization);
        req.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        return req;
    }

    Response send(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body = {},
                  std::optional<QByteArray> authorization = QByteArray("Bearer secret"))
    {
        QNetworkReply *reply = m_nam.sendCustomRequest(request(pathAndQuery, authorization), method, body);
        const bool done = QTest::qWaitFor([&] { return reply->isFinished(); }, Bound);
        Response r;
        if (!done) {
            reply->abort();
            qWarning() << method << pathAndQuery << "did not finish";
        }
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.error = reply->error();
        r.contentType = reply->rawHeader("Content-Type");
        r.allow = reply->rawHeader("Allow");
        r.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
        reply->deleteLater();
        return r;
    }

    /// Submits a 60 s sleep through /_jobs and returns its id (0 on failure).
    qint64 submitSleep()
    {
        const auto r = send("POST", u"/_jobs"_s, R"({"route": "GET /sys/sleep", "query": {"ms": 60000}})");
        if (r.status != 202)
            qWarning() << "submit:" << r.status << r.body;
        return r.status == 202 ? r.json().value(u"id"_s).toInteger() : 0;
    }

    static int runCoroute(const QStringList &args, QByteArray *err)
    {
        QProcess p;
        p.start(binary(), args);
        if (!p.waitForFinished(Bound)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        *err = p.readAllStandardError();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

private Q_SLOTS:
    // --- units: no server needed -------------------------------------------------------

    void constantTimeEquals_data()
    {
        QTest::addColumn<QByteArray>("a");
        QTest::addColumn<QByteArray>("b");
        QTest::addColumn<bool>("equal");
        QTest::newRow("same") << QByteArray("secret") << QByteArray("secret") << true;
        QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
        QTest::newRow("first byte") << QByteArray("secret") << QByteArray("Secret") << false;
        QTest::newRow("last byte") << QByteArray("secret") << QByteArray("secreT") << false;
        QTest::newRow("prefix") << QByteArray("secret") << QByteArray("secre") << false;
        QTest::newRow("longer") << QByteArray("secret") << QByteArray("secret!") << false;
        QTest::newRow("empty vs some") << QByteArray() << QByteArray("x") << false;
        QTest::newRow("trailing nul") << QByteArray("ab") << QByteArray("ab\0", 3) << false;
        QTest::newRow("high bytes") << QByteArray("\xff\x80") << QByteArray("\xff\x80") << true;
    }
    void constantTimeEquals()
    {
        QFETCH(QByteArray, a);
        QFETCH(QByteArray, b);
        QFETCH(bool, equal);
        QCOMPARE(coroute::serve::constantTimeEquals(a, b), equal);
        QCOMPARE(coroute::serve::constantTimeEquals(b, a), equal);
    }

    void bearerAuth_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("exact") << QByteArray("Bearer tok123") << true;
        QTest::newRow("scheme any case") << QByteArray("bearer tok123") << true;
        QTest::newRow("surrounding spaces") << QByteArray("  Bearer tok123 ") << true;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("no scheme") << QByteArray("tok123") << false;
        QTest::newRow("basic") << QByteArray("Basic tok123") << false;
        QTest::newRow("wrong token") << QByteArray("Bearer tok124") << false;
        QTest::newRow("token prefix") << QByteArray("Bearer tok12") << false;
        QTest::newRow("scheme only") << QByteArray("Bearer") << false;
        QTest::newRow("glued") << QByteArray("Bearertok123") << false;
    }
    void bearerAuth()
    {
        QFETCH(QByteArray, header);
        QFETCH(bool, accepted);
        QCOMPARE(BearerAuth("tok123").accepts(header), accepted);
        QVERIFY(!BearerAuth(QByteArray()).accepts("Bearer ")); // an empty token accepts nothing
    }

    void generatedTokens()
    {
        const QByteArray a = generateToken();
        const QByteArray b = generateToken();
        QCOMPARE(a.size(), 64);
        QCOMPARE(QByteArray::fromHex(a).toHex(), a); // hex digits only
        QVERIFY(a != b);
    }

    void listenAddress_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("loopback");
        QTest::newRow("v4") << u"127.0.0.1:8765"_s << true << u"http://127.0.0.1:8765"_s << true;
        QTest::newRow("port 0") << u"127.0.0.1:0"_s << true << u"http://127.0.0.1:0"_s << true;
        QTest::newRow("other loopback") << u"127.0.0.2:80"_s << true << u"http://127.0.0.2:80"_s << true;
        QTest::newRow("localhost") << u"localhost:9000"_s << true << u"http://127.0.0.1:9000"_s << true;
        QTest::newRow("port only") << u"9001"_s << true << u"http://127.0.0.1:9001"_s << true;
        QTest::newRow("v6 loopback") << u"[::1]:8080"_s << true << u"http://[::1]:8080"_s << true;
        QTest::newRow("any v4") << u"0.0.0.0:8765"_s << true << u"http://0.0.0.0:8765"_s << false;
        QTest::newRow("lan") << u"192.168.1.5:80"_s << true << u"http://192.168.1.5:80"_s << false;
        QTest::newRow("v6 any") << u"[::]:80"_s << true << u"http://[::]:80"_s << false;
        QTest::newRow("port too big") << u"127.0.0.1:65536"_s << false << QString() << false;
        QTest::newRow("signed port") << u"127.0.0.1:+80"_s << false << QString() << false;
        QTest::newRow("no port") << u"127.0.0.1:"_s << false << QString() << false;
        QTest::newRow("host name") << u"example.com:80"_s << false << QString() << false;
        QTest::newRow("empty host") << u":80"_s << false << QString() << false;
        QTest::newRow("v6 without brackets") << u"::1:80"_s << false << QString() << false;
        QTest::newRow("unclosed bracket") << u"[::1:80"_s << false << QString() << false;
        QTest::newRow("empty") << QString() << false << QString() << false;
    }
    void listenAddress()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QString, url);
        QFETCH(bool, loopback);
        QString error;
        const auto address = ListenAddress::parse(text, &error);
        QCOMPARE(address.has_value(), valid);
        if (!valid) {
            QVERIFY2(error.startsWith(u"--listen "_s), qPrintable(error));
            return;
        }
        QCOMPARE(address->url(), url);
        QCOMPARE(address->isLoopback(), loopback);
    }

    // --- the command line --------------------------------------------------------------

    void refusesNonLoopbackWithoutAllowRemote()
    {
        QByteArray err;
        QCOMPARE(runCoroute({u"serve"_s, u"--listen"_s, u"0.0.0.0:0"_s, u"--token"_s, u"x"_s}, &err), 2);
        QVERIFY2(err.contains("--allow-remote"), err.constData());
    }

    void badOptionsExit2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("bad port") << QStringList{u"--listen"_s, u"127.0.0.1:99999"_s};
        QTest::newRow("host name") << QStringList{u"--listen"_s, u"example.com:80"_s};
        QTest::newRow("max-body") << QStringList{u"--max-body"_s, u"-1"_s};
        QTest::newRow("empty token") << QStringList{u"--token"_s, QString()};
    }
    void badOptionsExit2()
    {
        QFETCH(QStringList, args);
        QByteArray err;
        QCOMPARE(runCoroute(QStringList{u"serve"_s} + args, &err), 2);
    }

    void generatedToken()
    {
        QTemporaryDir dir;
        QProcess server;
        server.start(binary(), {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--root"_s, dir.path(), u"--db"_s,
                                dir.filePath(u"h.sqlite"_s)});
        QVERIFY(server.waitForStarted(Bound));
        QVERIFY(QTest::qWaitFor([&] { return server.canReadLine() || server.state() != QProcess::Running; }, Bound));
        const auto o = QJsonDocument::fromJson(server.readLine()).object();
        QCOMPARE(o.value(u"token_source"_s).toString(), u"generated"_s);
        QByteArray err;
        QByteArray token;
        QVERIFY(QTest::qWaitFor([&] {
            err += server.readAllStandardError();
            const auto at = err.indexOf("token: ");
            const auto end = at < 0 ? -1 : err.indexOf('\n', at);
            if (end > 0)
                token = err.mid(at + 7, end - at - 7);
            return end > 0;
        }, Bound));
        QCOMPARE(token.size(), 64);
        m_base = o.value(u"listening"_s).toString();
        QCOMPARE(send("GET", u"/sys/health"_s, {}, "Bearer " + token).status, 200);
        QCOMPARE(send("GET", u"/sys/health"_s, {}, QByteArray("Bearer secret")).status, 401);
        server.terminate();
        QVERIFY(QTest::qWaitFor([&] { return server.state() == QProcess::NotRunning; }, Bound));
        QCOMPARE(server.exitCode(), 130);
        m_base.clear();
    }

    // --- a running server --------------------------------------------------------------

    void startServer()
    {
        QVERIFY2(QFile::exists(binary()), "COROUTE_BIN must name the coroute binary");
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir(m_dir.path()).mkpath(u"list/sub"_s));
        for (const auto &[name, text] : {std::pair{u"a.txt"_s, QByteArray("hello\n")},
                                         std::pair{u"list/one.txt"_s, QByteArray("1")},
                                         std::pair{u"list/two.txt"_s, QByteArray("22")}}) {
            QFile f(m_dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        }
        m_server.setProcessChannelMode(QProcess::SeparateChannels);
        m_server.start(binary(), {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--token"_s, u"secret"_s,
                                  u"--root"_s, m_dir.path(), u"--db"_s, m_dir.filePath(u"h.sqlite"_s)});
        QVERIFY(m_server.waitForStarted(Bound));
        QVERIFY2(QTest::qWaitFor([&] { return m_server.canReadLine() || m_server.state() != QProcess::Running; },
                                 Bound),
                 "no listening line");
        const auto line = m_server.readLine();
        const auto o = QJsonDocument::fromJson(line).object();
        QCOMPARE(o.value(u"token_source"_s).toString(), u"given"_s);
        m_base = o.value(u"listening"_s).toString();
        QVERIFY2(m_base.startsWith(u"http://127.0.0.1:"_s), line.constData());
        QVERIFY(!m_base.endsWith(u":0"_s)); // the real port
        // A given token is never echoed.
        QVERIFY(!m_server.readAllStandardError().contains("secret"));
    }

    void health()
    {
        const auto r = send("GET", u"/sys/health"_s);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.contentType, QByteArray("application/json"));
        QCOMPARE(r.json().value(u"status"_s).toString(), u"ok"_s);
    }

    void routeWithQuery()
    {
        const auto r = send("GET", u"/fs/hash?path=a.txt&algo=sha256"_s);
        QCOMPARE(r.status, 200);
        const auto o = r.json();
        QCOMPARE(o.value(u"hex"_s).toString(), QString::fromLatin1(QCryptographicHash::hash(
                                                    "hello\n", QCryptographicHash::Sha256).toHex()));
        QCOMPARE(o.value(u"bytes"_s).toInt(), 6);
    }

    void jobFailureAnswersWithItsStatus()
    {
        const auto r = send("GET", u"/fs/hash?path=missing.txt"_s);
        QCOMPARE(r.status, 404);
        const auto o = r.json();
        QCOMPARE(o.value(u"state"_s).toString(), u"failed"_s);
        QCOMPARE(o.value(u"error"_s).toObject().value(u"status"_s).toInt(), 404);
        QVERIFY(o.value(u"job"_s).toInteger() > 0);
        QVERIFY(o.value(u"detail"_s).toString().contains(u"missing.txt"_s));

        const auto escape = send("GET", u"/fs/hash?path=../outside.txt"_s);
        QCOMPARE(escape.status, 403);
    }

    void routerErrors()
    {
        const auto unknown = send("GET", u"/no/such/route"_s);
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.json().value(u"detail"_s).toString(), u"Not Found"_s);

        const auto method = send("POST", u"/sys/health"_s);
        QCOMPARE(method.status, 405);
        QCOMPARE(method.allow, QByteArray("GET"));
        QCOMPARE(method.json().value(u"detail"_s).toString(), u"Method Not Allowed"_s);

        const auto invalid = send("GET", u"/demo/items/abc"_s);
        QCOMPARE(invalid.status, 422);
        const auto detail = invalid.json().value(u"detail"_s).toArray();
        QCOMPARE(detail.size(), 1);
        QCOMPARE(detail[0].toObject().value(u"loc"_s).toArray(), (QJsonArray{u"path"_s, u"item_id"_s}));
        QCOMPARE(detail[0].toObject().value(u"type"_s).toString(), u"int_parsing"_s);

        const auto jobsMethod = send("PUT", u"/_jobs"_s);
        QCOMPARE(jobsMethod.status, 405);
        QCOMPARE(jobsMethod.allow, QByteArray("GET, POST"));
    }

    void streamingRouteAsJsonLines()
    {
        const auto r = send("GET", u"/fs/list?path=list"_s);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.contentType, QByteArray("application/x-ndjson"));
        QSet<QString> paths;
        for (const auto &line : r.body.split('\n')) {
            if (line.isEmpty())
                continue;
            QJsonParseError pe;
            const auto doc = QJsonDocument::fromJson(line, &pe);
            QVERIFY2(pe.error == QJsonParseError::NoError, line.constData());
            paths.insert(doc.object().value(u"path"_s).toString());
        }
        QCOMPARE(paths, (QSet<QString>{u"list/one.txt"_s, u"list/two.txt"_s, u"list/sub"_s}));
    }

    void openApi()
    {
        const auto r = send("GET", u"/_openapi.json"_s);
        QCOMPARE(r.status, 200);
        const auto o = r.json();
        QVERIFY(o.value(u"openapi"_s).toString().startsWith(u"3.1"_s));
        const auto paths = o.value(u"paths"_s).toObject();
        QVERIFY(paths.contains(u"/sys/health"_s));
        QVERIFY(paths.contains(u"/_jobs/{id}/events"_s));
        QVERIFY(o.value(u"components"_s).toObject().value(u"securitySchemes"_s).toObject().contains(u"bearer"_s));
    }

    void refusedWithoutTheToken_data()
    {
        QTest::addColumn<std::optional<QByteArray>>("authorization");
        QTest::newRow("none") << std::optional<QByteArray>();
        QTest::newRow("wrong") << std::optional<QByteArray>("Bearer secreT");
        QTest::newRow("prefix") << std::optional<QByteArray>("Bearer secre");
        QTest::newRow("basic") << std::optional<QByteArray>("Basic c2VjcmV0");
    }
    void refusedWithoutTheToken()
    {
        QFETCH(std::optional<QByteArray>, authorization);
        for (const auto &[method, path] : {std::pair{QByteArray("GET"), u"/sys/health"_s},
                                           std::pair{QByteArray("GET"), u"/_jobs"_s},
                                           std::pair{QByteArray("GET"), u"/_openapi.json"_s},
                                           std::pair{QByteArray("GET"), u"/no/such/route"_s}}) {
            const auto r = send(method, path, {}, authorization);
            QCOMPARE(r.status, 401);
            QCOMPARE(r.wwwAuthenticate, QByteArray("Bearer"));
            QCOMPARE(r.json().value(u"detail"_s).toString(), u"Not authenticated"_s);
        }
        // Nothing ran: a refused submit leaves no job behind.
        const int before = int(send("GET", u"/_jobs?limit=10000"_s).json().value(u"total"_s).toInt());
        QCOMPARE(send("POST", u"/_jobs"_s, R"({"route": "GET /sys/health"})", authorization).status, 401);
        QCOMPARE(send("GET", u"/_jobs?limit=10000"_s).json().value(u"total"_s).toInt(), before);
    }

    void oversizeBody_data()
    {
        QTest::addColumn<qint64>("size");
        QTest::newRow("just over 1 MiB") << qint64((1 << 20) + 1);
        QTest::newRow("4 MiB") << qint64(4 << 20);
    }
    void oversizeBody()
    {
        QFETCH(qint64, size);
        const QByteArray body = "\"" + QByteArray(size - 2, 'a') + "\"";
        const auto r = send("POST", u"/_jobs"_s, body);
        QCOMPARE(r.status, 413);
        QVERIFY(r.json().value(u"detail"_s).toString().contains(u"1048576"_s));
        // The server is still there.
        QCOMPARE(send("GET", u"/sys/health"_s).status, 200);
    }

    void bodiesUnderTheLimitAddUpOnOneConnection()
    {
        // Keep-alive reuses the connection: the limit is per request, not per connection.
        const QByteArray body = "\"" + QByteArray(700 * 1024, 'a') + "\"";
        for (int i = 0; i < 3; ++i)
            QCOMPARE(send("POST", u"/_jobs"_s, body).status, 422); // a string, not {route, ...}
    }

    void oversizeChunkedUpload()
    {
        // No Content-Length to refuse up front: the bytes received are counted instead.
        QTcpSocket socket;
        const QUrl base(m_base);
        socket.connectToHost(base.host(), quint16(base.port()));
        QVERIFY(socket.waitForConnected(Bound));
        QByteArray rq = "POST /_jobs HTTP/1.1\r\nHost: " + base.host().toLatin1()
                        + "\r\nAuthorization: Bearer secret\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
        const QByteArray chunk = "10000\r\n" + QByteArray(0x10000, ' ') + "\r\n";
        for (int i = 0; i < 40; ++i) // 2.5 MiB
            rq += chunk;
        rq += "0\r\n\r\n";
        socket.write(rq);
        QByteArray answer;
        connect(&socket, &QIODevice::readyRead, this, [&] { answer += socket.readAll(); });
        QVERIFY2(QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, Bound),
                 "the server kept the connection open");
        answer += socket.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 413 "), answer.left(200).constData());
    }

    void malformedJson()
    {
        const auto r = send("POST", u"/_jobs"_s, "{\"route\": oops}");
        QCOMPARE(r.status, 400);
        const auto detail = r.json().value(u"detail"_s).toString();
        QVERIFY2(detail.startsWith(u"invalid JSON: "_s) && detail.contains(u" at offset "_s), qPrintable(detail));

        const auto write = send("POST", u"/fs/write"_s, "{\"path\": \"x.txt\", \"text\": ");
        QCOMPARE(write.status, 400);
        QVERIFY(!QFile::exists(m_dir.filePath(u"x.txt"_s)));
    }

    void wrongTypes_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QJsonArray>("loc");
        QTest::newRow("not an object") << QByteArray("[1]") << QJsonArray{u"body"_s};
        QTest::newRow("no route") << QByteArray("{}") << QJsonArray{u"body"_s, u"route"_s};
        QTest::newRow("route not a string") << QByteArray(R"({"route": 5})") << QJsonArray{u"body"_s, u"route"_s};
        QTest::newRow("route without method") << QByteArray(R"({"route": "/sys/health"})")
                                              << QJsonArray{u"body"_s, u"route"_s};
        QTest::newRow("query not an object") << QByteArray(R"({"route": "GET /sys/sleep", "query": [1]})")
                                             << QJsonArray{u"body"_s, u"query"_s};
        QTest::newRow("route's parameter") << QByteArray(R"({"route": "GET /sys/sleep", "query": {"ms": "soon"}})")
                                           << QJsonArray{u"query"_s, u"ms"_s};
    }
    void wrongTypes()
    {
        QFETCH(QByteArray, body);
        QFETCH(QJsonArray, loc);
        const auto r = send("POST", u"/_jobs"_s, body);
        QCOMPARE(r.status, 422);
        const auto detail = r.json().value(u"detail"_s).toArray();
        QVERIFY(!detail.isEmpty());
        QCOMPARE(detail[0].toObject().value(u"loc"_s).toArray(), loc);
    }

    void submitStreamCancel()
    {
        const qint64 id = submitSleep();
        QVERIFY(id > 0);

        QNetworkReply *events = m_nam.get(request(u"/_jobs/%1/events"_s.arg(id), "Bearer secret"));
        QByteArray stream;
        connect(events, &QIODevice::readyRead, this, [&] { stream += events->readAll(); });
        const auto sawRunning = [&] {
            for (const auto &e : parseEvents(stream)) {
                if (e.name == "state" && e.data.value(u"state"_s).toString() == u"running"_s)
                    return true;
            }
            return false;
        };
        QVERIFY2(QTest::qWaitFor(sawRunning, Bound), stream.constData());
        QCOMPARE(events->rawHeader("Content-Type"), QByteArray("text/event-stream"));
        QVERIFY(!events->isFinished()); // still streaming while the job runs

        const auto del = send("DELETE", u"/_jobs/%1"_s.arg(id));
        QCOMPARE(del.status, 202);
        QCOMPARE(del.json().value(u"cancelled"_s).toBool(), true);
        QCOMPARE(del.json().value(u"id"_s).toInteger(), id);

        QVERIFY2(QTest::qWaitFor([&] { return events->isFinished(); }, Bound), "the event stream did not end");
        stream += events->readAll();
        QCOMPARE(events->error(), QNetworkReply::NoError);
        const auto list = parseEvents(stream);
        QVERIFY(!list.isEmpty());
        const auto &last = list.last();
        QCOMPARE(last.name, QByteArray("finished"));
        QCOMPARE(last.data.value(u"state"_s).toString(), u"cancelled"_s);
        QCOMPARE(last.data.value(u"cancel_reason"_s).toString(), u"user"_s);
        QCOMPARE(last.data.value(u"cancelled_by"_s).toString(), u"http"_s);
        events->deleteLater();

        const auto job = send("GET", u"/_jobs/%1"_s.arg(id));
        QCOMPARE(job.status, 200);
        QCOMPARE(job.json().value(u"state"_s).toString(), u"cancelled"_s);
        QCOMPARE(job.json().value(u"error"_s).toObject().value(u"status"_s).toInt(), 499);

        // Cancelling again changes nothing; the events of a finished job end at once.
        const auto again = send("DELETE", u"/_jobs/%1"_s.arg(id));
        QCOMPARE(again.status, 202);
        QCOMPARE(again.json().value(u"cancelled"_s).toBool(), false);
        const auto replay = send("GET", u"/_jobs/%1/events"_s.arg(id));
        QCOMPARE(replay.status, 200);
        QCOMPARE(parseEvents(replay.body).last().name, QByteArray("finished"));
    }

    void jobListAndUnknownIds()
    {
        const auto recent = send("GET", u"/_jobs?limit=2"_s);
        QCOMPARE(recent.status, 200);
        const auto jobs = recent.json().value(u"jobs"_s).toArray();
        QCOMPARE(jobs.size(), 2);
        QVERIFY(jobs[0].toObject().value(u"id"_s).toInteger() > jobs[1].toObject().value(u"id"_s).toInteger());
        QCOMPARE(send("GET", u"/_jobs?limit=abc"_s).status, 422);

        for (const auto &[method, path] : {std::pair{QByteArray("GET"), u"/_jobs/999999"_s},
                                           std::pair{QByteArray("DELETE"), u"/_jobs/999999"_s},
                                           std::pair{QByteArray("GET"), u"/_jobs/999999/events"_s},
                                           std::pair{QByteArray("GET"), u"/_jobs/1/other"_s}}) {
            QCOMPARE(send(method, path).status, 404);
        }
        QCOMPARE(send("GET", u"/_jobs/abc"_s).status, 422);
    }

    void hangingUpCancelsAPlainCall()
    {
        QNetworkReply *reply = m_nam.get(request(u"/sys/sleep?ms=60000&tag=1"_s, "Bearer secret"));
        qint64 id = 0;
        const auto findJob = [&] {
            const auto jobs = send("GET", u"/_jobs?limit=20"_s).json().value(u"jobs"_s).toArray();
            for (const auto &j : jobs) {
                const auto o = j.toObject();
                if (o.value(u"path"_s).toString() == u"/sys/sleep"_s && o.value(u"state"_s).toString() == u"running"_s
                    && o.value(u"params"_s).toObject().value(u"ms"_s).toInt() == 60000 && !o.contains(u"parent"_s)) {
                    id = o.value(u"id"_s).toInteger();
                    return true;
                }
            }
            return false;
        };
        QVERIFY(QTest::qWaitFor(findJob, Bound));
        reply->abort();
        reply->deleteLater();
        QVERIFY(QTest::qWaitFor([&] {
            return send("GET", u"/_jobs/%1"_s.arg(id)).json().value(u"state"_s).toString() == u"cancelled"_s;
        }, Bound));
        QCOMPARE(send("GET", u"/_jobs/%1"_s.arg(id)).json().value(u"cancelled_by"_s).toString(),
                 u"http:disconnected"_s);
    }

    void sigtermCancelsEverythingAndExits130()
    {
        const qint64 id = submitSleep();
        QVERIFY(id > 0);
        QNetworkReply *events = m_nam.get(request(u"/_jobs/%1/events"_s.arg(id), "Bearer secret"));
        QByteArray stream;
        connect(events, &QIODevice::readyRead, this, [&] { stream += events->readAll(); });
        QVERIFY(QTest::qWaitFor([&] { return !parseEvents(stream).isEmpty(); }, Bound));

        m_server.terminate(); // SIGTERM
        QVERIFY2(QTest::qWaitFor([&] { return events->isFinished(); }, Bound), "the event stream did not end");
        stream += events->readAll();
        const auto last = parseEvents(stream).last();
        QCOMPARE(last.name, QByteArray("finished"));
        QCOMPARE(last.data.value(u"state"_s).toString(), u"cancelled"_s);
        QCOMPARE(last.data.value(u"cancel_reason"_s).toString(), u"shutdown"_s);
        events->deleteLater();

        // (waitForFinished() would answer false for a process that has already ended.)
        QVERIFY(QTest::qWaitFor([&] { return m_server.state() == QProcess::NotRunning; }, Bound));
        QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(m_server.exitCode(), 130);

        // Every job of the server is in the history, the shut-down one as cancelled.
        QProcess history;
        history.start(binary(), {u"history"_s, u"runs"_s, u"--json"_s, u"--db"_s, m_dir.filePath(u"h.sqlite"_s)});
        QVERIFY(history.waitForFinished(Bound));
        const auto runs = QJsonDocument::fromJson(history.readAllStandardOutput()).array();
        QCOMPARE(runs.size(), 1);
        const auto run = runs[0].toObject();
        QVERIFY(run.value(u"name"_s).toString().startsWith(u"serve "_s));
        QVERIFY(run.value(u"cancelled"_s).toInt() >= 3); // the DELETEd job, the hung-up call, this one
        QCOMPARE(run.value(u"state"_s).toString(), u"finished"_s);
    }

    void cleanupTestCase()
    {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.kill();
            m_server.waitForFinished(Bound);
        }
    }
};

QTEST_GUILESS_MAIN(tst_Serve)
#include "tst_serve.moc"
