#pragma once
// Private to the router: not part of the installed API.

#include "router/route.h"

#include <QList>
#include <QString>
#include <QStringView>

namespace coroute::detail {

/// The methods a route may use, in the order of their index.
inline constexpr int methodCount = 5;

/// Index of an upper-case or mixed-case method name ("get" → 0), or -1 when unknown.
int methodIndex(QStringView method);
/// "GET", "POST", "PUT", "PATCH", "DELETE" by index.
QString methodName(int index);

/// One segment of a parsed template.
struct TemplateSegment
{
    enum class Kind { Literal, Param };
    Kind kind = Kind::Literal;
    QString text;                       ///< the literal, or the parameter's name
    ParamType type = ParamType::String; ///< for parameters
};

/// Parses "/items/{id:int}" into its segments ("/" has none). Throws InvalidRoute whose
/// message starts with "METHOD template: " and names the problem.
QList<TemplateSegment> parsePathTemplate(const QString &method, const QString &pathTemplate);

/// The template with types stripped, as OpenAPI wants it: "/items/{id}".
QString openApiPath(const QList<TemplateSegment> &segments);

/// Throws InvalidRoute("METHOD template: problem").
[[noreturn]] void throwInvalidRoute(const QString &method, const QString &pathTemplate,
                                    const QString &problem);

} // namespace coroute::detail
