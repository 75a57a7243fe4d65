#include "router/router.h"
#include "router/paramvalidation_p.h"
#include "router/pathtemplate_p.h"

#include <QSet>
#include <QUrl>
#include <QVarLengthArray>

#include <algorithm>
#include <array>
#include <unordered_map>

using namespace Qt::StringLiterals;

namespace coroute {

using detail::TemplateSegment;

namespace {

// Lets the literal table be searched with a QStringView, without building a QString.
struct ViewHash
{
    using is_transparent = void;
    size_t operator()(QStringView s) const noexcept { return qHash(s); }
};

// Typed parameters at one position are tried in this order: a segment such as "1" could be
// an int, a bool or a double, and the narrowest reading should win.
constexpr std::array<ParamType, 4> typedOrder{ParamType::Int, ParamType::Bool, ParamType::Uuid,
                                              ParamType::Double};

int typedSlot(ParamType type)
{
    const auto it = std::find(typedOrder.begin(), typedOrder.end(), type);
    return it == typedOrder.end() ? -1 : int(it - typedOrder.begin());
}

// One position of the segment tree. Children are kept by matching priority: literals, then
// typed parameters, then {x}, then {x:path}, which ends the walk.
struct Node
{
    std::unordered_map<QString, std::unique_ptr<Node>, ViewHash, std::equal_to<>> literals;
    std::array<std::unique_ptr<Node>, typedOrder.size()> typed;
    std::unique_ptr<Node> string;
    std::unique_ptr<Node> rest;
    std::array<std::shared_ptr<const Route>, detail::methodCount> routes; // by method index
    // Per method: the path parameter names with null values, and where each parameter (in
    // template order) sits in it. Setting values of a copy by position is cheaper than
    // inserting them by name: no key is converted or searched on a resolve.
    std::array<QJsonObject, detail::methodCount> pathParamKeys;
    std::array<QList<qsizetype>, detail::methodCount> pathParamSlots;
};

std::unique_ptr<Node> *childSlot(Node &node, const TemplateSegment &seg)
{
    if (seg.kind == TemplateSegment::Kind::Literal)
        return &node.literals[seg.text];
    if (seg.type == ParamType::String)
        return &node.string;
    if (seg.type == ParamType::Path)
        return &node.rest;
    return &node.typed[typedSlot(seg.type)];
}

const Node *findChild(const Node &node, const TemplateSegment &seg)
{
    if (seg.kind == TemplateSegment::Kind::Literal) {
        const auto it = node.literals.find(QStringView(seg.text));
        return it == node.literals.end() ? nullptr : it->second.get();
    }
    if (seg.type == ParamType::String)
        return node.string.get();
    if (seg.type == ParamType::Path)
        return node.rest.get();
    return node.typed[typedSlot(seg.type)].get();
}

QList<ParamSpec> pathParamsOf(const QList<TemplateSegment> &segments, const QList<ParamSpec> &previous)
{
    QList<ParamSpec> params;
    for (const TemplateSegment &seg : segments) {
        if (seg.kind != TemplateSegment::Kind::Param)
            continue;
        ParamSpec spec;
        spec.name = seg.text;
        spec.type = seg.type;
        spec.required = true;
        for (const ParamSpec &old : previous) {
            if (old.name == seg.text)
                spec.description = old.description;
        }
        params.append(spec);
    }
    return params;
}

QString percentDecoded(QStringView text, bool plusIsSpace)
{
    QByteArray bytes = text.toUtf8();
    if (plusIsSpace)
        bytes.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(bytes));
}

// "a=1&b=x+y" → {"a": "1", "b": "x y"}; a key without '=' gets "", the last repeat wins.
QJsonObject parseQueryString(QStringView text)
{
    QJsonObject query;
    for (const QStringView pair : text.tokenize(u'&', Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(u'=');
        const QStringView key = eq < 0 ? pair : pair.left(eq);
        const QStringView value = eq < 0 ? QStringView() : pair.mid(eq + 1);
        query.insert(percentDecoded(key, true), percentDecoded(value, true));
    }
    return query;
}

bool isAbsent(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull();
}

// Equal and held the same way: QJsonValue's == calls 1 and 1.0 equal, a parameter's type not.
bool identical(const QJsonValue &a, const QJsonValue &b)
{
    return a == b && (!a.isDouble() || a.toVariant().typeId() == b.toVariant().typeId());
}

QJsonArray loc(const QString &where, const QString &name = {})
{
    QJsonArray l{where};
    if (!name.isEmpty())
        l.append(name);
    return l;
}

} // namespace

class Router::Private
{
public:
    QList<std::shared_ptr<Route>> routes; // registration order; shared with copies
    Node root;

