#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runtimeoptions.h"

#include "jobs/builtins.h"
#include "runtime/runtime.h"

#include <QCommandLineParser>
#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace coroute::cli {

int routesCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"List the registered routes."_s);
    parser.addHelpOption();
    addRuntimeOptions(parser);
    parser.addOption({u"json"_s, u"Print the routes and their metadata as JSON."_s});
    parser.addOption({u"openapi"_s, u"Print an OpenAPI 3.1 document."_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    if (!parser.positionalArguments().isEmpty()) {
        printError(u"routes takes no arguments, got: "_s + parser.positionalArguments().join(u' '));
        return Usage;
    }
    if (parser.isSet(u"json"_s) && parser.isSet(u"openapi"_s)) {
        printError(u"--json and --openapi are exclusive"_s);
        return Usage;
    }
    const auto config = builtinsConfig(parser);
    if (!config)
        return Usage;
    Runtime runtime;
    registerBuiltins(runtime, *config);
    if (parser.isSet(u"json"_s)) {
        printJson(runtime.router().toJson(), true);
    } else if (parser.isSet(u"openapi"_s)) {
        printJson(runtime.router().openApi(u"coroute"_s, QCoreApplication::applicationVersion()), true);
    } else {
        for (const auto &route : runtime.router().routes()) {
            printLine(u"%1 %2 %3 %4"_s.arg(route->method, -6)
                          .arg(route->pathTemplate, -28)
                          .arg(nameOf(route->handler.kind), -9)
                          .arg(route->summary));
        }
    }
    return Success;
}

} // namespace coroute::cli
