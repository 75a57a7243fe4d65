#pragma once
// Internal to core/plan; not part of the public API.

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace coroute::detail {

/// A "${...}" in a plan string: "${get.result.body}" or "${item.name}".
struct Reference
{
    QString text;      ///< as written, "${get.result.body}"
    QString job;       ///< "get"; empty for ${item}
    QStringList path;  ///< ["body"]; indices of arrays are numbers: ["rows", "0"]
    bool isItem() const { return job.isEmpty(); }
};

/// A string split into literal text and references.
struct Piece
{
    QString literal;
    std::optional<Reference> ref;
};

/// Splits s into pieces. "$${" is a literal "${". Returns false and sets *error for a
/// malformed reference (unterminated, empty, not ${job.result...} or ${item...}).
bool scanReferences(const QString &s, QList<Piece> *pieces, QString *error);

/// Whether s holds a "${" that is not escaped.
bool hasReference(const QString &s);

/// Answers a reference's value; nothing keeps the reference's text as it is (a placeholder
/// during validation). Sets *error to fail the substitution.
using ReferenceLookup = std::function<std::optional<QJsonValue>(const Reference &, QString *error)>;

/// Replaces the references in every string of value (object values and array items, not
/// keys). A string that is exactly one reference takes the referenced value with its JSON
/// type; references inside longer strings insert text (strings as they are, other values as
/// compact JSON), percent-encoded when encode is set (for the route's path and query string).
QJsonValue substitute(const QJsonValue &value, const ReferenceLookup &lookup, QString *error);
QString substituteText(const QString &text, const ReferenceLookup &lookup, bool encode, QString *error);

/// Follows path into value: object keys, array indices. Sets *error when a step is missing.
std::optional<QJsonValue> navigate(const QJsonValue &value, const QStringList &path, QString *error);

/// A JSON pointer token: "~" -> "~0", "/" -> "~1".
QString pointerToken(const QString &key);

} // namespace coroute::detail
