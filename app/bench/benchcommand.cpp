#include "bench/benchreport.h"
#include "bench/workloads.h"

#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"

#include "runtime/callrequest.h"
#include "runtime/runtime.h"

#include <QAbstractEventDispatcher>
#include <QCommandLineParser>
#include <QEventLoop>
#include <QUrl>

#include <cstdio>
#include <functional>
#include <utility>

using namespace Qt::StringLiterals;

namespace coroute::bench {

void beginReport(BenchReport &report, const BenchOptions &options, const QString &variant, qint64 n)
{
    report.set(u"workload"_s, options.workload);
    report.set(u"variant"_s, variant);
    report.set(u"peer"_s, u"coroute"_s);
    report.set(u"n"_s, n);
}

void endReport(BenchReport &report, const Memory &before)
{
    const auto after = readMemory();
    report.set(u"rss_before_kb"_s, before.rssKb);
    report.set(u"peak_rss_kb"_s, after.peakKb);
    report.set(u"store"_s, report.storeOn);
    if (auto *dispatcher = QAbstractEventDispatcher::instance())
        report.set(u"dispatcher"_s, QString::fromLatin1(dispatcher->metaObject()->className()));
}

Started submitAll(Runtime &runtime, const CallRequest &request, qint64 n, BenchReport &report)
{
    Started started;
    started.ids.reserve(size_t(n));
    for (qint64 i = 0; i < n; ++i) {
        const auto submission = runtime.submit(request);
        if (submission.accepted())
            started.ids.push_back(submission.id);
        else
            ++started.refused;
    }
    if (started.refused)
        report.fail(u"%1 requests refused"_s.arg(started.refused));
    return started;
}

namespace {

using Run = std::function<QCoro::Task<void>(BenchOptions, BenchReport &)>;

/// One row per workload: adding one is writing its run function and a row here.
struct Workload
{
    QString name;     ///< "w1"
    QString label;    ///< "W1", as printed
    QStringList aliases;
    Run run;
};

const QList<Workload> &workloads()
{
    static const QList<Workload> table{
        {u"w1"_s, u"W1"_s, {u"dispatch"_s, u"dispatch-bare"_s}, runDispatch},
        {u"w2"_s, u"W2"_s, {u"timers"_s}, runTimers},
        {u"w3"_s, u"W3"_s, {u"http"_s}, runHttp},
        {u"w4"_s, u"W4"_s, {u"sqlite"_s}, runSqlite},
        {u"w5"_s, u"W5"_s, {u"files"_s}, runFiles},
        {u"w6"_s, u"W6"_s, {u"cancel"_s}, runCancel},
        {u"gui-lag"_s, u"gui-lag"_s, {}, runGuiLag},
        {u"load"_s, u"load"_s, {}, runLoad},
    };
    return table;
}

// A workload that throws still prints its line, with the exception as the failed check.
QCoro::Task<void> runGuarded(const Run &run, BenchOptions options, BenchReport &report)
{
    try {
        co_await run(std::move(options), report);
    } catch (const std::exception &e) {
        report.fail(u"exception: "_s + QString::fromUtf8(e.what()));
    } catch (...) {
        report.fail(u"unknown exception"_s);
    }
}

const Workload *findWorkload(const QString &name)
{
    const QString key = name.toLower();
    for (const auto &w : workloads()) {
        if (w.name == key || w.aliases.contains(key))
            return &w;
    }
    return nullptr;
}

QString workloadNames()
{
    QStringList names;
    for (const auto &w : workloads())
        names << (w.aliases.isEmpty() ? w.name : u"%1 (%2)"_s.arg(w.name, w.aliases.join(u", "_s)));
    return names.join(u", "_s);
}

} // namespace

} // namespace coroute::bench

