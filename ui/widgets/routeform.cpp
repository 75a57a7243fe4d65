#include "widgets/routeform.h"

#include "models/statestyle_p.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpressionValidator>
#include <QUrl>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

QJsonValue exampleFor(const QJsonObject &spec)
{
    if (spec.contains(u"default"_s))
        return spec.value(u"default"_s);
    const QString type = spec.value(u"type"_s).toString();
    if (type == u"int"_s || type == u"double"_s)
        return spec.contains(u"minimum"_s) ? spec.value(u"minimum"_s) : QJsonValue(0);
    if (type == u"bool"_s)
        return false;
    if (type == u"array"_s)
        return QJsonArray{};
    if (type == u"object"_s)
        return QJsonObject{};
    return u""_s;
}

bool matchesType(const QJsonValue &v, const QString &type)
{
    if (type == u"int"_s)
        return v.isDouble() && v.toDouble() == double(v.toInteger());
    if (type == u"double"_s)
        return v.isDouble();
    if (type == u"bool"_s)
        return v.isBool();
    if (type == u"array"_s)
        return v.isArray();
    if (type == u"object"_s)
        return v.isObject();
    if (type == u"string"_s || type == u"uuid"_s || type == u"path"_s)
        return v.isString();
    return true;
}

} // namespace

RouteForm::RouteForm(const QJsonObject &route, QWidget *parent) : QWidget(parent), m_route(route)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addLayout(m_form);
    for (const auto &p : route.value(u"params"_s).toArray())
        addField(p.toObject(), p.toObject().value(u"in"_s).toString());

    const auto body = route.value(u"body"_s).toObject();
    if (!body.isEmpty()) {
        m_body = new QPlainTextEdit(this);
        m_body->setObjectName(u"bodyEditor"_s);
        QFont mono(u"monospace"_s);
        mono.setStyleHint(QFont::Monospace);
        m_body->setFont(mono);
        m_body->setTabChangesFocus(true);
        QJsonObject example;
        QStringList help;
        for (const auto &f : body.value(u"fields"_s).toArray()) {
            const auto spec = f.toObject();
            example.insert(spec.value(u"name"_s).toString(), exampleFor(spec));
            help << u"%1 (%2%3)%4"_s.arg(spec.value(u"name"_s).toString(), spec.value(u"type"_s).toString(),
                                        spec.value(u"required"_s).toBool() ? u", required"_s : QString(),
                                        spec.value(u"description"_s).toString().isEmpty()
                                            ? QString() : u": "_s + spec.value(u"description"_s).toString());
        }
        if (!example.isEmpty())
            m_body->setPlainText(QString::fromUtf8(QJsonDocument(example).toJson(QJsonDocument::Indented)));
        m_body->setToolTip(help.join(u'\n'));
        m_body->setMinimumHeight(90);
        m_bodyError = new QLabel(this);
        m_bodyError->setObjectName(u"bodyError"_s);
        m_bodyError->setWordWrap(true);
        QPalette pal = m_bodyError->palette();
        pal.setColor(QPalette::WindowText, detail::stateColor(JobState::Failed));
        m_bodyError->setPalette(pal);
        auto *box = new QVBoxLayout;
        box->addWidget(m_body);
        box->addWidget(m_bodyError);
        m_form->addRow(body.value(u"required"_s).toBool() ? u"body *"_s : u"body"_s, box);
        connect(m_body, &QPlainTextEdit::textChanged, this, &RouteForm::revalidate);
    }
    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(u"formErrors"_s);
    m_errorLabel->setWordWrap(true);
    QPalette pal = m_errorLabel->palette();
    pal.setColor(QPalette::WindowText, detail::stateColor(JobState::Failed));
    m_errorLabel->setPalette(pal);
    layout->addWidget(m_errorLabel);
    revalidate();
}

