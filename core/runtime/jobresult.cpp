#include "runtime/jobresult.h"

#include <QJsonObject>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcJobResult, "coroute.result", QtInfoMsg)

namespace coroute {

QJsonValue JobResult::conversionFailed(const char *what)
{
    // The job already succeeded; a reader on another thread (the history writer, the GUI)
    // must not be brought down by the value's toJson(): say what happened instead.
    const QString message = u"the result's toJson() threw: "_s + QString::fromUtf8(what);
    qCWarning(lcJobResult).noquote() << message;
    return QJsonObject{{u"error"_s, message}};
}

} // namespace coroute
