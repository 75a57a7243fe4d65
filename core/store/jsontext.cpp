#include "store/jsontext_p.h"

#include "trace/spandata.h"

#include <QJsonArray>
#include <QJsonObject>

#include <charconv>
#include <cmath>
#include <type_traits>

namespace coroute::detail {

namespace {

void appendChars(QByteArray &out, const char *begin, const char *end)
{
    out.append(begin, qsizetype(end - begin));
}

void appendInteger(QByteArray &out, qint64 i)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, i);
    appendChars(out, buf, r.ptr);
}

void appendNumber(QByteArray &out, const QJsonValue &value)
{
    char buf[32];
    const double d = value.toDouble();
    const qint64 i = value.toInteger();
    // Integers (and doubles that are whole) are written without a fraction, as Qt does.
    if (double(i) == d) {
        appendInteger(out, i);
    } else if (std::isfinite(d)) {
        const auto r = std::to_chars(buf, buf + sizeof buf, d); // shortest round-trip form
        appendChars(out, buf, r.ptr);
    } else {
        out.append("null");
    }
}

// The separator and `"key":` of an object's next member.
void appendKey(QByteArray &out, bool &first, QStringView key)
{
    if (!first)
        out.append(',');
    first = false;
    appendJsonString(out, key);
    out.append(':');
}

// The members of object whose key skip() does not refuse.
template<typename Skip>
void appendMembers(QByteArray &out, bool &first, const QJsonObject &object, Skip skip)
{
    for (auto it = object.constBegin(), end = object.constEnd(); it != end; ++it) {
        const QString key = it.key();
        if (skip(key))
            continue;
        appendKey(out, first, key);
        appendJson(out, it.value());
    }
}

void appendObject(QByteArray &out, const QJsonObject &object)
{
    out.append('{');
    bool first = true;
    appendMembers(out, first, object, [](const QString &) { return false; });
    out.append('}');
}

} // namespace

void appendJsonString(QByteArray &out, QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    // Worst case per UTF-16 unit: 6 bytes (\u001f); UTF-8 needs at most 3 per unit.
    const qsizetype start = out.size();
    out.resize(start + 2 + 6 * text.size());
    char *p = out.data() + start;
    *p++ = '"';
    const char16_t *s = text.utf16();
    const char16_t *const end = s + text.size();
    while (s < end) {
        const char16_t c = *s++;
        if (c < 0x80) {
            switch (c) {
            case u'"': *p++ = '\\'; *p++ = '"'; break;
            case u'\\': *p++ = '\\'; *p++ = '\\'; break;
            case u'\b': *p++ = '\\'; *p++ = 'b'; break;
            case u'\f': *p++ = '\\'; *p++ = 'f'; break;
            case u'\n': *p++ = '\\'; *p++ = 'n'; break;
            case u'\r': *p++ = '\\'; *p++ = 'r'; break;
            case u'\t': *p++ = '\\'; *p++ = 't'; break;
            default:
                if (c < 0x20) {
                    *p++ = '\\'; *p++ = 'u'; *p++ = '0'; *p++ = '0';
                    *p++ = hex[c >> 4]; *p++ = hex[c & 0xf];
                } else {
                    *p++ = char(c);
                }
            }
        } else if (c < 0x800) {
            *p++ = char(0xc0 | (c >> 6));
            *p++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isHighSurrogate(c) && s < end && QChar::isLowSurrogate(*s)) {
            const char32_t u = QChar::surrogateToUcs4(c, *s++);
            *p++ = char(0xf0 | (u >> 18));
            *p++ = char(0x80 | ((u >> 12) & 0x3f));
            *p++ = char(0x80 | ((u >> 6) & 0x3f));
            *p++ = char(0x80 | (u & 0x3f));
        } else {
            const char16_t u = QChar::isSurrogate(c) ? char16_t(QChar::ReplacementCharacter) : c;
            *p++ = char(0xe0 | (u >> 12));
            *p++ = char(0x80 | ((u >> 6) & 0x3f));
            *p++ = char(0x80 | (u & 0x3f));
        }
    }
    *p++ = '"';
    out.truncate(p - out.constData());
}

void appendJson(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out.append("null");
        break;
    case QJsonValue::Bool:
        out.append(value.toBool() ? "true" : "false");
        break;
    case QJsonValue::Double:
        appendNumber(out, value);
        break;
    case QJsonValue::String:
        appendJsonString(out, value.toString());
        break;
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        out.append('[');
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (i)
                out.append(',');
            appendJson(out, array.at(i));
        }
        out.append(']');
        break;
    }
    case QJsonValue::Object:
        appendObject(out, value.toObject());
        break;
    }
}

QByteArray jsonText(const QJsonValue &value)
{
    QByteArray out;
    if (!value.isUndefined())
        appendJson(out, value);
    // Strings reserve 6 bytes per character while they are escaped: give back what a large
    // value left unused, since the writer holds the text until the next row.
    if (out.capacity() > 2 * out.size() + 256)
        out.squeeze();
    return out;
}

QByteArray spanAttributesText(const SpanData &span)
{
    QByteArray out;
    if (!span.jobFacts) {
        appendObject(out, span.attributes);
        return out;
    }
    const JobSpanFacts &facts = *span.jobFacts;
    out.reserve(256);
    out.append('{');
    bool first = true;
    // The span's own attributes first, except those the facts replace (as allAttributes does).
    const auto isFact = [&facts](const QString &key) { return !facts.value(key).isUndefined(); };
    appendMembers(out, first, span.attributes, isFact);
    facts.forEach([&](QStringView key, const auto &value) {
        appendKey(out, first, key);
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, qint64>)
            appendInteger(out, value);
        else
            appendJsonString(out, value);
    });
    out.append('}');
    return out;
}

} // namespace coroute::detail
