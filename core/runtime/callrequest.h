#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace coroute {

/// A call of a route: "GET /fs/hash?path=a.txt" plus typed query values and a JSON body.
struct CallRequest
{
    QString method;
    QString path;        ///< may carry a query string
    QJsonObject query;   ///< merged with the path's query string; values typed or strings
    QJsonValue body = QJsonValue(QJsonValue::Undefined);

    /// Parses "GET /items/3?x=1". Returns nothing when it is not "METHOD /path".
    static std::optional<CallRequest> parse(const QString &line);
    /// "GET /items/3"
    QString displayName() const { return method + QLatin1Char(' ') + path; }
};

} // namespace coroute
