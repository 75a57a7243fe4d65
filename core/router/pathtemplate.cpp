#include "router/pathtemplate_p.h"
#include "router/router.h"

#include <array>

using namespace Qt::StringLiterals;

namespace coroute::detail {

namespace {

// Literals: copies share static data, so requests and routes never allocate for a method.
const std::array<QString, methodCount> &methodNames()
{
    static const std::array<QString, methodCount> names{u"GET"_s, u"POST"_s, u"PUT"_s, u"PATCH"_s, u"DELETE"_s};
    return names;
}

bool isIdentifier(QStringView name)
{
    if (name.isEmpty())
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const QChar c = name[i];
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
        const bool digit = c >= u'0' && c <= u'9';
        if (!letter && !(digit && i > 0))
            return false;
    }
    return true;
}

std::optional<ParamType> segmentType(QStringView name)
{
    if (name == u"string")
        return ParamType::String;
    if (name == u"int")
        return ParamType::Int;
    if (name == u"double")
        return ParamType::Double;
    if (name == u"bool")
        return ParamType::Bool;
    if (name == u"uuid")
        return ParamType::Uuid;
    if (name == u"path")
        return ParamType::Path;
    return std::nullopt;
}

} // namespace

int methodIndex(QStringView method)
{
    // Nearly every call passes the canonical spelling: exact comparisons are a size check and
    // a memcmp, a case-insensitive one folds every character.
    for (int i = 0; i < methodCount; ++i) {
        if (method == methodNames()[size_t(i)])
            return i;
    }
    for (int i = 0; i < methodCount; ++i) {
        if (method.compare(methodNames()[size_t(i)], Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

QString methodName(int index)
{
    return methodNames()[size_t(index)];
}

void throwInvalidRoute(const QString &method, const QString &pathTemplate, const QString &problem)
{
    const QString text = method + u' ' + pathTemplate + u": "_s + problem;
    throw InvalidRoute(text.toStdString());
}

QList<TemplateSegment> parsePathTemplate(const QString &method, const QString &pathTemplate)
{
    const auto fail = [&](const QString &problem) {
        throwInvalidRoute(method, pathTemplate, problem);
    };
    if (methodIndex(method) < 0)
        fail(u"unknown method '%1' (expected GET, POST, PUT, PATCH or DELETE)"_s.arg(method));
    if (!pathTemplate.startsWith(u'/'))
        fail(u"template must start with '/'"_s);

    QList<TemplateSegment> segments;
    if (pathTemplate.size() == 1)
        return segments; // the root "/"

    const QStringView rest = QStringView(pathTemplate).mid(1);
    for (const QStringView seg : rest.tokenize(u'/')) {
        if (seg.isEmpty())
            fail(u"empty segment (no '//' and no trailing '/')"_s);
        if (!segments.isEmpty() && segments.last().type == ParamType::Path
            && segments.last().kind == TemplateSegment::Kind::Param) {
            fail(u"path parameter '%1' must be the last segment"_s.arg(segments.last().text));
        }
        const bool opens = seg.contains(u'{');
        const bool closes = seg.contains(u'}');
        if (!opens && !closes) {
            if (seg.contains(u'?') || seg.contains(u'#'))
                fail(u"invalid character in segment '%1'"_s.arg(seg));
            segments.append({TemplateSegment::Kind::Literal, seg.toString(), ParamType::String});
            continue;
        }
        if (seg.count(u'{') != 1 || seg.count(u'}') != 1 || seg.indexOf(u'{') > seg.indexOf(u'}'))
            fail(u"unbalanced braces in segment '%1'"_s.arg(seg));
        if (!seg.startsWith(u'{') || !seg.endsWith(u'}'))
            fail(u"parameter must span the whole segment '%1'"_s.arg(seg));

        const QStringView inner = seg.mid(1, seg.size() - 2);
        const qsizetype colon = inner.indexOf(u':');
        const QStringView name = colon < 0 ? inner : inner.left(colon);
        ParamType type = ParamType::String;
        if (colon >= 0) {
            const QStringView typeName = inner.mid(colon + 1);
            const auto parsed = segmentType(typeName);
            if (!parsed)
                fail(u"unknown parameter type '%1'"_s.arg(typeName));
            type = *parsed;
        }
        if (name.isEmpty())
            fail(u"empty parameter name in segment '%1'"_s.arg(seg));
        if (!isIdentifier(name))
            fail(u"invalid parameter name '%1' (letters, digits and '_', not starting with a digit)"_s
                     .arg(name));
        for (const TemplateSegment &s : std::as_const(segments)) {
            if (s.kind == TemplateSegment::Kind::Param && s.text == name)
                fail(u"duplicate parameter name '%1'"_s.arg(name));
        }
        segments.append({TemplateSegment::Kind::Param, name.toString(), type});
    }
    return segments;
}

QString openApiPath(const QList<TemplateSegment> &segments)
{
    if (segments.isEmpty())
        return u"/"_s;
    QString path;
    for (const TemplateSegment &s : segments) {
        path += u'/';
        if (s.kind == TemplateSegment::Kind::Literal)
            path += s.text;
        else
            path += u'{' + s.text + u'}';
    }
    return path;
}

} // namespace coroute::detail

namespace coroute {

QString canonicalMethod(QStringView method)
{
    const int index = detail::methodIndex(method);
    return index >= 0 ? detail::methodName(index) : method.toString().toUpper();
}

} // namespace coroute
