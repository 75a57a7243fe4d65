// The HTTP client runs libcurl's multi interface on the event loop (curlmulti.cpp).
// Transport chosen by measurement (bench "W3" shape: 2,000 GETs, 64 in flight, 1 KiB body,
// keep-alive QTcpServer on 127.0.0.1 in its own thread, Release, 2 shared cores, 3 rounds):
//   (a) one QNetworkAccessManager ............................ 10,400 - 15,200 req/s
//   (b) 11 QNetworkAccessManagers round-robin (~64 conns) ....  9,900 - 14,400 req/s
//   (c) libcurl multi + QSocketNotifier + QTimer ............. 38,000 - 60,000 req/s
// QNAM's cost is per request (a pool of managers does not help on loopback); curl multi is
// about three to four times faster, keeps connections alive in its cache and limits connections
// per host. Through this client (coroutines, per-host semaphore, header parsing) the same
// workload measured 15,000 (first round, connecting included) to 33,500 req/s.

#include "jobs/http/httpclient.h"

#include "async/clock.h"
#include "async/detail/resumption.h"
#include "async/pool.h"
#include "async/semaphore.h"
#include "async/sleep.h"
#include "jobs/http/curlmulti_p.h"
#include "runtime/error.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStringDecoder>
#include <QThreadPool>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <optional>

