// A tool embedding coroute: registers its own route next to the built-ins and calls it.
#include <coroute.h>

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    coroute::Runtime runtime;
    coroute::registerBuiltins(runtime);
    runtime.router().get(QStringLiteral("/greet/{name}"), [](coroute::Context &ctx) -> QCoro::Task<QString> {
        co_await coroute::sleep(std::chrono::milliseconds(1), ctx.token());
        co_return QStringLiteral("hello ") + ctx.param(QStringLiteral("name")).toString();
    });
    int code = 1;
    auto task = runtime.call({QStringLiteral("GET"), QStringLiteral("/greet/consumer")})
                    .then([&](const coroute::JobOutcome &outcome) {
                        if (outcome.succeeded()) {
                            std::printf("%s\n", qPrintable(outcome.job->result.toJson().toString()));
                            code = 0;
                        }
                        app.quit();
                    });
    app.exec();
    return code;
}
