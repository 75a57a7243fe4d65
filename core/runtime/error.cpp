#include "runtime/error.h"

using namespace Qt::StringLiterals;

namespace coroute {

QJsonObject JobError::toJson() const
{
    QJsonObject o{{u"status"_s, status}, {u"type"_s, type}, {u"message"_s, message}};
    if (!detail.isNull() && !detail.isUndefined())
        o.insert(u"detail"_s, detail);
    return o;
}

JobError JobError::fromJson(const QJsonObject &o)
{
    return {o.value(u"status"_s).toInt(500), o.value(u"type"_s).toString(),
            o.value(u"message"_s).toString(), o.value(u"detail"_s)};
}

Error::Error(int status, QString type, QString message, QJsonValue detail)
    : Error(JobError{status, std::move(type), std::move(message), std::move(detail)})
{
}

Error::Error(JobError error) : m_error(std::move(error)), m_what(m_error.message.toUtf8()) {}

} // namespace coroute
