#include "gui/guicommand.h"

#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runtimeoptions.h"

#include "models/jobtreemodel.h"
#include "runtimehost.h"
#include "widgets/jobspanel.h"
#include "widgets/mainwindow.h"
#include "widgets/routespanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QTimer>
#include <QTreeView>

#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace Qt::StringLiterals;
using namespace coroute::cli;

namespace coroute::gui {

bool hasDisplay()
{
    return qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY")
        || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

bool needsGuiApplication(int argc, char **argv)
{
    if (argc < 2)
        return hasDisplay();
    if (std::strcmp(argv[1], "gui") == 0)
        return true;
    if (std::strcmp(argv[1], "bench") == 0) {
        for (int i = 2; i < argc; ++i) {
            if (std::strcmp(argv[i], "gui-lag") == 0)
                return true;
        }
    }
    return false;
}

namespace {

// A few jobs of every demo pattern: fan-out, semaphore, TaskGroup cancellation, timeout,
// loop blocking, failures tolerated.
void submitDemo(RuntimeHost &host)
{
    QJsonArray items;
    for (int i = 1; i <= 12; ++i)
        items.append(u"item-%1"_s.arg(i));
    const auto none = QJsonValue(QJsonValue::Undefined);
    host.submit({u"GET"_s, u"/demo/dashboard"_s, {{u"ms"_s, 300}}, none});
    host.submit({u"POST"_s, u"/demo/batch"_s, {},
                 QJsonObject{{u"items"_s, items}, {u"concurrency"_s, 3}, {u"item_ms"_s, 120}}});
    host.submit({u"GET"_s, u"/demo/group"_s, {}, none});
    host.submit({u"GET"_s, u"/demo/fanout"_s, {{u"n"_s, 8}, {u"step_ms"_s, 150}}, none});
    host.submit({u"GET"_s, u"/demo/block"_s, {{u"ms"_s, 120}}, none});
    host.submit({u"GET"_s, u"/demo/slow"_s, {{u"timeout_ms"_s, 250}, {u"work_ms"_s, 1000}}, none});
    host.submit({u"GET"_s, u"/demo/tolerant"_s, {}, none});
    host.submit({u"GET"_s, u"/sys/sleep"_s, {{u"ms"_s, 60000}}, none});
}

} // namespace

void tuneAllocatorForGui()
{
#if defined(__GLIBC__)
    // The GUI thread frees hundreds of thousands of small objects (evicted jobs, drained change
    // sets). glibc keeps such chunks in fastbins and coalesces them only when a large
    // allocation comes, which then walks them all: single loop turns of 40-120 ms in
    // `bench gui-lag` (tests/bench/README.md). Without fastbins they coalesce as they are freed.
    mallopt(M_MXFAST, 0);
#endif
}

int guiCommand(const QStringList &args)
{
    tuneAllocatorForGui();
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Open the inspector: live jobs, trace timeline, routes, health, history."_s);
    parser.addHelpOption();
    addRuntimeOptions(parser);
    parser.addOption({u"plan"_s, u"Run this plan file once the window is open."_s, u"file"_s});
    parser.addOption({u"screenshot"_s, u"Save a PNG of the main window after --after ms, then exit 0."_s, u"file.png"_s});
    parser.addOption({u"after"_s, u"Milliseconds before the screenshot (default 1500)."_s, u"ms"_s, u"1500"_s});
    parser.addOption({u"demo"_s, u"Submit a few demo jobs on start."_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    if (!parser.positionalArguments().isEmpty()) {
        printError(u"gui takes no positional arguments, got: "_s + parser.positionalArguments().join(u' '));
        return Usage;
    }
    bool ok = false;
    const int after = parser.value(u"after"_s).toInt(&ok);
    if (!ok || after < 0) {
        printError(u"--after takes a number of milliseconds, got: "_s + parser.value(u"after"_s));
        return Usage;
    }
    const QString screenshot = parser.value(u"screenshot"_s);
    const QString planPath = parser.value(u"plan"_s);
    if (!planPath.isEmpty() && !QFileInfo(planPath).isFile()) {
        printError(u"--plan %1: no such file"_s.arg(planPath));
        return Usage;
    }
    const auto config = builtinsConfig(parser);
    if (!config)
        return Usage;
    bool historyFailed = false;
    auto history = openHistory(parser, &historyFailed);
    if (historyFailed)
        return Usage;

    RuntimeHost::Options options;
    options.builtinsConfig = *config;
    options.store = history.get();
    options.runName = u"gui"_s;
    options.command = QCoreApplication::arguments().join(u' ');
    RuntimeHost host(options);
    MainWindow window(&host, history.get());
    if (!screenshot.isEmpty())
        window.resize(1400, 860);
    window.show();
    window.routesPanel()->selectRoute(u"GET"_s, u"/demo/dashboard"_s);
    if (parser.isSet(u"demo"_s))
        submitDemo(host);
    if (!planPath.isEmpty()) {
        QObject::connect(&host, &RuntimeHost::planRejected, &window, [](const QString &name, const QJsonObject &errors) {
            printError(u"plan %1 is invalid:"_s.arg(name));
            printJson(errors, true);
        });
        window.openPlanFile(planPath);
    }

    int exitCode = Success;
    if (!screenshot.isEmpty()) {
        // Select the first job a little before the shot, so details and timeline show it.
        QTimer::singleShot(qMax(0, after - 300), &window, [&window] {
            window.flushChanges();
            auto *model = window.jobModel();
            window.jobsPanel()->view()->expandAll();
            // The TaskGroup demo shows most at once: a failure and the cancelled siblings.
            for (int row = 0; row < model->rowCount(); ++row) {
                const auto id = model->index(row, 0).data(JobTreeModel::JobIdRole).value<JobId>();
                if (row == 0 || model->job(id)->path == u"/demo/group"_s)
                    window.jobsPanel()->selectJob(id);
            }
        });
        QTimer::singleShot(after, &window, [&window, &exitCode, screenshot] {
            window.flushChanges();
            const QPixmap shot = window.grab();
            if (!shot.save(screenshot, "PNG")) {
                printError(u"--screenshot: cannot write %1"_s.arg(screenshot));
                exitCode = JobFailed;
            }
            QCoreApplication::quit();
        });
    }
    const int rc = QApplication::exec();
    host.shutdown();
    return exitCode != Success ? exitCode : rc;
}

} // namespace coroute::gui
