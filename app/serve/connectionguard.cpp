#include "serve/connectionguard_p.h"

#include "serve/exchange_p.h"

#include <QJsonObject>
#include <QTcpSocket>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace coroute::serve::detail {

namespace {

constexpr qint64 HeaderAllowance = 64 * 1024; // head bytes tolerated on top of the body limit
constexpr int DrainMs = 1000;                 // how long a refused or timed-out client may still send

/// One address per host: an IPv4 peer seen through an IPv6 socket counts as itself.
QString peerKey(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

void sendDetail(Exchange &ex, int status, const QString &detail, const Headers &extra = {})
{
    ex.sendJson(status, QJsonObject{{u"detail"_s, detail}}, extra);
}

qint64 contentLength(const QByteArray &head)
{
    for (const auto &line : head.split('\n')) {
        const auto colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "content-length") {
            bool ok = false;
            const qint64 n = line.mid(colon + 1).trimmed().toLongLong(&ok);
            return ok ? n : -1;
        }
    }
    return -1;
}

} // namespace

// ---- ConnectionGuard -------------------------------------------------------------------------

ConnectionGuard::ConnectionGuard(QTcpSocket *socket, const ApiServerOptions &options, QObject *server,
                                 std::shared_ptr<ConnectionCount> count, const QString &peer)
    : QObject(socket)
    , m_socket(socket)
    , m_server(server)
    , m_count(std::move(count))
    , m_peer(peer)
    , m_headerTimeoutMs(options.headerTimeoutMs)
    , m_bodyTimeoutMs(options.bodyTimeoutMs)
    , m_idleTimeoutMs(options.idleTimeoutMs)
    , m_maxBody(options.maxBodyBytes)
{
    ++m_count->total;
    ++m_count->perPeer[m_peer];
    // Connected before QAbstractHttpServer's own readyRead handler, so it runs first.
    connect(socket, &QIODevice::readyRead, this, &ConnectionGuard::onReadyRead);
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, &ConnectionGuard::onDeadline);
    m_quiet.setSingleShot(true);
    connect(&m_quiet, &QTimer::timeout, m_socket, &QAbstractSocket::disconnectFromHost);
    m_kill.setSingleShot(true);
    // Also the end of a socket whose signals Qt's parser dropped (it disconnects everything
    // from a socket that sent a malformed request, its own deleteLater() included).
    connect(&m_kill, &QTimer::timeout, this, [this] {
        m_socket->abort();
        m_socket->deleteLater();
    });
    m_deadline.start(m_headerTimeoutMs); // a silent client is cut off like a slow one
}

ConnectionGuard::~ConnectionGuard()
{
    --m_count->total;
    if (auto it = m_count->perPeer.find(m_peer); it != m_count->perPeer.end() && --*it <= 0)
        m_count->perPeer.erase(it);
}

ConnectionGuard *ConnectionGuard::of(QObject *socket)
{
    return socket ? socket->findChild<ConnectionGuard *>(QString(), Qt::FindDirectChildrenOnly) : nullptr;
}

void ConnectionGuard::requestStarted()
{
    ++m_inFlight;
    if (m_phase == Phase::Closing)
        return;
    m_phase = Phase::Busy;
    m_deadline.stop();
}

void ConnectionGuard::responseFinished(bool keepAlive)
{
    m_inFlight = qMax(0, m_inFlight - 1);
    if (m_phase == Phase::Closing)
        return;
    if (!keepAlive) {
        m_phase = Phase::Closing; // the server closes it once the answer is written
        m_deadline.stop();
        return;
    }
    if (m_inFlight > 0)
        return;
    m_phase = Phase::Idle;
    m_headBegun = false;
    m_lineLength = 0;
    m_deadline.start(m_idleTimeoutMs);
}

void ConnectionGuard::responseAbandoned()
{
    if (m_phase == Phase::Closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    qCDebug(lcServe) << "a response was abandoned unfinished; closing the connection from"
                     << m_socket->peerAddress().toString();
    detachParser();
    closeSoon(DrainMs);
}

void ConnectionGuard::onReadyRead()
{
    if (m_draining) {
        m_received += m_socket->readAll().size();
        if (m_expected >= 0 && m_received >= m_expected)
            m_socket->disconnectFromHost();
        else if (m_expected < 0 && m_quiet.interval() > 0)
            m_quiet.start(); // a refused upload without a declared length: close once it goes quiet
        return;
    }
    const qint64 available = m_socket->bytesAvailable(); // only what the server has not parsed yet
    if (!m_socket->isTransactionStarted()) {
        // A new request starts here (the server opens a read transaction per request).
        m_received = 0;
        const QByteArray head = m_socket->peek(HeaderAllowance);
        if (const auto end = head.indexOf("\r\n\r\n"); end >= 0) {
            const qint64 declared = contentLength(head.left(end));
            if (declared > m_maxBody)
                return refuseBody(end + 4 + declared);
        }
    }
    m_received += available;
    if (m_received > m_maxBody + HeaderAllowance)
        return refuseBody(-1);

    switch (m_phase) {
    case Phase::Idle: // the next request begins: its head has headerTimeoutMs from now
        m_phase = Phase::Head;
        m_deadline.start(m_headerTimeoutMs);
        scanHead(m_socket->peek(available));
        break;
    case Phase::Head:
        scanHead(m_socket->peek(available));
        break;
    case Phase::Body:
        m_deadline.start(m_bodyTimeoutMs); // progress: the body deadline starts over
        break;
    case Phase::Busy:
    case Phase::Closing:
        break;
    }
}

void ConnectionGuard::scanHead(const QByteArray &bytes)
{
    // The head ends at the first empty line; the parser accepts bare LF line ends too.
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (!m_headBegun) {
            if (c == '\r' || c == '\n')
                continue; // blank lines before a request line are not a head
            m_headBegun = true;
        }
        if (c == '\n') {
            if (m_lineLength == 0) {
                m_phase = Phase::Body; // also for a request without a body: the parser takes over now
                m_deadline.start(m_bodyTimeoutMs);
                return;
            }
            m_lineLength = 0;
        } else if (c != '\r') {
            ++m_lineLength;
        }
    }
}

