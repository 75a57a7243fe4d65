#include "testhttpserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace coroute::test {

namespace {

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 302: return "Found";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

TestHttpResponse text(int status, const QByteArray &body)
{
    TestHttpResponse r;
    r.status = status;
    r.body = body;
    return r;
}

} // namespace

QByteArray TestHttpRequest::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

int TestHttpRequest::queryInt(const QString &name, int fallback) const
{
    bool ok = false;
    const int v = query.queryItemValue(name).toInt(&ok);
    return ok ? v : fallback;
}

struct TestHttpServer::Connection
{
    QTcpSocket *socket = nullptr;
    QByteArray buffer;
    bool busy = false;   // a request is being answered; later ones wait (no pipelining)
    bool closed = false;
    bool dropping = false; // closing on purpose after a partial body
};

TestHttpServer::TestHttpServer(QObject *parent) : QTcpServer(parent) {}

TestHttpServer::~TestHttpServer() = default;

bool TestHttpServer::start()
{
    setMaxPendingConnections(1024);
    setListenBacklogSize(1024);
    return listen(QHostAddress::LocalHost, 0);
}

QUrl TestHttpServer::url(const QString &pathAndQuery) const
{
    return QUrl(u"http://127.0.0.1:%1%2"_s.arg(serverPort()).arg(pathAndQuery));
}

void TestHttpServer::resetCounters()
{
    m_hits.clear();
    m_requests = 0;
    m_maxInFlight = m_inFlight;
    m_accepted = 0;
    m_abandoned = 0;
}

void TestHttpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    ++m_accepted;
    ++m_open;
    auto *c = new Connection{socket};
    // The connection state lives exactly as long as its socket, so timers bound to the
    // socket never see a dead Connection.
    // Bound to the socket itself: a context of this would be disconnected before the server
    // deletes its sockets, leaking every Connection.
    connect(socket, &QObject::destroyed, socket, [c] { delete c; });
    connect(socket, &QTcpSocket::readyRead, this, [this, c] {
        c->buffer.append(c->socket->readAll());
        process(c);
    });
    connect(socket, &QTcpSocket::disconnected, this, [this, c] {
        if (c->closed)
            return;
        c->closed = true;
        --m_open;
        if (c->busy) {
            ++m_abandoned;
            finishRequest(c);
        }
        c->socket->deleteLater();
    });
}

void TestHttpServer::finishRequest(Connection *c)
{
    c->busy = false;
    --m_inFlight;
}

void TestHttpServer::process(Connection *c)
{
    while (!c->busy && !c->closed && !c->dropping) {
        const auto end = c->buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const auto head = c->buffer.left(end);
        const auto lines = head.split('\n');
        TestHttpRequest req;
        const auto requestLine = lines.value(0).trimmed().split(' ');
        req.method = requestLine.value(0);
        req.target = requestLine.value(1);
        qint64 contentLength = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const auto line = lines[i].trimmed();
            const auto colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const auto name = line.left(colon).trimmed();
            const auto value = line.mid(colon + 1).trimmed();
            req.headers.append({name, value});
            if (name.compare("content-length", Qt::CaseInsensitive) == 0)
                contentLength = value.toLongLong();
        }
        if (c->buffer.size() < end + 4 + contentLength)
            return;
        req.body = c->buffer.mid(end + 4, contentLength);
        c->buffer.remove(0, end + 4 + contentLength);
        const QUrl parsed(QString::fromLatin1(req.target));
        req.path = parsed.path();
        req.query = QUrlQuery(parsed.query());
        req.hit = ++m_hits[req.path];
        ++m_requests;
        c->busy = true;
        m_maxInFlight = std::max(m_maxInFlight, ++m_inFlight);

        const auto response = m_handler ? m_handler(req) : builtin(req);
        if (response.stall)
            return; // busy until the client goes away
        if (response.delayMs > 0) {
            QTimer::singleShot(response.delayMs, c->socket, [this, c, req, response] {
                if (!c->closed)
                    answer(c, req, response);
            });
            return;
        }
        answer(c, req, response);
    }
}

