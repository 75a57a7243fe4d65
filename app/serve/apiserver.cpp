#include "serve/apiserver.h"

#include "serve/connectionguard_p.h"
#include "serve/exchange_p.h"

#include "runtime/runtime.h"

#include <QCoreApplication>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTimer>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace coroute::serve {

Q_LOGGING_CATEGORY(lcServe, "coroute.serve", QtInfoMsg)

namespace detail {

QByteArray jsonBytes(const QJsonValue &value)
{
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    // Scalars: wrap in an array and strip the brackets.
    return QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request"; // a cancelled job (nginx's code for the same idea)
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

Exchange::~Exchange()
{
    QObject::disconnect(m_onDisconnect);
    if (!m_finished && m_guard)
        m_guard->responseAbandoned();
}

void Exchange::close()
{
    if (m_guard)
        m_guard->responseFinished(m_keepAlive);
    if (!m_keepAlive && !m_deferClose && isOpen() && socket())
        socket()->disconnectFromHost(); // after the pending bytes are written
}

/// A response that waits for a job: its answer, its JSON lines, or its server-sent events.
struct Watcher
{
    enum class Kind { Reply, Lines, Events };
    Kind kind = Kind::Reply;
    JobId id = 0;
    std::shared_ptr<Exchange> ex;
    bool sentState = false;
    JobState state = JobState::Pending;
    double progress = -1;
    QString progressText;
};

void sendEvent(Exchange &ex, QByteArrayView event, const QJsonObject &data)
{
    ex.chunk("event: " + event.toByteArray() + "\ndata: " + jsonBytes(data) + "\n\n");
}

void sendDispatchError(Exchange &ex, const DispatchError &error)
{
    Headers extra;
    if (error.status == 405)
        extra.append(Header("Allow", error.allowed.join(u", "_s).toUtf8()));
    ex.sendJson(error.status, error.toJson(), extra);
}

void sendDetail(Exchange &ex, int status, const QString &detail, const Headers &extra = {})
{
    ex.sendJson(status, QJsonObject{{u"detail"_s, detail}}, extra);
}

/// A 422 in the router's FastAPI shape for one invalid field.
void sendInvalid(Exchange &ex, const QJsonArray &loc, const QString &msg, const QString &type)
{
    DispatchError e;
    e.status = 422;
    e.message = u"Unprocessable Entity"_s;
    e.detail.append(QJsonObject{{u"loc"_s, loc}, {u"msg"_s, msg}, {u"type"_s, type}});
    sendDispatchError(ex, e);
}

void sendNotAllowed(Exchange &ex, const QStringList &allowed)
{
    sendDispatchError(ex, DispatchError{405, u"Method Not Allowed"_s, allowed, {}});
}

void sendNotFound(Exchange &ex)
{
    sendDispatchError(ex, DispatchError{404, u"Not Found"_s, {}, {}});
}

/// Parses any JSON value, scalars included; *error names the problem and its byte offset.
std::optional<QJsonValue> parseJson(const QByteArray &bytes, QString *error)
{
    QJsonParseError pe;
    const auto doc = QJsonDocument::fromJson("[" + bytes + "]", &pe);
    if (pe.error == QJsonParseError::NoError && doc.array().size() == 1)
        return doc.array().first();
    if (pe.error == QJsonParseError::NoError)
        *error = u"expected exactly one JSON value"_s;
    else
        *error = u"%1 at offset %2"_s.arg(pe.errorString()).arg(qBound(0, pe.offset - 1, int(bytes.size())));
    return std::nullopt;
}

QString methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return u"GET"_s;
    case QHttpServerRequest::Method::Post: return u"POST"_s;
    case QHttpServerRequest::Method::Put: return u"PUT"_s;
    case QHttpServerRequest::Method::Patch: return u"PATCH"_s;
    case QHttpServerRequest::Method::Delete: return u"DELETE"_s;
    case QHttpServerRequest::Method::Head: return u"HEAD"_s;
    case QHttpServerRequest::Method::Options: return u"OPTIONS"_s;
    default: return u"UNKNOWN"_s;
    }
}

} // namespace detail

using namespace detail;

struct ApiServer::Request
{
    QString method;
    QString path;  ///< percent-encoded, as the router expects
    QString query; ///< the encoded query string, without '?'
    QByteArray body;
    QJsonValue json = QJsonValue(QJsonValue::Undefined);
};

ApiServer::ApiServer(Runtime &runtime, ApiServerOptions options, QObject *parent)
    : QAbstractHttpServer(parent), m_runtime(runtime), m_options(std::move(options)), m_auth(m_options.token)
{
    connect(&m_runtime.jobs(), &JobRegistry::changed, this, &ApiServer::onChanged);
}

