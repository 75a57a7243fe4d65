#pragma once

#include "trace/spandata.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace coroute {

/// The OTLP/JSON document (OpenTelemetry protobuf-JSON mapping, as read by the collector's
/// otlpjsonfile receiver and Jaeger's JSON upload) of finished spans: one resource
/// (`service.name` = serviceName), one scope "coroute".
///
/// Mapping: ids are lower-case hex (32 / 16 digits), `parentSpanId` is omitted for roots,
/// times are decimal strings of Unix epoch ns, `kind` is 1 (INTERNAL). Attributes are typed
/// AnyValues: strings, booleans, integers (`intValue` as a decimal string), other numbers
/// (`doubleValue`), arrays (`arrayValue`) and objects (`kvlistValue`); null attributes are
/// dropped (OpenTelemetry has no null attribute). Status: ok → 1, error → 2 with its message,
/// unset → 0, cancelled → 2 (ERROR) with message "cancelled" or the span's own message, plus
/// the attribute `coroute.cancelled` = true; the root span keeps `cancel.reason`. Every span
/// also gets `coroute.job_id` and `thread.name` ("loop", "pool") attributes. Spans are sorted
/// by start time.
QJsonObject toOtlpJson(const QList<SpanData> &spans, const QString &serviceName = QStringLiteral("coroute"));

} // namespace coroute
