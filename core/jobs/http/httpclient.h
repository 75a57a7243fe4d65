#pragma once

#include "router/route.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

#include <qcoro/qcorotask.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <utility>

class QThreadPool;

namespace coroute {

class Clock;

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

/// One HTTP exchange to perform with HttpClient.
struct HttpRequest
{
    QString method = QStringLiteral("GET");
    QUrl url;
    HttpHeaders headers;
    QByteArray body;
    /// Limit for one attempt, connecting included: a total deadline, not an idle timeout (a
    /// peer trickling bytes is still cut off); exceeded: Error(504, "timeout").
    std::chrono::milliseconds timeout{30000};
    /// Largest body accepted; larger: Error(413, "response_too_large").
    qint64 maxBytes = 16 * 1024 * 1024;
    /// Largest header block (all header lines of one response); larger: Error(502,
    /// "headers_too_large"). Bounds the memory an endless stream of headers can take.
    qint64 maxHeaderBytes = 64 * 1024;
    /// Redirects followed; more: Error(502, "too_many_redirects"). 0 returns the 3xx as is.
    int maxRedirects = 5;
    /// Connect errors, dropped connections, 5xx and 429 are tried again under this policy.
    RetryPolicy retry;
};

/// The final answer to an HttpRequest (after redirects and retries). Any status is a result.
struct HttpResponse
{
    int status = 0;
    HttpHeaders headers;      ///< of the final response, in order received
    QByteArray body;          ///< empty for download()
    qint64 bytes = 0;         ///< body bytes received (written, for download())
    qint64 elapsedMs = 0;     ///< all attempts and backoff included
    int attempts = 0;
    QUrl finalUrl;            ///< after redirects

    /// The first header named name (case-insensitive), or empty.
    QByteArray header(const QByteArray &name) const;
};

struct HttpClientOptions
{
    /// Requests in flight per scheme://host:port; more wait in a queue.
    int perHostLimit = 64;
    /// Times retry backoff; null for Clock::system(). Must outlive the client.
    Clock *clock = nullptr;
    /// Writes download chunks off the event loop; null for QThreadPool::globalInstance().
    QThreadPool *pool = nullptr;
    QByteArray userAgent = QByteArrayLiteral("coroute/0.1");
};

/// The shared HTTP/HTTPS client of the runtime (libcurl's multi interface on the event loop):
/// keep-alive connection reuse, per-host concurrency limit, timeouts, retries with backoff,
/// size limits. Use it from the thread it was created on; it must outlive its requests.
/// Errors are coroute::Error: 400 invalid_url / unsupported_scheme, 413 response_too_large,
/// 502 connect_error / connection_closed / too_many_redirects / network_error /
/// invalid_response (not HTTP, a malformed status line) / headers_too_large, 504 timeout.
/// A body shorter than its Content-Length is connection_closed, never a truncated success.
/// Credentials in URLs never appear in errors or logs.
class HttpClient
{
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    /// Performs the request and returns the final response, whatever its status. Completes
    /// early with Cancelled when the token fires (the transfer is aborted underneath).
    QCoro::Task<HttpResponse> send(HttpRequest request, std::stop_token token = {});

    using Progress = std::function<void(qint64 received, qint64 total)>;
    /// Streams a 2xx body into targetPath, which appears only once complete (QSaveFile).
    /// Returns the bytes written. A non-2xx answer throws Error(502, "http_status") with the
    /// response in the detail; total is -1 when the size is unknown.
    QCoro::Task<qint64> download(HttpRequest request, const QString &targetPath, Progress progress = {},
                                 std::stop_token token = {});
    /// As download(), answering the whole response (body empty, bytes = written).
    QCoro::Task<HttpResponse> downloadResponse(HttpRequest request, QString targetPath, Progress progress = {},
                                               std::stop_token token = {});

    int perHostLimit() const;
    /// Changes the per-host limit for hosts seen from now on and for those already seen.
    void setPerHostLimit(int limit);

private:
    class Private;
    std::unique_ptr<Private> d;
};

/// The URL as text with any user name and password replaced by "***", for logs and errors.
QString redactedUrl(const QUrl &url);
/// {name: value}; repeated names are joined with ", ".
QJsonObject toJson(const HttpHeaders &headers);
/// {status, headers, body (UTF-8 text) | base64, bytes, elapsed_ms, attempts, final_url}.
QJsonObject toJson(const HttpResponse &response);

} // namespace coroute
