#pragma once

// Internal to app/serve: what ApiServer does about clients that are slow, silent, too many or
// too large. Not installed.

#include "serve/apiserver.h"

#include <QHash>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace coroute::serve::detail {

/// The open connections, in total and per peer address.
struct ConnectionCount
{
    int total = 0;
    QHash<QString, int> perPeer;
};

/// Watches one client connection from accept to close, ahead of QAbstractHttpServer's parser
/// (its readyRead handler is connected first, so it sees every byte before Qt 6.4's parser
/// does, which has no timeouts of its own):
/// - the request line and headers must be complete within headerTimeoutMs of the connect, or
///   of the request's first byte on a kept-alive connection;
/// - a request body must make progress at least every bodyTimeoutMs;
/// - a kept-alive connection with no request under way closes after idleTimeoutMs;
/// - bodies over maxBodyBytes are refused with 413 from the declared Content-Length (or from
///   the bytes received) before they are buffered.
/// A request or body deadline answers 408 and closes; an idle connection just closes. While a
/// request is being answered no deadline runs: long answers and event streams are legitimate.
/// A child of its socket; dies with it.
class ConnectionGuard : public QObject
{
    Q_OBJECT
public:
    enum class Phase { Head, Body, Busy, Idle, Closing };

    /// server is the QAbstractHttpServer whose parser reads socket; count is decremented
    /// for peer when the guard dies.
    ConnectionGuard(QTcpSocket *socket, const ApiServerOptions &options, QObject *server,
                    std::shared_ptr<ConnectionCount> count, const QString &peer);
    ~ConnectionGuard() override;

    /// The guard of socket, or null.
    static ConnectionGuard *of(QObject *socket);

    /// A complete request was handed to the server: no deadline until it is answered.
    void requestStarted();
    /// A response is complete; with keepAlive the idle timeout runs until the next request.
    void responseFinished(bool keepAlive);
    /// A response that will never be completed: the connection closes.
    void responseAbandoned();

    Phase phase() const { return m_phase; }

private:
    void onReadyRead();
    void scanHead(const QByteArray &bytes);
    void onDeadline();
    void timeOut(const QString &detail);
    void refuseBody(qint64 expectedTotal);
    /// Stops Qt's parser from reading the socket any further; later bytes are dropped.
    void detachParser();
    void closeSoon(int killAfterMs);

    QTcpSocket *m_socket;
    QObject *m_server;
    std::shared_ptr<ConnectionCount> m_count;
    QString m_peer;
    int m_headerTimeoutMs;
    int m_bodyTimeoutMs;
    int m_idleTimeoutMs;
    qint64 m_maxBody;

    Phase m_phase = Phase::Head;
    int m_inFlight = 0;       // requests handed to the server and not yet answered
    bool m_headBegun = false; // a byte other than CR/LF seen (blank lines before a request are allowed)
    int m_lineLength = 0;     // bytes on the current header line
    qint64 m_received = 0;    // bytes of the current request the server has not parsed yet
    qint64 m_expected = -1;   // a refused request's declared total size
    bool m_draining = false;  // closing: bytes are read and dropped so the answer is not lost to a reset
    QTimer m_deadline;
    QTimer m_quiet; // a refused upload without a declared length: closes once the client goes quiet
    QTimer m_kill;  // the last resort of a closing connection
};

/// Accepts connections for ApiServer: over maxConnections in total or maxConnectionsPerPeer
/// from one address, a connection gets 503 and is closed without reaching the HTTP parser;
/// the others get a ConnectionGuard before QAbstractHttpServer sees them.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT
public:
    GuardedTcpServer(const ApiServerOptions &options, QObject *httpServer,
                     std::function<void(QTcpSocket *)> onAccepted, QObject *parent);

    /// The connections open now (guarded ones; refused ones are not counted).
    int openConnections() const { return m_count->total; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    void refuse(QTcpSocket *socket, const QString &detail);

    ApiServerOptions m_options;
    QObject *m_httpServer;
    std::function<void(QTcpSocket *)> m_onAccepted;
    std::shared_ptr<ConnectionCount> m_count = std::make_shared<ConnectionCount>();
};

} // namespace coroute::serve::detail