void TestHttpServer::answer(Connection *c, const TestHttpRequest &request, const TestHttpResponse &response)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reason(response.status) + "\r\n";
    for (const auto &[k, v] : response.headers)
        out += k + ": " + v + "\r\n";
    const bool head = request.method == "HEAD";
    if (response.contentLength || response.dropAfter >= 0)
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    else
        out += "Transfer-Encoding: chunked\r\n";
    out += "\r\n";
    if (response.dropAfter >= 0) {
        out += response.body.left(response.dropAfter);
        c->socket->write(out);
        finishRequest(c);
        c->dropping = true;
        c->socket->disconnectFromHost(); // after the pending bytes went out; then disconnected()
        return;
    }
    if (!head) {
        if (response.contentLength) {
            out += response.body;
        } else {
            if (!response.body.isEmpty())
                out += QByteArray::number(response.body.size(), 16) + "\r\n" + response.body + "\r\n";
            out += "0\r\n\r\n";
        }
    }
    c->socket->write(out);
    finishRequest(c);
    // Let the next pipelined request, if any, through (outside the current call chain).
    if (!c->buffer.isEmpty())
        QTimer::singleShot(0, c->socket, [this, c] { process(c); });
}

TestHttpResponse TestHttpServer::builtin(const TestHttpRequest &req)
{
    const auto &p = req.path;
    if (p == u"/body")
        return text(200, QByteArray(req.queryInt(u"size"_s, 1024), 'x'));
    if (p == u"/fail")
        return req.hit <= req.queryInt(u"times"_s, 1) ? text(500, "boom") : text(200, "ok");
    if (p == u"/busy") {
        if (req.hit > req.queryInt(u"times"_s, 1))
            return text(200, "ok");
        auto r = text(429, "slow down");
        r.headers.append(std::pair<QByteArray, QByteArray>("Retry-After", "1"));
        return r;
    }
    if (p == u"/stall") {
        TestHttpResponse r;
        r.stall = true;
        return r;
    }
    if (p == u"/drop") {
        auto r = text(200, QByteArray(req.queryInt(u"size"_s, 4096), 'd'));
        if (req.hit <= req.queryInt(u"times"_s, 1))
            r.dropAfter = r.body.size() / 2;
        return r;
    }
    if (p == u"/big") {
        auto r = text(200, QByteArray(req.queryInt(u"size"_s, 1 << 20), 'b'));
        r.contentLength = req.queryInt(u"cl"_s, 1) != 0;
        return r;
    }
    if (p == u"/redirect") {
        const int n = req.queryInt(u"n"_s, 1);
        if (n <= 0)
            return text(200, "done");
        auto r = text(302, {});
        r.headers.append(std::pair<QByteArray, QByteArray>("Location", "/redirect?n=" + QByteArray::number(n - 1)));
        return r;
    }
    if (p == u"/loop") {
        auto r = text(302, {});
        r.headers.append(std::pair<QByteArray, QByteArray>("Location", "/loop"));
        return r;
    }
    if (p == u"/slow") {
        auto r = text(200, "ok");
        r.delayMs = req.queryInt(u"ms"_s, 20);
        return r;
    }
    if (p == u"/echo") {
        QJsonObject headers;
        for (const auto &[k, v] : req.headers)
            headers.insert(QString::fromLatin1(k).toLower(), QString::fromLatin1(v));
        const QJsonObject o{{u"method"_s, QString::fromLatin1(req.method)},
                            {u"headers"_s, headers},
                            {u"body"_s, QString::fromUtf8(req.body)}};
        auto r = text(200, QJsonDocument(o).toJson(QJsonDocument::Compact));
        r.headers.append(std::pair<QByteArray, QByteArray>("Content-Type", "application/json"));
        return r;
    }
    return text(404, "not found");
}

} // namespace coroute::test
