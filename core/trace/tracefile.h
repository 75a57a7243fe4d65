#pragma once

#include <QJsonObject>
#include <QString>

namespace coroute {

/// Writes doc (a toChromeTrace() or toOtlpJson() document) as compact JSON to path atomically
/// (QSaveFile: the old file stays until the new one is complete). On failure returns false and
/// sets *error, when given, to a message naming the path and the cause.
bool writeTraceFile(const QString &path, const QJsonObject &doc, QString *error = nullptr);

} // namespace coroute