    const Node *lookup(const QList<TemplateSegment> &segments) const
    {
        const Node *node = &root;
        for (const TemplateSegment &seg : segments) {
            node = findChild(*node, seg);
            if (!node)
                return nullptr;
        }
        return node;
    }

    Node &nodeFor(const QList<TemplateSegment> &segments)
    {
        Node *node = &root;
        for (const TemplateSegment &seg : segments) {
            std::unique_ptr<Node> *slot = childSlot(*node, seg);
            if (!*slot)
                *slot = std::make_unique<Node>();
            node = slot->get();
        }
        return *node;
    }

    void checkConflict(const QString &method, const QString &pathTemplate,
                       const QList<TemplateSegment> &segments) const
    {
        const Node *node = lookup(segments);
        if (!node)
            return;
        if (const auto &existing = node->routes[detail::methodIndex(method)]) {
            detail::throwInvalidRoute(method, pathTemplate,
                                      u"conflicts with %1"_s.arg(existing->displayName()));
        }
    }

    void insert(const std::shared_ptr<Route> &route, const QList<TemplateSegment> &segments)
    {
        Node &node = nodeFor(segments);
        const int m = detail::methodIndex(route->method);
        node.routes[m] = route;
        QJsonObject keys;
        for (const ParamSpec &p : std::as_const(route->pathParams))
            keys.insert(p.name, QJsonValue());
        QList<qsizetype> slots;
        for (const ParamSpec &p : std::as_const(route->pathParams))
            slots.append(std::distance(keys.constBegin(), keys.constFind(p.name)));
        node.pathParamKeys[m] = keys;
        node.pathParamSlots[m] = slots;
        routes.append(route);
    }

    void rebuildFrom(const QList<std::shared_ptr<Route>> &source)
    {
        root = Node();
        routes.clear();
        for (const auto &route : source)
            insert(route, detail::parsePathTemplate(route->method, route->pathTemplate));
    }
};

namespace {

// One path segment captured by a parameter on the way down the tree.
struct Capture
{
    ParamType type;
    QStringView text;   // the decoded segment (for {x:path}: empty, see rest)
    QJsonValue value;   // typed parameters: the parsed value when valid
    bool valid = true;
    qsizetype restFrom = -1; // {x:path}: index of its first segment
};

// Walks the tree for one request. The strict walk only enters typed parameters whose segment
// parses; the loose walk enters them anyway, to report 422 rather than 404 for "/items/abc",
// and collects the methods of every structural match for 405.
class Matcher
{
public:
    Matcher(int method, const QJsonObject &query, const QJsonValue &body)
        : m_method(method), m_query(query), m_body(body)
    {
    }

    QVarLengthArray<QStringView, 16> segments;
    bool strict = true;
    std::optional<RouteMatch> match;
    std::optional<DispatchError> firstError;
    unsigned allowed = 0; // bit per method index

