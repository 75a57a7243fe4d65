// Request path + query parsing and validation against a route table with every parameter type:
// any input resolves to a match or a 404/405/422, never a crash.
#include "fuzztarget.h"

#include "router/router.h"
#include "runtime/context.h"

#include <QJsonValue>

using namespace coroute;

static const Router &table()
{
    static const Router r = [] {
        Router t;
        const auto h = [](Context &) { return 1; };
        t.get(QStringLiteral("/items/{id:int}"), h)
            .query({.name = QStringLiteral("q"), .type = ParamType::String})
            .query({.name = QStringLiteral("n"), .type = ParamType::Int, .minimum = 0, .maximum = 100})
            .query({.name = QStringLiteral("x"), .type = ParamType::Double})
            .query({.name = QStringLiteral("b"), .type = ParamType::Bool, .defaultValue = false})
            .query({.name = QStringLiteral("c"), .type = ParamType::String,
                    .choices = {QStringLiteral("a"), QStringLiteral("b")}});
        t.get(QStringLiteral("/items/{id:uuid}/tags"), h);
        t.get(QStringLiteral("/files/{rest:path}"), h);
        t.get(QStringLiteral("/flags/{on:bool}/{ratio:double}"), h);
        t.post(QStringLiteral("/items"), h).query({.name = QStringLiteral("r"), .type = ParamType::Int, .required = true});
        t.del(QStringLiteral("/items/{name}"), h);
        return t;
    }();
    return r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto space = text.indexOf(QLatin1Char(' '));
    const QString method = space > 0 ? text.left(space) : QStringLiteral("GET");
    const QString path = space > 0 ? text.mid(space + 1) : text;
    const auto r = table().resolve(method, path);
    if (const auto *e = std::get_if<DispatchError>(&r))
        (void)e->toJson();
    return 0;
}