void RouteForm::addField(const QJsonObject &spec, const QString &in)
{
    const QString name = spec.value(u"name"_s).toString();
    const QString type = spec.value(u"type"_s).toString();
    const bool required = in == u"path"_s || spec.value(u"required"_s).toBool();
    const auto choices = spec.value(u"choices"_s).toArray();
    QWidget *editor = nullptr;
    if (!choices.isEmpty()) {
        auto *combo = new QComboBox(this);
        if (!required)
            combo->addItem(u"(default)"_s, QString());
        for (const auto &c : choices)
            combo->addItem(c.toString(), c.toString());
        if (spec.contains(u"default"_s)) {
            const QString d = spec.value(u"default"_s).isString() ? spec.value(u"default"_s).toString()
                            : QString::fromUtf8(QJsonDocument(QJsonArray{spec.value(u"default"_s)}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
            const int i = combo->findData(d);
            if (i >= 0)
                combo->setCurrentIndex(i);
        }
        connect(combo, &QComboBox::currentIndexChanged, this, &RouteForm::revalidate);
        editor = combo;
    } else if (type == u"bool"_s) {
        auto *check = new QCheckBox(this);
        check->setChecked(spec.value(u"default"_s).toBool());
        connect(check, &QCheckBox::toggled, this, &RouteForm::revalidate);
        editor = check;
    } else {
        auto *edit = new QLineEdit(this);
        if (type == u"int"_s) {
            edit->setValidator(new QRegularExpressionValidator(QRegularExpression(u"-?[0-9]{0,18}"_s), edit));
        } else if (type == u"double"_s) {
            auto *v = new QDoubleValidator(edit);
            v->setLocale(QLocale::c());
            v->setNotation(QDoubleValidator::StandardNotation);
            edit->setValidator(v);
        }
        if (spec.contains(u"default"_s)) {
            const auto d = spec.value(u"default"_s);
            edit->setPlaceholderText(d.isString() ? d.toString()
                                                  : QString::fromUtf8(QJsonDocument(QJsonArray{d}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
        } else if (type == u"array"_s || type == u"object"_s || type == u"any"_s) {
            edit->setPlaceholderText(u"JSON"_s);
        }
        connect(edit, &QLineEdit::textChanged, this, &RouteForm::revalidate);
        editor = edit;
    }
    editor->setObjectName(u"field_"_s + name);
    QString tip = u"%1 (%2, in %3)"_s.arg(name, type, in);
    if (spec.contains(u"minimum"_s) || spec.contains(u"maximum"_s))
        tip += u", range %1 … %2"_s.arg(spec.value(u"minimum"_s).toVariant().toString(),
                                        spec.value(u"maximum"_s).toVariant().toString());
    if (!spec.value(u"description"_s).toString().isEmpty())
        tip += u"\n"_s + spec.value(u"description"_s).toString();
    editor->setToolTip(tip);
    auto *label = new QLabel(required ? name + u" *"_s : name, this);
    label->setToolTip(tip);
    m_form->addRow(label, editor);
    m_fields.append({spec, in, editor});
}

QJsonValue RouteForm::valueOf(const Field &f, QString *error) const
{
    const QString type = f.spec.value(u"type"_s).toString();
    const bool required = f.in == u"path"_s || f.spec.value(u"required"_s).toBool();
    if (auto *combo = qobject_cast<QComboBox *>(f.editor)) {
        const QString v = combo->currentData().toString();
        if (v.isEmpty())
            return QJsonValue(QJsonValue::Undefined);
        if (type == u"int"_s)
            return v.toLongLong();
        if (type == u"double"_s)
            return v.toDouble();
        if (type == u"bool"_s)
            return v == u"true"_s;
        return v;
    }
    if (auto *check = qobject_cast<QCheckBox *>(f.editor))
        return check->isChecked();
    auto *edit = qobject_cast<QLineEdit *>(f.editor);
    const QString text = edit->text().trimmed();
    if (text.isEmpty()) {
        if (required)
            *error = u"required"_s;
        return QJsonValue(QJsonValue::Undefined);
    }
    if (!edit->hasAcceptableInput() && edit->validator()) {
        *error = type == u"int"_s ? u"not an integer: %1"_s.arg(text) : u"not a number: %1"_s.arg(text);
        return QJsonValue(QJsonValue::Undefined);
    }
    QJsonValue value;
    if (type == u"int"_s) {
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        if (!ok) {
            *error = u"not an integer: %1"_s.arg(text);
            return QJsonValue(QJsonValue::Undefined);
        }
        value = v;
    } else if (type == u"double"_s) {
        bool ok = false;
        const double v = QLocale::c().toDouble(text, &ok);
        if (!ok) {
            *error = u"not a number: %1"_s.arg(text);
            return QJsonValue(QJsonValue::Undefined);
        }
        value = v;
    } else if (type == u"array"_s || type == u"object"_s || type == u"any"_s) {
        QJsonParseError pe;
        const auto doc = QJsonDocument::fromJson("[" + text.toUtf8() + "]", &pe);
        if (pe.error != QJsonParseError::NoError) {
            *error = u"invalid JSON: %1"_s.arg(pe.errorString());
            return QJsonValue(QJsonValue::Undefined);
        }
        value = doc.array().first();
        if (!matchesType(value, type)) {
            *error = u"expected %1"_s.arg(type == u"array"_s ? u"a JSON array"_s : u"a JSON object"_s);
            return QJsonValue(QJsonValue::Undefined);
        }
        return value;
    } else if (type == u"uuid"_s) {
        if (QUuid::fromString(text).isNull()) {
            *error = u"not a UUID: %1"_s.arg(text);
            return QJsonValue(QJsonValue::Undefined);
        }
        return text;
    } else {
        return text;
    }
    const double d = value.toDouble();
    if (f.spec.contains(u"minimum"_s) && d < f.spec.value(u"minimum"_s).toDouble())
        *error = u"must be ≥ %1"_s.arg(f.spec.value(u"minimum"_s).toDouble());
    else if (f.spec.contains(u"maximum"_s) && d > f.spec.value(u"maximum"_s).toDouble())
        *error = u"must be ≤ %1"_s.arg(f.spec.value(u"maximum"_s).toDouble());
    return value;
}

std::optional<QJsonValue> RouteForm::bodyValue(QString *error) const
{
    if (!m_body)
        return QJsonValue(QJsonValue::Undefined);
    const auto spec = m_route.value(u"body"_s).toObject();
    const QString text = m_body->toPlainText().trimmed();
    if (text.isEmpty()) {
        if (spec.value(u"required"_s).toBool() || !spec.value(u"fields"_s).toArray().isEmpty()) {
            bool anyRequired = spec.value(u"required"_s).toBool();
            for (const auto &f : spec.value(u"fields"_s).toArray())
                anyRequired = anyRequired || f.toObject().value(u"required"_s).toBool();
            if (anyRequired) {
                *error = u"the body is required"_s;
                return std::nullopt;
            }
        }
        return QJsonValue(QJsonValue::Undefined);
    }
    QJsonParseError pe;
    const auto doc = QJsonDocument::fromJson("[" + text.toUtf8() + "]", &pe);
    if (pe.error != QJsonParseError::NoError || doc.array().size() != 1) {
        // Offsets count the '[' we added.
        const int offset = qMax(0, pe.offset - 1);
        const int line = int(text.left(offset).count(u'\n')) + 1;
        *error = pe.error != QJsonParseError::NoError
                     ? u"invalid JSON at line %1 (offset %2): %3"_s.arg(line).arg(offset).arg(pe.errorString())
                     : u"expected one JSON value"_s;
        return std::nullopt;
    }
    const QJsonValue value = doc.array().first();
    const auto fields = spec.value(u"fields"_s).toArray();
    if (!fields.isEmpty()) {
        if (!value.isObject()) {
            *error = u"the body must be a JSON object"_s;
            return std::nullopt;
        }
        const auto o = value.toObject();
        for (const auto &f : fields) {
            const auto fs = f.toObject();
            const QString name = fs.value(u"name"_s).toString();
            if (!o.contains(name)) {
                if (fs.value(u"required"_s).toBool()) {
                    *error = u"body field '%1' is required"_s.arg(name);
                    return std::nullopt;
                }
                continue;
            }
            if (!matchesType(o.value(name), fs.value(u"type"_s).toString())) {
                *error = u"body field '%1' must be of type %2"_s.arg(name, fs.value(u"type"_s).toString());
                return std::nullopt;
            }
        }
    } else {
        const QString type = spec.value(u"type"_s).toString();
        if (!matchesType(value, type)) {
            *error = u"the body must be of type %1"_s.arg(type);
            return std::nullopt;
        }
    }
    return value;
}

void RouteForm::revalidate()
{
    const bool was = isValid();
    m_errors.clear();
    for (const auto &f : std::as_const(m_fields)) {
        QString error;
        valueOf(f, &error);
        if (!error.isEmpty())
            m_errors << f.spec.value(u"name"_s).toString() + u": "_s + error;
    }
    QString bodyError;
    bodyValue(&bodyError);
    if (m_bodyError)
        m_bodyError->setText(bodyError);
    if (!bodyError.isEmpty())
        m_errors << u"body: "_s + bodyError;
    m_errorLabel->setText(m_errors.join(u'\n'));
    m_errorLabel->setVisible(!m_errors.isEmpty());
    if (was != isValid() || !m_errors.isEmpty())
        Q_EMIT validityChanged(isValid());
}

std::optional<CallRequest> RouteForm::request() const
{
    if (!isValid())
        return std::nullopt;
    CallRequest r;
    r.method = m_route.value(u"method"_s).toString();
    QString path = m_route.value(u"path"_s).toString();
    for (const auto &f : m_fields) {
        QString error;
        const QJsonValue v = valueOf(f, &error);
        if (!error.isEmpty())
            return std::nullopt;
        if (v.isUndefined())
            continue;
        const QString name = f.spec.value(u"name"_s).toString();
        if (f.in == u"path"_s) {
            const QString text = v.isString() ? v.toString() : v.toVariant().toString();
            // {name} or {name:type}; a {name:path} keeps its slashes.
            const QRegularExpression re(u"\\{"_s + QRegularExpression::escape(name) + u"(:[a-z]+)?\\}"_s);
            const auto m = re.match(path);
            const QString encoded = m.captured(1) == u":path"_s
                                        ? QString::fromUtf8(QUrl::toPercentEncoding(text, "/"))
                                        : QString::fromUtf8(QUrl::toPercentEncoding(text));
            path.replace(re, encoded);
        } else {
            r.query.insert(name, v);
        }
    }
    r.path = path;
    QString error;
    const auto body = bodyValue(&error);
    if (!body)
        return std::nullopt;
    r.body = *body;
    return r;
}

} // namespace coroute
