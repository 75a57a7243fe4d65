#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runtimeoptions.h"

#include "store/historystore.h"
#include "trace/chrometrace.h"
#include "trace/otlp.h"
#include "trace/tracefile.h"

#include <QCommandLineParser>

using namespace Qt::StringLiterals;

namespace coroute::cli {

int traceCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Export the trace of a past run.\n\n"
                                      "  export --run ID --format chrome|otlp -o FILE\n\n"
                                      "chrome: Chrome trace event JSON (opens in Perfetto and chrome://tracing);\n"
                                      "otlp: OpenTelemetry OTLP/JSON (loads into a collector or Jaeger UI)."_s);
    parser.addHelpOption();
    addHistoryOption(parser);
    parser.addPositionalArgument(u"export"_s, u"The only subcommand."_s);
    parser.addOption({u"run"_s, u"The run to export (default: the newest)."_s, u"id"_s});
    parser.addOption({u"format"_s, u"chrome or otlp (default chrome)."_s, u"format"_s, u"chrome"_s});
    parser.addOption({{u"o"_s, u"output"_s}, u"The file to write."_s, u"file"_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    if (parser.positionalArguments() != QStringList{u"export"_s}) {
        printError(u"usage: coroute trace export --run ID --format chrome|otlp -o FILE"_s);
        return Usage;
    }
    const auto format = parser.value(u"format"_s);
    if (format != u"chrome"_s && format != u"otlp"_s) {
        printError(u"--format takes chrome or otlp, not '%1'"_s.arg(format));
        return Usage;
    }
    if (!parser.isSet(u"output"_s)) {
        printError(u"trace export needs -o FILE"_s);
        return Usage;
    }
    bool failed = false;
    auto store = openHistory(parser, &failed);
    if (!store)
        return Usage;
    RunId run = 0;
    if (parser.isSet(u"run"_s)) {
        bool ok = false;
        run = parser.value(u"run"_s).toLongLong(&ok);
        if (!ok || run <= 0) {
            printError(u"--run takes a run id, not '%1'"_s.arg(parser.value(u"run"_s)));
            return Usage;
        }
    } else {
        run = store->latestRun().value_or(0);
    }
    if (!run || !store->run(run)) {
        printError(u"no run %1 in %2"_s.arg(run).arg(store->path()));
        return JobFailed;
    }
    const auto spans = store->spans(run);
    const auto doc = format == u"chrome"_s ? toChromeTrace(spans, store->jobs(run)) : toOtlpJson(spans);
    QString error;
    if (!writeTraceFile(parser.value(u"output"_s), doc, &error)) {
        printError(error);
        return JobFailed;
    }
    printJson(QJsonObject{{u"run"_s, run}, {u"format"_s, format}, {u"spans"_s, int(spans.size())},
                          {u"file"_s, parser.value(u"output"_s)}});
    return Success;
}

} // namespace coroute::cli
