#include "cli/commands.h"
#include "cli/exitcode.h"
#include "cli/commandline.h"
#include "cli/output.h"
#include "cli/runtimeoptions.h"

#include "store/historystore.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace coroute::cli {

namespace {

QString time(qint64 ms)
{
    return ms ? QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s) : u"-"_s;
}

/// "RUN:JOB", or "JOB" in the newest run.
bool parseJobRef(const QString &text, const HistoryStore &store, RunId *run, JobId *job)
{
    bool ok1 = true, ok2 = true;
    const auto parts = text.split(u':');
    if (parts.size() == 2) {
        *run = parts[0].toLongLong(&ok1);
        *job = parts[1].toULongLong(&ok2);
    } else if (parts.size() == 1) {
        const auto latest = store.latestRun();
        ok1 = latest.has_value();
        *run = latest.value_or(0);
        *job = parts[0].toULongLong(&ok2);
    } else {
        ok1 = false;
    }
    return ok1 && ok2 && *job > 0;
}

} // namespace

int historyCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Browse the job history.\n\n"
                                      "  runs                 the newest runs\n"
                                      "  jobs RUN             the jobs of a run\n"
                                      "  job RUN:ID           one job: params, result, error, spans, logs, warnings\n"
                                      "                       (ID alone: in the newest run)\n"
                                      "  prune                apply retention (--keep-runs, --keep-days)"_s);
    parser.addHelpOption();
    addHistoryOption(parser);
    parser.addPositionalArgument(u"what"_s, u"runs, jobs, job or prune"_s);
    parser.addOption({u"json"_s, u"Print JSON."_s});
    parser.addOption({u"limit"_s, u"How many runs to list (default 20)."_s, u"n"_s, u"20"_s});
    parser.addOption({u"keep-runs"_s, u"prune: keep the newest N runs."_s, u"n"_s});
    parser.addOption({u"keep-days"_s, u"prune: keep runs newer than D days."_s, u"days"_s});
    if (const auto exit = parseCommandLine(parser, args))
        return *exit;
    const auto pos = parser.positionalArguments();
    const QString what = pos.value(0);
    const bool json = parser.isSet(u"json"_s);
    const QStringList known{u"runs"_s, u"jobs"_s, u"job"_s, u"prune"_s};
    if (!known.contains(what)) {
        printError(what.isEmpty() ? u"history needs one of: runs, jobs RUN, job RUN:ID, prune"_s
                                  : u"unknown history command '%1'; use runs, jobs, job or prune"_s.arg(what));
        return Usage;
    }
    if ((what == u"jobs"_s || what == u"job"_s) && pos.size() != 2) {
        printError(u"history %1 needs one argument"_s.arg(what));
        return Usage;
    }
    bool failed = false;
    auto store = openHistory(parser, &failed);
    if (!store)
        return Usage;

    if (what == u"runs"_s) {
        bool ok = false;
        const int limit = parser.value(u"limit"_s).toInt(&ok);
        if (!ok || limit <= 0) {
            printError(u"--limit takes a positive number"_s);
            return Usage;
        }
        const auto runs = store->runs(limit);
        if (json) {
            QJsonArray out;
            for (const auto &r : runs)
                out.append(r.toJson());
            printJson(out, true);
        } else {
            printLine(u"%1  %2  %3  %4  %5"_s.arg(u"RUN"_s, 5).arg(u"STARTED"_s, -23).arg(u"STATE"_s, -11)
                          .arg(u"JOBS"_s, -20).arg(u"NAME"_s));
            for (const auto &r : runs) {
                const QString counts = u"%1 (%2 failed)"_s.arg(r.jobs).arg(r.failed);
                printLine(u"%1  %2  %3  %4  %5"_s.arg(r.id, 5).arg(time(r.startedMs), -23).arg(r.state, -11)
                              .arg(counts, -20).arg(r.name));
            }
        }
        return Success;
    }
    if (what == u"jobs"_s) {
        bool ok = false;
        const RunId run = pos[1].toLongLong(&ok);
        if (!ok || !store->run(run)) {
            printError(u"no run '%1' in %2"_s.arg(pos[1], store->path()));
            return JobFailed;
        }
        const auto jobs = store->jobs(run);
        if (json) {
            QJsonArray out;
            for (const auto &j : jobs)
                out.append(j.toJson());
            printJson(out, true);
        } else {
            for (const auto &j : jobs) {
                printLine(u"%1  %2  %3 ms  %4%5"_s.arg(j.id, 6).arg(nameOf(j.state), -11)
                              .arg(j.durationMs(j.finishedMs), 7)
                              .arg(j.displayName())
                              .arg(j.parent ? u"  (child of %1)"_s.arg(j.parent) : QString()));
            }
        }
        return Success;
    }
    if (what == u"job"_s) {
        RunId run = 0;
        JobId id = 0;
        if (!parseJobRef(pos[1], *store, &run, &id)) {
            printError(u"'%1' is not RUN:ID or ID"_s.arg(pos[1]));
            return Usage;
        }
        const auto job = store->job(run, id);
        if (!job) {
            printError(u"no job %1 in run %2"_s.arg(id).arg(run));
            return JobFailed;
        }
        auto out = job->toJson();
        out.insert(u"run"_s, run);
        QJsonArray spans, logs;
        for (const auto &s : store->spans(run, id))
            spans.append(s.toJson());
        for (const auto &l : store->logs(run, id))
            logs.append(l.toJson());
        out.insert(u"spans"_s, spans);
        out.insert(u"logs"_s, logs);
        printJson(out, true);
        return Success;
    }
    // prune
    const auto number = [&](const QString &name, int *value) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        *value = parser.value(name).toInt(&ok);
        if (!ok || *value <= 0) {
            printError(u"--%1 takes a positive number"_s.arg(name));
            return false;
        }
        return true;
    };
    int keepRuns = 0, keepDays = 0;
    if (!number(u"keep-runs"_s, &keepRuns) || !number(u"keep-days"_s, &keepDays))
        return Usage;
    if (!keepRuns && !keepDays) {
        printError(u"prune needs --keep-runs N and/or --keep-days D"_s);
        return Usage;
    }
    const int removed = store->applyRetention(keepRuns, keepDays);
    if (json)
        printJson(QJsonObject{{u"removed_runs"_s, removed}});
    else
        printLine(u"removed %1 runs"_s.arg(removed));
    return Success;
}

} // namespace coroute::cli