Q_LOGGING_CATEGORY(lcHttp, "coroute.http", QtInfoMsg)

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace coroute {

QString redactedUrl(const QUrl &url)
{
    if (url.userInfo().isEmpty())
        return url.toString();
    QUrl copy = url;
    copy.setUserInfo(u"***"_s);
    return copy.toString();
}

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

namespace {

constexpr qint64 pauseAbove = 1 << 20; // download bytes waiting for the disk before curl pauses

// Plain-HTTP connections curl keeps alive after a complete answer, by (remote, local) port. A peer may
// send more than its Content-Length promised *after* curl has its answer; curl 7.88 would
// read those bytes as the next response on that connection (they become the answer to the
// next request). Before a request goes out on a reused connection, onPrereq() peeks at it:
// unsolicited bytes mean the connection is refused and the request goes on a fresh one.
using IdleConnections = std::map<std::pair<int, int>, curl_socket_t>;

int portOf(curl_socket_t fd, bool peer)
{
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    auto *a = reinterpret_cast<sockaddr *>(&addr);
    if ((peer ? ::getpeername(fd, a, &len) : ::getsockname(fd, a, &len)) != 0)
        return -1;
    if (addr.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in *>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&addr)->sin6_port);
    return -1;
}

// One attempt's transfer. Curl's callbacks and the completion run on the loop thread; the
// coroutine is resumed through a posted call, never from inside curl.
struct Transfer
{
    CURL *easy = curl_easy_init();
    curl_slist *headerList = nullptr;
    QByteArray urlBytes;
    QByteArray requestBody;
    QByteArray method;
    qint64 maxBytes = 0;
    qint64 maxHeaderBytes = 0;
    qint64 headerBytes = 0; // of the current response
    bool headersTooLarge = false;
    bool staleConnection = false; // refused a reused connection holding unsolicited bytes
    IdleConnections *idle = nullptr;
    bool streaming = false; // a download: 2xx bodies go to pending, for the file

    int status = 0;
    HttpHeaders headers;
    qint64 contentLength = -1;
    QByteArray body;
    QByteArray pending;
    qint64 received = 0;
    bool tooLarge = false;
    bool paused = false;
    bool finished = false;
    CURLcode result = CURLE_OK;
    char errorBuffer[CURL_ERROR_SIZE] = {};

    std::shared_ptr<detail::Resumption> waiter;
    bool signalled = false;

    Transfer() = default;
    Transfer(const Transfer &) = delete;
    Transfer &operator=(const Transfer &) = delete;
    ~Transfer()
    {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headerList);
    }

    bool to2xxSink() const { return streaming && status >= 200 && status < 300; }

    void wake()
    {
        signalled = true;
        if (auto w = std::exchange(waiter, nullptr))
            detail::postTo(w->anchor, [w] { w->resume(false); });
    }

    static size_t onHeader(char *data, size_t size, size_t n, void *userp)
    {
        auto *t = static_cast<Transfer *>(userp);
        const size_t len = size * n;
        const QByteArray line = QByteArray(data, qsizetype(len)).trimmed();
        if (line.startsWith("HTTP/"))
            t->headerBytes = 0;
        t->headerBytes += qint64(len);
        if (t->headerBytes > t->maxHeaderBytes) {
            t->headersTooLarge = true;
            return 0; // aborts the transfer: the headers never end (or are absurdly large)
        }
        if (line.startsWith("HTTP/")) { // a new response: after a redirect or a 100 Continue
            t->headers.clear();
            t->contentLength = -1;
            t->status = line.split(' ').value(1).toInt();
        } else if (line.isEmpty()) {
            const bool final = t->status >= 200 && !(t->status >= 300 && t->status < 400);
            if (final && t->contentLength > t->maxBytes) {
                t->tooLarge = true;
                return 0; // aborts the transfer before any body byte is read
            }
        } else if (const auto colon = line.indexOf(':'); colon > 0) {
            const auto name = line.left(colon).trimmed();
            const auto value = line.mid(colon + 1).trimmed();
            if (name.compare("content-length", Qt::CaseInsensitive) == 0)
                t->contentLength = value.toLongLong();
            t->headers.append({name, value});
        }
        return len;
    }

    static int onPrereq(void *clientp, char *, char *, int remotePort, int port)
    {
        auto *t = static_cast<Transfer *>(clientp);
        const auto it = t->idle->find({remotePort, port});
        if (it == t->idle->end())
            return CURL_PREREQFUNC_OK; // a new connection, or not one we saw finish cleanly
        const curl_socket_t fd = it->second;
        t->idle->erase(it);
        if (portOf(fd, false) != port || portOf(fd, true) != remotePort)
            return CURL_PREREQFUNC_OK; // that socket is gone; the port belongs to a new one
        char byte = 0;
        if (::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
            t->staleConnection = true;
            return CURL_PREREQFUNC_ABORT; // nothing was sent yet: safe to send again
        }
        return CURL_PREREQFUNC_OK;
    }

    // After a clean end: remember the connection curl keeps, to check it before reuse.
    void rememberConnection(curl_socket_t fd)
    {
        if (result != CURLE_OK || !idle || fd == CURL_SOCKET_BAD)
            return;
        if (idle->size() > 4096)
            idle->clear(); // bounded; entries of closed sockets are otherwise only replaced
        const int local = portOf(fd, false);
        const int remote = portOf(fd, true);
        if (local > 0 && remote > 0)
            (*idle)[{remote, local}] = fd;
    }

    static size_t onBody(char *data, size_t size, size_t n, void *userp)
    {
        auto *t = static_cast<Transfer *>(userp);
        const qint64 len = qint64(size * n);
        if (t->to2xxSink() && t->pending.size() >= pauseAbove) {
            t->paused = true; // curl keeps this chunk and hands it over again after unpausing
            return CURL_WRITEFUNC_PAUSE;
        }
        if (t->received + len > t->maxBytes) {
            t->tooLarge = true;
            return 0;
        }
        t->received += len;
        if (t->to2xxSink()) {
            t->pending.append(data, len);
            t->wake();
        } else {
            t->body.append(data, len);
        }
        return size_t(len);
    }
};