ApiServer::~ApiServer() = default;

bool ApiServer::start(const ListenAddress &address, QString *error)
{
    const auto track = [this](QTcpSocket *socket) {
        m_sockets.removeAll(nullptr);
        m_sockets.append(socket);
    };
    auto *tcp = new GuardedTcpServer(m_options, this, track, this);
    if (!tcp->listen(address.host, address.port)) {
        *error = u"cannot listen on %1: %2"_s.arg(address.url(), tcp->errorString());
        delete tcp;
        return false;
    }
    m_tcp = tcp;
    bind(tcp);
    return true;
}

quint16 ApiServer::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

void ApiServer::stopListening()
{
    m_stopping = true;
    if (m_tcp)
        m_tcp->close();
}

qint64 ApiServer::bytesToWrite() const
{
    qint64 n = 0;
    for (const auto &s : m_sockets) {
        if (s && s->state() == QAbstractSocket::ConnectedState)
            n += s->bytesToWrite();
    }
    return n;
}

int ApiServer::openConnections() const
{
    return m_tcp ? m_tcp->openConnections() : 0;
}

void ApiServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Q_UNUSED(request)
    Exchange ex(socket, false);
    sendNotFound(ex);
}

bool ApiServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // Copy what is needed now: QAbstractHttpServer reuses the request for the next one.
    const bool keepAlive = request.value("connection").toLower() != "close";
    auto ex = std::make_shared<Exchange>(socket, keepAlive && !m_stopping);
    if (auto *guard = ConnectionGuard::of(socket)) {
        guard->requestStarted(); // before dispatch: the answer may be complete when it returns
        ex->setGuard(guard);
    }
    dispatch(methodName(request.method()), request.url(), request.value("authorization"), request.body(), ex);
    return true;
}

void ApiServer::handleRaw(const RawRequest &request, QIODevice *out)
{
    QByteArray authorization;
    bool keepAlive = true;
    for (const auto &[name, value] : request.headers) {
        const QByteArray key = name.trimmed().toLower();
        if (key == "authorization" && authorization.isEmpty())
            authorization = value.trimmed();
        else if (key == "connection")
            keepAlive = value.trimmed().toLower() != "close";
    }
    auto ex = std::make_shared<Exchange>(out, keepAlive && !m_stopping);
    dispatch(QString::fromLatin1(request.method), QUrl::fromEncoded(request.target), authorization, request.body, ex);
}

void ApiServer::dispatch(const QString &method, const QUrl &url, QByteArrayView authorization, const QByteArray &body,
                         const std::shared_ptr<Exchange> &ex)
{
    if (m_stopping) { // a kept-alive connection must not start jobs the shutdown would miss
        sendDetail(*ex, 503, u"shutting down"_s);
        return;
    }
    if (!m_auth.accepts(authorization)) {
        sendDetail(*ex, 401, u"Not authenticated"_s, {{"WWW-Authenticate", "Bearer"}});
        return;
    }
    Request rq;
    rq.method = method;
    rq.path = url.path(QUrl::FullyEncoded);
    rq.query = url.query(QUrl::FullyEncoded);
    rq.body = body;
    if (rq.body.size() > m_options.maxBodyBytes) {
        sendDetail(*ex, 413, u"request body larger than %1 bytes"_s.arg(m_options.maxBodyBytes));
        return;
    }
    if (!rq.body.trimmed().isEmpty()) {
        QString error;
        auto json = parseJson(rq.body, &error);
        if (!json) {
            sendDetail(*ex, 400, u"invalid JSON: "_s + error);
            return;
        }
        rq.json = *json;
    }
    try {
        handle(rq, ex);
    } catch (const std::exception &e) {
        // A bug of ours must not take the server down with every job in it.
        qCWarning(lcServe) << "request" << rq.method << rq.path << "failed:" << e.what();
        sendDetail(*ex, 500, u"internal error: "_s + QString::fromUtf8(e.what()));
    }
}

void ApiServer::handle(const Request &rq, const std::shared_ptr<Exchange> &ex)
{
    if (rq.path == u"/_openapi.json"_s) {
        if (rq.method != u"GET"_s)
            return sendNotAllowed(*ex, {u"GET"_s});
        return ex->sendJson(200, openApi());
    }
    if (rq.path == u"/_jobs"_s || rq.path.startsWith(u"/_jobs/"_s))
        return handleJobs(rq, ex);
    callRoute(rq, ex);
}

