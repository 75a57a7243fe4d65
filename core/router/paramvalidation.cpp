#include "router/paramvalidation_p.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QLocale>
#include <QUuid>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace coroute::detail {

namespace {

// Integers must stay exact through QJsonValue's double: beyond 2^53 they would not.
constexpr double maxExactInt = 9007199254740992.0;

std::optional<qint64> parseInt(QStringView text)
{
    qsizetype i = 0;
    bool negative = false;
    if (!text.isEmpty() && (text[0] == u'+' || text[0] == u'-')) {
        negative = text[0] == u'-';
        ++i;
    }
    if (i == text.size())
        return std::nullopt;
    quint64 value = 0;
    constexpr quint64 limit = quint64(std::numeric_limits<qint64>::max());
    for (; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c < u'0' || c > u'9')
            return std::nullopt;
        value = value * 10 + (c - u'0');
        if (value > limit + (negative ? 1 : 0))
            return std::nullopt;
    }
    return negative ? qint64(0 - value) : qint64(value);
}

std::optional<double> parseDouble(QStringView text)
{
    bool ok = false;
    const double value = QLocale::c().toDouble(text.trimmed(), &ok);
    if (!ok || !std::isfinite(value))
        return std::nullopt;
    return value;
}

std::optional<bool> parseBool(QStringView text)
{
    for (const auto word : {u"true", u"1", u"yes", u"on"}) {
        if (text.compare(QStringView(word), Qt::CaseInsensitive) == 0)
            return true;
    }
    for (const auto word : {u"false", u"0", u"no", u"off"}) {
        if (text.compare(QStringView(word), Qt::CaseInsensitive) == 0)
            return false;
    }
    return std::nullopt;
}

std::optional<QString> parseUuid(QStringView text)
{
    // 8-4-4-4-12 hex digits, optionally in braces; checked by hand because QUuid answers
    // the nil UUID for both "0000...0000" and garbage.
    if (text.size() == 38 && text.front() == u'{' && text.back() == u'}')
        text = text.mid(1, 36);
    if (text.size() != 36)
        return std::nullopt;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != u'-')
                return std::nullopt;
        } else if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F'))) {
            return std::nullopt;
        }
    }
    return QUuid::fromString(text).toString(QUuid::WithoutBraces);
}

FieldError typeError(ParamType type)
{
    switch (type) {
    case ParamType::Int:
        return {u"int_type"_s, u"Input should be a valid integer"_s};
    case ParamType::Double:
        return {u"float_type"_s, u"Input should be a valid number"_s};
    case ParamType::Bool:
        return {u"bool_type"_s, u"Input should be a valid boolean"_s};
    case ParamType::Uuid:
        return {u"uuid_type"_s, u"UUID input should be a string"_s};
    case ParamType::Array:
        return {u"list_type"_s, u"Input should be a valid list"_s};
    case ParamType::Object:
        return {u"dict_type"_s, u"Input should be a valid dictionary"_s};
    case ParamType::String:
    case ParamType::Path:
    case ParamType::Any:
        break;
    }
    return {u"string_type"_s, u"Input should be a valid string"_s};
}

// The form a value takes when compared with declared choices (which are strings).
QString choiceForm(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double:
        return formatNumber(value.toDouble());
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    default:
        return {};
    }
}

QString quotedChoices(const QStringList &choices)
{
    QString text;
    for (qsizetype i = 0; i < choices.size(); ++i) {
        if (i > 0)
            text += i + 1 == choices.size() ? u" or "_s : u", "_s;
        text += u'\'' + choices[i] + u'\'';
    }
    return text;
}