// Waits for the transfer to signal (data for the file, or the end). Resumes with true when
// the token fired first; the caller then aborts the transfer.
class TransferWait
{
public:
    TransferWait(Transfer &t, std::stop_token token) : m_t(t), m_token(std::move(token)) {}
    TransferWait(TransferWait &&) = default;
    bool await_ready() const { return m_t.signalled || m_token.stop_requested(); }
    void await_suspend(std::coroutine_handle<> h)
    {
        m_state = std::make_shared<detail::Resumption>();
        m_state->handle = h;
        m_state->anchor = detail::threadAnchor();
        m_t.waiter = m_state;
        m_stop.watch(m_token, m_state);
    }
    bool await_resume()
    {
        m_stop.reset();
        m_t.waiter.reset();
        m_t.signalled = false;
        return m_token.stop_requested() || (m_state && m_state->cancelled);
    }

private:
    Transfer &m_t;
    std::stop_token m_token;
    std::shared_ptr<detail::Resumption> m_state;
    detail::StopWatch m_stop;
};

// The target of a download, touched only on pool threads (disk I/O stays off the loop).
struct FileSink
{
    QString path;
    std::unique_ptr<QSaveFile> file;
};

bool retryableType(const QString &type)
{
    return type == u"connect_error" || type == u"connection_closed" || type == u"network_error";
}

} // namespace

QJsonObject toJson(const HttpHeaders &headers)
{
    QJsonObject o;
    for (const auto &[k, v] : headers) {
        const auto name = QString::fromLatin1(k);
        const auto value = QString::fromLatin1(v);
        const auto old = o.value(name).toString();
        o.insert(name, old.isEmpty() ? value : old + u", "_s + value);
    }
    return o;
}

class HttpClient::Private
{
public:
    explicit Private(HttpClientOptions o)
        : options(std::move(o))
        , clock(options.clock ? *options.clock : Clock::system())
        , pool(options.pool ? *options.pool : *QThreadPool::globalInstance())
        , multi(std::make_unique<detail::CurlMulti>(std::max(options.perHostLimit, 1)))
    {
    }

    Semaphore &hostLimit(const QUrl &url)
    {
        const auto key = url.scheme() + u"://"_s + url.host() + u':'
                         + QString::number(url.port(url.scheme() == u"https" ? 443 : 80));
        auto &sem = hosts[key];
        if (!sem)
            sem = std::make_unique<Semaphore>(std::max(options.perHostLimit, 1), key);
        return *sem;
    }

    static void validate(const HttpRequest &r);
    QCoro::Task<HttpResponse> run(HttpRequest request, std::shared_ptr<FileSink> sink, Progress progress,
                                  std::stop_token token);
    QCoro::Task<HttpResponse> attempt(const HttpRequest &request, std::shared_ptr<FileSink> sink,
                                      const Progress &progress, std::stop_token token, bool fresh);
    Error transferError(const HttpRequest &request, const Transfer &t) const;

    HttpClientOptions options;
    Clock &clock;
    QThreadPool &pool;
    std::unique_ptr<detail::CurlMulti> multi;
    std::map<QString, std::unique_ptr<Semaphore>> hosts;
    IdleConnections idle;
};

void HttpClient::Private::validate(const HttpRequest &r)
{
    const auto &url = r.url;
    if (url.isEmpty())
        throw Error(400, u"invalid_url"_s, u"the URL is empty"_s);
    if (!url.isValid()) {
        // errorString() quotes the source, which may hold credentials: keep only the reason.
        auto why = url.errorString();
        if (const auto cut = why.indexOf(u"; source was"_s); cut >= 0)
            why.truncate(cut);
        throw Error(400, u"invalid_url"_s, u"invalid URL: %1"_s.arg(why));
    }
    const auto scheme = url.scheme().toLower();
    if (scheme.isEmpty())
        throw Error(400, u"invalid_url"_s,
                    u"URL %1 has no scheme; use http:// or https://"_s.arg(redactedUrl(url)));
    if (scheme != u"http" && scheme != u"https")
        throw Error(400, u"unsupported_scheme"_s,
                    u"unsupported scheme '%1' in %2: only http and https are allowed"_s.arg(scheme, redactedUrl(url)));
    if (url.host().isEmpty())
        throw Error(400, u"invalid_url"_s, u"URL %1 has no host"_s.arg(redactedUrl(url)));
    if (r.method.isEmpty() || r.method.contains(QLatin1Char(' ')))
        throw Error(400, u"invalid_method"_s, u"invalid HTTP method '%1'"_s.arg(r.method));
}