void ApiServer::callRoute(const Request &rq, const std::shared_ptr<Exchange> &ex)
{
    auto w = std::make_shared<Watcher>();
    w->ex = ex;
    CallRequest call{rq.method, rq.query.isEmpty() ? rq.path : rq.path + u'?' + rq.query, {}, rq.json};
    SubmitOptions options;
    // Items of a streaming route go out as JSON lines as they come; the status is 200 from
    // the first item on (an error after it ends the stream with an {"error": ...} line).
    options.onItem = [w](const QJsonValue &item) {
        if (!w->ex->started())
            w->ex->begin(200, "application/x-ndjson");
        w->ex->chunk(jsonBytes(item) + '\n');
    };
    const auto submission = m_runtime.submit(call, std::move(options));
    if (!submission.accepted())
        return sendDispatchError(*ex, *submission.refused);
    w->id = submission.id;
    const auto job = m_runtime.jobs().job(submission.id);
    w->kind = job && job->kind == HandlerKind::Streaming ? Watcher::Kind::Lines : Watcher::Kind::Reply;
    if (job && isTerminal(job->state))
        return settle(*w, *job);
    watch(submission.id, w);
}

void ApiServer::handleJobs(const Request &rq, const std::shared_ptr<Exchange> &ex)
{
    const QStringList parts = rq.path.mid(int(qstrlen("/_jobs/"))).split(u'/');
    if (rq.path == u"/_jobs"_s) {
        if (rq.method == u"POST"_s)
            return submitJob(rq, ex);
        if (rq.method != u"GET"_s)
            return sendNotAllowed(*ex, {u"GET"_s, u"POST"_s});
        const QUrlQuery query(rq.query);
        int limit = 50;
        if (query.hasQueryItem(u"limit"_s)) {
            bool ok = false;
            limit = query.queryItemValue(u"limit"_s, QUrl::FullyDecoded).toInt(&ok);
            if (!ok || limit < 1 || limit > 10000)
                return sendInvalid(*ex, {u"query"_s, u"limit"_s}, u"Input should be an integer from 1 to 10000"_s,
                                   u"int_parsing"_s);
        }
        const auto all = m_runtime.jobs().jobs(); // in id order: the newest last
        QJsonArray jobs;
        for (auto i = all.size() - 1; i >= 0 && jobs.size() < limit; --i)
            jobs.append(all[i].toJson());
        return ex->sendJson(200, QJsonObject{{u"jobs"_s, jobs}, {u"total"_s, int(all.size())}});
    }
    if (parts.size() > 2 || (parts.size() == 2 && parts[1] != u"events"_s))
        return sendNotFound(*ex);
    if (parts[0].isEmpty())
        return sendNotFound(*ex);
    bool ok = false;
    const JobId id = parts[0].toULongLong(&ok);
    if (!ok || id == 0)
        return sendInvalid(*ex, {u"path"_s, u"id"_s},
                           u"Input should be a valid integer, unable to parse string as an integer"_s,
                           u"int_parsing"_s);
    if (parts.size() == 2) {
        if (rq.method != u"GET"_s)
            return sendNotAllowed(*ex, {u"GET"_s});
        return streamEvents(id, ex);
    }
    const auto job = m_runtime.jobs().job(id);
    if (rq.method == u"GET"_s) {
        if (!job)
            return sendNotFound(*ex);
        auto o = job->toJson();
        QJsonArray children;
        for (auto c : m_runtime.jobs().children(id))
            children.append(qint64(c));
        o.insert(u"children"_s, children);
        return ex->sendJson(200, o);
    }
    if (rq.method == u"DELETE"_s) {
        if (!job)
            return sendNotFound(*ex);
        const bool cancelled = m_runtime.cancel(id, CancelReason::User, u"http"_s);
        return ex->sendJson(202, QJsonObject{{u"id"_s, qint64(id)}, {u"cancelled"_s, cancelled}});
    }
    sendNotAllowed(*ex, {u"GET"_s, u"DELETE"_s});
}

