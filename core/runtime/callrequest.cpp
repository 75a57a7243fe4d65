#include "runtime/callrequest.h"

#include <QRegularExpression>

#include <array>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {
// The usual methods share one literal each rather than allocating per request.
QString methodName(QStringView token)
{
    static const std::array<QString, 7> known{u"GET"_s, u"POST"_s, u"PUT"_s, u"DELETE"_s,
                                              u"PATCH"_s, u"HEAD"_s, u"OPTIONS"_s};
    for (const auto &name : known) {
        if (token.compare(name, Qt::CaseInsensitive) == 0)
            return name;
    }
    return token.toString().toUpper();
}
} // namespace

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
    r.method = methodName(trimmed.left(space));
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
