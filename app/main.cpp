#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/output.h"
#include "gui/guicommand.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstdio>
#include <memory>
#include <string_view>
#include <csignal>

using namespace Qt::StringLiterals;
using namespace coroute::cli;

namespace coroute::cli {

void printUsage()
{
    printLine(uR"(coroute — an async runtime for Qt desktop tools: routes, jobs, traces.

Usage: coroute <command> [options]

Commands:
  gui [--demo] [--screenshot FILE.png --after MS]
                                   open the inspector window (the default with a display)
  routes [--json|--openapi]        list the registered routes (or their OpenAPI 3.1 document)
  call METHOD PATH [options]       run one route as a job and print its result as JSON
       --query k=v (repeatable), --body JSON, --timeout MS, --trace FILE, --pretty
  run PLAN.json [options]          validate a job plan (a DAG of route calls), then run it
       --concurrency N, --jsonl (events as JSON lines), --trace FILE, --pretty;
       a progress line on a terminal; an invalid plan lists every problem and runs nothing
  serve [options]                  the routes over loopback HTTP, bearer token required:
       --listen 127.0.0.1:PORT, --token T, --allow-remote, --max-body BYTES;
       routes as themselves, /_jobs (submit, state, SSE events, cancel), /_openapi.json
  history runs|jobs RUN|job RUN:ID|prune
                                   browse the job history (SQLite; --db FILE)
  trace export --run ID --format chrome|otlp -o FILE
                                   export a past run's spans for Perfetto or OpenTelemetry
  bench WORKLOAD [options]         run a benchmark workload once, print one JSON line of figures
       w1|dispatch [--mode routed|bare], w2|timers, w6|cancel, gui-lag; --n N, --no-store

Options of commands that run jobs: --root DIR (repeatable) confines /fs and /db;
--db FILE chooses the history database.

Exit codes: 0 success, 1 a job failed or was refused (or skipped), 2 bad usage or an
invalid plan, 130 interrupted (Ctrl-C cancels cleanly; a second Ctrl-C quits at once).
Run 'coroute <command> --help' for a command's options.)"_s);
}

} // namespace coroute::cli

int main(int argc, char **argv)
{
    // Widgets only for the inspector (and its bench): the CLI stays headless.
    const bool gui = coroute::gui::needsGuiApplication(argc, argv);
    if (argc > 1 && std::string_view(argv[1]) == "gui" && !coroute::gui::hasDisplay()) {
        std::fputs("coroute: gui: no display (set DISPLAY, WAYLAND_DISPLAY, or QT_QPA_PLATFORM=offscreen)\n", stderr);
        return Usage;
    }
    if (gui && argc > 2 && std::string_view(argv[1]) == "bench" && !coroute::gui::hasDisplay())
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // A file size limit (ulimit -f) must fail the write with EFBIG, reported like a full
    // disk, rather than kill the process in the middle of a history transaction.
    ::signal(SIGXFSZ, SIG_IGN);
    std::unique_ptr<QCoreApplication> appPtr(gui ? new QApplication(argc, argv) : new QCoreApplication(argc, argv));
    QCoreApplication &app = *appPtr;
    QCoreApplication::setApplicationName(u"coroute"_s);
    QCoreApplication::setOrganizationName(u"coroute"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(COROUTE_VERSION));

    const QStringList args = app.arguments();
    const QString command = args.size() > 1 ? args[1] : QString();
    const QStringList rest = QStringList{u"coroute "_s + command} + args.mid(2);

    if (command == u"--version"_s || command == u"-v"_s) {
        printLine(u"coroute "_s + QCoreApplication::applicationVersion());
        return Success;
    }
    if (command.isEmpty() && gui)
        return coroute::gui::guiCommand({u"coroute gui"_s});
    if (command == u"gui"_s)
        return coroute::gui::guiCommand(rest);
    if (command.isEmpty() || command == u"--help"_s || command == u"-h"_s || command == u"help"_s) {
        printUsage();
        return command.isEmpty() ? Usage : Success;
    }
    if (command == u"routes"_s)
        return routesCommand(rest);
    if (command == u"call"_s)
        return callCommand(rest);
    if (command == u"run"_s)
        return runCommand(rest);
    if (command == u"history"_s)
        return historyCommand(rest);
    if (command == u"trace"_s)
        return traceCommand(rest);
    if (command == u"serve"_s)
        return serveCommand(rest);
    if (command == u"bench"_s)
        return benchCommand(rest);
    printError(u"unknown command '%1'; see 'coroute --help'"_s.arg(command));
    return Usage;
}
