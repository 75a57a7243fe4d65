#pragma once

#include "runtime/callrequest.h"

#include <QJsonObject>
#include <QWidget>

#include <optional>

class QFormLayout;
class QLabel;
class QPlainTextEdit;

namespace coroute {

/// A typed form built from one route's metadata (an element of Router::toJson()): a line
/// edit with a validator for ints and doubles, a check box for bools, a combo box for
/// choices, a line edit for strings, and a JSON body editor that validates as you type.
/// Each field is named "field_<name>", the body editor "bodyEditor".
class RouteForm : public QWidget
{
    Q_OBJECT
public:
    explicit RouteForm(const QJsonObject &route, QWidget *parent = nullptr);

    QJsonObject route() const { return m_route; }
    /// Whether every field holds an acceptable value.
    bool isValid() const { return m_errors.isEmpty(); }
    /// The problems found, one per line ("ms: not an integer").
    QStringList errors() const { return m_errors; }
    /// The request the form describes, or nothing when a field is invalid.
    std::optional<CallRequest> request() const;

Q_SIGNALS:
    /// After any edit, with the new validity.
    void validityChanged(bool valid);

private:
    struct Field
    {
        QJsonObject spec;
        QString in;       ///< "path", "query"
        QWidget *editor;
    };
    void addField(const QJsonObject &spec, const QString &in);
    void revalidate();
    /// The typed value of a field; Undefined when left empty; sets error when invalid.
    QJsonValue valueOf(const Field &f, QString *error) const;
    std::optional<QJsonValue> bodyValue(QString *error) const;

    QJsonObject m_route;
    QFormLayout *m_form;
    QList<Field> m_fields;
    QPlainTextEdit *m_body = nullptr;
    QLabel *m_bodyError = nullptr;
    QLabel *m_errorLabel;
    QStringList m_errors;
};

} // namespace coroute
