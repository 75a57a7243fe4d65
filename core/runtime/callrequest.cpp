#include "runtime/callrequest.h"
#include "router/route.h"

#include <QRegularExpression>

namespace coroute {

std::optional<CallRequest> CallRequest::parse(const QString &line)
{
    const auto trimmed = QStringView(line).trimmed();
    const auto space = trimmed.indexOf(QLatin1Char(' '));
    if (space <= 0)
        return std::nullopt;
    const auto path = trimmed.mid(space + 1).trimmed();
    if (!path.startsWith(QLatin1Char('/')))
        return std::nullopt;
    CallRequest r;
    r.method = canonicalMethod(trimmed.left(space));
    r.path = path.toString();
    return r;
}

QString redactCredentials(const QString &text)
{
    if (!text.contains(QLatin1String("://")) || !text.contains(QLatin1Char('@')))
        return text;
    // scheme "://" then user info up to the first "@" before any "/", "?", "#" or space.
    static const QRegularExpression userInfo(QStringLiteral("([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\\s]+@"));
    QString out = text;
    out.replace(userInfo, QStringLiteral("\\1***@"));
    return out;
}

} // namespace coroute
