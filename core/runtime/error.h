#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <exception>

namespace coroute {

/// Why a job failed, as recorded and shown: an HTTP-like status, a machine-readable type
/// ("not_found", "sqlite_error", "exception"), a message for people and optional detail.
struct JobError
{
    int status = 500;
    QString type;
    QString message;
    QJsonValue detail;

    bool isNull() const { return type.isEmpty() && message.isEmpty(); }
    /// {"status", "type", "message", "detail"?}
    QJsonObject toJson() const;
    static JobError fromJson(const QJsonObject &o);
};

/// Throw from a handler to fail its job with a precise status and type:
/// `throw Error(404, u"not_found"_s, u"no such file: a.txt"_s);`
class Error : public std::exception
{
public:
    Error(int status, QString type, QString message, QJsonValue detail = {});
    explicit Error(JobError error);

    const JobError &error() const noexcept { return m_error; }
    int status() const noexcept { return m_error.status; }
    const char *what() const noexcept override { return m_what.constData(); }

private:
    JobError m_error;
    QByteArray m_what;
};

} // namespace coroute