    bool walk(const Node &node, qsizetype i, int invalid)
    {
        if (i == segments.size())
            return visit(node, invalid);
        const QStringView seg = segments[i];
        if (!node.literals.empty()) {
            const auto it = node.literals.find(seg);
            if (it != node.literals.end() && walk(*it->second, i + 1, invalid))
                return true;
        }
        for (size_t slot = 0; slot < typedOrder.size(); ++slot) {
            if (!node.typed[slot])
                continue;
            auto value = detail::parseTyped(typedOrder[slot], seg);
            if (!value && strict)
                continue;
            m_captures.append({typedOrder[slot], seg, value ? *value : QJsonValue(), bool(value)});
            const bool stop = walk(*node.typed[slot], i + 1, invalid + (value ? 0 : 1));
            m_captures.removeLast();
            if (stop)
                return true;
        }
        if (node.string) {
            m_captures.append({ParamType::String, seg, {}});
            const bool stop = walk(*node.string, i + 1, invalid);
            m_captures.removeLast();
            if (stop)
                return true;
        }
        if (node.rest) {
            m_captures.append({ParamType::Path, {}, {}, true, i});
            const bool stop = visit(*node.rest, invalid);
            m_captures.removeLast();
            if (stop)
                return true;
        }
        return false;
    }

private:
    bool visit(const Node &node, int invalid)
    {
        if (!strict) {
            for (int m = 0; m < detail::methodCount; ++m) {
                if (node.routes[m])
                    allowed |= 1u << m;
            }
            // Matches without an invalid segment were already tried by the strict walk.
            if (invalid == 0)
                return false;
        }
        if (m_method < 0 || !node.routes[m_method])
            return false;
        if (firstError) // only a fully valid match could still do better
            return validate(node, /*keepError=*/false);
        const bool valid = validate(node, /*keepError=*/true);
        // In the loose walk the first candidate is the answer: it has an invalid segment.
        return valid || !strict;
    }

    // Validates every parameter of a candidate route; true when it matched without errors.
    bool validate(const Node &node, bool keepError)
    {
        const std::shared_ptr<const Route> &route = node.routes[m_method];
        QJsonArray errors;
        RouteMatch result;
        result.pathParams = node.pathParamKeys[m_method];
        const QList<qsizetype> &slots = node.pathParamSlots[m_method];
        // begin() detaches the copy once; every parameter then sets its own slot.
        const QJsonObject::iterator params = slots.isEmpty() ? QJsonObject::iterator() : result.pathParams.begin();

        for (qsizetype k = 0; k < m_captures.size() && k < route->pathParams.size(); ++k) {
            const Capture &c = m_captures[k];
            QJsonValueRef slot = *(params + slots[k]);
            switch (c.type) {
            case ParamType::String:
                slot = c.text.toString();
                break;
            case ParamType::Path: {
                QString joined;
                for (qsizetype s = c.restFrom; s < segments.size(); ++s) {
                    if (s > c.restFrom)
                        joined += u'/';
                    joined += segments[s];
                }
                slot = joined;
                break;
            }
            default:
                if (c.valid)
                    slot = c.value;
                else
                    errors.append(detail::errorEntry(loc(u"path"_s, route->pathParams[k].name),
                                                     detail::parsingError(c.type), c.text.toString()));
            }
        }

        // Starts as the caller's object, shared: when that holds just the declared parameters,
        // typed already (as plans and jobs pass them), nothing is copied or inserted.
        result.query = m_query;
        qsizetype declaredGiven = 0;
        for (const ParamSpec &spec : route->queryParams) {
            const QJsonValue input = m_query.value(spec.name);
            if (!input.isUndefined())
                ++declaredGiven;
            if (isAbsent(input)) {
                if (!input.isUndefined())
                    result.query.remove(spec.name); // an explicit null counts as absent
                if (spec.required) {
                    errors.append(detail::errorEntry(loc(u"query"_s, spec.name), detail::missingError()));
                } else if (!spec.defaultValue.isUndefined()) {
                    QJsonValue value = spec.defaultValue;
                    if (!spec.defaultValue.isNull())
                        detail::validateValue(spec, spec.defaultValue, &value);
                    result.query.insert(spec.name, value);
                }
                continue;
            }
            QJsonValue value;
            if (const auto error = detail::validateValue(spec, input, &value))
                errors.append(detail::errorEntry(loc(u"query"_s, spec.name), *error, input));
            else if (!identical(value, input))
                result.query.insert(spec.name, value);
        }
        if (declaredGiven < m_query.size()) { // keys no parameter declares are dropped
            for (auto it = m_query.constBegin(); it != m_query.constEnd(); ++it) {
                const auto key = it.key();
                if (std::none_of(route->queryParams.cbegin(), route->queryParams.cend(),
                                 [&key](const ParamSpec &spec) { return spec.name == key; }))
                    result.query.remove(key);
            }
        }

        result.body = validateBody(*route, errors);

        if (errors.isEmpty()) {
            result.route = route;
            match = std::move(result);
            return true;
        }
        if (keepError) {
            DispatchError error;
            error.status = 422;
            error.message = u"Unprocessable Entity"_s;
            error.detail = errors;
            firstError = std::move(error);
        }
        return false;
    }

