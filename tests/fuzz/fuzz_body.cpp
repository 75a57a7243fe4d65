// JSON bodies to typed parameters: any bytes (valid JSON or not) are validated against declared
// body fields of every type, giving a match or a 422 detail list, never a crash.
#include "fuzztarget.h"

#include "router/router.h"
#include "runtime/context.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace coroute;

static const Router &table()
{
    static const Router r = [] {
        Router t;
        const auto h = [](Context &) { return 1; };
        t.post(QStringLiteral("/typed"), h)
            .bodyField({.name = QStringLiteral("s"), .type = ParamType::String, .required = true})
            .bodyField({.name = QStringLiteral("i"), .type = ParamType::Int, .minimum = -5, .maximum = 5})
            .bodyField({.name = QStringLiteral("d"), .type = ParamType::Double, .defaultValue = 1.5})
            .bodyField({.name = QStringLiteral("b"), .type = ParamType::Bool})
            .bodyField({.name = QStringLiteral("u"), .type = ParamType::Uuid})
            .bodyField({.name = QStringLiteral("a"), .type = ParamType::Array})
            .bodyField({.name = QStringLiteral("o"), .type = ParamType::Object})
            .bodyField({.name = QStringLiteral("c"), .type = ParamType::String,
                        .choices = {QStringLiteral("x"), QStringLiteral("y")}});
        t.post(QStringLiteral("/raw"), h).body(ParamType::Array, true);
        return t;
    }();
    return r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(bytes, &error);
    QJsonValue body = QJsonValue(QString::fromUtf8(bytes)); // not JSON: a string body
    if (error.error == QJsonParseError::NoError)
        body = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    for (const auto *path : {"/typed", "/raw"}) {
        const auto r = table().resolve(QStringLiteral("POST"), QString::fromLatin1(path), {}, body);
        if (const auto *e = std::get_if<DispatchError>(&r))
            (void)e->toJson();
    }
    return 0;
}