void ConnectionGuard::onDeadline()
{
    switch (m_phase) {
    case Phase::Head:
        return timeOut(u"request headers not received within %1 ms"_s.arg(m_headerTimeoutMs));
    case Phase::Body:
        return timeOut(u"request body stalled: nothing received for %1 ms"_s.arg(m_bodyTimeoutMs));
    case Phase::Idle:
        if (m_socket->bytesToWrite() > 0) { // still sending the last answer: not idle
            m_deadline.start(m_idleTimeoutMs);
            return;
        }
        qCDebug(lcServe) << "closing an idle connection from" << m_socket->peerAddress().toString();
        detachParser();
        closeSoon(DrainMs);
        return;
    case Phase::Busy:
    case Phase::Closing:
        return;
    }
}

void ConnectionGuard::timeOut(const QString &detail)
{
    qCInfo(lcServe).noquote() << detail << "from" << m_socket->peerAddress().toString() << "- closing";
    // Qt's parser is detached first, so no request half-parsed by it can be answered after the 408.
    detachParser();
    Exchange ex(m_socket, false, true);
    sendDetail(ex, 408, detail);
    closeSoon(DrainMs);
}

void ConnectionGuard::refuseBody(qint64 expectedTotal)
{
    m_expected = expectedTotal;
    detachParser();
    m_received += m_socket->readAll().size();
    qCInfo(lcServe) << "refused a request body over" << m_maxBody << "bytes from"
                    << m_socket->peerAddress().toString();
    Exchange ex(m_socket, false, true); // closed below, once the upload is drained
    sendDetail(ex, 413, u"request body larger than %1 bytes"_s.arg(m_maxBody));
    m_phase = Phase::Closing; // the upload is read and dropped meanwhile
    if (m_expected >= 0 && m_received >= m_expected) {
        m_socket->disconnectFromHost();
    } else if (m_expected < 0) {
        m_quiet.setInterval(500);
        m_quiet.start();
    }
    // A client that never finishes its upload is cut off.
    m_kill.start(10000);
}

void ConnectionGuard::detachParser()
{
    m_deadline.stop();
    m_draining = true;
    // The server must not parse (and buffer) this connection any further.
    QObject::disconnect(m_socket, &QIODevice::readyRead, m_server, nullptr);
    if (m_socket->isTransactionStarted())
        m_socket->commitTransaction();
    m_socket->readAll();
}

void ConnectionGuard::closeSoon(int killAfterMs)
{
    m_phase = Phase::Closing;
    // After the answer is written; bytes the client still sends meanwhile are read and
    // dropped, so the kernel does not reset the connection before the answer arrives.
    m_socket->disconnectFromHost();
    m_kill.start(killAfterMs);
}

// ---- GuardedTcpServer ------------------------------------------------------------------------

GuardedTcpServer::GuardedTcpServer(const ApiServerOptions &options, QObject *httpServer,
                                   std::function<void(QTcpSocket *)> onAccepted, QObject *parent)
    : QTcpServer(parent), m_options(options), m_httpServer(httpServer), m_onAccepted(std::move(onAccepted))
{
}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcServe) << "cannot adopt an accepted connection:" << socket->errorString();
        delete socket;
        ::close(int(descriptor));
        return;
    }
    const QString peer = peerKey(socket->peerAddress());
    if (m_count->total >= m_options.maxConnections)
        return refuse(socket, u"too many connections (%1 open)"_s.arg(m_count->total));
    if (m_count->perPeer.value(peer) >= m_options.maxConnectionsPerPeer)
        return refuse(socket, u"too many connections from %1 (%2 open)"_s.arg(peer).arg(m_count->perPeer.value(peer)));
    new ConnectionGuard(socket, m_options, m_httpServer, m_count, peer);
    if (m_onAccepted)
        m_onAccepted(socket);
    addPendingConnection(socket); // QAbstractHttpServer takes it from here
}

void GuardedTcpServer::refuse(QTcpSocket *socket, const QString &detail)
{
    // Never handed to the HTTP parser, so the 503 cannot race it. Whatever the client sends is
    // read and dropped until the connection is closed (a reset could lose the answer).
    qCInfo(lcServe).noquote() << "refused a connection:" << detail;
    connect(socket, &QIODevice::readyRead, socket, [socket] { socket->readAll(); });
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(DrainMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
    Exchange ex(socket, false);
    sendDetail(ex, 503, detail, {{"Retry-After", "1"}});
}

} // namespace coroute::serve::detail
