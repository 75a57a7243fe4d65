// Route templates: any string is either registered or refused with InvalidRoute, never a crash;
// a registered template resolves its own literal form without crashing.
#include "fuzztarget.h"

#include "router/router.h"
#include "runtime/context.h"

#include <QJsonValue>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto split = text.indexOf(QLatin1Char('\n'));
    const QString method = split > 0 ? text.left(split) : QStringLiteral("GET");
    const QString tmpl = split > 0 ? text.mid(split + 1) : text;
    coroute::Router router;
    try {
        router.add(method, tmpl, [](coroute::Context &) { return 1; });
        router.add(QStringLiteral("GET"), QStringLiteral("/fixed/{id:int}"), [](coroute::Context &) { return 2; });
    } catch (const coroute::InvalidRoute &) {
        return 0;
    }
    (void)router.resolve(method, tmpl);
    (void)router.openApi(QStringLiteral("fuzz"), QStringLiteral("1"));
    return 0;
}
