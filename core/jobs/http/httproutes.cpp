#include "jobs/http/httproutes.h"

#include "async/pool.h"
#include "jobs/fs/fileroots.h"

#include "jobs/http/httpclient.h"
#include "runtime/context.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>

using namespace Qt::StringLiterals;
using namespace std::chrono;

namespace coroute {

HttpClient &Context::http() const
{
    auto *client = m_runtime.service<HttpClient>();
    if (!client)
        throw Error(500, u"no_service"_s, u"no HttpClient service is registered on the runtime"_s);
    return *client;
}

namespace {

constexpr double maxTimeoutMs = 24.0 * 3600 * 1000;

QUrl parseUrl(const QJsonValue &v)
{
    return QUrl(v.toString(), QUrl::StrictMode);
}

// A failed status is a result, kept in the error's detail, but the job fails.
void failOnStatus(const HttpRequest &request, const HttpResponse &response, const QJsonObject &result)
{
    if (response.status >= 200 && response.status < 300)
        return;
    throw Error(502, u"http_status"_s,
                u"%1 %2 answered %3"_s.arg(request.method, redactedUrl(request.url)).arg(response.status), result);
}

QCoro::Task<QJsonObject> perform(Context &ctx, HttpRequest request)
{
    ctx.log(u"%1 %2"_s.arg(request.method, redactedUrl(request.url)));
    auto response = co_await ctx.http().send(request, ctx.token());
    const auto result = toJson(response);
    failOnStatus(request, response, result);
    co_return result;
}

QCoro::Task<QJsonObject> getHandler(Context &ctx)
{
    HttpRequest request;
    request.url = parseUrl(ctx.param(u"url"_s));
    request.timeout = milliseconds(ctx.param(u"timeout_ms"_s).toInteger());
    request.maxBytes = ctx.param(u"max_bytes"_s).toInteger();
    request.retry.attempts = int(ctx.param(u"retries"_s).toInteger()) + 1;
    return perform(ctx, std::move(request));
}

QCoro::Task<QJsonObject> requestHandler(Context &ctx)
{
    HttpRequest request;
    request.method = ctx.param(u"method"_s).toString().toUpper();
    request.url = parseUrl(ctx.param(u"url"_s));
    const auto headers = ctx.param(u"headers"_s).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        if (!it.value().isString())
            throw Error(422, u"invalid_header"_s, u"header '%1' must be a string"_s.arg(it.key()));
        const auto name = it.key().toLatin1();
        const auto value = it.value().toString().toUtf8();
        if (name.isEmpty() || name.contains(':') || name.contains('\n') || value.contains('\n') || value.contains('\r'))
            throw Error(422, u"invalid_header"_s, u"header '%1' has a malformed name or value"_s.arg(it.key()));
        request.headers.append({name, value});
    }
    request.body = ctx.param(u"body"_s).toString().toUtf8();
    request.timeout = milliseconds(ctx.param(u"timeout_ms"_s).toInteger());
    request.retry.attempts = int(ctx.param(u"retries"_s).toInteger()) + 1;
    return perform(ctx, std::move(request));
}

QCoro::Task<QJsonObject> downloadHandler(Context &ctx)
{
    HttpRequest request;
    request.url = parseUrl(ctx.param(u"url"_s));
    request.timeout = milliseconds(ctx.param(u"timeout_ms"_s).toInteger());
    request.maxBytes = ctx.param(u"max_bytes"_s).toInteger();
    request.retry.attempts = int(ctx.param(u"retries"_s).toInteger()) + 1;
    // The same sandbox as /fs: resolved on the pool (it touches the file system).
    auto resolve = [&files = ctx.files(), to = ctx.param(u"to"_s).toString()] { return files.resolveForWrite(to); };
    const QString target = co_await runInPool(ctx.pool(), std::move(resolve), ctx.token());
    ctx.log(u"download %1 to %2"_s.arg(redactedUrl(request.url), target));
    HttpClient::Progress progress = [&ctx](qint64 received, qint64 total) {
        const double fraction = total > 0 ? double(received) / double(total) : 0.0;
        ctx.setProgress(fraction, total > 0 ? u"%1 of %2 bytes"_s.arg(received).arg(total)
                                            : u"%1 bytes"_s.arg(received));
    };
    auto response = co_await ctx.http().downloadResponse(request, target, progress, ctx.token());
    co_return QJsonObject{{u"path"_s, target},
                          {u"bytes"_s, response.bytes},
                          {u"status"_s, response.status},
                          {u"elapsed_ms"_s, response.elapsedMs}};
}

ParamSpec timeoutParam()
{
    return {.name = u"timeout_ms"_s, .type = ParamType::Int,
            .description = u"Limit for each attempt in milliseconds, connecting included"_s,
            .defaultValue = 30000, .minimum = 1, .maximum = maxTimeoutMs};
}

ParamSpec retriesParam()
{
    return {.name = u"retries"_s, .type = ParamType::Int,
            .description = u"Extra attempts after a connect error, a dropped connection, 5xx or 429"_s,
            .defaultValue = 0, .minimum = 0, .maximum = 10};
}

ParamSpec maxBytesParam()
{
    return {.name = u"max_bytes"_s, .type = ParamType::Int,
            .description = u"Largest response body accepted (413 beyond)"_s,
            .defaultValue = double(16 * 1024 * 1024), .minimum = 0, .maximum = 1099511627776.0};
}

} // namespace

Router httpRoutes()
{
    Router r;
    r.get(u"/get"_s, getHandler)
        .summary(u"GET a URL"_s)
        .description(u"Fetches an http or https URL with the shared client: redirects, timeout, size "
                     "limit. A non-2xx answer fails the job (502 http_status) with the response in "
                     "the error detail."_s)
        .query({.name = u"url"_s, .type = ParamType::String, .description = u"http:// or https:// URL"_s,
                .required = true})
        .query(timeoutParam())
        .query(maxBytesParam())
        .query(retriesParam());
    r.post(u"/request"_s, requestHandler)
        .summary(u"Send any HTTP request"_s)
        .description(u"Sends method, headers and a text body. Answers {status, headers, body | base64, "
                     "bytes, elapsed_ms}; a non-2xx answer fails the job with it in the error detail."_s)
        .bodyField({.name = u"method"_s, .type = ParamType::String, .description = u"HTTP method"_s,
                    .defaultValue = u"GET"_s})
        .bodyField({.name = u"url"_s, .type = ParamType::String, .description = u"http:// or https:// URL"_s,
                    .required = true})
        .bodyField({.name = u"headers"_s, .type = ParamType::Object,
                    .description = u"Request headers, name to text value"_s, .defaultValue = QJsonObject{}})
        .bodyField({.name = u"body"_s, .type = ParamType::String, .description = u"Request body (text)"_s,
                    .defaultValue = u""_s})
        .bodyField(timeoutParam())
        .bodyField(retriesParam());
    r.post(u"/download"_s, downloadHandler)
        .summary(u"Download a URL to a file"_s)
        .description(u"Streams the body into a file inside the allowed folders with progress; the "
                     "file appears only once complete. Answers {path, bytes, status, elapsed_ms}."_s)
        .bodyField({.name = u"url"_s, .type = ParamType::String, .description = u"http:// or https:// URL"_s,
                    .required = true})
        .bodyField({.name = u"to"_s, .type = ParamType::String,
                    .description = u"Target file, relative to the first root or absolute inside a root"_s,
                    .required = true})
        .bodyField(timeoutParam())
        .bodyField(maxBytesParam())
        .bodyField(retriesParam());
    return r;
}

} // namespace coroute
