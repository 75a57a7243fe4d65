#include "async/sleep.h"
#include "jobs/builtins.h"
#include "plan/plan.h"
#include "plan/planrunner.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"
#include "eventloopchecker.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// What the test routes saw: an event log of (tag, "start"/"end") and the most in flight.
struct Probe
{
    QList<QPair<QString, QString>> events;
    int inFlight = 0;
    int maxInFlight = 0;
    int calls = 0;

    qsizetype indexOf(const QString &tag, const QString &what) const
    {
        return events.indexOf(qMakePair(tag, what));
    }
};

void addTestRoutes(Runtime &rt, Probe &probe)
{
    rt.router()
        .get(u"/t/work"_s,
             [&probe](Context &ctx) -> QCoro::Task<QJsonObject> {
                 const QString tag = ctx.param(u"tag"_s).toString();
                 ++probe.calls;
                 probe.events.append({tag, u"start"_s});
                 probe.maxInFlight = qMax(probe.maxInFlight, ++probe.inFlight);
                 struct Leave // runs when cancelled, too
                 {
                     Probe &p;
                     QString tag;
                     ~Leave()
                     {
                         --p.inFlight;
                         p.events.append({tag, u"end"_s});
                     }
                 } leave{probe, tag};
                 co_await sleep(std::chrono::milliseconds(ctx.param(u"ms"_s).toInteger()), ctx.token());
                 if (ctx.param(u"fail"_s).toBool())
                     throw Error(502, u"work_failed"_s, u"work '%1' failed on purpose"_s.arg(tag));
                 co_return QJsonObject{{u"tag"_s, tag}, {u"ms"_s, ctx.param(u"ms"_s)}};
             })
        .query({.name = u"ms"_s, .type = ParamType::Int, .defaultValue = 5, .minimum = 0})
        .query({.name = u"fail"_s, .type = ParamType::Bool, .defaultValue = false})
        .query({.name = u"tag"_s, .type = ParamType::String, .defaultValue = u""_s});
    rt.router()
        .post(u"/t/echo"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> { co_return ctx.body(); })
        .bodyField({.name = u"value"_s, .type = ParamType::Any, .required = true})
        .bodyField({.name = u"n"_s, .type = ParamType::Int})
        .bodyField({.name = u"text"_s, .type = ParamType::String});
    rt.router().get(u"/t/items/{id:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonObject> {
        co_return QJsonObject{{u"id"_s, ctx.param(u"id"_s)}};
    });
}

QByteArray json(const QString &text)
{
    return text.toUtf8();
}

QStringList locTypes(const QList<PlanError> &errors)
{
    QStringList out;
    for (const auto &e : errors)
        out << e.loc + u' ' + e.type;
    return out;
}

const PlanJobResult *find(const PlanResult &r, const QString &id)
{
    for (const auto &j : r.jobs) {
        if (j.id == id)
            return &j;
    }
    return nullptr;
}

PlanResult runPlan(Runtime &rt, const QString &text, int concurrency = 0, bool *ok = nullptr)
{
    QList<PlanError> errors;
    Plan plan = Plan::parse(json(text), rt.router(), &errors);
    if (!errors.isEmpty()) {
        qWarning().noquote() << QJsonDocument(Plan::errorsToJson(errors)).toJson();
        if (ok)
            *ok = false;
        return {};
    }
    PlanRunner runner(rt, plan);
    runner.setConcurrency(concurrency);
    PlanResult result;
    const bool finished = coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
        result = co_await runner.run();
    }(), 30000);
    if (ok)
        *ok = finished;
    return result;
}

} // namespace

