#include "router/route.h"
#include "router/paramvalidation_p.h"
#include "router/pathtemplate_p.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace coroute {

QString nameOf(HandlerKind kind)
{
    switch (kind) {
    case HandlerKind::Async:
        return u"async"_s;
    case HandlerKind::Sync:
        return u"sync"_s;
    case HandlerKind::Streaming:
        return u"streaming"_s;
    }
    return {};
}

QString nameOf(ParamType type)
{
    switch (type) {
    case ParamType::String:
        return u"string"_s;
    case ParamType::Int:
        return u"int"_s;
    case ParamType::Double:
        return u"double"_s;
    case ParamType::Bool:
        return u"bool"_s;
    case ParamType::Uuid:
        return u"uuid"_s;
    case ParamType::Path:
        return u"path"_s;
    case ParamType::Array:
        return u"array"_s;
    case ParamType::Object:
        return u"object"_s;
    case ParamType::Any:
        return u"any"_s;
    }
    return {};
}

QString nameOf(Executor executor)
{
    return executor == Executor::Pool ? u"pool"_s : u"loop"_s;
}

QJsonObject ParamSpec::toJson() const
{
    QJsonObject o{{u"name"_s, name},
                  {u"type"_s, nameOf(type)},
                  {u"required"_s, required},
                  {u"description"_s, description}};
    if (!defaultValue.isUndefined())
        o.insert(u"default"_s, defaultValue);
    if (!choices.isEmpty())
        o.insert(u"choices"_s, QJsonArray::fromStringList(choices));
    if (minimum)
        o.insert(u"minimum"_s, *minimum);
    if (maximum)
        o.insert(u"maximum"_s, *maximum);
    return o;
}

std::chrono::milliseconds RetryPolicy::delayFor(int retry, double random01) const
{
    if (retry < 1)
        return std::chrono::milliseconds(0);
    const double initial = double(std::max<qint64>(initialBackoff.count(), 0));
    const double cap = double(std::max<qint64>(maxBackoff.count(), 0));
    // pow() may overflow to inf for large retries; min() against the cap absorbs it.
    double delay = std::min(initial * std::pow(std::max(multiplier, 0.0), retry - 1), cap);
    if (!std::isfinite(delay))
        delay = cap;
    const double r = std::clamp(random01, 0.0, 1.0);
    delay *= 1.0 + jitter * (2.0 * r - 1.0);
    if (!(delay > 0.0))
        return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(qint64(std::llround(delay)));
}

QJsonObject RetryPolicy::toJson() const
{
    return QJsonObject{{u"attempts"_s, attempts},
                       {u"initial_backoff_ms"_s, qint64(initialBackoff.count())},
                       {u"max_backoff_ms"_s, qint64(maxBackoff.count())},
                       {u"multiplier"_s, multiplier},
                       {u"jitter"_s, jitter}};
}

QJsonObject RoutePolicy::toJson() const
{
    QJsonObject o{{u"executor"_s, nameOf(executor)}, {u"retry"_s, retry.toJson()}};
    if (timeout)
        o.insert(u"timeout_ms"_s, qint64(timeout->count()));
    if (!limit.isEmpty())
        o.insert(u"limit"_s, limit);
    return o;
}

QJsonObject Route::toJson() const
{
    QJsonArray params;
    for (const ParamSpec &p : pathParams) {
        QJsonObject o = p.toJson();
        o.insert(u"in"_s, u"path"_s);
        params.append(o);
    }
    for (const ParamSpec &p : queryParams) {
        QJsonObject o = p.toJson();
        o.insert(u"in"_s, u"query"_s);
        params.append(o);
    }
    QJsonValue bodyJson(QJsonValue::Null);
    if (hasBody) {
        QJsonArray fields;
        for (const ParamSpec &f : bodyFields)
            fields.append(f.toJson());
        bodyJson = QJsonObject{{u"type"_s, nameOf(bodyType)},
                               {u"required"_s, bodyRequired},
                               {u"description"_s, bodyDescription},
                               {u"fields"_s, fields}};
    }
    return QJsonObject{{u"method"_s, method},
                       {u"path"_s, pathTemplate},
                       {u"kind"_s, nameOf(handler.kind)},
                       {u"summary"_s, summary},
                       {u"description"_s, description},
                       {u"params"_s, params},
                       {u"body"_s, bodyJson},
                       {u"policy"_s, policy.toJson()}};
}

