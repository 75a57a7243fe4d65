#pragma once

#include "router/handler.h"
#include "router/route.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <stdexcept>
#include <variant>

namespace coroute {

/// A dispatch failure, answered like an HTTP framework would.
struct DispatchError
{
    int status = 404;          ///< 404 unknown path, 405 wrong method, 422 invalid parameters
    QString message;           ///< "Not Found", "Method Not Allowed", "Unprocessable Entity"
    QStringList allowed;       ///< with 405: the methods the path accepts
    QJsonArray detail;         ///< with 422: [{"loc": [...], "msg": ..., "type": ...}, ...]

    /// {"status": 422, "detail": [...]} (FastAPI's shape), with "allowed" for 405.
    QJsonObject toJson() const;
};

/// A successful dispatch: the route and its validated, typed, defaulted parameters.
struct RouteMatch
{
    std::shared_ptr<const Route> route;
    QJsonObject pathParams; ///< typed: {"item_id": 42}
    QJsonObject query;      ///< typed, defaults applied, undeclared keys dropped
    QJsonValue body;        ///< validated body, defaults applied to declared fields
};

/// The outcome of Router::resolve(): a match or a dispatch error.
using Resolution = std::variant<RouteMatch, DispatchError>;

/// Thrown at registration for a malformed or conflicting template; what() names the template
/// and the problem: "GET /items/{id:integer}: unknown parameter type 'integer'".
class InvalidRoute : public std::invalid_argument
{
public:
    using std::invalid_argument::invalid_argument;
};

/// A table of routes. Register handlers with get()/post()/..., compose with include(), and
/// resolve "METHOD /path?query" requests to a route and typed parameters.
///
///     Router r;
///     r.get(u"/items/{item_id:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonObject> { ... })
///         .summary(u"Read one item"_s)
///         .query({.name = u"verbose"_s, .type = ParamType::Bool, .defaultValue = false});
///
/// Template segments: literal, {name} (string), {name:int}, {name:double}, {name:bool},
/// {name:uuid}, and {name:path} (the rest of the path, last segment only). A literal segment
/// wins over a parameter, a typed parameter over {name}, and {name} over {name:path}; typed
/// parameters at one position are tried as int, bool, uuid, then double. A match whose
/// parameters are all valid wins over a higher-priority one with errors.
/// Not thread-safe: build the table first, then resolve from any thread.
class Router
{
public:
    Router();
    ~Router();
    Router(const Router &);
    Router &operator=(const Router &);
    Router(Router &&) noexcept;
    Router &operator=(Router &&) noexcept;

    /// Registers a route. Throws InvalidRoute for a malformed template, an unknown method, or a
    /// template that conflicts with an existing route of the same method.
    template<typename F>
    RouteBuilder add(const QString &method, const QString &pathTemplate, F &&handler)
    {
        return addRoute(method, pathTemplate, detail::makeHandler(std::forward<F>(handler)));
    }
    template<typename F>
    RouteBuilder get(const QString &t, F &&h) { return add(QStringLiteral("GET"), t, std::forward<F>(h)); }
    template<typename F>
    RouteBuilder post(const QString &t, F &&h) { return add(QStringLiteral("POST"), t, std::forward<F>(h)); }
    template<typename F>
    RouteBuilder put(const QString &t, F &&h) { return add(QStringLiteral("PUT"), t, std::forward<F>(h)); }
    template<typename F>
    RouteBuilder patch(const QString &t, F &&h) { return add(QStringLiteral("PATCH"), t, std::forward<F>(h)); }
    template<typename F>
    RouteBuilder del(const QString &t, F &&h) { return add(QStringLiteral("DELETE"), t, std::forward<F>(h)); }

    /// Registers a route with an already erased handler.
    RouteBuilder addRoute(const QString &method, const QString &pathTemplate, Handler handler);

    /// Copies every route of other under prefix ("/fs"). Throws InvalidRoute on a conflict.
    void include(const Router &other, const QString &prefix = {});

    /// Routes in registration order.
    QList<std::shared_ptr<const Route>> routes() const;
    /// The route registered for exactly this method and template, or null.
    std::shared_ptr<const Route> find(const QString &method, const QString &pathTemplate) const;

    /// Resolves a request. path may carry a query string ("/sys/sleep?ms=10"); its values
    /// are percent-decoded ('+' is a space) and merged under query: a key present in query
    /// wins, and a key repeated in the string keeps its last value. Query values may be
    /// strings (parsed by type, as from a URL) or JSON values of the declared type (as from
    /// a plan); null counts as absent. Path segments are percent-decoded after splitting on
    /// '/'. An empty segment never matches, so "/items/" is not "/items" (404).
    /// Every invalid field is reported at once in the 422 detail. Thread-safe (const).
    Resolution resolve(const QString &method, const QString &path, const QJsonObject &query = {},
                       const QJsonValue &body = QJsonValue(QJsonValue::Undefined)) const;

    /// [{"method", "path", "kind", "summary", "params": [...], "body": ..., "policy": ...}, ...]
    QJsonArray toJson() const;
    /// An OpenAPI 3.1 document describing every route, with policies as x-coroute-policy.
    QJsonObject openApi(const QString &title, const QString &version) const;

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace coroute
