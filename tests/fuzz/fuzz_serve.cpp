// The request handling of `coroute serve`: bytes split into a raw HTTP request
// ("METHOD TARGET\r\nName: value\r\n...\r\n\r\nbody") and handed to ApiServer::handleRaw(),
// the same path a socket's requests take, against a runtime with /sys and a few routes of
// every handler kind. Every input gets a response (now or once its job ends), never a crash,
// hang or leak; whatever jobs it started are cancelled and settled before the next input.
#include "fuzztarget.h"

#include "serve/apiserver.h"

#include "jobs/sysroutes.h"
#include "router/router.h"
#include "runtime/context.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonObject>

#include <cstdlib>

using namespace coroute;

namespace {

struct Fixture
{
    Runtime rt;
    serve::ApiServer server{rt, {.token = QByteArrayLiteral("t"), .maxBodyBytes = 4096}};

    Fixture()
    {
        rt.router().include(sysRoutes(), QStringLiteral("/sys"));
        auto &r = rt.router();
        r.get(QStringLiteral("/items/{id:int}"), [](Context &ctx) -> QCoro::Task<QJsonObject> {
            co_return QJsonObject{{QStringLiteral("id"), ctx.param(QStringLiteral("id"))}};
        });
        r.post(QStringLiteral("/items"), [](Context &ctx) { return ctx.param(QStringLiteral("name")); })
            .bodyField({.name = QStringLiteral("name"), .type = ParamType::String, .required = true})
            .bodyField({.name = QStringLiteral("n"), .type = ParamType::Int, .minimum = 0, .maximum = 10});
        r.get(QStringLiteral("/fail"), [](Context &) -> QCoro::Task<int> {
            throw Error(409, QStringLiteral("conflict"), QStringLiteral("always"));
            co_return 0;
        });
        r.get(QStringLiteral("/lines"), [](Context &) -> QCoro::AsyncGenerator<int> {
            for (int i = 0; i < 3; ++i)
                co_yield i;
        });
        rt.jobs().setFinishedWindow(64);
        rt.jobs().setBatchInterval(0);
    }
};

Fixture &fixture()
{
    static int argc = 1;
    static char name[] = "fuzz_serve";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *app = QCoreApplication::instance() ? nullptr : new QCoreApplication(argc, argv);
    Q_UNUSED(app)
    static Fixture *f = new Fixture;
    return *f;
}

serve::RawRequest split(const QByteArray &bytes)
{
    serve::RawRequest rq;
    qsizetype headEnd = bytes.indexOf("\r\n\r\n");
    const qsizetype bodyStart = headEnd < 0 ? bytes.size() : headEnd + 4;
    if (headEnd < 0)
        headEnd = bytes.size();
    const auto lines = bytes.left(headEnd).split('\n');
    const QByteArray first = lines.value(0).trimmed();
    const auto space = first.indexOf(' ');
    rq.method = space < 0 ? QByteArrayLiteral("GET") : first.left(space);
    rq.target = space < 0 ? first : first.mid(space + 1);
    if (const auto version = rq.target.lastIndexOf(" HTTP/"); version >= 0)
        rq.target.truncate(version);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const auto colon = lines[i].indexOf(':');
        if (colon > 0)
            rq.headers.append({lines[i].left(colon), lines[i].mid(colon + 1).trimmed()});
    }
    rq.body = bytes.mid(bodyStart);
    return rq;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto &f = fixture();
    const auto rq = split(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    f.server.handleRaw(rq, &out);
    QCoreApplication::processEvents();
    // Whatever it started ends now: cancelled if still running, then settled (bounded wait).
    f.rt.cancelAll();
    QElapsedTimer t;
    t.start();
    while (f.rt.jobs().activeCount() > 0 && t.elapsed() < 5000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    if (f.rt.jobs().activeCount() > 0)
        std::abort(); // a job that ignores cancellation: a hang
    f.rt.jobs().flush();
    QCoreApplication::processEvents();
    // Every request is answered with a status line.
    if (!out.data().startsWith("HTTP/1.1 ") || f.server.pendingResponses() != 0)
        std::abort();
    return 0;
}
