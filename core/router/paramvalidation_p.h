#pragma once
// Private to the router: not part of the installed API.

#include "router/route.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringView>

#include <optional>

namespace coroute::detail {

/// One invalid field, in pydantic's vocabulary: type "int_parsing", msg "Input should be...".
struct FieldError
{
    QString type;
    QString msg;
};

/// Parses one path segment (already percent-decoded) as a typed value. Returns the typed
/// JSON value, or nullopt when the text is not of that type. Cheap: no regex, and no
/// allocation for Int, Double and Bool.
std::optional<QJsonValue> parseTyped(ParamType type, QStringView text);

/// The error reported when parseTyped() rejects a string of that type.
FieldError parsingError(ParamType type);

/// Validates a present value (a string from a URL, or a JSON value from a plan) against a
/// spec: type conversion, then choices, then minimum/maximum. Sets *out on success.
std::optional<FieldError> validateValue(const ParamSpec &spec, const QJsonValue &input,
                                        QJsonValue *out);

/// A FastAPI detail entry: {"loc": loc, "msg": ..., "type": ..., "input": input}.
QJsonObject errorEntry(const QJsonArray &loc, const FieldError &error,
                       const QJsonValue &input = QJsonValue(QJsonValue::Null));

/// The "missing" error: "Field required".
FieldError missingError();

/// Formats a bound for messages: 1 → "1", 2.5 → "2.5".
QString formatNumber(double value);

} // namespace coroute::detail
