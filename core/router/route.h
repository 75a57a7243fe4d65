#pragma once

#include "async/cancellation.h"
#include "router/handler.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace coroute {

/// Type of a path segment, query parameter or body field.
enum class ParamType { String, Int, Double, Bool, Uuid, Path, Array, Object, Any };

/// "string", "int", "double", "bool", "uuid", "path", "array", "object", "any".
QString nameOf(ParamType type);

/// Where a parameter comes from.
enum class ParamLocation { Path, Query, Body };

/// A declared parameter. For query parameters and body fields: required, or optional with
/// an optional default. Path parameters are always required; their type comes from the template.
struct ParamSpec
{
    QString name;
    ParamType type = ParamType::String;
    QString description;
    bool required = false;
    QJsonValue defaultValue = QJsonValue(QJsonValue::Undefined);
    QStringList choices;            ///< allowed values as text ("1", "true"), empty for any
    std::optional<double> minimum;  ///< for Int and Double
    std::optional<double> maximum;  ///< for Int and Double

    QJsonObject toJson() const;
};

/// Retry policy for a route or an operation: exponential backoff with jitter.
struct RetryPolicy
{
    int attempts = 1;                                   ///< total tries, 1 = no retry
    std::chrono::milliseconds initialBackoff{100};
    std::chrono::milliseconds maxBackoff{5000};
    double multiplier = 2.0;
    double jitter = 0.2;                                ///< +/- fraction of each delay
    /// Whether a failure is worth another try; empty means every failure but Cancelled.
    std::function<bool(const std::exception_ptr &)> retryIf;

    /// The delay before try number `retry` (1 = first retry), for a random value in [0, 1).
    std::chrono::milliseconds delayFor(int retry, double random01) const;
    QJsonObject toJson() const;
};

/// An HTTP method as routes and jobs spell it, in upper case ("get" → "GET"). The methods a
/// route may use come back as shared literals, so no request allocates for its method.
QString canonicalMethod(QStringView method);

/// Where a route's handler runs.
enum class Executor { Loop, Pool };
QString nameOf(Executor executor);

/// How the runtime runs a route: shown by introspection, enforced by the runtime.
struct RoutePolicy
{
    std::optional<std::chrono::milliseconds> timeout; ///< the job fails as timed_out after it
    RetryPolicy retry;
    QString limit;                  ///< name of a concurrency limit, empty for the global one only
    Executor executor = Executor::Loop;

    QJsonObject toJson() const;
};

/// A registered route: its metadata and handler. Immutable once registration finished.
struct Route
{
    QString method;                 ///< "GET", "POST", "PUT", "PATCH", "DELETE"
    QString pathTemplate;           ///< "/items/{item_id:int}"
    QString summary;
    QString description;
    QList<ParamSpec> pathParams;    ///< in template order, types from the template
    QList<ParamSpec> queryParams;
    QList<ParamSpec> bodyFields;    ///< fields of a JSON object body
    ParamType bodyType = ParamType::Any; ///< with no body fields: the whole body's type
    bool bodyRequired = false;
    QString bodyDescription;
    bool hasBody = false;           ///< set by RouteBuilder::body() and bodyField()
    Handler handler;
    RoutePolicy policy;

    /// "GET /items/{item_id:int}"
    QString displayName() const { return m_displayName.isEmpty() ? method + QLatin1Char(' ') + pathTemplate : m_displayName; }
    QJsonObject toJson() const;

private:
    friend class Router;
    // Fixed by the router where a route is made, since every job's root span is named by it.
    void freezeDisplayName() { m_displayName = method + QLatin1Char(' ') + pathTemplate; }
    QString m_displayName;
};

/// Fluent access to a route while it is being registered: `router.get(...).summary(...)`.
class RouteBuilder
{
public:
    explicit RouteBuilder(std::shared_ptr<Route> route) : m_route(std::move(route)) {}

    RouteBuilder &summary(const QString &text);
    RouteBuilder &description(const QString &text);
    /// Describes a path parameter declared by the template. Throws InvalidRoute if unknown.
    RouteBuilder &pathParam(const QString &name, const QString &description);
    /// Declares a query parameter. Throws InvalidRoute for a duplicate or Path type.
    RouteBuilder &query(ParamSpec spec);
    /// Declares a field of a JSON object body; implies an object body.
    RouteBuilder &bodyField(ParamSpec spec);
    /// Declares the body as a whole (type Array, Object or Any), required or not.
    RouteBuilder &body(ParamType type, bool required, const QString &description = {});
    RouteBuilder &timeout(std::chrono::milliseconds t);
    RouteBuilder &retry(RetryPolicy policy);
    /// Runs the route under the named concurrency limit (see Runtime::setLimit).
    RouteBuilder &limit(const QString &name);

    const Route &route() const { return *m_route; }

private:
    std::shared_ptr<Route> m_route;
};

} // namespace coroute
