#include "jobs/http/curlmulti_p.h"

#include <QSocketNotifier>

namespace coroute::detail {

CurlMulti::CurlMulti(long maxHostConnections, QObject *parent) : QObject(parent), m_multi(curl_multi_init())
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { action(CURL_SOCKET_TIMEOUT, 0); });
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &CurlMulti::socketCallback);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &CurlMulti::timerCallback);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, 256L);
    setMaxHostConnections(maxHostConnections);
}

CurlMulti::~CurlMulti()
{
    while (!m_active.empty())
        remove(m_active.begin()->first);
    curl_multi_cleanup(m_multi);
    for (auto &[s, w] : m_sockets) {
        delete w.read;
        delete w.write;
    }
}

void CurlMulti::setMaxHostConnections(long n)
{
    curl_multi_setopt(m_multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
}

void CurlMulti::add(CURL *easy, std::function<void(CURLcode, curl_socket_t)> done)
{
    m_active[easy] = std::move(done);
    curl_multi_add_handle(m_multi, easy);
}

void CurlMulti::remove(CURL *easy)
{
    if (m_active.erase(easy))
        curl_multi_remove_handle(m_multi, easy);
}

void CurlMulti::action(curl_socket_t s, int events)
{
    int running = 0;
    curl_multi_socket_action(m_multi, s, events, &running);
    int left = 0;
    while (CURLMsg *msg = curl_multi_info_read(m_multi, &left)) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        const CURLcode result = msg->data.result;
        auto it = m_active.find(easy);
        if (it == m_active.end())
            continue;
        auto done = std::move(it->second);
        m_active.erase(it);
        // Only while the handle is in the multi can curl tell which (cached) connection it used.
        curl_socket_t kept = CURL_SOCKET_BAD;
        if (result == CURLE_OK && curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &kept) != CURLE_OK)
            kept = CURL_SOCKET_BAD;
        curl_multi_remove_handle(m_multi, easy);
        done(result, kept);
    }
}

int CurlMulti::socketCallback(CURL *, curl_socket_t s, int what, void *userp, void *)
{
    auto *self = static_cast<CurlMulti *>(userp);
    if (what == CURL_POLL_REMOVE)
        self->unwatch(s);
    else
        self->watch(s, what);
    return 0;
}

int CurlMulti::timerCallback(CURLM *, long timeoutMs, void *userp)
{
    auto *self = static_cast<CurlMulti *>(userp);
    if (timeoutMs < 0)
        self->m_timer.stop();
    else
        self->m_timer.start(int(timeoutMs)); // 0: on the next loop turn, never from inside curl
    return 0;
}

void CurlMulti::watch(curl_socket_t s, int what)
{
    auto &w = m_sockets[s];
    const auto ensure = [this, s](QSocketNotifier *&n, QSocketNotifier::Type type, int events, bool wanted) {
        if (!n) {
            if (!wanted)
                return;
            n = new QSocketNotifier(s, type, this);
            connect(n, &QSocketNotifier::activated, this, [this, s, events] { action(s, events); });
        }
        n->setEnabled(wanted);
    };
    ensure(w.read, QSocketNotifier::Read, CURL_CSELECT_IN, what & CURL_POLL_IN);
    ensure(w.write, QSocketNotifier::Write, CURL_CSELECT_OUT, what & CURL_POLL_OUT);
}

void CurlMulti::unwatch(curl_socket_t s)
{
    auto it = m_sockets.find(s);
    if (it == m_sockets.end())
        return;
    // This runs inside curl, possibly inside the notifier's own activated(): delete later.
    for (auto *n : {it->second.read, it->second.write}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
    m_sockets.erase(it);
}

} // namespace coroute::detail
