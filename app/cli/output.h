#pragma once

#include <QJsonValue>
#include <QString>

namespace coroute::cli {

/// Writes one JSON value and a newline to stdout, compact unless pretty.
void printJson(const QJsonValue &value, bool pretty = false);
/// Writes text and a newline to stdout.
void printLine(const QString &text);
/// Writes "coroute: <text>" and a newline to stderr.
void printError(const QString &text);

} // namespace coroute::cli
