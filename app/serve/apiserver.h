#pragma once

#include "serve/bearerauth.h"
#include "serve/listenaddress.h"

#include "runtime/jobinfo.h"

#include <QAbstractHttpServer>
#include <QList>
#include <QMultiHash>
#include <QPointer>
#include <QTcpSocket>

#include <memory>
#include <utility>

class QHttpServerRequest;
class QUrl;

namespace coroute {
class Runtime;
}

namespace coroute::serve {

namespace detail {
class Exchange;
class GuardedTcpServer;
struct Watcher;
}

/// How ApiServer guards its door.
struct ApiServerOptions
{
    QByteArray token;              ///< required as "Authorization: Bearer <token>" on every request
    qint64 maxBodyBytes = 1 << 20; ///< larger request bodies are refused with 413
    /// A request's line and headers must arrive within this (from the connect, or from the
    /// request's first byte on a kept-alive connection), else 408 and the connection closes.
    int headerTimeoutMs = 10000;
    /// A request body must make progress at least this often, else 408 and close.
    int bodyTimeoutMs = 10000;
    /// A kept-alive connection with no request under way is closed after this.
    int idleTimeoutMs = 30000;
    /// Connections open at once; more are answered 503 and closed.
    int maxConnections = 512;
    /// Connections open at once from one peer address; more are answered 503 and closed.
    int maxConnectionsPerPeer = 256;
};

/// One HTTP request as it came off the wire (for ApiServer::handleRaw()).
struct RawRequest
{
    QByteArray method; ///< "GET"
    QByteArray target; ///< "/sys/health?x=1", percent-encoded
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
};

/// A runtime's router over HTTP: every route as itself (a job per request, its result as the
/// response, a streaming route as JSON lines), job control under /_jobs (submit, inspect,
/// server-sent events, cancel) and /_openapi.json. Every request needs the bearer token.
///
/// It subclasses QAbstractHttpServer rather than using QHttpServer's router: coroute's Router
/// already matches paths and validates parameters (404/405/422 with FastAPI bodies), and
/// answers must outlive handleRequest() — a job's result, a stream, an SSE feed — which
/// Qt 6.4's QHttpServer cannot express. Responses are written to the socket directly: Qt 6.4's
/// QHttpServerResponder keeps a raw socket pointer and knows no reason phrase for 499.
/// Requests on one connection are answered in order as long as the client waits for each
/// answer (browsers, curl and QNetworkAccessManager do; HTTP pipelining is not supported).
/// Slow, silent and surplus clients are cut off by the limits of ApiServerOptions (see
/// detail::ConnectionGuard): deadlines apply to receiving requests, never to sending answers.
/// Lives on the runtime's thread.
class ApiServer : public QAbstractHttpServer
{
    Q_OBJECT
public:
    ApiServer(Runtime &runtime, ApiServerOptions options, QObject *parent = nullptr);
    ~ApiServer() override;

    /// Starts listening on address. False, with *error set, when it cannot be bound.
    bool start(const ListenAddress &address, QString *error);
    /// The port actually bound (the free one picked for port 0), or 0 before start().
    quint16 port() const;
    /// Stops accepting connections and answers new requests on open ones with 503; answers in
    /// progress go on.
    void stopListening();
    /// Responses still waiting for a job or streaming (plain answers, JSON lines, SSE).
    int pendingResponses() const { return int(m_watchers.size()); }
    /// Bytes not yet written to any client socket (to let a shutdown drain them).
    qint64 bytesToWrite() const;
    /// Client connections open now (refused ones not counted).
    int openConnections() const;

    /// Handles one request exactly as one read off a socket (token check, body limit, JSON,
    /// routes and /_jobs), writing the HTTP response to out instead, now or once its job
    /// ends: the fuzz target's and tests' way in without sockets. Streams and events end in
    /// out as chunked bodies; out may be deleted at any time (later writes are dropped).
    void handleRaw(const RawRequest &request, QIODevice *out);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Request;
    void dispatch(const QString &method, const QUrl &url, QByteArrayView authorization, const QByteArray &body,
                  const std::shared_ptr<detail::Exchange> &ex);
    void handle(const Request &request, const std::shared_ptr<detail::Exchange> &ex);
    void callRoute(const Request &request, const std::shared_ptr<detail::Exchange> &ex);
    void handleJobs(const Request &request, const std::shared_ptr<detail::Exchange> &ex);
    void submitJob(const Request &request, const std::shared_ptr<detail::Exchange> &ex);
    void streamEvents(JobId id, const std::shared_ptr<detail::Exchange> &ex);
    void watch(JobId id, const std::shared_ptr<detail::Watcher> &w);
    void onChanged(const ChangeSet &changes);
    void settle(detail::Watcher &w, const JobInfo &job);
    QJsonObject openApi() const;

    Runtime &m_runtime;
    ApiServerOptions m_options;
    BearerAuth m_auth;
    detail::GuardedTcpServer *m_tcp = nullptr;
    bool m_stopping = false;
    QList<QPointer<QTcpSocket>> m_sockets;
    QMultiHash<JobId, std::shared_ptr<detail::Watcher>> m_watchers;
};

} // namespace coroute::serve
