#pragma once

// Internal to app/serve: one HTTP response in the making, shared by ApiServer and the
// per-connection guard. Not installed.

#include "serve/connectionguard_p.h"

#include <QAbstractSocket>
#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QLoggingCategory>
#include <QPointer>

#include <utility>

namespace coroute::serve {
Q_DECLARE_LOGGING_CATEGORY(lcServe)
}

namespace coroute::serve::detail {

using Header = std::pair<QByteArray, QByteArray>;
using Headers = QList<Header>;

/// value as compact JSON bytes (scalars too).
QByteArray jsonBytes(const QJsonValue &value);
/// "OK", "Not Found", ... for a status code.
QByteArray reasonPhrase(int status);

/// One response in the making, possibly long after handleRequest() returned: a plain answer
/// with Content-Length, or a chunked stream (JSON lines, server-sent events). The socket may
/// go away at any time (the client hung up); every write checks it first.
class Exchange
{
public:
    /// With keepAlive false the connection closes once the response is written, unless
    /// deferClose: then its owner closes it later.
    /// device is the client's socket, or any writable device (ApiServer::handleRaw()).
    Exchange(QIODevice *device, bool keepAlive, bool deferClose = false)
        : m_socket(device), m_keepAlive(keepAlive), m_deferClose(deferClose)
    {
    }
    ~Exchange();
    Q_DISABLE_COPY_MOVE(Exchange)

    /// The client's socket; null for a plain device.
    QAbstractSocket *socket() const { return qobject_cast<QAbstractSocket *>(m_socket.data()); }
    bool isOpen() const
    {
        if (const auto *s = socket())
            return s->state() == QAbstractSocket::ConnectedState;
        return m_socket && m_socket->isWritable();
    }
    bool started() const { return m_started; }
    bool finished() const { return m_finished; }
    void setOnDisconnect(QMetaObject::Connection c) { m_onDisconnect = c; }
    /// The guard of the connection this answers on: told when the response is complete, so
    /// the connection's deadlines for the next request start only then.
    void setGuard(ConnectionGuard *guard) { m_guard = guard; }

    void send(int status, const QByteArray &contentType, const QByteArray &body, const Headers &extra = {})
    {
        if (m_started)
            return;
        Headers headers = extra;
        headers.append(Header("Content-Type", contentType));
        headers.append(Header("Content-Length", QByteArray::number(body.size())));
        writeHead(status, headers);
        write(body);
        m_finished = true;
        close();
    }
    void sendJson(int status, const QJsonValue &json, const Headers &extra = {})
    {
        send(status, "application/json", jsonBytes(json), extra);
    }
    /// Starts a chunked response; chunk() adds to it, end() finishes it.
    void begin(int status, const QByteArray &contentType, const Headers &extra = {})
    {
        if (m_started)
            return;
        Headers headers = extra;
        headers.append(Header("Content-Type", contentType));
        headers.append(Header("Transfer-Encoding", "chunked"));
        writeHead(status, headers);
    }
    void chunk(const QByteArray &data)
    {
        if (!m_started || m_finished || data.isEmpty())
            return;
        write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    }
    void end()
    {
        if (!m_started || m_finished)
            return;
        m_finished = true;
        write("0\r\n\r\n");
        close();
    }

private:
    void writeHead(int status, const Headers &headers)
    {
        m_started = true;
        QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
        for (const auto &[name, value] : headers)
            head += name + ": " + value + "\r\n";
        head += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
        head += m_keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        write(head);
    }
    void write(const QByteArray &bytes)
    {
        if (isOpen())
            m_socket->write(bytes);
    }
    void close();

    QPointer<QIODevice> m_socket;
    QPointer<ConnectionGuard> m_guard;
    QMetaObject::Connection m_onDisconnect;
    bool m_keepAlive = true;
    bool m_deferClose = false;
    bool m_started = false;
    bool m_finished = false;
};

} // namespace coroute::serve::detail