namespace {

// Checks a query parameter or body field declaration; what() names the route.
void checkSpec(const Route &route, const ParamSpec &spec, const QList<ParamSpec> &existing,
               const QString &what)
{
    const auto fail = [&](const QString &problem) {
        detail::throwInvalidRoute(route.method, route.pathTemplate, problem);
    };
    if (spec.name.isEmpty())
        fail(u"empty %1 name"_s.arg(what));
    const bool duplicate = std::any_of(existing.cbegin(), existing.cend(),
                                       [&](const ParamSpec &p) { return p.name == spec.name; });
    if (duplicate)
        fail(u"duplicate %1 '%2'"_s.arg(what, spec.name));
    if (spec.type == ParamType::Path)
        fail(u"%1 '%2' cannot have type path (only path segments can)"_s.arg(what, spec.name));
    const bool numeric = spec.type == ParamType::Int || spec.type == ParamType::Double;
    if ((spec.minimum || spec.maximum) && !numeric)
        fail(u"%1 '%2': minimum and maximum apply to int and double only"_s.arg(what, spec.name));
    if (spec.required && !spec.defaultValue.isUndefined())
        fail(u"%1 '%2' is required and cannot have a default"_s.arg(what, spec.name));
    if (!spec.defaultValue.isUndefined() && !spec.defaultValue.isNull()) {
        QJsonValue converted;
        if (const auto error = detail::validateValue(spec, spec.defaultValue, &converted))
            fail(u"invalid default for %1 '%2': %3"_s.arg(what, spec.name, error->msg));
    }
}

} // namespace

RouteBuilder &RouteBuilder::summary(const QString &text)
{
    m_route->summary = text;
    return *this;
}

RouteBuilder &RouteBuilder::description(const QString &text)
{
    m_route->description = text;
    return *this;
}

RouteBuilder &RouteBuilder::pathParam(const QString &name, const QString &description)
{
    for (ParamSpec &p : m_route->pathParams) {
        if (p.name == name) {
            p.description = description;
            return *this;
        }
    }
    detail::throwInvalidRoute(m_route->method, m_route->pathTemplate,
                              u"unknown path parameter '%1'"_s.arg(name));
}

RouteBuilder &RouteBuilder::query(ParamSpec spec)
{
    checkSpec(*m_route, spec, m_route->queryParams, u"query parameter"_s);
    m_route->queryParams.append(std::move(spec));
    return *this;
}

RouteBuilder &RouteBuilder::bodyField(ParamSpec spec)
{
    checkSpec(*m_route, spec, m_route->bodyFields, u"body field"_s);
    m_route->bodyFields.append(std::move(spec));
    m_route->bodyType = ParamType::Object;
    m_route->hasBody = true;
    return *this;
}

RouteBuilder &RouteBuilder::body(ParamType type, bool required, const QString &description)
{
    if (type != ParamType::Array && type != ParamType::Object && type != ParamType::Any)
        detail::throwInvalidRoute(m_route->method, m_route->pathTemplate,
                                  u"body type must be array, object or any, not %1"_s.arg(nameOf(type)));
    if (!m_route->bodyFields.isEmpty() && type != ParamType::Object)
        detail::throwInvalidRoute(m_route->method, m_route->pathTemplate,
                                  u"a body with fields must be an object"_s);
    m_route->bodyType = type;
    m_route->bodyRequired = required;
    m_route->bodyDescription = description;
    m_route->hasBody = true;
    return *this;
}

RouteBuilder &RouteBuilder::timeout(std::chrono::milliseconds t)
{
    m_route->policy.timeout = t;
    return *this;
}

RouteBuilder &RouteBuilder::retry(RetryPolicy policy)
{
    m_route->policy.retry = std::move(policy);
    return *this;
}

RouteBuilder &RouteBuilder::limit(const QString &name)
{
    m_route->policy.limit = name;
    return *this;
}

} // namespace coroute