void ApiServer::submitJob(const Request &rq, const std::shared_ptr<Exchange> &ex)
{
    if (!rq.json.isObject())
        return sendInvalid(*ex, {u"body"_s}, u"Input should be a valid dictionary"_s, u"dict_type"_s);
    const QJsonObject o = rq.json.toObject();
    const QJsonValue route = o.value(u"route"_s);
    if (route.isUndefined() || route.isNull())
        return sendInvalid(*ex, {u"body"_s, u"route"_s}, u"Field required"_s, u"missing"_s);
    if (!route.isString())
        return sendInvalid(*ex, {u"body"_s, u"route"_s}, u"Input should be a valid string"_s, u"string_type"_s);
    auto call = CallRequest::parse(route.toString());
    if (!call)
        return sendInvalid(*ex, {u"body"_s, u"route"_s}, u"Value error, expected \"METHOD /path\""_s,
                           u"value_error"_s);
    const QJsonValue query = o.value(u"query"_s);
    if (!query.isUndefined() && !query.isNull() && !query.isObject())
        return sendInvalid(*ex, {u"body"_s, u"query"_s}, u"Input should be a valid dictionary"_s, u"dict_type"_s);
    const QJsonObject q = query.toObject();
    for (auto it = q.constBegin(); it != q.constEnd(); ++it)
        call->query.insert(it.key(), it.value());
    if (o.contains(u"body"_s))
        call->body = o.value(u"body"_s);
    const auto submission = m_runtime.submit(*call);
    if (!submission.accepted())
        return sendDispatchError(*ex, *submission.refused);
    const auto job = m_runtime.jobs().job(submission.id);
    ex->sendJson(202, QJsonObject{{u"id"_s, qint64(submission.id)},
                                  {u"state"_s, job ? nameOf(job->state) : QString()},
                                  {u"href"_s, u"/_jobs/"_s + QString::number(submission.id)}});
}

void ApiServer::streamEvents(JobId id, const std::shared_ptr<Exchange> &ex)
{
    const auto job = m_runtime.jobs().job(id);
    if (!job)
        return sendNotFound(*ex);
    ex->begin(200, "text/event-stream");
    auto w = std::make_shared<Watcher>();
    w->kind = Watcher::Kind::Events;
    w->id = id;
    w->ex = ex;
    settle(*w, *job); // the current state (and progress) first; the end if it is over
    if (!isTerminal(job->state))
        watch(id, w);
}

void ApiServer::watch(JobId id, const std::shared_ptr<Watcher> &w)
{
    m_watchers.insert(id, w);
    if (!w->ex->socket())
        return;
    // A client that hangs up stops its stream; a plain call's job is cancelled, since nobody
    // will read its result (jobs submitted through /_jobs are not tied to a connection).
    std::weak_ptr<Watcher> weak = w;
    w->ex->setOnDisconnect(connect(w->ex->socket(), &QAbstractSocket::disconnected, this, [this, id, weak] {
        auto watcher = weak.lock();
        if (!watcher || watcher->ex->finished())
            return;
        m_watchers.remove(id, watcher);
        if (watcher->kind != Watcher::Kind::Events)
            m_runtime.cancel(id, CancelReason::User, u"http:disconnected"_s);
    }));
}

void ApiServer::onChanged(const ChangeSet &changes)
{
    if (m_watchers.isEmpty())
        return;
    for (const auto &log : changes.logs) {
        for (const auto &w : m_watchers.values(log.job)) {
            if (w->kind == Watcher::Kind::Events)
                sendEvent(*w->ex, "log", log.toJson());
        }
    }
    for (const auto &job : changes.jobs) {
        if (!m_watchers.contains(job.id))
            continue;
        const auto watchers = m_watchers.values(job.id);
        if (isTerminal(job.state))
            m_watchers.remove(job.id);
        for (const auto &w : watchers)
            settle(*w, job);
    }
}

void ApiServer::settle(Watcher &w, const JobInfo &job)
{
    auto &ex = *w.ex;
    if (w.kind == Watcher::Kind::Events) {
        if (job.progress >= 0 && (job.progress != w.progress || job.progressText != w.progressText)) {
            w.progress = job.progress;
            w.progressText = job.progressText;
            sendEvent(ex, "progress", {{u"id"_s, qint64(job.id)}, {u"progress"_s, job.progress},
                                      {u"text"_s, job.progressText}});
        }
        if (!w.sentState || job.state != w.state) {
            w.sentState = true;
            w.state = job.state;
            QJsonObject data{{u"id"_s, qint64(job.id)}, {u"state"_s, nameOf(job.state)}};
            if (job.cancelReason != CancelReason::None)
                data.insert(u"cancel_reason"_s, nameOf(job.cancelReason));
            sendEvent(ex, "state", data);
        }
        if (isTerminal(job.state)) {
            sendEvent(ex, "finished", job.toJson());
            ex.end();
        }
        return;
    }
    if (!isTerminal(job.state))
        return;
    if (job.state == JobState::Succeeded) {
        if (w.kind == Watcher::Kind::Lines) {
            ex.begin(200, "application/x-ndjson");
            ex.end();
        } else {
            ex.sendJson(200, job.result.toJson());
        }
        return;
    }
    const QJsonObject error{{u"detail"_s, job.error.message},
                            {u"error"_s, job.error.toJson()},
                            {u"job"_s, qint64(job.id)},
                            {u"state"_s, nameOf(job.state)}};
    if (ex.started()) { // a stream already under way: its last line says why it ended
        ex.chunk(jsonBytes(QJsonObject{{u"error"_s, error}}) + '\n');
        ex.end();
        return;
    }
    const int status = job.error.status >= 400 && job.error.status <= 599 ? job.error.status : 500;
    ex.sendJson(status, error);
}

