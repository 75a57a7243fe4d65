#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QTcpServer>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

class QTcpSocket;

namespace coroute::test {

/// A request as the test server parsed it.
struct TestHttpRequest
{
    QByteArray method;
    QByteArray target; ///< path and query as sent ("/body?size=10")
    QString path;      ///< decoded path
    QUrlQuery query;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    int hit = 0;       ///< 1 for the first request to this path, 2 for the second, ...

    QByteArray header(const QByteArray &name) const;
    int queryInt(const QString &name, int fallback = 0) const;
};

/// What the test server answers. The defaults give "200 OK" with body and Content-Length.
struct TestHttpResponse
{
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool contentLength = true;  ///< false: chunked transfer encoding
    int delayMs = 0;            ///< wait before answering
    bool stall = false;         ///< never answer (the client must time out or cancel)
    qint64 dropAfter = -1;      ///< close the connection after this many body bytes
};

/// A small HTTP/1.1 server with keep-alive on 127.0.0.1 for tests and benchmarks. Requests
/// on one connection are answered in order. Without a handler it serves the built-in paths:
///   /body?size=N          N bytes of 'x' (default 1024)
///   /fail?times=K         500 for the first K hits of the path, then "ok"
///   /busy?times=K         429 with Retry-After: 1 for the first K hits, then "ok"
///   /stall                never answers
///   /drop?times=K&size=N  announces N bytes, sends half and closes for K hits, then N bytes
///   /big?size=N&cl=0|1    N bytes with (cl=1) or without Content-Length (chunked)
///   /redirect?n=K         302 to /redirect?n=K-1; n=0 answers "done"
///   /loop                 302 to itself
///   /slow?ms=M            answers "ok" after M ms (default 20)
///   /echo                 the method, headers and body as JSON
/// Counters are read by tests: hits per path, requests in flight, connections.
class TestHttpServer : public QTcpServer
{
    Q_OBJECT
public:
    using Handler = std::function<TestHttpResponse(const TestHttpRequest &)>;

    explicit TestHttpServer(QObject *parent = nullptr);
    ~TestHttpServer() override;

    /// Listens on 127.0.0.1 on a free port. Returns whether it did.
    bool start();
    /// http://127.0.0.1:PORT + path (path may carry a query).
    QUrl url(const QString &pathAndQuery) const;
    /// Replaces the built-in paths.
    void setHandler(Handler handler) { m_handler = std::move(handler); }

    int hits(const QString &path) const { return m_hits.value(path); }
    int requests() const { return m_requests; }
    int inFlight() const { return m_inFlight; }
    int maxInFlight() const { return m_maxInFlight; }
    int openConnections() const { return m_open; }
    int connectionsAccepted() const { return m_accepted; }
    /// Connections that the client closed while a request was still unanswered on them.
    int abandonedByClient() const { return m_abandoned; }
    void resetCounters();

    static TestHttpResponse builtin(const TestHttpRequest &request);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    struct Connection;
    void process(Connection *c);
    void answer(Connection *c, const TestHttpRequest &request, const TestHttpResponse &response);
    void finishRequest(Connection *c);

    Handler m_handler;
    QHash<QString, int> m_hits;
    int m_requests = 0;
    int m_inFlight = 0;
    int m_maxInFlight = 0;
    int m_open = 0;
    int m_accepted = 0;
    int m_abandoned = 0;
};

} // namespace coroute::test