    QJsonValue validateBody(const Route &route, QJsonArray &errors) const
    {
        if (!route.hasBody)
            return m_body; // nothing declared: passed through as given
        if (route.bodyFields.isEmpty()) {
            if (isAbsent(m_body)) {
                if (route.bodyRequired)
                    errors.append(detail::errorEntry(loc(u"body"_s), detail::missingError()));
                return m_body;
            }
            const bool ok = route.bodyType == ParamType::Any
                || (route.bodyType == ParamType::Array && m_body.isArray())
                || (route.bodyType == ParamType::Object && m_body.isObject());
            if (!ok) {
                const bool array = route.bodyType == ParamType::Array;
                errors.append(detail::errorEntry(
                    loc(u"body"_s),
                    {array ? u"list_type"_s : u"dict_type"_s,
                     array ? u"Input should be a valid list"_s : u"Input should be a valid dictionary"_s},
                    m_body));
            }
            return m_body;
        }

        if (isAbsent(m_body)) {
            const bool anyRequired = route.bodyRequired
                || std::any_of(route.bodyFields.cbegin(), route.bodyFields.cend(),
                               [](const ParamSpec &f) { return f.required; });
            if (anyRequired) {
                errors.append(detail::errorEntry(loc(u"body"_s), detail::missingError()));
                return m_body;
            }
        } else if (!m_body.isObject()) {
            errors.append(detail::errorEntry(
                loc(u"body"_s),
                {u"model_attributes_type"_s,
                 u"Input should be a valid dictionary or object to extract fields from"_s},
                m_body));
            return m_body;
        }

        QJsonObject object = m_body.toObject(); // unknown fields are kept as they are
        for (const ParamSpec &spec : route.bodyFields) {
            const QJsonValue input = object.value(spec.name);
            QJsonArray where{u"body"_s, spec.name};
            if (isAbsent(input)) {
                if (spec.required) {
                    errors.append(detail::errorEntry(where, detail::missingError()));
                } else if (!spec.defaultValue.isUndefined()) {
                    QJsonValue value = spec.defaultValue;
                    if (!spec.defaultValue.isNull())
                        detail::validateValue(spec, spec.defaultValue, &value);
                    object.insert(spec.name, value);
                }
                continue;
            }
            QJsonValue value;
            if (const auto error = detail::validateValue(spec, input, &value))
                errors.append(detail::errorEntry(where, *error, input));
            else
                object.insert(spec.name, value);
        }
        return object;
    }