QJsonObject ApiServer::openApi() const
{
    QJsonObject doc = m_runtime.router().openApi(u"coroute"_s, QCoreApplication::applicationVersion());
    QJsonObject paths = doc.value(u"paths"_s).toObject();
    const auto op = [](const QString &summary, const QJsonObject &responses, const QJsonArray &parameters = {}) {
        QJsonObject o{{u"summary"_s, summary}, {u"tags"_s, QJsonArray{u"jobs"_s}}, {u"responses"_s, responses}};
        if (!parameters.isEmpty())
            o.insert(u"parameters"_s, parameters);
        return o;
    };
    const auto resp = [](const QString &description, const QString &type = u"application/json"_s) {
        return QJsonObject{{u"description"_s, description},
                           {u"content"_s, QJsonObject{{type, QJsonObject{{u"schema"_s, QJsonObject{}}}}}}};
    };
    const QJsonObject idParam{{u"name"_s, u"id"_s}, {u"in"_s, u"path"_s}, {u"required"_s, true},
                              {u"schema"_s, QJsonObject{{u"type"_s, u"integer"_s}}}};
    const QJsonObject notFound{{u"description"_s, u"Unknown job"_s}};
    QJsonObject submit = op(u"Submit a job: {route: \"METHOD /path\", query?, body?}"_s,
                            {{u"202"_s, resp(u"{id, state, href}"_s)}, {u"422"_s, resp(u"Validation Error"_s)}});
    submit.insert(u"requestBody"_s,
                  QJsonObject{{u"required"_s, true},
                              {u"content"_s, QJsonObject{{u"application/json"_s,
                                   QJsonObject{{u"schema"_s, QJsonObject{
                                       {u"type"_s, u"object"_s},
                                       {u"required"_s, QJsonArray{u"route"_s}},
                                       {u"properties"_s, QJsonObject{
                                           {u"route"_s, QJsonObject{{u"type"_s, u"string"_s}}},
                                           {u"query"_s, QJsonObject{{u"type"_s, u"object"_s}}},
                                           {u"body"_s, QJsonObject{}}}}}}}}}}});
    const QJsonObject limitParam{{u"name"_s, u"limit"_s}, {u"in"_s, u"query"_s}, {u"required"_s, false},
                                 {u"schema"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"default"_s, 50}}}};
    paths.insert(u"/_jobs"_s, QJsonObject{{u"get"_s, op(u"Recent jobs, newest first"_s,
                                                         {{u"200"_s, resp(u"{jobs, total}"_s)}}, {limitParam})},
                                           {u"post"_s, submit}});
    paths.insert(u"/_jobs/{id}"_s,
                 QJsonObject{{u"get"_s, op(u"A job: state, result or error"_s,
                                           {{u"200"_s, resp(u"The job"_s)}, {u"404"_s, notFound}}, {idParam})},
                             {u"delete"_s, op(u"Cancel a job and its children"_s,
                                              {{u"202"_s, resp(u"{id, cancelled}"_s)}, {u"404"_s, notFound}},
                                              {idParam})}});
    paths.insert(u"/_jobs/{id}/events"_s,
                 QJsonObject{{u"get"_s, op(u"Server-sent events (state, progress, log, finished) until the job ends"_s,
                                           {{u"200"_s, resp(u"Event stream"_s, u"text/event-stream"_s)},
                                            {u"404"_s, notFound}},
                                           {idParam})}});
    doc.insert(u"paths"_s, paths);
    QJsonObject components = doc.value(u"components"_s).toObject();
    QJsonObject schemes = components.value(u"securitySchemes"_s).toObject();
    schemes.insert(u"bearer"_s, QJsonObject{{u"type"_s, u"http"_s}, {u"scheme"_s, u"bearer"_s}});
    components.insert(u"securitySchemes"_s, schemes);
    doc.insert(u"components"_s, components);
    doc.insert(u"security"_s, QJsonArray{QJsonObject{{u"bearer"_s, QJsonArray{}}}});
    return doc;
}

} // namespace coroute::serve