Error HttpClient::Private::transferError(const HttpRequest &request, const Transfer &t) const
{
    const auto where = u"%1 %2"_s.arg(request.method, redactedUrl(request.url));
    if (t.tooLarge)
        return Error(413, u"response_too_large"_s,
                     u"%1: the response is larger than the limit of %2 bytes"_s.arg(where).arg(request.maxBytes));
    if (t.headersTooLarge)
        return Error(502, u"headers_too_large"_s,
                     u"%1: the response headers exceed the limit of %2 bytes"_s.arg(where).arg(request.maxHeaderBytes));
    auto curlText = QString::fromUtf8(t.errorBuffer[0] ? t.errorBuffer : curl_easy_strerror(t.result));
    if (const auto pw = request.url.password(); !pw.isEmpty())
        curlText.replace(pw, u"***"_s);
    switch (t.result) {
    case CURLE_OPERATION_TIMEDOUT:
        return Error(504, u"timeout"_s,
                     u"%1: no complete answer within %2 ms"_s.arg(where).arg(request.timeout.count()));
    case CURLE_TOO_MANY_REDIRECTS:
        return Error(502, u"too_many_redirects"_s,
                     u"%1: more than %2 redirects"_s.arg(where).arg(request.maxRedirects));
    case CURLE_UNSUPPORTED_PROTOCOL: {
        // Also what curl answers to a reply that is not HTTP at all (taken for HTTP/0.9).
        if (t.status >= 300 && t.status < 400)
            return Error(502, u"unsupported_scheme"_s,
                         u"%1: redirected to a scheme other than http or https"_s.arg(where));
        return Error(502, u"invalid_response"_s, u"%1: the answer is not valid HTTP (%2)"_s.arg(where, curlText));
    }
    case CURLE_WEIRD_SERVER_REPLY:
        return Error(502, u"invalid_response"_s, u"%1: the answer is not valid HTTP (%2)"_s.arg(where, curlText));
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return Error(502, u"connect_error"_s, u"%1: %2"_s.arg(where, curlText));
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return Error(502, u"connection_closed"_s, u"%1: the connection was closed early (%2)"_s.arg(where, curlText));
    default:
        return Error(502, u"network_error"_s, u"%1: %2"_s.arg(where, curlText));
    }
}