namespace coroute::cli {

int benchCommand(const QStringList &args)
{
    using namespace coroute::bench;
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Run one benchmark workload of WORKLOADS.md once and print one JSON "
                                      "line of figures; exit 1 when the workload's check failed.\nWorkloads: "_s
                                     + workloadNames());
    parser.addHelpOption();
    parser.addPositionalArgument(u"workload"_s, u"The workload to run."_s);
    parser.addOption({u"mode"_s, u"W1: dispatch through the runtime (routed, default) or bare QCoro tasks."_s,
                      u"routed|bare"_s});
    parser.addOption({u"n"_s, u"Override the workload's job count (for smoke tests)."_s, u"N"_s});
    parser.addOption({u"no-store"_s, u"Do not record the jobs in the history store."_s});
    parser.addOption({u"url"_s, u"W3: the URL to GET (default: an in-process loopback server)."_s, u"URL"_s});
    parser.addOption({u"raw"_s, u"W4: the same work with raw libsqlite3 on the calling thread (the reference)."_s});
    parser.addOption({u"db"_s, u"W4: the database file, recreated (default: a temporary file)."_s, u"FILE"_s});
    parser.addOption({u"manifest"_s, u"W5: \"<sha256 hex>\\t<path>\" lines of the files to hash (default: "
                                      "64 files of random bytes in a temporary folder)."_s, u"FILE"_s});
    parser.addOption({u"file-mb"_s, u"W5: size of each generated file in MiB (default 4)."_s, u"MIB"_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    const auto pos = parser.positionalArguments();
    if (pos.size() != 1) {
        printError(u"bench needs one WORKLOAD: "_s + workloadNames());
        return Usage;
    }
    const Workload *workload = findWorkload(pos[0]);
    if (!workload) {
        printError(u"unknown workload '%1'; choose one of: %2"_s.arg(pos[0], workloadNames()));
        return Usage;
    }

    BenchOptions options;
    options.workload = workload->label;
    options.store = !parser.isSet(u"no-store"_s);
    options.mode = pos[0].toLower() == u"dispatch-bare"_s ? u"bare"_s : u"routed"_s;
    if (parser.isSet(u"mode"_s)) {
        if (workload->name != u"w1"_s) {
            printError(u"--mode applies to w1 only"_s);
            return Usage;
        }
        options.mode = parser.value(u"mode"_s);
        if (options.mode != u"routed"_s && options.mode != u"bare"_s) {
            printError(u"--mode takes routed or bare, got: "_s + options.mode);
            return Usage;
        }
    }
    // Options that belong to one workload only.
    const std::pair<const char *, const char *> owners[] = {
        {"url", "w3"}, {"raw", "w4"}, {"db", "w4"}, {"manifest", "w5"}, {"file-mb", "w5"}};
    for (const auto &[option, owner] : owners) {
        if (parser.isSet(QString::fromLatin1(option)) && workload->name != QLatin1String(owner)) {
            printError(u"--%1 applies to %2 only"_s.arg(QLatin1String(option), QLatin1String(owner)));
            return Usage;
        }
    }
    options.url = parser.value(u"url"_s);
    if (parser.isSet(u"url"_s)) {
        const QUrl url(options.url, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http"_s && url.scheme() != u"https"_s) || url.host().isEmpty()) {
            printError(u"--url takes an http:// or https:// URL, got: "_s + options.url);
            return Usage;
        }
    }
    options.raw = parser.isSet(u"raw"_s);
    options.dbPath = parser.value(u"db"_s);
    options.manifest = parser.value(u"manifest"_s);
    if (parser.isSet(u"manifest"_s) && parser.isSet(u"n"_s)) {
        printError(u"--n does not apply with --manifest (the manifest lists the files)"_s);
        return Usage;
    }
    if (parser.isSet(u"file-mb"_s)) {
        bool ok = false;
        options.fileMb = parser.value(u"file-mb"_s).toLongLong(&ok);
        if (!ok || options.fileMb <= 0 || options.fileMb > 1024) {
            printError(u"--file-mb takes a size from 1 to 1024, got: "_s + parser.value(u"file-mb"_s));
            return Usage;
        }
    }
    if (parser.isSet(u"n"_s)) {
        bool ok = false;
        options.n = parser.value(u"n"_s).toLongLong(&ok);
        if (!ok || options.n <= 0 || options.n > 100'000'000) {
            printError(u"--n takes a positive count, got: "_s + parser.value(u"n"_s));
            return Usage;
        }
    }

    BenchReport report;
    QEventLoop loop;
    bool finished = false;
    auto task = runGuarded(workload->run, options, report).then([&] {
        finished = true;
        loop.quit();
    });
    if (!finished)
        loop.exec();
    const QByteArray line = report.toJsonLine() + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
    return report.passed() ? Success : JobFailed;
}

} // namespace coroute::cli