    int m_method;
    const QJsonObject &m_query;
    const QJsonValue &m_body;
    QVarLengthArray<Capture, 8> m_captures;
};

} // namespace

QJsonObject DispatchError::toJson() const
{
    QJsonObject o{{u"status"_s, status}};
    if (status == 422)
        o.insert(u"detail"_s, detail);
    else
        o.insert(u"detail"_s, message);
    if (status == 405)
        o.insert(u"allowed"_s, QJsonArray::fromStringList(allowed));
    return o;
}

Router::Router() : d(std::make_unique<Private>()) {}

Router::~Router() = default;

Router::Router(const Router &other) : d(std::make_unique<Private>())
{
    if (other.d)
        d->rebuildFrom(other.d->routes);
}

Router &Router::operator=(const Router &other)
{
    if (this != &other) {
        auto copy = std::make_unique<Private>();
        if (other.d)
            copy->rebuildFrom(other.d->routes);
        d = std::move(copy);
    }
    return *this;
}

// A moved-from router is empty: every member checks for a null d.
Router::Router(Router &&other) noexcept = default;
Router &Router::operator=(Router &&other) noexcept = default;

RouteBuilder Router::addRoute(const QString &method, const QString &pathTemplate, Handler handler)
{
    if (!d)
        d = std::make_unique<Private>();
    const QString upper = canonicalMethod(method);
    const auto segments = detail::parsePathTemplate(upper, pathTemplate);
    d->checkConflict(upper, pathTemplate, segments);

    auto route = std::make_shared<Route>();
    route->method = upper;
    route->pathTemplate = pathTemplate;
    route->pathParams = pathParamsOf(segments, {});
    route->policy.executor = handler.kind == HandlerKind::Sync ? Executor::Pool : Executor::Loop;
    route->handler = std::move(handler);
    route->freezeDisplayName();
    d->insert(route, segments);
    return RouteBuilder(route);
}

void Router::include(const Router &other, const QString &prefix)
{
    if (!d)
        d = std::make_unique<Private>();
    const QString base = prefix == u"/"_s ? QString() : prefix;
    if (!base.isEmpty() && (!base.startsWith(u'/') || base.endsWith(u'/'))) {
        throw InvalidRoute(
            u"include prefix '%1': must be empty or start with '/' and not end with '/'"_s.arg(prefix)
                .toStdString());
    }
    if (!other.d)
        return;

    // Everything is checked before anything is added, so a conflict leaves this router as it was.
    const QList<std::shared_ptr<Route>> sources = other.d->routes;
    QList<std::pair<std::shared_ptr<Route>, QList<TemplateSegment>>> pending;
    for (const auto &source : sources) {
        const QString combined = source->pathTemplate == u"/"_s && !base.isEmpty()
            ? base
            : base + source->pathTemplate;
        const auto segments = detail::parsePathTemplate(source->method, combined);
        d->checkConflict(source->method, combined, segments);
        auto route = std::make_shared<Route>(*source);
        route->pathTemplate = combined;
        route->pathParams = pathParamsOf(segments, source->pathParams);
        route->freezeDisplayName();
        pending.append({route, segments});
    }
    for (const auto &[route, segments] : std::as_const(pending))
        d->insert(route, segments);
}

QList<std::shared_ptr<const Route>> Router::routes() const
{
    QList<std::shared_ptr<const Route>> list;
    if (!d)
        return list;
    list.reserve(d->routes.size());
    for (const auto &route : d->routes)
        list.append(route);
    return list;
}

std::shared_ptr<const Route> Router::find(const QString &method, const QString &pathTemplate) const
{
    if (!d)
        return {};
    for (const auto &route : d->routes) {
        if (route->pathTemplate == pathTemplate && route->method.compare(method, Qt::CaseInsensitive) == 0)
            return route;
    }
    return {};
}

Resolution Router::resolve(const QString &method, const QString &path, const QJsonObject &query,
                           const QJsonValue &body) const
{
    const auto notFound = [] {
        DispatchError error;
        error.status = 404;
        error.message = u"Not Found"_s;
        return error;
    };

    // The path is scanned by hand here and below: each QStringView search is a library call
    // of about a hundred instructions, and a resolve made several per short path.
    QStringView target(path);
    QStringView queryString;
    for (qsizetype i = 0; i < target.size(); ++i) {
        if (target[i] == u'?') {
            queryString = target.sliced(i + 1);
            target = target.first(i);
            break;
        }
    }
    if (!d || !target.startsWith(u'/'))
        return notFound();

    // The query string merges under the query object: explicit values win.
    QJsonObject merged;
    const QJsonObject *effectiveQuery = &query;
    if (!queryString.isEmpty()) {
        merged = query;
        const QJsonObject parsed = parseQueryString(queryString);
        for (auto it = parsed.begin(); it != parsed.end(); ++it) {
            if (!merged.contains(it.key()))
                merged.insert(it.key(), it.value());
        }
        effectiveQuery = &merged;
    }

    Matcher matcher(detail::methodIndex(method), *effectiveQuery, body);
    // Decoded segments live here; QString data does not move when the array grows.
    QVarLengthArray<QString, 4> decoded;
    if (target.size() > 1) {
        qsizetype start = 1;
        bool encoded = false;
        for (qsizetype i = 1; i <= target.size(); ++i) {
            if (i < target.size() && target[i] != u'/') {
                encoded = encoded || target[i] == u'%';
                continue;
            }
            const QStringView seg = target.sliced(start, i - start);
            start = i + 1;
            // Empty segments ("//", a trailing '/') never match: "/items/" is not "/items".
            if (seg.isEmpty())
                return notFound();
            if (encoded) {
                decoded.append(percentDecoded(seg, false));
                matcher.segments.append(decoded.last());
                encoded = false;
            } else {
                matcher.segments.append(seg);
            }
        }
    }

    matcher.walk(d->root, 0, 0);
    if (matcher.match)
        return std::move(*matcher.match);
    if (!matcher.firstError) {
        matcher.strict = false;
        matcher.walk(d->root, 0, 0);
    }
    if (matcher.firstError)
        return std::move(*matcher.firstError);
    if (matcher.allowed == 0)
        return notFound();

    DispatchError error;
    error.status = 405;
    error.message = u"Method Not Allowed"_s;
    for (int m = 0; m < detail::methodCount; ++m) {
        if (matcher.allowed & (1u << m))
            error.allowed.append(detail::methodName(m));
    }
    error.allowed.sort();
    return error;
}

QJsonArray Router::toJson() const
{
    QJsonArray list;
    if (!d)
        return list;
    for (const auto &route : d->routes)
        list.append(route->toJson());
    return list;
}

namespace {

QJsonObject schemaFor(ParamType type)
{
    switch (type) {
    case ParamType::Int:
        return {{u"type"_s, u"integer"_s}};
    case ParamType::Double:
        return {{u"type"_s, u"number"_s}};
    case ParamType::Bool:
        return {{u"type"_s, u"boolean"_s}};
    case ParamType::Uuid:
        return {{u"type"_s, u"string"_s}, {u"format"_s, u"uuid"_s}};
    case ParamType::String:
    case ParamType::Path:
        return {{u"type"_s, u"string"_s}};
    case ParamType::Array:
        return {{u"type"_s, u"array"_s}};
    case ParamType::Object:
        return {{u"type"_s, u"object"_s}};
    case ParamType::Any:
        break;
    }
    return {};
}

QJsonObject schemaFor(const ParamSpec &spec)
{
    QJsonObject schema = schemaFor(spec.type);
    if (!spec.defaultValue.isUndefined())
        schema.insert(u"default"_s, spec.defaultValue);
    if (!spec.choices.isEmpty()) {
        // Choices are declared as strings; the schema lists them in the parameter's own type.
        QJsonArray values;
        for (const QString &choice : spec.choices) {
            const auto typed = detail::parseTyped(spec.type, choice);
            values.append(typed ? *typed : QJsonValue(choice));
        }
        schema.insert(u"enum"_s, values);
    }
    if (spec.minimum)
        schema.insert(u"minimum"_s, *spec.minimum);
    if (spec.maximum)
        schema.insert(u"maximum"_s, *spec.maximum);
    return schema;
}

QJsonObject parameterFor(const ParamSpec &spec, const QString &in)
{
    QJsonObject p{{u"name"_s, spec.name},
                  {u"in"_s, in},
                  {u"required"_s, in == u"path"_s || spec.required},
                  {u"schema"_s, schemaFor(spec)}};
    if (!spec.description.isEmpty())
        p.insert(u"description"_s, spec.description);
    return p;
}

QJsonObject requestBodyFor(const Route &route)
{
    QJsonObject schema;
    bool required = route.bodyRequired;
    if (route.bodyFields.isEmpty()) {
        schema = schemaFor(route.bodyType);
    } else {
        QJsonObject properties;
        QJsonArray requiredFields;
        for (const ParamSpec &field : route.bodyFields) {
            QJsonObject property = schemaFor(field);
            if (!field.description.isEmpty())
                property.insert(u"description"_s, field.description);
            properties.insert(field.name, property);
            if (field.required) {
                requiredFields.append(field.name);
                required = true;
            }
        }
        schema = {{u"type"_s, u"object"_s}, {u"properties"_s, properties}};
        if (!requiredFields.isEmpty())
            schema.insert(u"required"_s, requiredFields);
    }
    QJsonObject body{{u"required"_s, required},
                     {u"content"_s, QJsonObject{{u"application/json"_s, QJsonObject{{u"schema"_s, schema}}}}}};
    if (!route.bodyDescription.isEmpty())
        body.insert(u"description"_s, route.bodyDescription);
    return body;
}

QString slugged(const QString &path)
{
    QString slug;
    for (const QChar c : path) {
        if (c.isLetterOrNumber() || c == u'_')
            slug += c;
        else if (!slug.isEmpty() && !slug.endsWith(u'_'))
            slug += u'_';
    }
    while (slug.endsWith(u'_'))
        slug.chop(1);
    return slug.isEmpty() ? u"root"_s : slug;
}

QJsonObject jsonContent(const QJsonObject &schema)
{
    return {{u"application/json"_s, QJsonObject{{u"schema"_s, schema}}}};
}

QJsonObject validationSchemas()
{
    const QJsonObject locItems{
        {u"anyOf"_s, QJsonArray{QJsonObject{{u"type"_s, u"string"_s}}, QJsonObject{{u"type"_s, u"integer"_s}}}}};
    const QJsonObject validationError{
        {u"title"_s, u"ValidationError"_s},
        {u"type"_s, u"object"_s},
        {u"required"_s, QJsonArray{u"loc"_s, u"msg"_s, u"type"_s}},
        {u"properties"_s,
         QJsonObject{{u"loc"_s, QJsonObject{{u"title"_s, u"Location"_s}, {u"type"_s, u"array"_s}, {u"items"_s, locItems}}},
                     {u"msg"_s, QJsonObject{{u"title"_s, u"Message"_s}, {u"type"_s, u"string"_s}}},
                     {u"type"_s, QJsonObject{{u"title"_s, u"Error Type"_s}, {u"type"_s, u"string"_s}}}}}};
    const QJsonObject httpValidationError{
        {u"title"_s, u"HTTPValidationError"_s},
        {u"type"_s, u"object"_s},
        {u"properties"_s,
         QJsonObject{{u"detail"_s,
                      QJsonObject{{u"title"_s, u"Detail"_s},
                                  {u"type"_s, u"array"_s},
                                  {u"items"_s, QJsonObject{{u"$ref"_s, u"#/components/schemas/ValidationError"_s}}}}}}}};
    return {{u"ValidationError"_s, validationError}, {u"HTTPValidationError"_s, httpValidationError}};
}

} // namespace

QJsonObject Router::openApi(const QString &title, const QString &version) const
{
    QJsonObject paths;
    QSet<QString> operationIds;
    if (d) {
        for (const auto &route : d->routes) {
            const QString path =
                detail::openApiPath(detail::parsePathTemplate(route->method, route->pathTemplate));
            const QString method = route->method.toLower();

            QString operationId = method + u'_' + slugged(path);
            for (int n = 2; operationIds.contains(operationId); ++n)
                operationId = method + u'_' + slugged(path) + u'_' + QString::number(n);
            operationIds.insert(operationId);

            QJsonArray parameters;
            for (const ParamSpec &p : route->pathParams)
                parameters.append(parameterFor(p, u"path"_s));
            for (const ParamSpec &p : route->queryParams)
                parameters.append(parameterFor(p, u"query"_s));

            QJsonObject responses{
                {u"200"_s, QJsonObject{{u"description"_s, route->handler.kind == HandlerKind::Streaming
                                                              ? u"Streamed items"_s
                                                              : u"Successful Response"_s},
                                       {u"content"_s, jsonContent({})}}}};
            if (!route->pathParams.isEmpty())
                responses.insert(u"404"_s, QJsonObject{{u"description"_s, u"Not Found"_s}});
            if (!parameters.isEmpty() || route->hasBody) {
                responses.insert(u"422"_s,
                                 QJsonObject{{u"description"_s, u"Validation Error"_s},
                                             {u"content"_s, jsonContent({{u"$ref"_s,
                                                                          u"#/components/schemas/HTTPValidationError"_s}})}});
            }

            QJsonObject operation{{u"operationId"_s, operationId},
                                  {u"summary"_s, route->summary},
                                  {u"description"_s, route->description},
                                  {u"responses"_s, responses},
                                  {u"x-coroute-kind"_s, nameOf(route->handler.kind)},
                                  {u"x-coroute-policy"_s, route->policy.toJson()}};
            if (!parameters.isEmpty())
                operation.insert(u"parameters"_s, parameters);
            if (route->hasBody)
                operation.insert(u"requestBody"_s, requestBodyFor(*route));

            QJsonObject item = paths.value(path).toObject();
            item.insert(method, operation);
            paths.insert(path, item);
        }
    }
    return QJsonObject{{u"openapi"_s, u"3.1.0"_s},
                       {u"info"_s, QJsonObject{{u"title"_s, title}, {u"version"_s, version}}},
                       {u"paths"_s, paths},
                       {u"components"_s, QJsonObject{{u"schemas"_s, validationSchemas()}}}};
}

} // namespace coroute