QCoro::Task<HttpResponse> HttpClient::Private::attempt(const HttpRequest &request, std::shared_ptr<FileSink> sink,
                                                       const Progress &progress, std::stop_token token, bool fresh)
{
    auto t = std::make_shared<Transfer>();
    t->urlBytes = request.url.toEncoded();
    t->requestBody = request.body;
    t->method = request.method.toUpper().toLatin1();
    t->maxBytes = request.maxBytes;
    t->maxHeaderBytes = std::max<qint64>(request.maxHeaderBytes, 1024);
    t->streaming = bool(sink);
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->urlBytes.constData());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errorBuffer);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(request.timeout.count()));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, request.maxRedirects > 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, long(std::max(request.maxRedirects, 0)));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); // what curl can decode; limits count decoded bytes
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.userAgent.constData());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::onHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::onBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    if (request.url.scheme().compare(u"http"_s, Qt::CaseInsensitive) == 0) {
        // TLS connections are left out: records the TLS layer sends unasked (session tickets)
        // would look like stray bytes, and curl reads them through the TLS layer anyway.
        t->idle = &idle;
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Transfer::onPrereq);
        curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
    }
    if (fresh)
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    if (t->method == "HEAD") {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (t->method != "GET" || !t->requestBody.isEmpty()) {
        if (t->method != "POST")
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->method.constData());
        if (!t->requestBody.isEmpty() || t->method == "POST" || t->method == "PUT" || t->method == "PATCH") {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(t->requestBody.size()));
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->requestBody.constData());
        }
    }
    t->headerList = curl_slist_append(t->headerList, "Expect:"); // no 100-continue round trip
    for (const auto &[k, v] : request.headers)
        t->headerList = curl_slist_append(t->headerList, QByteArray(k + ": " + v).constData());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headerList);

    multi->add(e, [t](CURLcode rc, curl_socket_t kept) {
        t->finished = true;
        t->result = rc;
        t->rememberConnection(kept);
        t->wake();
    });
    // Leaving this frame early (cancelled, a failed disk write) stops the transfer at once.
    struct Abort
    {
        detail::CurlMulti &multi;
        std::shared_ptr<Transfer> t;
        ~Abort()
        {
            if (!t->finished)
                multi.remove(t->easy);
        }
    } abort{*multi, t};

    // Locals of the loop live at function scope: GCC 12 double-destroys block-scoped locals
    // of a loop body that holds co_await and continue.
    bool opened = false;
    bool cancelled = false;
    qint64 written = 0;
    QByteArray chunk;
    QString failure;
    // Pool jobs are named, never temporaries inside the co_await (GCC 12 destroys those twice).
    std::function<QString()> job;
    auto &writePool = pool;
    while (true) {
        if (sink && !t->pending.isEmpty()) {
            chunk.clear();
            chunk.swap(t->pending);
            const bool open = !opened;
            job = [sink, chunk, open]() -> QString {
                if (open) {
                    sink->file = std::make_unique<QSaveFile>(sink->path);
                    if (!sink->file->open(QIODevice::WriteOnly))
                        return sink->file->errorString();
                }
                if (sink->file->write(chunk) != chunk.size())
                    return sink->file->errorString();
                return {};
            };
            failure = co_await runInPool(writePool, job, token);
            if (!failure.isEmpty())
                throw Error(500, u"write_failed"_s, u"cannot write %1: %2"_s.arg(sink->path, failure));
            opened = true;
            written += chunk.size();
            if (progress)
                progress(written, t->contentLength);
            if (t->paused && !t->finished) {
                t->paused = false;
                curl_easy_pause(t->easy, CURLPAUSE_CONT);
            }
            continue;
        }
        if (t->finished)
            break;
        cancelled = co_await TransferWait(*t, token);
        if (cancelled)
            throw Cancelled();
    }
    chunk.clear();
    if (t->staleConnection)
        co_return co_await attempt(request, sink, progress, token, true);
    if (t->result != CURLE_OK)
        throw transferError(request, *t);

    HttpResponse response;
    response.status = t->status;
    response.headers = t->headers;
    response.bytes = t->received;
    if (const char *effective = nullptr; curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
        response.finalUrl = QUrl::fromEncoded(QByteArray(effective));
    if (sink && t->status >= 200 && t->status < 300) {
        job = [sink, opened]() -> QString {
            if (!opened) { // an empty body still makes an (empty) file
                sink->file = std::make_unique<QSaveFile>(sink->path);
                if (!sink->file->open(QIODevice::WriteOnly))
                    return sink->file->errorString();
            }
            if (!sink->file->commit())
                return sink->file->errorString();
            sink->file.reset();
            return {};
        };
        failure = co_await runInPool(writePool, job, token);
        if (!failure.isEmpty())
            throw Error(500, u"write_failed"_s, u"cannot write %1: %2"_s.arg(sink->path, failure));
        if (progress)
            progress(written, written);
    } else {
        response.body = std::move(t->body);
    }
    co_return response;
}