// Converts without checking choices or bounds.
std::optional<FieldError> convert(ParamType type, const QJsonValue &input, QJsonValue *out)
{
    if (input.isString()) {
        const QString text = input.toString();
        switch (type) {
        case ParamType::String:
        case ParamType::Path:
        case ParamType::Any:
            *out = input;
            return std::nullopt;
        case ParamType::Array:
        case ParamType::Object: {
            // A URL can only carry text: a structured query value arrives as JSON text.
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
            if (error.error != QJsonParseError::NoError)
                return FieldError{u"json_invalid"_s, u"Invalid JSON: "_s + error.errorString()};
            if (type == ParamType::Array ? !doc.isArray() : !doc.isObject())
                return typeError(type);
            *out = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
            return std::nullopt;
        }
        default:
            if (auto value = parseTyped(type, text)) {
                *out = *value;
                return std::nullopt;
            }
            return parsingError(type);
        }
    }

    switch (type) {
    case ParamType::Any:
        *out = input;
        return std::nullopt;
    case ParamType::Int:
        if (input.isDouble()) {
            const double d = input.toDouble();
            if (std::trunc(d) != d)
                return FieldError{u"int_from_float"_s,
                                  u"Input should be a valid integer, got a number with a fractional part"_s};
            if (std::abs(d) > maxExactInt)
                return typeError(type);
            *out = QJsonValue(qint64(d));
            return std::nullopt;
        }
        break;
    case ParamType::Double:
        if (input.isDouble()) {
            *out = QJsonValue(input.toDouble());
            return std::nullopt;
        }
        break;
    case ParamType::Bool:
        if (input.isBool()) {
            *out = input;
            return std::nullopt;
        }
        break;
    case ParamType::Array:
        if (input.isArray()) {
            *out = input;
            return std::nullopt;
        }
        break;
    case ParamType::Object:
        if (input.isObject()) {
            *out = input;
            return std::nullopt;
        }
        break;
    case ParamType::String:
    case ParamType::Path:
    case ParamType::Uuid:
        break;
    }
    return typeError(type);
}

} // namespace

std::optional<QJsonValue> parseTyped(ParamType type, QStringView text)
{
    switch (type) {
    case ParamType::Int: {
        const auto v = parseInt(text);
        if (!v || double(*v) > maxExactInt || double(*v) < -maxExactInt)
            return std::nullopt;
        return QJsonValue(*v);
    }
    case ParamType::Double:
        if (const auto v = parseDouble(text))
            return QJsonValue(*v);
        return std::nullopt;
    case ParamType::Bool:
        if (const auto v = parseBool(text))
            return QJsonValue(*v);
        return std::nullopt;
    case ParamType::Uuid:
        if (const auto v = parseUuid(text))
            return QJsonValue(*v);
        return std::nullopt;
    case ParamType::String:
    case ParamType::Path:
    case ParamType::Any:
        return QJsonValue(text.toString());
    case ParamType::Array:
    case ParamType::Object:
        break;
    }
    return std::nullopt;
}

FieldError parsingError(ParamType type)
{
    switch (type) {
    case ParamType::Int:
        return {u"int_parsing"_s, u"Input should be a valid integer, unable to parse string as an integer"_s};
    case ParamType::Double:
        return {u"float_parsing"_s, u"Input should be a valid number, unable to parse string as a number"_s};
    case ParamType::Bool:
        return {u"bool_parsing"_s, u"Input should be a valid boolean, unable to interpret input"_s};
    case ParamType::Uuid:
        return {u"uuid_parsing"_s, u"Input should be a valid UUID, unable to parse string as a UUID"_s};
    default:
        return typeError(type);
    }
}

std::optional<FieldError> validateValue(const ParamSpec &spec, const QJsonValue &input, QJsonValue *out)
{
    QJsonValue value;
    if (auto error = convert(spec.type, input, &value))
        return error;
    if (!spec.choices.isEmpty() && !spec.choices.contains(choiceForm(value)))
        return FieldError{u"literal_error"_s, u"Input should be "_s + quotedChoices(spec.choices)};
    if (value.isDouble()) {
        const double d = value.toDouble();
        if (spec.minimum && d < *spec.minimum)
            return FieldError{u"greater_than_equal"_s,
                              u"Input should be greater than or equal to "_s + formatNumber(*spec.minimum)};
        if (spec.maximum && d > *spec.maximum)
            return FieldError{u"less_than_equal"_s,
                              u"Input should be less than or equal to "_s + formatNumber(*spec.maximum)};
    }
    *out = value;
    return std::nullopt;
}

QJsonObject errorEntry(const QJsonArray &loc, const FieldError &error, const QJsonValue &input)
{
    return QJsonObject{{u"loc"_s, loc}, {u"msg"_s, error.msg}, {u"type"_s, error.type},
                       {u"input"_s, input.isUndefined() ? QJsonValue(QJsonValue::Null) : input}};
}

FieldError missingError()
{
    return {u"missing"_s, u"Field required"_s};
}

QString formatNumber(double value)
{
    if (std::trunc(value) == value && std::abs(value) <= maxExactInt)
        return QString::number(qint64(value));
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

} // namespace coroute::detail
