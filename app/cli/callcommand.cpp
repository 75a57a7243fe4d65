#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runrecording.h"
#include "cli/runtimeoptions.h"
#include "cli/signalwatcher.h"

#include "jobs/builtins.h"
#include "runtime/runtime.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace coroute::cli {

namespace {

/// Parses any JSON value, scalars included, with a message naming the offset of an error.
std::optional<QJsonValue> parseJsonValue(const QString &text, QString *error)
{
    QJsonParseError pe;
    const auto doc = QJsonDocument::fromJson("[" + text.toUtf8() + "]", &pe);
    if (pe.error != QJsonParseError::NoError || doc.array().size() != 1) {
        *error = pe.error != QJsonParseError::NoError
                     ? u"%1 at offset %2"_s.arg(pe.errorString()).arg(qMax(0, pe.offset - 1))
                     : u"expected exactly one JSON value"_s;
        return std::nullopt;
    }
    return doc.array().first();
}

QCoro::Task<int> runCall(Runtime &runtime, CallRequest request, SubmitOptions options, bool pretty,
                         const bool &interrupted)
{
    const bool streaming = [&] {
        const auto r = runtime.router().resolve(request.method, request.path, request.query, request.body);
        const auto *m = std::get_if<RouteMatch>(&r);
        return m && m->route->handler.kind == HandlerKind::Streaming;
    }();
    if (streaming)
        options.onItem = [](const QJsonValue &item) { printJson(item); };
    const auto outcome = co_await runtime.call(request, std::move(options));
    if (outcome.refused) {
        printJson(outcome.refused->toJson(), pretty);
        printError(u"%1 %2: %3 %4"_s.arg(request.method, request.path).arg(outcome.refused->status)
                       .arg(outcome.refused->message));
        co_return JobFailed;
    }
    const auto &job = *outcome.job;
    if (job.state == JobState::Succeeded) {
        if (!streaming)
            printJson(job.result.toJson(), pretty);
        co_return Success;
    }
    printJson(job.toJson(), pretty);
    printError(u"%1 %2: %3"_s.arg(job.displayName(), nameOf(job.state), job.error.message));
    co_return interrupted ? Interrupted : JobFailed;
}

} // namespace

int callCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Run one route as a job and print its result as JSON "
                                      "(JSON lines for a streaming route)."_s);
    parser.addHelpOption();
    addRuntimeOptions(parser);
    parser.addPositionalArgument(u"method"_s, u"GET, POST, PUT, PATCH or DELETE"_s);
    parser.addPositionalArgument(u"path"_s, u"The path, optionally with a query string: /sys/sleep?ms=10"_s);
    parser.addOption({{u"q"_s, u"query"_s}, u"A query parameter (repeatable)."_s, u"key=value"_s});
    parser.addOption({{u"b"_s, u"body"_s}, u"The JSON body."_s, u"json"_s});
    parser.addOption({{u"t"_s, u"timeout"_s}, u"Fail the job as timed_out after this many ms."_s, u"ms"_s});
    parser.addOption({u"pretty"_s, u"Indent the JSON output."_s});
    parser.addOption({u"trace"_s, u"Write a Chrome trace (Perfetto) of the call to this file."_s, u"file"_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    const auto pos = parser.positionalArguments();
    if (pos.size() != 2) {
        printError(u"call needs METHOD and PATH, e.g. coroute call GET /sys/health"_s);
        return Usage;
    }
    CallRequest request{pos[0].toUpper(), pos[1], {}, QJsonValue(QJsonValue::Undefined)};
    if (!request.path.startsWith(u'/')) {
        printError(u"the path must start with '/': "_s + request.path);
        return Usage;
    }
    for (const auto &kv : parser.values(u"query"_s)) {
        const auto eq = kv.indexOf(u'=');
        if (eq <= 0) {
            printError(u"--query takes key=value, got: "_s + kv);
            return Usage;
        }
        request.query.insert(kv.left(eq), kv.mid(eq + 1));
    }
    if (parser.isSet(u"body"_s)) {
        QString error;
        const auto body = parseJsonValue(parser.value(u"body"_s), &error);
        if (!body) {
            printError(u"--body is not valid JSON: "_s + error);
            return Usage;
        }
        request.body = *body;
    }
    SubmitOptions options;
    if (parser.isSet(u"timeout"_s)) {
        bool ok = false;
        const auto ms = parser.value(u"timeout"_s).toLongLong(&ok);
        if (!ok || ms <= 0) {
            printError(u"--timeout takes a positive number of milliseconds, got: "_s + parser.value(u"timeout"_s));
            return Usage;
        }
        options.timeout = std::chrono::milliseconds(ms);
    }

    const auto config = builtinsConfig(parser);
    if (!config)
        return Usage;
    Runtime runtime;
    registerBuiltins(runtime, *config);
    RunRecording recording;
    if (!recording.openHistory(parser))
        return Usage;
    recording.start(runtime, u"call "_s + request.displayName(), traceOption(parser));
    SignalWatcher signals;
    bool interrupted = false;
    QObject::connect(&signals, &SignalWatcher::interrupted, &runtime, [&] {
        interrupted = true;
        printError(u"interrupted; cancelling (press Ctrl-C again to quit at once)"_s);
        runtime.cancelAll(CancelReason::Shutdown, u"signal"_s);
    });

    QEventLoop loop;
    int exitCode = -1;
    auto task = runCall(runtime, request, std::move(options), parser.isSet(u"pretty"_s), interrupted)
                    .then([&](int code) {
                        exitCode = code;
                        loop.quit();
                    });
    if (exitCode < 0)
        loop.exec();
    if (!recording.finish(interrupted ? u"interrupted"_s : u"finished"_s) && exitCode == Success)
        exitCode = JobFailed;
    return exitCode;
}

} // namespace coroute::cli