QCoro::Task<HttpResponse> HttpClient::Private::run(HttpRequest request, std::shared_ptr<FileSink> sink,
                                                   Progress progress, std::stop_token token)
{
    validate(request);
    QElapsedTimer elapsed;
    elapsed.start();
    const RetryPolicy policy = request.retry;
    const int attempts = std::max(policy.attempts, 1);
    Semaphore &limit = hostLimit(request.url);
    for (int n = 1;; ++n) {
        throwIfCancelled(token);
        std::optional<HttpResponse> response;
        std::exception_ptr error;
        {
            auto permit = co_await limit.acquire(token);
            try {
                auto r = co_await attempt(request, sink, progress, token, false);
                response = std::move(r);
            } catch (const Error &e) {
                if (!retryableType(e.error().type))
                    throw;
                error = std::current_exception();
            }
        } // the permit is returned before any backoff
        milliseconds delay{0};
        if (response) {
            const int status = response->status;
            const bool again = status >= 500 || status == 429;
            if (!again || n >= attempts) {
                response->attempts = n;
                response->elapsedMs = elapsed.elapsed();
                co_return std::move(*response);
            }
            delay = policy.delayFor(n, QRandomGenerator::global()->generateDouble());
            bool ok = false;
            const qint64 after = response->header("Retry-After").trimmed().toLongLong(&ok);
            if ((status == 429 || status == 503) && ok && after >= 0)
                delay = std::min(milliseconds(after * 1000), policy.maxBackoff);
            qCDebug(lcHttp) << "retrying" << redactedUrl(request.url) << "after status" << status;
        } else {
            if (n >= attempts || (policy.retryIf && !policy.retryIf(error)))
                std::rethrow_exception(error);
            delay = policy.delayFor(n, QRandomGenerator::global()->generateDouble());
            qCDebug(lcHttp) << "retrying" << redactedUrl(request.url) << "after a connection failure";
        }
        co_await sleep(clock, delay, token);
    }
}

HttpClient::HttpClient(HttpClientOptions options) : d(std::make_unique<Private>(std::move(options)))
{
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    Q_UNUSED(initialised);
}

HttpClient::~HttpClient() = default;

QCoro::Task<HttpResponse> HttpClient::send(HttpRequest request, std::stop_token token)
{
    return d->run(std::move(request), nullptr, {}, std::move(token));
}

QCoro::Task<HttpResponse> HttpClient::downloadResponse(HttpRequest request, QString targetPath, Progress progress,
                                                       std::stop_token token)
{
    auto sink = std::make_shared<FileSink>();
    sink->path = targetPath;
    auto response = co_await d->run(request, sink, std::move(progress), std::move(token));
    if (response.status < 200 || response.status >= 300)
        throw Error(502, u"http_status"_s,
                    u"%1 %2 answered %3"_s.arg(request.method, redactedUrl(request.url)).arg(response.status),
                    toJson(response));
    co_return response;
}

QCoro::Task<qint64> HttpClient::download(HttpRequest request, const QString &targetPath, Progress progress,
                                         std::stop_token token)
{
    const QString target = targetPath; // before the first suspension: the caller's may be a temporary
    auto response = co_await downloadResponse(std::move(request), target, std::move(progress), std::move(token));
    co_return response.bytes;
}

int HttpClient::perHostLimit() const { return d->options.perHostLimit; }

void HttpClient::setPerHostLimit(int limit)
{
    d->options.perHostLimit = std::max(limit, 1);
    d->multi->setMaxHostConnections(d->options.perHostLimit);
    for (auto &[key, sem] : d->hosts)
        sem->setCapacity(d->options.perHostLimit);
}

QJsonObject toJson(const HttpResponse &response)
{
    QJsonObject o{{u"status"_s, response.status},
                  {u"headers"_s, toJson(response.headers)},
                  {u"bytes"_s, response.bytes},
                  {u"elapsed_ms"_s, response.elapsedMs},
                  {u"attempts"_s, response.attempts}};
    if (!response.finalUrl.isEmpty())
        o.insert(u"final_url"_s, redactedUrl(response.finalUrl));
    auto decoder = QStringDecoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(response.body);
    if (!decoder.hasError())
        o.insert(u"body"_s, text);
    else
        o.insert(u"base64"_s, QString::fromLatin1(response.body.toBase64()));
    return o;
}

} // namespace coroute
