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

/// text with the user info of every URL in it ("http://user:secret@host") replaced by "***"
/// ("http://***@host"): what a job, a log or the history records of a request never holds a
/// password. Text without "://" comes back as it is.
QString redactCredentials(const QString &text);

} // namespace coroute
