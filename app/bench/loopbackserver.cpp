#include "bench/loopbackserver.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <unordered_map>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

struct Connection
{
    QByteArray in;   // bytes received, not yet a complete request
    QByteArray out;  // answers not yet written (the socket was full)
    bool wantsWrite = false;
};

QString lastError(const char *what)
{
    return QString::fromLatin1(what) + u": "_s + QString::fromLocal8Bit(std::strerror(errno));
}

} // namespace

LoopbackServer::LoopbackServer(QByteArray body)
{
    m_response = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body;
}

LoopbackServer::~LoopbackServer()
{
    if (isRunning() && m_wakeFd >= 0) {
        const quint64 one = 1;
        [[maybe_unused]] const auto n = ::write(m_wakeFd, &one, sizeof one);
        wait();
    }
    if (m_listenFd >= 0)
        ::close(m_listenFd);
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

bool LoopbackServer::listen()
{
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0) {
        m_error = lastError("socket");
        return false;
    }
    const int yes = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0
        || ::listen(m_listenFd, 1024) != 0
        || ::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        m_error = lastError("listen on 127.0.0.1");
        return false;
    }
    m_port = ntohs(addr.sin_port);
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0) {
        m_error = lastError("eventfd");
        return false;
    }
    start();
    return true;
}

void LoopbackServer::run()
{
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_listenFd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, m_listenFd, &ev);
    ev.data.fd = m_wakeFd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, m_wakeFd, &ev);

    std::unordered_map<int, Connection> connections;
    auto drop = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        connections.erase(fd);
    };
    // Writes what is pending; asks for EPOLLOUT only while the socket is full.
    auto flush = [&](int fd, Connection &c) -> bool {
        while (!c.out.isEmpty()) {
            const auto n = ::send(fd, c.out.constData(), size_t(c.out.size()), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                return false;
            }
            c.out.remove(0, qsizetype(n));
        }
        const bool full = !c.out.isEmpty();
        if (full != c.wantsWrite) {
            epoll_event mod{};
            mod.events = EPOLLIN | (full ? EPOLLOUT : 0u);
            mod.data.fd = fd;
            ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &mod);
            c.wantsWrite = full;
        }
        return true;
    };

    char buffer[16384];
    epoll_event events[128];
    bool stop = false;
    while (!stop) {
        const int ready = ::epoll_wait(ep, events, 128, -1);
        if (ready < 0 && errno != EINTR)
            break;
        for (int i = 0; i < ready; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_wakeFd) {
                stop = true;
                continue;
            }
            if (fd == m_listenFd) {
                for (;;) {
                    const int client = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (client < 0)
                        break;
                    const int one = 1;
                    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event add{};
                    add.events = EPOLLIN;
                    add.data.fd = client;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, client, &add);
                    connections.emplace(client, Connection{});
                }
                continue;
            }
            auto it = connections.find(fd);
            if (it == connections.end())
                continue;
            Connection &c = it->second;
            bool alive = true;
            if (events[i].events & EPOLLIN) {
                for (;;) {
                    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
                    if (n > 0) {
                        c.in.append(buffer, qsizetype(n));
                        continue;
                    }
                    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                        alive = false;
                    break;
                }
                // One answer per complete request head (GETs carry no body).
                qsizetype from = 0;
                for (;;) {
                    const auto end = c.in.indexOf("\r\n\r\n", from);
                    if (end < 0)
                        break;
                    c.out += m_response;
                    from = end + 4;
                    m_answered.fetch_add(1, std::memory_order_relaxed);
                }
                if (from > 0)
                    c.in.remove(0, from);
            }
            if (alive && (events[i].events & (EPOLLERR | EPOLLHUP)) && !(events[i].events & EPOLLIN))
                alive = false;
            if (alive)
                alive = flush(fd, c);
            if (!alive)
                drop(fd);
        }
    }
    for (auto &[fd, c] : connections)
        ::close(fd);
    ::close(ep);
}

} // namespace coroute::bench
