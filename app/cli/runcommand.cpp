#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runprogress.h"
#include "cli/runrecording.h"
#include "cli/runtimeoptions.h"
#include "cli/signalwatcher.h"

#include "jobs/builtins.h"
#include "plan/plan.h"
#include "plan/planrunner.h"
#include "runtime/runtime.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <cstdio>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace coroute::cli {

namespace {

QCoro::Task<PlanResult> drive(Runtime &runtime, PlanRunner &runner, const bool &interrupted)
{
    auto result = co_await runner.run();
    // Interrupted: children and background jobs settle too, so the history records them.
    if (interrupted)
        co_await runtime.shutdown();
    co_return result;
}

} // namespace

int runCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Run a job plan (a JSON DAG of route calls): validate it, then run its jobs under the concurrency bound.\n"
        "Exit codes: 0 every job succeeded, 1 a job failed or was skipped, 2 invalid plan or usage, 130 interrupted."_s);
    parser.addHelpOption();
    addRuntimeOptions(parser);
    parser.addPositionalArgument(u"plan"_s, u"The plan file (JSON); see resources/examples/."_s);
    parser.addOption({{u"c"_s, u"concurrency"_s}, u"Most jobs in flight at once (overrides the plan's)."_s, u"n"_s});
    parser.addOption({u"jsonl"_s, u"Print events as JSON lines: started, finished, and a summary."_s});
    parser.addOption({u"trace"_s, u"Write a Chrome trace (Perfetto) of the run to this file."_s, u"file"_s});
    parser.addOption({u"pretty"_s, u"Indent the JSON summary."_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    const auto pos = parser.positionalArguments();
    if (pos.size() != 1) {
        printError(u"run needs one plan file, e.g. coroute run plan.json"_s);
        return Usage;
    }
    int concurrency = 0;
    if (parser.isSet(u"concurrency"_s)) {
        bool ok = false;
        concurrency = parser.value(u"concurrency"_s).toInt(&ok);
        if (!ok || concurrency < 1) {
            printError(u"--concurrency takes a positive integer, got: "_s + parser.value(u"concurrency"_s));
            return Usage;
        }
    }
    const QString file = pos.first();
    QFile planFile(file);
    if (!QFileInfo(file).isFile()) {
        printError(u"plan file not found: "_s + file);
        return Usage;
    }
    if (!planFile.open(QIODevice::ReadOnly)) {
        printError(u"cannot read plan file %1: %2"_s.arg(file, planFile.errorString()));
        return Usage;
    }
    const QByteArray json = planFile.readAll();

    const auto config = builtinsConfig(parser);
    if (!config)
        return Usage;
    Runtime runtime;
    registerBuiltins(runtime, *config);

    QList<PlanError> errors;
    Plan plan = Plan::parse(json, runtime.router(), &errors);
    if (!errors.isEmpty()) {
        printJson(Plan::errorsToJson(errors), parser.isSet(u"pretty"_s));
        for (const auto &e : std::as_const(errors))
            printError(u"%1:%2 %3 [%4]"_s.arg(file, e.loc.isEmpty() ? QString() : u' ' + e.loc + u':', e.msg, e.type));
        printError(u"invalid plan: %1 problem%2; nothing was run"_s.arg(errors.size()).arg(errors.size() == 1 ? QString() : u"s"_s));
        return Usage;
    }
    if (plan.name.isEmpty())
        plan.name = QFileInfo(file).completeBaseName();

    RunRecording recording;
    if (!recording.openHistory(parser))
        return Usage;
    recording.start(runtime, u"run "_s + plan.name, traceOption(parser));

    PlanRunner runner(runtime, std::move(plan));
    runner.setConcurrency(concurrency);
    const bool jsonl = parser.isSet(u"jsonl"_s);
    if (jsonl) {
        QObject::connect(&runner, &PlanRunner::jobStarted, &runner, [&runner](const PlanJobResult &job) {
            printJson(QJsonObject{{u"event"_s, u"started"_s}, {u"job"_s, job.id}, {u"state"_s, u"running"_s},
                                  {u"job_id"_s, qint64(job.job)}, {u"t_ms"_s, runner.elapsedMs()}});
        });
        QObject::connect(&runner, &PlanRunner::jobFinished, &runner, [&runner](const PlanJobResult &job) {
            QJsonObject event = job.toJson();
            event.insert(u"event"_s, u"finished"_s);
            event.insert(u"t_ms"_s, runner.elapsedMs());
            printJson(event);
        });
    }
    RunProgress progress(runner, ::isatty(::fileno(stderr)) == 1);

    SignalWatcher signals;
    bool interrupted = false;
    QObject::connect(&signals, &SignalWatcher::interrupted, &runtime, [&] {
        if (interrupted)
            return;
        interrupted = true;
        printError(u"interrupted; cancelling (press Ctrl-C again to quit at once)"_s);
        runner.cancel(CancelReason::Shutdown, u"signal"_s);
        runtime.cancelAll(CancelReason::Shutdown, u"signal"_s);
    });

    QEventLoop loop;
    std::optional<PlanResult> result;
    auto task = drive(runtime, runner, interrupted).then([&](PlanResult r) {
        result = std::move(r);
        loop.quit();
    });
    if (!result)
        loop.exec();
    progress.finish();
    // The jobs ran, but a history that lost writes or a trace not written is not a success.
    const bool recorded = recording.finish(interrupted ? u"interrupted"_s : u"finished"_s);

    if (jsonl) {
        QJsonObject summary = result->counts.toJson();
        summary.insert(u"event"_s, u"summary"_s);
        summary.insert(u"name"_s, result->name);
        summary.insert(u"outcome"_s, interrupted ? u"interrupted"_s : result->outcome());
        summary.insert(u"wall_ms"_s, result->wallMs);
        printJson(summary);
    } else {
        QJsonObject summary = result->toJson();
        if (interrupted)
            summary.insert(u"outcome"_s, u"interrupted"_s);
        printJson(summary, parser.isSet(u"pretty"_s));
    }
    if (interrupted)
        return Interrupted;
    if (!result->succeeded()) {
        const auto &c = result->counts;
        printError(u"plan %1: %2 of %3 jobs did not succeed (%4 failed, %5 skipped, %6 cancelled)"_s.arg(result->name)
                       .arg(c.total - c.succeeded).arg(c.total).arg(c.failed).arg(c.skipped).arg(c.cancelled));
        return JobFailed;
    }
    return recorded ? Success : JobFailed;
}

} // namespace coroute::cli
