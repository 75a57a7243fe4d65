#include "runtime/callrequest.h"

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
    r.method = trimmed.left(space).toString().toUpper();
    r.path = path.toString();
    return r;
}

} // namespace coroute
