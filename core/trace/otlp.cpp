#include "trace/otlp.h"

#include <QJsonArray>
#include <QVariant>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

QJsonObject anyValue(const QJsonValue &v);

QJsonArray keyValues(const QJsonObject &o)
{
    QJsonArray list;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        if (it.value().isNull() || it.value().isUndefined())
            continue;
        list.append(QJsonObject{{u"key"_s, it.key()}, {u"value"_s, anyValue(it.value())}});
    }
    return list;
}

QJsonObject anyValue(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool:
        return {{u"boolValue"_s, v.toBool()}};
    case QJsonValue::Double:
        // QJsonValue keeps integers as qint64; protobuf-JSON writes int64 as a decimal string.
        if (v.toVariant().typeId() == QMetaType::LongLong)
            return {{u"intValue"_s, QString::number(v.toInteger())}};
        return {{u"doubleValue"_s, v.toDouble()}};
    case QJsonValue::String:
        return {{u"stringValue"_s, v.toString()}};
    case QJsonValue::Array: {
        QJsonArray values;
        for (const auto &item : v.toArray())
            values.append(anyValue(item));
        return {{u"arrayValue"_s, QJsonObject{{u"values"_s, values}}}};
    }
    case QJsonValue::Object:
        return {{u"kvlistValue"_s, QJsonObject{{u"values"_s, keyValues(v.toObject())}}}};
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {}; // an empty AnyValue: only inside arrays, top-level nulls are dropped
}

int statusCode(SpanStatus s)
{
    switch (s) {
    case SpanStatus::Unset: return 0;
    case SpanStatus::Ok: return 1;
    case SpanStatus::Error:
    case SpanStatus::Cancelled: return 2;
    }
    return 0;
}

QJsonObject otlpSpan(const SpanData &s)
{
    QJsonObject attrs = s.allAttributes();
    if (s.status == SpanStatus::Cancelled)
        attrs.insert(u"coroute.cancelled"_s, true);
    attrs.insert(u"coroute.job_id"_s, qint64(s.job));
    if (!s.thread.isEmpty())
        attrs.insert(u"thread.name"_s, s.thread);

    QJsonArray events;
    for (const auto &e : s.events) {
        QJsonObject ev{{u"timeUnixNano"_s, QString::number(e.timeNs)}, {u"name"_s, e.name}};
        if (!e.attributes.isEmpty())
            ev.insert(u"attributes"_s, keyValues(e.attributes));
        events.append(ev);
    }

    QJsonObject status{{u"code"_s, statusCode(s.status)}};
    QString message = s.statusMessage;
    if (s.status == SpanStatus::Cancelled && message.isEmpty())
        message = u"cancelled"_s;
    if (s.status == SpanStatus::Ok || s.status == SpanStatus::Unset)
        message.clear(); // OTel: a description only with ERROR
    if (!message.isEmpty())
        status.insert(u"message"_s, message);

    QJsonObject o{
        {u"traceId"_s, s.traceIdHex()},
        {u"spanId"_s, SpanData::idHex(s.spanId)},
        {u"name"_s, s.name},
        {u"kind"_s, 1}, // SPAN_KIND_INTERNAL
        {u"startTimeUnixNano"_s, QString::number(s.startNs)},
        // An open span (end 0) is exported as ending where it started rather than before.
        {u"endTimeUnixNano"_s, QString::number(std::max(s.endNs, s.startNs))},
        {u"attributes"_s, keyValues(attrs)},
        {u"status"_s, status},
    };
    if (s.parentId)
        o.insert(u"parentSpanId"_s, SpanData::idHex(s.parentId));
    if (!events.isEmpty())
        o.insert(u"events"_s, events);
    return o;
}

} // namespace

QJsonObject toOtlpJson(const QList<SpanData> &spans, const QString &serviceName)
{
    QList<const SpanData *> sorted;
    sorted.reserve(spans.size());
    for (const auto &s : spans)
        sorted.append(&s);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const SpanData *a, const SpanData *b) { return a->startNs < b->startNs; });
    QJsonArray list;
    for (const auto *s : std::as_const(sorted))
        list.append(otlpSpan(*s));

    const QJsonObject resource{{u"attributes"_s, keyValues({{u"service.name"_s, serviceName}})}};
    const QJsonObject scope{{u"name"_s, u"coroute"_s}, {u"version"_s, QStringLiteral(COROUTE_CORE_VERSION)}};
    const QJsonObject scopeSpans{{u"scope"_s, scope}, {u"spans"_s, list}};
    const QJsonObject resourceSpans{{u"resource"_s, resource}, {u"scopeSpans"_s, QJsonArray{scopeSpans}}};
    return {{u"resourceSpans"_s, QJsonArray{resourceSpans}}};
}

} // namespace coroute
