#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runrecording.h"
#include "cli/runtimeoptions.h"
#include "cli/signalwatcher.h"

#include "serve/apiserver.h"
#include "serve/bearerauth.h"
#include "serve/listenaddress.h"

#include "jobs/builtins.h"
#include "runtime/runtime.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace coroute::cli {

int serveCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Serve the routes over loopback HTTP. Every request needs 'Authorization: Bearer TOKEN'. "
        "Prints {\"listening\": URL, \"token_source\": ...} on stdout once ready; a generated token goes to "
        "stderr. SIGINT/SIGTERM cancel every job, wait for them and exit with 130."_s);
    parser.addHelpOption();
    addRuntimeOptions(parser);
    parser.addOption({u"listen"_s, u"Address and port (default 127.0.0.1:8765; port 0 picks a free one)."_s,
                      u"host:port"_s, u"127.0.0.1:8765"_s});
    parser.addOption({u"token"_s, u"The bearer token clients must send (default: a random one, printed)."_s,
                      u"token"_s});
    parser.addOption({u"allow-remote"_s, u"Allow a non-loopback --listen address (the API runs any route)."_s});
    parser.addOption({u"max-body"_s, u"Largest request body accepted, in bytes (default 1048576)."_s,
                      u"bytes"_s, u"1048576"_s});
    const serve::ApiServerOptions defaults;
    const auto number = [](int n) { return QString::number(n); };
    parser.addOption({u"header-timeout-ms"_s,
                      u"A request's line and headers must arrive within this, from the connect (or the "
                      "request's first byte on a kept-alive connection); else 408 and close (default %1)."_s
                          .arg(defaults.headerTimeoutMs),
                      u"ms"_s, number(defaults.headerTimeoutMs)});
    parser.addOption({u"body-timeout-ms"_s,
                      u"A request body must make progress at least this often; else 408 and close (default %1)."_s
                          .arg(defaults.bodyTimeoutMs),
                      u"ms"_s, number(defaults.bodyTimeoutMs)});
    parser.addOption({u"idle-timeout-ms"_s,
                      u"A kept-alive connection with no request under way is closed after this (default %1). "
                      "Answers and event streams being sent are never cut."_s.arg(defaults.idleTimeoutMs),
                      u"ms"_s, number(defaults.idleTimeoutMs)});
    parser.addOption({u"max-connections"_s,
                      u"Connections open at once; more are answered 503 and closed (default %1)."_s
                          .arg(defaults.maxConnections),
                      u"n"_s, number(defaults.maxConnections)});
    parser.addOption({u"max-connections-per-peer"_s,
                      u"Connections open at once from one address; more are answered 503 and closed "
                      "(default %1)."_s.arg(defaults.maxConnectionsPerPeer),
                      u"n"_s, number(defaults.maxConnectionsPerPeer)});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    if (!parser.positionalArguments().isEmpty()) {
        printError(u"serve takes no arguments, got: "_s + parser.positionalArguments().join(u' '));
        return Usage;
    }
    QString error;
    const auto address = serve::ListenAddress::parse(parser.value(u"listen"_s), &error);
    if (!address) {
        printError(error);
        return Usage;
    }
    if (!address->isLoopback()) {
        if (!parser.isSet(u"allow-remote"_s)) {
            printError(u"refusing to listen on %1: not a loopback address; pass --allow-remote to expose "
                       "every route to the network"_s.arg(address->host.toString()));
            return Usage;
        }
        printError(u"warning: listening on %1, reachable from other machines; anyone with the token "
                   "can run any route (plain HTTP: the token travels unencrypted)"_s.arg(address->host.toString()));
    }
    bool ok = false;
    serve::ApiServerOptions options;
    options.maxBodyBytes = parser.value(u"max-body"_s).toLongLong(&ok);
    if (!ok || options.maxBodyBytes <= 0) {
        printError(u"--max-body takes a positive number of bytes, got: "_s + parser.value(u"max-body"_s));
        return Usage;
    }
    const std::pair<QString, int *> limits[] = {
        {u"header-timeout-ms"_s, &options.headerTimeoutMs},
        {u"body-timeout-ms"_s, &options.bodyTimeoutMs},
        {u"idle-timeout-ms"_s, &options.idleTimeoutMs},
        {u"max-connections"_s, &options.maxConnections},
        {u"max-connections-per-peer"_s, &options.maxConnectionsPerPeer},
    };
    for (const auto &[name, value] : limits) {
        *value = parser.value(name).toInt(&ok);
        if (!ok || *value <= 0) {
            printError(u"--%1 takes a positive whole number, got: %2"_s.arg(name, parser.value(name)));
            return Usage;
        }
    }
    const bool generated = !parser.isSet(u"token"_s);
    options.token = generated ? serve::generateToken() : parser.value(u"token"_s).toUtf8();
    if (options.token.isEmpty() || options.token.contains(' ')) {
        printError(u"--token must be non-empty and without spaces"_s);
        return Usage;
    }

    const auto config = builtinsConfig(parser);
    if (!config)
        return Usage;
    Runtime runtime;
    registerBuiltins(runtime, *config);
    serve::ApiServer server(runtime, options);
    RunRecording recording; // after the server: it stops recording before the server goes
    if (!recording.openHistory(parser))
        return Usage;
    if (!server.start(*address, &error)) {
        printError(error);
        return JobFailed;
    }
    auto bound = *address;
    bound.port = server.port();
    recording.start(runtime, u"serve "_s + bound.url());
    if (generated)
        printError(u"token: "_s + QString::fromLatin1(options.token));
    printJson(QJsonObject{{u"listening"_s, bound.url()},
                          {u"token_source"_s, generated ? u"generated"_s : u"given"_s}});

    // A server has no natural end: it runs until SIGINT or SIGTERM. Then it stops accepting,
    // cancels every job (reason shutdown, so clients see them end as cancelled), waits for
    // them, lets the last answers reach their clients, and exits with the house's code for
    // an interruption, 130 — the same as `coroute call` and `coroute run`, so scripts read
    // every command's exit the same way.
    QEventLoop loop;
    SignalWatcher signals;
    QCoro::Task<void> shutdown;
    QObject::connect(&signals, &SignalWatcher::interrupted, &runtime, [&] {
        printError(u"interrupted; cancelling %1 active jobs (press Ctrl-C again to quit at once)"_s
                       .arg(runtime.jobs().activeCount()));
        server.stopListening();
        shutdown = runtime.shutdown().then([&] { loop.quit(); });
    });
    loop.exec();

    runtime.jobs().flush(); // the final states reach the waiting answers and event streams
    const QDeadlineTimer drain(2000);
    while ((server.pendingResponses() > 0 || server.bytesToWrite() > 0) && !drain.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    recording.finish(u"finished"_s); // a signal is how a server ends: a normal end of its run
    return Interrupted;
}

} // namespace coroute::cli