class tst_Plan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validationErrors_data()
    {
        QTest::addColumn<QString>("plan");
        QTest::addColumn<QString>("loc");
        QTest::addColumn<QString>("type");
        const QString ok = uR"({"id": "ok", "route": "GET /t/work"})"_s;
        const auto row = [&](const char *name, const QString &jobs, const QString &loc, const QString &type,
                             const QString &top = QString()) {
            QTest::newRow(name) << u"{%1\"jobs\": [%2]}"_s.arg(top, jobs) << loc << type;
        };
        QTest::newRow("not an object") << u"[1, 2]"_s << QString() << u"object_type"_s;
        QTest::newRow("jobs missing") << u"{\"name\": \"x\"}"_s << u"/jobs"_s << u"missing"_s;
        QTest::newRow("jobs not an array") << u"{\"jobs\": {}}"_s << u"/jobs"_s << u"list_type"_s;
        row("no jobs", QString(), u"/jobs"_s, u"too_short"_s);
        row("unknown top key", ok, u"/colour"_s, u"unknown_key"_s, u"\"colour\": 1, "_s);
        row("concurrency zero", ok, u"/concurrency"_s, u"positive_int"_s, u"\"concurrency\": 0, "_s);
        row("concurrency fraction", ok, u"/concurrency"_s, u"positive_int"_s, u"\"concurrency\": 1.5, "_s);
        row("concurrency string", ok, u"/concurrency"_s, u"positive_int"_s, u"\"concurrency\": \"8\", "_s);
        row("on_failure", ok, u"/on_failure"_s, u"literal_error"_s, u"\"on_failure\": \"explode\", "_s);
        row("defaults not object", ok, u"/defaults"_s, u"object_type"_s, u"\"defaults\": 3, "_s);
        row("defaults unknown key", ok, u"/defaults/retry"_s, u"unknown_key"_s, u"\"defaults\": {\"retry\": 1}, "_s);
        row("job not object", u"\"x\""_s, u"/jobs/0"_s, u"object_type"_s);
        row("job unknown key", uR"({"id": "a", "route": "GET /t/work", "querry": {}})"_s, u"/jobs/0/querry"_s,
            u"unknown_key"_s);
        row("missing id", uR"({"route": "GET /t/work"})"_s, u"/jobs/0/id"_s, u"missing"_s);
        row("id not string", uR"({"id": 3, "route": "GET /t/work"})"_s, u"/jobs/0/id"_s, u"string_type"_s);
        row("invalid id", uR"({"id": "a.b", "route": "GET /t/work"})"_s, u"/jobs/0/id"_s, u"invalid_id"_s);
        row("duplicate id", ok + u", "_s + ok, u"/jobs/1/id"_s, u"duplicate_id"_s);
        row("missing route", uR"({"id": "a"})"_s, u"/jobs/0/route"_s, u"missing"_s);
        row("route syntax", uR"({"id": "a", "route": "/t/work"})"_s, u"/jobs/0/route"_s, u"invalid_route"_s);
        row("unknown method", uR"({"id": "a", "route": "FETCH /t/work"})"_s, u"/jobs/0/route"_s, u"invalid_route"_s);
        row("unknown route", uR"({"id": "a", "route": "GET /t/nope"})"_s, u"/jobs/0/route"_s, u"unknown_route"_s);
        row("wrong method", uR"({"id": "a", "route": "DELETE /t/work"})"_s, u"/jobs/0/route"_s,
            u"method_not_allowed"_s);
        row("422 query", uR"({"id": "a", "route": "GET /t/work", "query": {"ms": "soon"}})"_s, u"/jobs/0/query/ms"_s,
            u"int_parsing"_s);
        row("422 query range", uR"({"id": "a", "route": "GET /t/work", "query": {"ms": -1}})"_s,
            u"/jobs/0/query/ms"_s, u"greater_than_equal"_s);
        row("422 route query string", uR"({"id": "a", "route": "GET /t/work?ms=soon"})"_s, u"/jobs/0/route"_s,
            u"int_parsing"_s);
        row("422 path param", uR"({"id": "a", "route": "GET /t/items/abc"})"_s, u"/jobs/0/route"_s,
            u"int_parsing"_s);
        row("422 body missing", uR"({"id": "a", "route": "POST /t/echo", "body": {"n": 1}})"_s,
            u"/jobs/0/body/value"_s, u"missing"_s);
        row("422 body type", uR"({"id": "a", "route": "POST /t/echo", "body": {"value": 1, "n": "x"}})"_s,
            u"/jobs/0/body/n"_s, u"int_parsing"_s);
        row("query not object", uR"({"id": "a", "route": "GET /t/work", "query": [1]})"_s, u"/jobs/0/query"_s,
            u"object_type"_s);
        row("after not array", ok + uR"(, {"id": "b", "route": "GET /t/work", "after": "ok"})"_s,
            u"/jobs/1/after"_s, u"list_type"_s);
        row("after item not string", ok + uR"(, {"id": "b", "route": "GET /t/work", "after": [1]})"_s,
            u"/jobs/1/after/0"_s, u"string_type"_s);
        row("unknown dependency", ok + uR"(, {"id": "b", "route": "GET /t/work", "after": ["ok", "zz"]})"_s,
            u"/jobs/1/after/1"_s, u"unknown_dependency"_s);
        row("self dependency", uR"({"id": "a", "route": "GET /t/work", "after": ["a"]})"_s, u"/jobs/0/after/0"_s,
            u"dependency_cycle"_s);
        row("cycle", uR"({"id": "a", "route": "GET /t/work", "after": ["c"]},
                        {"id": "b", "route": "GET /t/work", "after": ["a"]},
                        {"id": "c", "route": "GET /t/work", "after": ["b"]})"_s,
            u"/jobs/0/after/0"_s, u"dependency_cycle"_s);
        row("timeout", uR"({"id": "a", "route": "GET /t/work", "timeout_ms": 0})"_s, u"/jobs/0/timeout_ms"_s,
            u"positive_int"_s);
        row("retries not object", uR"({"id": "a", "route": "GET /t/work", "retries": 3})"_s, u"/jobs/0/retries"_s,
            u"object_type"_s);
        row("retries attempts", uR"({"id": "a", "route": "GET /t/work", "retries": {"attempts": 0}})"_s,
            u"/jobs/0/retries/attempts"_s, u"int_range"_s);
        row("retries unknown key", uR"({"id": "a", "route": "GET /t/work", "retries": {"attempts": 2, "tries": 1}})"_s,
            u"/jobs/0/retries/tries"_s, u"unknown_key"_s);
        row("foreach not array", uR"({"id": "a", "route": "GET /t/work", "foreach": "abc"})"_s,
            u"/jobs/0/foreach"_s, u"list_type"_s);
        row("foreach item invalid", uR"({"id": "a", "route": "GET /t/work", "foreach": [1, "x"], "query": {"ms": "${item}"}})"_s,
            u"/jobs/0/query/ms"_s, u"int_parsing"_s);
        row("bad reference", uR"({"id": "a", "route": "GET /t/work", "query": {"tag": "${ok.body}"}})"_s,
            u"/jobs/0/query/tag"_s, u"bad_reference"_s);
        row("unterminated reference", u"{\"id\": \"a\", \"route\": \"GET /t/work\", \"query\": {\"tag\": \"${ok.result\"}}"_s,
            u"/jobs/0/query/tag"_s, u"bad_reference"_s);
        row("item without foreach", uR"({"id": "a", "route": "GET /t/work", "query": {"tag": "${item}"}})"_s,
            u"/jobs/0/query/tag"_s, u"bad_reference"_s);
        row("unknown reference", uR"({"id": "a", "route": "POST /t/echo", "body": {"value": "${zz.result}"}})"_s,
            u"/jobs/0/body/value"_s, u"unknown_reference"_s);
        row("reference to a non-dependency", ok + uR"(, {"id": "b", "route": "POST /t/echo", "body": {"value": ["${ok.result.tag}"]}})"_s,
            u"/jobs/1/body/value/0"_s, u"reference_not_dependency"_s);
        row("reference to itself", uR"({"id": "a", "route": "GET /t/work", "query": {"tag": "${a.result}"}})"_s,
            u"/jobs/0/query/tag"_s, u"reference_not_dependency"_s);
    }
    void validationErrors()
    {
        QFETCH(QString, plan);
        QFETCH(QString, loc);
        QFETCH(QString, type);
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        QList<PlanError> errors;
        Plan::parse(json(plan), rt.router(), &errors);
        const auto found = locTypes(errors);
        QVERIFY2(found.contains(loc + u' ' + type), qPrintable(found.join(u" | "_s)));
        for (const auto &e : std::as_const(errors))
            QVERIFY2(!e.msg.isEmpty(), qPrintable(e.loc));
        QCOMPARE(probe.calls, 0); // validation never runs anything
        QCOMPARE(rt.jobs().count(), 0);
    }

    void malformedJsonHasLineAndColumn()
    {
        Runtime rt;
        QList<PlanError> errors;
        Plan::parse("{\"jobs\": [\n  {\"id\": \"a\",\n   \"route\": \"GET /x\" oops}]}", rt.router(), &errors);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors[0].type, u"json_invalid"_s);
        QCOMPARE(errors[0].loc, QString());
        QVERIFY2(errors[0].msg.contains(u"line 3, column "_s), qPrintable(errors[0].msg));
        errors.clear();
        Plan::parse("{\"jobs\": [1,]}", rt.router(), &errors);
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors[0].msg.contains(u"line 1, column 1"_s), qPrintable(errors[0].msg));
    }

    void everyProblemAtOnce()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        QList<PlanError> errors;
        Plan::parse(json(uR"({"concurrency": -1, "extra": true, "jobs": [
            {"id": "a", "route": "GET /t/work", "query": {"ms": "x", "tag": 5}},
            {"id": "a", "route": "GET /t/missing"},
            {"id": "c", "route": "POST /t/echo", "after": ["d", "nope"], "body": {"value": "${a.result}"}},
            {"id": "d", "route": "GET /t/work", "after": ["c"], "timeout_ms": "soon"}
        ]})"_s),
                    rt.router(), &errors);
        const QStringList expected{
            u"/extra unknown_key"_s,
            u"/concurrency positive_int"_s,
            u"/jobs/1/id duplicate_id"_s,
            u"/jobs/3/timeout_ms positive_int"_s,
            u"/jobs/2/after/1 unknown_dependency"_s,
            u"/jobs/2/after/0 dependency_cycle"_s,
            u"/jobs/0/query/ms int_parsing"_s,
            u"/jobs/0/query/tag string_type"_s,
            u"/jobs/1/route unknown_route"_s,
            u"/jobs/2/body/value reference_not_dependency"_s,
        };
        QCOMPARE(locTypes(errors), expected);
        const auto doc = Plan::errorsToJson(errors);
        QCOMPARE(doc[u"valid"_s].toBool(), false);
        QCOMPARE(doc[u"errors"_s].toArray().size(), expected.size());
        QCOMPARE(doc[u"errors"_s][6][u"loc"_s].toString(), u"/jobs/0/query/ms"_s);
        QVERIFY(errors[5].msg.contains(u"c -> d -> c"_s));
    }

    void referencesStandInAsPlaceholders()
    {
        // Literal values beside references are still validated; the references are not.
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        QList<PlanError> errors;
        const Plan plan = Plan::parse(json(uR"({"defaults": {"timeout_ms": 700, "retries": {"attempts": 2}},
            "jobs": [
            {"id": "a", "route": "GET /t/work"},
            {"id": "b", "route": "GET /t/items/${a.result.ms}", "after": ["a"]},
            {"id": "c", "route": "GET /t/work?ms=${a.result.ms}", "after": ["b"], "query": {"tag": "${b.result.id}", "fail": "${a.result.x}"}},
            {"id": "d", "route": "POST /t/echo", "after": ["a"], "body": "${a.result}", "timeout_ms": 50}
        ]})"_s),
                                      rt.router(), &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(locTypes(errors).join(u" | "_s)));
        QCOMPARE(plan.jobs.size(), 4);
        QCOMPARE(plan.jobs[2].uses, (QStringList{u"a"_s, u"b"_s}));
        QCOMPARE(plan.jobs[0].timeout, std::optional(700ms));
        QCOMPARE(plan.jobs[3].timeout, std::optional(50ms));
        QCOMPARE(plan.jobs[0].retry->attempts, 2);

        Plan::parse(json(uR"({"jobs": [{"id": "a", "route": "GET /t/work"},
            {"id": "b", "route": "GET /t/work", "after": ["a"], "query": {"ms": "${a.result.ms}", "tag": 5}}]})"_s),
                    rt.router(), &errors);
        QCOMPARE(locTypes(errors), QStringList{u"/jobs/1/query/tag string_type"_s});
    }

    void dagOrderIsRespected()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        coroute::test::EventLoopChecker checker;
        const auto r = runPlan(rt, uR"({"concurrency": 8, "jobs": [
            {"id": "d", "route": "GET /t/work?tag=d", "after": ["b", "c"]},
            {"id": "a", "route": "GET /t/work?tag=a&ms=20"},
            {"id": "b", "route": "GET /t/work?tag=b&ms=30", "after": ["a"]},
            {"id": "c", "route": "GET /t/work?tag=c&ms=5", "after": ["a"]},
            {"id": "e", "route": "GET /t/work?tag=e&ms=1"}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QCOMPARE(r.counts.succeeded, 5);
        QVERIFY(r.succeeded());
        QCOMPARE(r.outcome(), u"succeeded"_s);
        const auto at = [&](const char *tag, const char *what) {
            return probe.indexOf(QString::fromLatin1(tag), QString::fromLatin1(what));
        };
        QVERIFY(at("a", "end") < at("b", "start"));
        QVERIFY(at("a", "end") < at("c", "start"));
        QVERIFY(at("b", "end") < at("d", "start"));
        QVERIFY(at("c", "end") < at("d", "start"));
        QVERIFY(at("e", "start") < at("a", "end")); // independent: runs at once
        QVERIFY(probe.maxInFlight >= 2);
        QVERIFY(checker.ticks() > 0);
        // Every plan job became one runtime job, in the registry with the plan's params.
        QCOMPARE(rt.jobs().count(), 5);
        QCOMPARE(rt.jobs().job(find(r, u"b"_s)->job)->params[u"tag"_s].toString(), u"b"_s);
    }

    void concurrencyBoundIsNeverExceeded_data()
    {
        QTest::addColumn<int>("planConcurrency");
        QTest::addColumn<int>("override");
        QTest::addColumn<int>("expected");
        QTest::newRow("plan 3") << 3 << 0 << 3;
        QTest::newRow("override 2") << 6 << 2 << 2;
        QTest::newRow("one at a time") << 4 << 1 << 1;
    }
    void concurrencyBoundIsNeverExceeded()
    {
        QFETCH(int, planConcurrency);
        QFETCH(int, override);
        QFETCH(int, expected);
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        const auto r = runPlan(rt, uR"({"concurrency": %1, "jobs": [
            {"id": "many", "route": "GET /t/work", "foreach": [1,2,3,4,5,6,7,8,9,10], "query": {"tag": "m${item}", "ms": 15}},
            {"id": "more", "route": "GET /t/work?tag=x&ms=10"},
            {"id": "last", "route": "GET /t/work?tag=y&ms=1", "after": ["many"]}
        ]})"_s.arg(planConcurrency), override, &ok);
        QVERIFY(ok);
        QCOMPARE(r.counts.total, 12);
        QCOMPARE(r.counts.succeeded, 12);
        QCOMPARE(probe.maxInFlight, expected); // reached, never exceeded
        QCOMPARE(find(r, u"many[9]"_s)->result[u"tag"_s].toString(), u"m10"_s);
        QVERIFY(probe.indexOf(u"y"_s, u"start"_s) > probe.indexOf(u"m10"_s, u"end"_s));
    }

    void failFastCancelsTheRest()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        const auto r = runPlan(rt, uR"({"concurrency": 2, "on_failure": "fail_fast", "jobs": [
            {"id": "long", "route": "GET /t/work?tag=long&ms=20000"},
            {"id": "bad", "route": "GET /t/work?tag=bad&ms=10&fail=true"},
            {"id": "queued", "route": "GET /t/work?tag=queued&ms=1"},
            {"id": "child", "route": "GET /t/work?tag=child", "after": ["long"]}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QCOMPARE(find(r, u"bad"_s)->state, PlanJobState::Failed);
        QCOMPARE(find(r, u"bad"_s)->error.type, u"work_failed"_s);
        const auto *longJob = find(r, u"long"_s);
        QCOMPARE(longJob->state, PlanJobState::Cancelled);
        QCOMPARE(rt.jobs().job(longJob->job)->cancelReason, CancelReason::SiblingFailed);
        QCOMPARE(rt.jobs().job(longJob->job)->cancelledBy, u"plan"_s);
        QCOMPARE(find(r, u"queued"_s)->state, PlanJobState::Cancelled);
        QCOMPARE(find(r, u"queued"_s)->job, JobId(0)); // never started
        QCOMPARE(find(r, u"child"_s)->state, PlanJobState::Cancelled);
        QCOMPARE(probe.indexOf(u"queued"_s, u"start"_s), -1);
        QCOMPARE(r.counts.failed, 1);
        QCOMPARE(r.counts.cancelled, 3);
        QCOMPARE(r.outcome(), u"failed"_s);
        QCOMPARE(probe.inFlight, 0);
    }

    void continueRunsIndependentJobsAndSkipsDependents()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        QList<QString> finishedOrder;
        const auto r = runPlan(rt, uR"({"concurrency": 2, "jobs": [
            {"id": "bad", "route": "GET /t/work?tag=bad&fail=true"},
            {"id": "dep", "route": "GET /t/work?tag=dep", "after": ["bad"]},
            {"id": "depdep", "route": "GET /t/work?tag=depdep", "after": ["dep"]},
            {"id": "free1", "route": "GET /t/work?tag=free1&ms=20"},
            {"id": "free2", "route": "GET /t/work?tag=free2", "after": ["free1"]}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QCOMPARE(find(r, u"bad"_s)->state, PlanJobState::Failed);
        QCOMPARE(find(r, u"dep"_s)->state, PlanJobState::Skipped);
        QCOMPARE(find(r, u"dep"_s)->error.type, u"dependency_failed"_s);
        QCOMPARE(find(r, u"depdep"_s)->state, PlanJobState::Skipped);
        QCOMPARE(find(r, u"dep"_s)->job, JobId(0));
        QCOMPARE(find(r, u"free1"_s)->state, PlanJobState::Succeeded);
        QCOMPARE(find(r, u"free2"_s)->state, PlanJobState::Succeeded);
        QCOMPARE(r.counts.skipped, 2);
        QCOMPARE(r.counts.failed, 1);
        QCOMPARE(r.counts.succeeded, 2);
        QCOMPARE(rt.jobs().count(), 3); // skipped jobs were never submitted
        QCOMPARE(probe.indexOf(u"dep"_s, u"start"_s), -1);
    }

    void referencesAndForeachSubstitute()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        const auto r = runPlan(rt, uR"({"jobs": [
            {"id": "sq", "route": "GET /t/work?tag=t${item}", "foreach": [1, 2, 3], "query": {"ms": "${item}"}},
            {"id": "one", "route": "GET /t/items/${sq.result.2.ms}", "after": ["sq"]},
            {"id": "echo", "route": "POST /t/echo", "after": ["one"],
             "body": {"value": {"all": "${sq.result}", "id": "${one.result.id}", "flag": "${sq.result.0.tag}"},
                      "n": "${sq.result.1.ms}", "text": "ms=${sq.result.0.ms} of ${one.result}, cost $${not a ref}"}},
            {"id": "objs", "route": "POST /t/echo", "foreach": [{"k": "a", "v": [1]}, {"k": "b", "v": [2]}],
             "body": {"value": "${item.v}", "text": "${item.k}-${item.v.0}"}}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QVERIFY2(r.succeeded(), QJsonDocument(r.toJson()).toJson().constData());
        QCOMPARE(find(r, u"sq[1]"_s)->result[u"tag"_s].toString(), u"t2"_s);
        QCOMPARE(find(r, u"sq[1]"_s)->index, 1);
        QCOMPARE(find(r, u"sq[1]"_s)->planJob, u"sq"_s);
        QCOMPARE(find(r, u"one"_s)->result[u"id"_s].toInt(), 3);
        const auto echo = find(r, u"echo"_s)->result.toObject();
        const auto value = echo[u"value"_s].toObject();
        QVERIFY(value[u"all"_s].isArray()); // a whole-value reference keeps its type
        QCOMPARE(value[u"all"_s].toArray().size(), 3);
        QCOMPARE(value[u"all"_s][2][u"tag"_s].toString(), u"t3"_s);
        QVERIFY(value[u"id"_s].isDouble());
        QCOMPARE(value[u"id"_s].toInt(), 3);
        QCOMPARE(value[u"flag"_s].toString(), u"t1"_s);
        QVERIFY(echo[u"n"_s].isDouble());
        QCOMPARE(echo[u"n"_s].toInt(), 2);
        QCOMPARE(echo[u"text"_s].toString(), u"ms=1 of {\"id\":3}, cost ${not a ref}"_s);
        QCOMPARE(find(r, u"objs[1]"_s)->result[u"value"_s].toArray(), QJsonArray{2});
        QCOMPARE(find(r, u"objs[0]"_s)->result[u"text"_s].toString(), u"a-1"_s);
    }

    void badReferenceAtRunTimeFailsTheJob()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        const auto r = runPlan(rt, uR"({"jobs": [
            {"id": "a", "route": "GET /t/work?tag=a"},
            {"id": "b", "route": "POST /t/echo", "after": ["a"], "body": {"value": "${a.result.nope}"}},
            {"id": "c", "route": "GET /t/items/${a.result.tag}", "after": ["a"]}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QCOMPARE(find(r, u"b"_s)->state, PlanJobState::Failed);
        QCOMPARE(find(r, u"b"_s)->error.type, u"reference_error"_s);
        QVERIFY2(find(r, u"b"_s)->error.message.contains(u"no key 'nope'"_s), qPrintable(find(r, u"b"_s)->error.message));
        // The substituted call is refused by the router: 422, the job fails without running.
        QCOMPARE(find(r, u"c"_s)->state, PlanJobState::Failed);
        QCOMPARE(find(r, u"c"_s)->error.status, 422);
        QCOMPARE(rt.jobs().count(), 1);
    }

    void timeoutsAndRetriesReachTheRuntime()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        bool ok = false;
        const auto r = runPlan(rt, uR"({"defaults": {"retries": {"attempts": 3, "backoff_ms": 1, "max_backoff_ms": 2}},
            "jobs": [
            {"id": "slow", "route": "GET /t/work?tag=slow&ms=20000", "timeout_ms": 30, "retries": {"attempts": 1}},
            {"id": "flaky", "route": "GET /t/work?tag=flaky&fail=true&ms=1"},
            {"id": "fine", "route": "GET /t/work?tag=fine&ms=1"}
        ]})"_s, 0, &ok);
        QVERIFY(ok);
        QCOMPARE(find(r, u"slow"_s)->state, PlanJobState::TimedOut);
        QCOMPARE(find(r, u"slow"_s)->attempts, 1);
        QCOMPARE(find(r, u"flaky"_s)->state, PlanJobState::Failed);
        QCOMPARE(find(r, u"flaky"_s)->attempts, 3);
        QCOMPARE(probe.events.count(qMakePair(u"flaky"_s, u"start"_s)), 3);
        QCOMPARE(find(r, u"fine"_s)->attempts, 1);
        QCOMPARE(r.counts.failed, 2);
    }

    void examplePlansValidate()
    {
        // The plans shipped in resources/examples stay valid against the built-in routes,
        // and invalid.json shows many kinds of problem at once.
        const QDir examples(QStringLiteral(QT_TESTCASE_SOURCEDIR) + u"/../../resources/examples"_s);
        const auto files = examples.entryList({u"*.json"_s}, QDir::Files, QDir::Name);
        QVERIFY2(files.size() >= 6, qPrintable(examples.path()));
        Runtime rt;
        registerBuiltins(rt, {{examples.filePath(u"data"_s)}});
        for (const auto &name : files) {
            QFile f(examples.filePath(name));
            QVERIFY(f.open(QIODevice::ReadOnly));
            QList<PlanError> errors;
            const Plan plan = Plan::parse(f.readAll(), rt.router(), &errors);
            if (name == u"invalid.json"_s) {
                QSet<QString> types;
                for (const auto &e : std::as_const(errors))
                    types.insert(e.type);
                QVERIFY2(types.size() >= 8, qPrintable(locTypes(errors).join(u" | "_s)));
            } else {
                QVERIFY2(errors.isEmpty(), qPrintable(name + u": "_s + locTypes(errors).join(u" | "_s)));
                QVERIFY(!plan.jobs.isEmpty());
            }
        }
        QCOMPARE(rt.jobs().count(), 0);
    }

    void cancelStopsEverything()
    {
        Runtime rt;
        Probe probe;
        addTestRoutes(rt, probe);
        QList<PlanError> errors;
        const Plan plan = Plan::parse(json(uR"({"concurrency": 2, "jobs": [
            {"id": "s", "route": "GET /t/work", "foreach": [1, 2, 3, 4], "query": {"tag": "s${item}", "ms": 20000}},
            {"id": "after", "route": "GET /t/work?tag=after", "after": ["s"]}
        ]})"_s),
                                      rt.router(), &errors);
        QVERIFY(errors.isEmpty());
        PlanRunner runner(rt, plan);
        QSignalSpy started(&runner, &PlanRunner::jobStarted);
        QSignalSpy finished(&runner, &PlanRunner::jobFinished);
        std::stop_source stop;
        PlanResult result;
        int pendingAtStop = -1;
        connect(&runner, &PlanRunner::jobStarted, &runner, [&] {
            if (runner.counts().running == 2) {
                pendingAtStop = runner.counts().pending;
                stop.request_stop(); // acted on later, on the runner's thread
            }
        });
        QVERIFY(coroute::test::runCoroutine([&]() -> QCoro::Task<void> {
            result = co_await runner.run(stop.get_token());
        }(), 30000));
        QCOMPARE(pendingAtStop, 3);
        QVERIFY(result.cancelled);
        QCOMPARE(result.outcome(), u"cancelled"_s);
        QCOMPARE(result.counts.cancelled, 5);
        QCOMPARE(started.size(), 2);
        QCOMPARE(finished.size(), 5); // exactly once per instance
        QCOMPARE(probe.inFlight, 0);
        QCOMPARE(rt.jobs().job(find(result, u"s[0]"_s)->job)->state, JobState::Cancelled);
    }
};

QTEST_GUILESS_MAIN(tst_Plan)
#include "tst_plan.moc"
