#include "plan/reference_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace coroute::detail {

namespace {

QString jsonText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return u"null"_s;
    default: // scalars: wrap in an array and strip the brackets
        return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
    }
}

bool parseExpression(const QString &expr, Reference *ref, QString *error)
{
    const QStringList parts = expr.split(u'.');
    for (const auto &p : parts) {
        if (p.trimmed().isEmpty() || p.trimmed() != p) {
            *error = u"malformed reference '${%1}': empty or padded segment"_s.arg(expr);
            return false;
        }
    }
    if (parts.first() == u"item"_s) {
        ref->path = parts.mid(1);
        return true;
    }
    if (parts.size() < 2 || parts[1] != u"result"_s) {
        *error = u"malformed reference '${%1}': write ${<job>.result}, ${<job>.result.<path>} or ${item}"_s.arg(expr);
        return false;
    }
    ref->job = parts.first();
    ref->path = parts.mid(2);
    return true;
}

} // namespace

bool scanReferences(const QString &s, QList<Piece> *pieces, QString *error)
{
    QString literal;
    qsizetype i = 0;
    while (i < s.size()) {
        if (s[i] == u'$' && QStringView(s).mid(i).startsWith(u"$${")) {
            literal += u"${"_s;
            i += 3;
            continue;
        }
        if (s[i] == u'$' && QStringView(s).mid(i).startsWith(u"${")) {
            const auto end = s.indexOf(u'}', i + 2);
            if (end < 0) {
                *error = u"unterminated reference: '%1' has no closing '}'"_s.arg(s.mid(i));
                return false;
            }
            Reference ref;
            ref.text = s.mid(i, end - i + 1);
            if (!parseExpression(s.mid(i + 2, end - i - 2), &ref, error))
                return false;
            if (!literal.isEmpty())
                pieces->append({literal, std::nullopt});
            literal.clear();
            pieces->append({QString(), std::move(ref)});
            i = end + 1;
            continue;
        }
        literal += s[i];
        ++i;
    }
    if (!literal.isEmpty() || pieces->isEmpty())
        pieces->append({literal, std::nullopt});
    return true;
}

bool hasReference(const QString &s)
{
    for (qsizetype i = s.indexOf(u"${"_s); i >= 0; i = s.indexOf(u"${"_s, i + 2)) {
        if (i == 0 || s[i - 1] != u'$')
            return true;
    }
    return false;
}

QString substituteText(const QString &text, const ReferenceLookup &lookup, bool encode, QString *error)
{
    QList<Piece> pieces;
    if (!scanReferences(text, &pieces, error))
        return {};
    QString out;
    for (const auto &p : std::as_const(pieces)) {
        if (!p.ref) {
            out += p.literal;
            continue;
        }
        const auto value = lookup(*p.ref, error);
        if (!error->isEmpty())
            return {};
        if (!value) {
            out += p.ref->text; // placeholder: kept as written
            continue;
        }
        const QString inserted = jsonText(*value);
        out += encode ? QString::fromLatin1(QUrl::toPercentEncoding(inserted)) : inserted;
    }
    return out;
}

QJsonValue substitute(const QJsonValue &value, const ReferenceLookup &lookup, QString *error)
{
    if (value.isString()) {
        const QString s = value.toString();
        if (!s.contains(u'$'))
            return value;
        QList<Piece> pieces;
        if (!scanReferences(s, &pieces, error))
            return {};
        if (pieces.size() == 1 && pieces.first().ref) {
            // Exactly one reference: the value keeps its JSON type.
            const auto v = lookup(*pieces.first().ref, error);
            if (!error->isEmpty())
                return {};
            return v ? *v : value;
        }
        return substituteText(s, lookup, false, error);
    }
    if (value.isObject()) {
        QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            it.value() = substitute(it.value(), lookup, error);
            if (!error->isEmpty())
                return {};
        }
        return o;
    }
    if (value.isArray()) {
        QJsonArray a = value.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            a[i] = substitute(a[i], lookup, error);
            if (!error->isEmpty())
                return {};
        }
        return a;
    }
    return value;
}

std::optional<QJsonValue> navigate(const QJsonValue &value, const QStringList &path, QString *error)
{
    QJsonValue v = value;
    QString walked;
    for (const auto &step : path) {
        if (v.isObject()) {
            const auto o = v.toObject();
            if (!o.contains(step)) {
                *error = u"no key '%1' in the object at '%2' (keys: %3)"_s.arg(step, walked.isEmpty() ? u"result"_s : walked,
                                                                            o.keys().join(u", "_s));
                return std::nullopt;
            }
            v = o.value(step);
        } else if (v.isArray()) {
            bool ok = false;
            const auto index = step.toLongLong(&ok);
            const auto a = v.toArray();
            if (!ok || index < 0 || index >= a.size()) {
                *error = u"'%1' is not an index of the array at '%2' (size %3)"_s.arg(step, walked.isEmpty() ? u"result"_s : walked)
                             .arg(a.size());
                return std::nullopt;
            }
            v = a.at(index);
        } else {
            *error = u"cannot take '%1' of the %2 at '%3'"_s.arg(
                step, v.isString() ? u"string"_s : v.isDouble() ? u"number"_s : v.isBool() ? u"boolean"_s : u"null"_s,
                walked.isEmpty() ? u"result"_s : walked);
            return std::nullopt;
        }
        walked += (walked.isEmpty() ? QString() : u"."_s) + step;
    }
    return v;
}

QString pointerToken(const QString &key)
{
    QString t = key;
    t.replace(u'~', u"~0"_s);
    t.replace(u'/', u"~1"_s);
    return t;
}

} // namespace coroute::detail
