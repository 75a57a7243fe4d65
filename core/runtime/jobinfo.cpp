#include "runtime/jobinfo.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace coroute {

QString nameOf(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug: return u"debug"_s;
    case LogLevel::Info: return u"info"_s;
    case LogLevel::Warning: return u"warning"_s;
    case LogLevel::Error: return u"error"_s;
    }
    return u"info"_s;
}

LogLevel logLevelFromString(QStringView name)
{
    for (auto l : {LogLevel::Debug, LogLevel::Warning, LogLevel::Error}) {
        if (name == nameOf(l))
            return l;
    }
    return LogLevel::Info;
}

QJsonObject LogEntry::toJson() const
{
    return {{u"job"_s, qint64(job)}, {u"t_ms"_s, timeMs}, {u"level"_s, nameOf(level)},
            {u"message"_s, message}};
}

qint64 JobInfo::durationMs(qint64 nowMs) const
{
    const qint64 from = startedMs ? startedMs : createdMs;
    const qint64 to = finishedMs ? finishedMs : nowMs;
    return qMax<qint64>(0, to - from);
}

QJsonObject JobInfo::toJson() const
{
    QJsonObject o{
        {u"id"_s, qint64(id)},
        {u"method"_s, method},
        {u"path"_s, path},
        {u"route"_s, route},
        {u"params"_s, params},
        {u"kind"_s, nameOf(kind)},
        {u"executor"_s, nameOf(executor)},
        {u"state"_s, nameOf(state)},
        {u"created_ms"_s, createdMs},
        {u"attempts"_s, attempts},
    };
    if (parent)
        o.insert(u"parent"_s, qint64(parent));
    if (linkedFrom)
        o.insert(u"linked_from"_s, qint64(linkedFrom));
    if (!body.isUndefined())
        o.insert(u"body"_s, body);
    if (startedMs)
        o.insert(u"started_ms"_s, startedMs);
    if (finishedMs) {
        o.insert(u"finished_ms"_s, finishedMs);
        o.insert(u"duration_ms"_s, durationMs(finishedMs));
    }
    if (queuedMs)
        o.insert(u"queued_ms"_s, queuedMs);
    if (progress >= 0)
        o.insert(u"progress"_s, progress);
    if (!progressText.isEmpty())
        o.insert(u"progress_text"_s, progressText);
    if (!waitingOn.isEmpty())
        o.insert(u"waiting_on"_s, waitingOn);
    if (!warnings.isEmpty())
        o.insert(u"warnings"_s, QJsonArray::fromStringList(warnings));
    if (cancelReason != CancelReason::None) {
        o.insert(u"cancel_reason"_s, nameOf(cancelReason));
        o.insert(u"cancelled_by"_s, cancelledBy);
    }
    if (state == JobState::Succeeded)
        o.insert(u"result"_s, result.toJson());
    if (!error.isNull())
        o.insert(u"error"_s, error.toJson());
    return o;
}

} // namespace coroute
