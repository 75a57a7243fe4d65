#pragma once
// Internal to the history store; not part of the public API.

#include <QByteArray>
#include <QJsonValue>
#include <QStringView>

namespace coroute {
struct SpanData;
}

namespace coroute::detail {

/// Compact JSON text (UTF-8) written straight into a buffer, as QJsonDocument::toJson would
/// write it but without building a document: for the history writer, where Qt's writer and
/// building QJsonObjects cost more per job than the SQLite inserts.
void appendJsonString(QByteArray &out, QStringView text);
void appendJson(QByteArray &out, const QJsonValue &value);

/// value as JSON text; empty (a NULL column) when undefined.
QByteArray jsonText(const QJsonValue &value);

/// The span's attributes with its job's facts (SpanData::allAttributes()) as JSON text.
QByteArray spanAttributesText(const SpanData &span);

} // namespace coroute::detail
