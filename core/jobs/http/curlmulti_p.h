#pragma once
// Internal to the HTTP client; not part of the public API. Do not include directly.

#include <QObject>
#include <QTimer>

#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

class QSocketNotifier;

namespace coroute::detail {

/// Drives one libcurl multi handle from the event loop of the thread it lives on: socket
/// notifiers for the sockets curl asks to watch, one timer for curl's timeouts. Every
/// callback runs on that thread; completion callbacks run outside curl's own callbacks, so
/// they may add and remove handles.
class CurlMulti : public QObject
{
public:
    explicit CurlMulti(long maxHostConnections, QObject *parent = nullptr);
    ~CurlMulti() override;

    /// Starts easy; done(result, socket) is called once when it finishes (not after remove()).
    /// socket is the connection curl keeps alive for reuse, or CURL_SOCKET_BAD.
    void add(CURL *easy, std::function<void(CURLcode, curl_socket_t)> done);
    /// Stops easy at once (the connection of an unfinished transfer is closed).
    void remove(CURL *easy);
    void setMaxHostConnections(long n);

private:
    static int socketCallback(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
    static int timerCallback(CURLM *multi, long timeoutMs, void *userp);
    void action(curl_socket_t s, int events);
    void watch(curl_socket_t s, int what);
    void unwatch(curl_socket_t s);

    struct Watch
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
    };
    CURLM *m_multi = nullptr;
    QTimer m_timer;
    std::map<curl_socket_t, Watch> m_sockets;
    std::map<CURL *, std::function<void(CURLcode, curl_socket_t)>> m_active;
};

} // namespace coroute::detail
