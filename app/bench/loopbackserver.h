#pragma once

#include <QByteArray>
#include <QThread>

#include <atomic>

namespace coroute::bench {

/// W3's in-process HTTP/1.1 server on 127.0.0.1: answers every request with 200 and the same
/// body, keep-alive, pipelining-safe. It runs its own epoll loop on its own thread, so it
/// never shares (or slows) the client's event loop; requests are assumed to have no body.
class LoopbackServer : public QThread
{
public:
    explicit LoopbackServer(QByteArray body);
    /// Stops the loop and closes every socket.
    ~LoopbackServer() override;

    /// Listens on a free port and starts the thread. Returns false (with errorString()) on failure.
    bool listen();
    quint16 port() const { return m_port; }
    QString errorString() const { return m_error; }
    /// Requests answered so far.
    qint64 answered() const { return m_answered.load(std::memory_order_relaxed); }

protected:
    void run() override;

private:
    QByteArray m_response; // status line, headers and body, sent as one block per request
    int m_listenFd = -1;
    int m_wakeFd = -1;     // eventfd: the destructor wakes the loop to stop it
    quint16 m_port = 0;
    QString m_error;
    std::atomic<qint64> m_answered{0};
};

} // namespace coroute::bench
