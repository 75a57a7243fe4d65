#include "async/combinators.h"
#include "async/sleep.h"
#include "runtime/runtime.h"
#include "trace/chrometrace.h"
#include "trace/otlp.h"
#include "trace/tracefile.h"

#include "coroutinetest.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <QThread>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace coroute {
inline char *toString(SpanStatus v) { return qstrdup(qPrintable(nameOf(v))); }
} // namespace coroute

namespace {

CallRequest get(const QString &path)
{
    return {u"GET"_s, path, {}, QJsonValue(QJsonValue::Undefined)};
}

/// What one run of the scenario produced, collected from the change sets.
struct Recorded
{
    QList<SpanData> spans;
    QList<JobInfo> jobs;
    JobId tree = 0;      ///< GET /top: spans, a child call, gather over two calls, a pool call
    JobId cancelled = 0; ///< GET /slow, cancelled by "tester" while it ran
    JobId queued = 0;    ///< GET /leaf/9, waited for the global permit /slow held
    JobId blocking = 0;  ///< GET /block, blocked the loop past the threshold
    bool complete = false; ///< every job ended and every span arrived in time

    QList<SpanData> ofJob(JobId job) const
    {
        QList<SpanData> out;
        for (const auto &s : spans) {
            if (s.job == job)
                out.append(s);
        }
        return out;
    }
    std::optional<SpanData> named(const QString &name, JobId job = 0) const
    {
        for (const auto &s : spans) {
            if (s.name == name && (!job || s.job == job))
                return s;
        }
        return std::nullopt;
    }
    std::optional<SpanData> root(JobId job) const
    {
        QSet<quint64> ids;
        for (const auto &s : spans) {
            if (s.job == job)
                ids.insert(s.spanId);
        }
        for (const auto &s : spans) {
            if (s.job == job && !ids.contains(s.parentId))
                return s;
        }
        return std::nullopt;
    }
    std::optional<JobInfo> job(JobId id) const
    {
        for (const auto &j : jobs) {
            if (j.id == id)
                return j;
        }
        return std::nullopt;
    }
};

void addRoutes(Runtime &rt, std::atomic<bool> &slowStarted)
{
    rt.router().get(u"/leaf/{n:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
        auto s = ctx.span(u"leaf-work"_s);
        co_await sleep(2ms, ctx.token());
        co_return QJsonValue(ctx.param(u"n"_s).toInteger());
    });
    rt.router().get(u"/crunch"_s, [](Context &ctx) {
        auto s = ctx.span(u"crunch"_s, {{u"rounds"_s, 3}});
        qint64 sum = 0;
        for (int i = 0; i < 1000; ++i)
            sum += i;
        s.setAttribute(u"sum"_s, sum);
        return QJsonValue(sum);
    });
    rt.router().get(u"/top"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
        {
            auto s = ctx.span(u"prepare"_s);
            s.setAttribute(u"items"_s, 2);
            s.setAttribute(u"ratio"_s, 0.5);
            s.setAttribute(u"flag"_s, true);
            s.setAttribute(u"tags"_s, QJsonArray{u"a"_s, 1});
            s.setAttribute(u"nested"_s, QJsonObject{{u"k"_s, u"v"_s}});
            co_await sleep(1ms, ctx.token());
            ctx.log(u"prepared"_s);
        }
        qint64 total = 0;
        {
            auto s = ctx.span(u"single"_s);
            const auto v = co_await ctx.call(u"GET"_s, u"/leaf/1"_s);
            total += v.toInteger();
        }
        {
            auto s = ctx.span(u"fanout"_s);
            std::vector<Work<QJsonValue>> work;
            for (const auto &path : {u"/leaf/2"_s, u"/leaf/3"_s}) {
                work.push_back([&ctx, path](std::stop_token token) -> QCoro::Task<QJsonValue> {
                    return ctx.call(u"GET"_s, path, {}, QJsonValue(QJsonValue::Undefined), std::move(token));
                });
            }
            const auto values = co_await gather<QJsonValue>(std::move(work), ctx.token());
            for (const auto &v : values)
                total += v.toInteger();
        }
        const auto crunched = co_await ctx.call(u"GET"_s, u"/crunch"_s);
        total += crunched.toInteger();
        co_return QJsonValue(total);
    });
    rt.router().get(u"/slow"_s, [&slowStarted](Context &ctx) -> QCoro::Task<void> {
        auto s = ctx.span(u"waiting"_s);
        slowStarted = true;
        co_await sleep(60s, ctx.token());
    });
    rt.router().get(u"/block"_s, [](Context &ctx) -> QCoro::Task<void> {
        co_await sleep(1ms, ctx.token());
        // Deliberately blocks the loop (bounded) so the runtime reports it.
        QThread::msleep(40);
    });
}

/// Runs every scenario job through one Runtime and returns the spans and jobs its change sets
/// carried.
Recorded record()
{
    Recorded r;
    Runtime rt;
    rt.setBlockingThreshold(10ms);
    QHash<JobId, JobInfo> latest;
    QObject::connect(&rt.jobs(), &JobRegistry::changed, &rt, [&](const ChangeSet &cs) {
        r.spans.append(cs.spans);
        for (const auto &j : cs.jobs)
            latest.insert(j.id, j);
    });
    std::atomic<bool> slowStarted{false};
    addRoutes(rt, slowStarted);

    r.tree = rt.submit(get(u"/top"_s)).id;
    r.blocking = rt.submit(get(u"/block"_s)).id;
    if (!QTest::qWaitFor([&] { return rt.jobs().activeCount() == 0; }, 20000))
        return r;

    rt.setGlobalLimit(1);
    r.cancelled = rt.submit(get(u"/slow"_s)).id;
    if (!QTest::qWaitFor([&] { return slowStarted.load(); }, 20000))
        return r;
    r.queued = rt.submit(get(u"/leaf/9"_s)).id;
    rt.cancel(r.cancelled, CancelReason::User, u"tester"_s);
    if (!QTest::qWaitFor([&] { return rt.jobs().activeCount() == 0; }, 20000))
        return r;
    // Pool spans are delivered through queued calls: flush until every root span arrived.
    r.complete = QTest::qWaitFor([&] {
        rt.jobs().flush();
        for (auto it = latest.constBegin(); it != latest.constEnd(); ++it) {
            if (!r.root(it.key()))
                return false;
        }
        return r.named(u"crunch"_s).has_value();
    }, 10000);
    rt.jobs().flush();
    r.jobs = latest.values();
    return r;
}

bool isLowerHex(const QString &s, int length)
{
    static const QRegularExpression re(u"^[0-9a-f]+$"_s);
    return s.size() == length && re.match(s).hasMatch();
}

bool isDecimal(const QJsonValue &v)
{
    static const QRegularExpression re(u"^-?[0-9]+$"_s);
    return v.isString() && re.match(v.toString()).hasMatch();
}

QString chromeTrackKey(const QJsonObject &e)
{
    const auto id = e.contains(u"id2"_s) ? e.value(u"id2"_s).toObject().value(u"local"_s).toString()
                                         : e.value(u"id"_s).toString();
    return e.value(u"cat"_s).toString() + u'|' + id;
}

/// Checks the Chrome trace format rules; returns the failure or an empty string.
QString chromeProblem(const QJsonObject &doc, int expectedSlices)
{
    if (doc.value(u"displayTimeUnit"_s).toString() != u"ms"_s)
        return u"displayTimeUnit"_s;
    if (!doc.value(u"otherData"_s).isObject())
        return u"otherData"_s;
    const auto events = doc.value(u"traceEvents"_s).toArray();
    bool processName = false;
    QSet<QString> threadNames;
    double lastTs = -1;
    QHash<QString, QList<QJsonObject>> open; // per track: the stack of open slices
    int slices = 0;
    for (const auto &v : events) {
        const auto e = v.toObject();
        const auto ph = e.value(u"ph"_s).toString();
        if (!e.value(u"pid"_s).isDouble())
            return u"no pid: "_s + QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact));
        if (ph == u"M"_s) {
            if (e.value(u"name"_s) == u"process_name"_s && e.value(u"args"_s)[u"name"_s] == u"coroute"_s)
                processName = true;
            if (e.value(u"name"_s) == u"thread_name"_s)
                threadNames.insert(e.value(u"args"_s)[u"name"_s].toString() + u'='
                                   + QString::number(e.value(u"tid"_s).toInt()));
            continue;
        }
        if (!e.value(u"ts"_s).isDouble() || !e.value(u"tid"_s).isDouble() || e.value(u"name"_s).toString().isEmpty())
            return u"event without ts/tid/name"_s;
        const double ts = e.value(u"ts"_s).toDouble();
        if (ts < lastTs)
            return u"events not sorted by ts at %1"_s.arg(ts);
        lastTs = ts;
        if (ph == u"b"_s || ph == u"e"_s || ph == u"n"_s) {
            if (e.value(u"cat"_s).toString() != u"coroute"_s || chromeTrackKey(e).endsWith(u'|'))
                return u"async event without cat or id"_s;
        }
        if (ph == u"b"_s) {
            ++slices;
            open[chromeTrackKey(e)].append(e);
        } else if (ph == u"e"_s) {
            auto &stack = open[chromeTrackKey(e)];
            if (stack.isEmpty())
                return u"'e' without 'b': "_s + e.value(u"name"_s).toString();
            const auto b = stack.takeLast();
            if (b.value(u"name"_s) != e.value(u"name"_s))
                return u"'e' %1 closes 'b' %2"_s.arg(e.value(u"name"_s).toString(), b.value(u"name"_s).toString());
            if (e.value(u"ts"_s).toDouble() < b.value(u"ts"_s).toDouble())
                return u"'e' before its 'b'"_s;
        } else if (ph == u"i"_s) {
            if (e.value(u"s"_s).toString() != u"t"_s)
                return u"'i' without scope"_s;
        } else if (ph != u"n"_s) {
            return u"unexpected ph "_s + ph;
        }
    }
    for (auto it = open.constBegin(); it != open.constEnd(); ++it) {
        if (!it.value().isEmpty())
            return u"unclosed slice on "_s + it.key();
    }
    if (!processName)
        return u"no process_name metadata"_s;
    if (!threadNames.contains(u"loop=1"_s))
        return u"no thread_name loop"_s;
    if (slices != expectedSlices)
        return u"%1 slices for %2 spans"_s.arg(slices).arg(expectedSlices);
    return {};
}

QString anyValueProblem(const QJsonValue &value);

QString keyValuesProblem(const QJsonValue &list)
{
    if (!list.isArray())
        return u"attributes not a list"_s;
    for (const auto &kv : list.toArray()) {
        if (kv[u"key"_s].toString().isEmpty())
            return u"attribute without key"_s;
        if (auto p = anyValueProblem(kv[u"value"_s]); !p.isEmpty())
            return kv[u"key"_s].toString() + u": "_s + p;
    }
    return {};
}

QString anyValueProblem(const QJsonValue &value)
{
    const auto o = value.toObject();
    if (!value.isObject() || o.size() != 1)
        return u"AnyValue must have exactly one field"_s;
    const auto key = o.constBegin().key();
    const auto v = o.constBegin().value();
    if (key == u"stringValue"_s)
        return v.isString() ? QString() : u"stringValue not a string"_s;
    if (key == u"boolValue"_s)
        return v.isBool() ? QString() : u"boolValue not a bool"_s;
    if (key == u"intValue"_s)
        return isDecimal(v) ? QString() : u"intValue not a decimal string"_s;
    if (key == u"doubleValue"_s)
        return v.isDouble() ? QString() : u"doubleValue not a number"_s;
    if (key == u"arrayValue"_s) {
        for (const auto &item : v[u"values"_s].toArray()) {
            if (auto p = anyValueProblem(item); !p.isEmpty())
                return p;
        }
        return v[u"values"_s].isArray() ? QString() : u"arrayValue without values"_s;
    }
    if (key == u"kvlistValue"_s)
        return keyValuesProblem(v[u"values"_s]);
    return u"unknown AnyValue field "_s + key;
}

/// Checks the OTLP/JSON rules; returns the failure or an empty string.
QString otlpProblem(const QJsonObject &doc, int expectedSpans)
{
    const auto resourceSpans = doc.value(u"resourceSpans"_s).toArray();
    if (resourceSpans.size() != 1)
        return u"resourceSpans"_s;
    const auto rs = resourceSpans.at(0).toObject();
    const auto resAttrs = rs[u"resource"_s][u"attributes"_s];
    if (auto p = keyValuesProblem(resAttrs); !p.isEmpty())
        return p;
    if (resAttrs[0][u"key"_s] != u"service.name"_s || resAttrs[0][u"value"_s][u"stringValue"_s] != u"coroute"_s)
        return u"service.name"_s;
    const auto scopeSpans = rs[u"scopeSpans"_s].toArray();
    if (scopeSpans.size() != 1 || scopeSpans[0][u"scope"_s][u"name"_s] != u"coroute"_s
        || scopeSpans[0][u"scope"_s][u"version"_s].toString().isEmpty())
        return u"scope"_s;
    const auto spans = scopeSpans[0][u"spans"_s].toArray();
    if (spans.size() != expectedSpans)
        return u"%1 spans, expected %2"_s.arg(spans.size()).arg(expectedSpans);
    QSet<QString> ids;
    for (const auto &s : spans)
        ids.insert(s[u"spanId"_s].toString());
    if (ids.size() != spans.size())
        return u"duplicate span ids"_s;
    for (const auto &v : spans) {
        const auto s = v.toObject();
        const auto name = s.value(u"name"_s).toString();
        if (name.isEmpty())
            return u"span without name"_s;
        if (!isLowerHex(s.value(u"traceId"_s).toString(), 32) || !isLowerHex(s.value(u"spanId"_s).toString(), 16))
            return name + u": bad ids"_s;
        if (s.contains(u"parentSpanId"_s)) {
            const auto parent = s.value(u"parentSpanId"_s).toString();
            if (!parent.isEmpty() && (!isLowerHex(parent, 16) || !ids.contains(parent)))
                return name + u": parentSpanId not in the document"_s;
        }
        if (s.value(u"kind"_s).toInt() != 1)
            return name + u": kind"_s;
        const auto start = s.value(u"startTimeUnixNano"_s), end = s.value(u"endTimeUnixNano"_s);
        if (!isDecimal(start) || !isDecimal(end) || end.toString().toLongLong() < start.toString().toLongLong())
            return name + u": times"_s;
        const int code = s.value(u"status"_s)[u"code"_s].toInt(-1);
        if (code < 0 || code > 2)
            return name + u": status code"_s;
        if (auto p = keyValuesProblem(s.value(u"attributes"_s)); !p.isEmpty())
            return name + u": "_s + p;
        for (const auto &ev : s.value(u"events"_s).toArray()) {
            if (!isDecimal(ev[u"timeUnixNano"_s]) || ev[u"name"_s].toString().isEmpty())
                return name + u": event"_s;
            if (ev.toObject().contains(u"attributes"_s)) {
                if (auto p = keyValuesProblem(ev[u"attributes"_s]); !p.isEmpty())
                    return name + u": event: "_s + p;
            }
        }
    }
    return {};
}

QJsonObject otlpSpan(const QJsonObject &doc, const QString &name)
{
    for (const auto &s : doc[u"resourceSpans"_s][0][u"scopeSpans"_s][0][u"spans"_s].toArray()) {
        if (s[u"name"_s] == name)
            return s.toObject();
    }
    return {};
}

QJsonValue otlpAttribute(const QJsonObject &span, const QString &key)
{
    for (const auto &kv : span.value(u"attributes"_s).toArray()) {
        if (kv[u"key"_s] == key)
            return kv[u"value"_s];
    }
    return QJsonValue(QJsonValue::Undefined);
}

SpanData makeSpan(JobId job, quint64 id, quint64 parent, const QString &name, qint64 start, qint64 end)
{
    SpanData s;
    s.traceId = TraceId::fromBytes(QByteArray(16, '\x2a'));
    s.spanId = id;
    s.parentId = parent;
    s.job = job;
    s.name = name;
    s.startNs = start;
    s.endNs = end;
    s.status = SpanStatus::Ok;
    s.thread = u"loop"_s;
    return s;
}

} // namespace

class tst_Trace : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void traceIdRoundTrips()
    {
        const QByteArray bytes = QByteArray::fromHex("0123456789abcdeffedcba9876543210");
        const auto id = TraceId::fromBytes(bytes);
        QVERIFY(!id.isNull());
        QCOMPARE(id.toBytes(), bytes);
        QCOMPARE(id.toHex(), u"0123456789abcdeffedcba9876543210"_s);
        QCOMPARE(TraceId::fromHex(u"0123456789ABCDEFFEDCBA9876543210"_s), id);
        QCOMPARE(TraceId::fromHex(id.toHex()), id);
        QVERIFY(TraceId::fromBytes(bytes.left(15)).isNull());
        QCOMPARE(TraceId().toHex(), QString());
        QCOMPARE(TraceId().toBytes(), QByteArray(16, '\0'));
    }

    void traceIdFromHexRefusesAnythingButThirtyTwoDigits_data()
    {
        QTest::addColumn<QString>("hex");
        QTest::newRow("empty") << QString();
        QTest::newRow("short") << u"0123456789abcdef0123456789abcde"_s;
        QTest::newRow("long") << u"0123456789abcdef0123456789abcdef0"_s;
        QTest::newRow("not hex") << u"0123456789abcdef0123456789abcdeg"_s;
        QTest::newRow("0x prefix") << u"0x23456789abcdef0123456789abcdef"_s;
        QTest::newRow("sign") << u"+123456789abcdef+123456789abcdef"_s;
        QTest::newRow("space") << u" 123456789abcdef0123456789abcdef"_s;
    }
    void traceIdFromHexRefusesAnythingButThirtyTwoDigits()
    {
        QFETCH(QString, hex);
        QVERIFY(TraceId::fromHex(hex).isNull());
    }

    void randomTraceIdsDiffer()
    {
        QSet<QString> seen;
        for (int i = 0; i < 1000; ++i) {
            const auto id = TraceId::random();
            QVERIFY(!id.isNull());
            QCOMPARE(id.toHex().size(), 32);
            seen.insert(id.toHex());
        }
        QCOMPARE(seen.size(), 1000);
    }

    void spanIdHexIsSixteenLowerCaseDigits()
    {
        QCOMPARE(SpanData::idHex(0), QString());
        QCOMPARE(SpanData::idHex(1), u"0000000000000001"_s);
        QCOMPARE(SpanData::idHex(0xfedcba9876543210ull), u"fedcba9876543210"_s);
        QCOMPARE(SpanData::idFromHex(SpanData::idHex(0xfedcba9876543210ull)), 0xfedcba9876543210ull);
    }

    void runtimeSpansNest()
    {
        const auto r = record();
        QVERIFY(r.complete);
        // /top, /leaf/1, /leaf/2, /leaf/3, /crunch, /block, /slow, /leaf/9
        QCOMPARE(r.jobs.size(), 8);
        for (const auto &j : r.jobs)
            QVERIFY2(r.root(j.id).has_value(), qPrintable(u"no root span for "_s + j.displayName()));

        QHash<quint64, SpanData> byId;
        for (const auto &s : r.spans) {
            QVERIFY(s.spanId != 0);
            QVERIFY2(!byId.contains(s.spanId), "span ids are unique");
            byId.insert(s.spanId, s);
        }
        for (const auto &s : r.spans) {
            QVERIFY2(s.endNs >= s.startNs, qPrintable(s.name));
            if (!s.parentId)
                continue;
            QVERIFY2(byId.contains(s.parentId), qPrintable(u"parent of %1 missing"_s.arg(s.name)));
            const auto &p = byId[s.parentId];
            QCOMPARE(s.traceId, p.traceId);
            QVERIFY2(s.startNs >= p.startNs && s.endNs <= p.endNs,
                     qPrintable(u"%1 outside its parent %2"_s.arg(s.name, p.name)));
        }

        // The whole /top tree shares one trace; separate top-level jobs have their own.
        const auto top = *r.root(r.tree);
        QCOMPARE(top.name, u"GET /top"_s);
        QCOMPARE(top.parentId, quint64(0));
        QCOMPARE(top.status, SpanStatus::Ok);
        QCOMPARE(top.attribute(u"coroute.job_id"_s).toInteger(), qint64(r.tree));
        QCOMPARE(top.attribute(u"coroute.state"_s).toString(), u"succeeded"_s);
        const auto prepare = *r.named(u"prepare"_s, r.tree);
        QCOMPARE(prepare.events.size(), 1); // ctx.log() lands in the innermost open span
        QCOMPARE(prepare.events.front().name, u"log"_s);
        QCOMPARE(prepare.events.front().attributes.value(u"message"_s).toString(), u"prepared"_s);
        QVERIFY(r.root(r.cancelled)->traceId != top.traceId);
        int inTree = 0;
        for (const auto &s : r.spans)
            inTree += s.traceId == top.traceId;
        QCOMPARE(inTree, 1 + 3 + 3 * 2 + 2); // root, prepare/single/fanout, 3 leaves + spans, crunch

        // Child job roots hang below the span that was open when they were called.
        const auto single = *r.named(u"single"_s, r.tree), fanout = *r.named(u"fanout"_s, r.tree);
        for (const auto &j : r.jobs) {
            if (j.parent != r.tree)
                continue;
            const auto root = *r.root(j.id);
            if (j.path == u"/leaf/1"_s)
                QCOMPARE(root.parentId, single.spanId);
            else if (j.path == u"/crunch"_s)
                QCOMPARE(root.parentId, top.spanId);
            else
                QCOMPARE(root.parentId, fanout.spanId);
            QCOMPARE(r.named(u"leaf-work"_s, j.id).value_or(SpanData{}).parentId,
                     j.path == u"/crunch"_s ? 0u : root.spanId);
        }

        // A sync handler's span is opened on the pool; everything else ran on the loop.
        const auto crunch = *r.named(u"crunch"_s);
        QCOMPARE(crunch.thread, u"pool"_s);
        QCOMPARE(crunch.attributes.value(u"sum"_s).toInteger(), 499500);
        QCOMPARE(r.root(crunch.job)->thread, u"loop"_s);
        QCOMPARE(single.thread, u"loop"_s);

        // The cancelled job: root cancelled with reason, event, and its inner span cancelled too.
        const auto slow = *r.root(r.cancelled);
        QCOMPARE(slow.status, SpanStatus::Cancelled);
        QCOMPARE(slow.attribute(u"cancel.reason"_s).toString(), u"user"_s);
        QCOMPARE(slow.attribute(u"cancel.requested_by"_s).toString(), u"tester"_s);
        QVERIFY(std::any_of(slow.events.begin(), slow.events.end(),
                            [](const SpanEvent &e) { return e.name == u"cancel_requested"_s; }));
        QCOMPARE(r.named(u"waiting"_s, r.cancelled)->status, SpanStatus::Cancelled);

        // The job that waited for the global permit has a "queued" span before its work.
        const auto queued = r.named(u"queued"_s, r.queued);
        QVERIFY(queued.has_value());
        QCOMPARE(queued->parentId, r.root(r.queued)->spanId);
        QVERIFY(queued->endNs <= r.named(u"leaf-work"_s, r.queued)->startNs);
        QVERIFY(r.job(r.queued)->queuedMs >= 0);

        // The loop-blocking job carries a loop_blocked event.
        const auto block = *r.root(r.blocking);
        QVERIFY(std::any_of(block.events.begin(), block.events.end(),
                            [](const SpanEvent &e) { return e.name == u"loop_blocked"_s; }));
    }

    // A root span keeps its job's facts typed; every reader must see them as attributes, the
    // same way, and a span's own attributes must survive next to them.
    void rootSpanFactsReadAsAttributes()
    {
        const auto r = record();
        QVERIFY(r.complete);
        const auto slow = *r.root(r.cancelled);
        QVERIFY(slow.jobFacts);
        const auto all = slow.allAttributes();
        const QStringList expected{u"coroute.job_id"_s,   u"coroute.route"_s,        u"coroute.method"_s,
                                   u"coroute.path"_s,     u"coroute.state"_s,        u"coroute.executor"_s,
                                   u"coroute.attempts"_s, u"cancel.reason"_s,        u"cancel.requested_by"_s,
                                   u"error.type"_s,       u"error.status"_s};
        for (const auto &key : expected) {
            QVERIFY2(all.contains(key), qPrintable(key));
            QCOMPARE(slow.attribute(key), all.value(key));
        }
        QCOMPARE(all.value(u"coroute.state"_s).toString(), u"cancelled"_s);
        QCOMPARE(all.value(u"error.type"_s).toString(), u"cancelled"_s);
        QCOMPARE(all.value(u"error.status"_s).toInt(), 499);
        QCOMPARE(all.value(u"coroute.path"_s).toString(), r.job(r.cancelled)->path);
        QVERIFY(slow.attribute(u"no.such"_s).isUndefined());

        // A succeeded job has no cancel or error attributes at all.
        const auto top = *r.root(r.tree);
        QVERIFY(!top.allAttributes().contains(u"cancel.reason"_s));
        QVERIFY(!top.allAttributes().contains(u"error.type"_s));
        QVERIFY(top.attribute(u"error.status"_s).isUndefined());

        // Own attributes stay beside the facts; a fact wins over an own attribute of its name.
        SpanData own = top;
        own.attributes.insert(u"custom"_s, 7);
        own.attributes.insert(u"coroute.state"_s, u"forged"_s);
        QCOMPARE(own.attribute(u"custom"_s).toInt(), 7);
        QCOMPARE(own.attribute(u"coroute.state"_s).toString(), u"succeeded"_s);
        QCOMPARE(own.allAttributes().value(u"coroute.state"_s).toString(), u"succeeded"_s);

        // JSON (what the store and exporters write) carries them as plain attributes.
        const auto back = SpanData::fromJson(slow.toJson());
        QVERIFY(!back.jobFacts);
        QCOMPARE(back.attributes, all);
        QCOMPARE(back.allAttributes(), all);
    }

    void chromeTraceOfRuntimeSpans()
    {
        const auto r = record();
        QVERIFY(r.complete);
        const auto doc = toChromeTrace(r.spans, r.jobs);
        const auto problem = chromeProblem(doc, int(r.spans.size()));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

        const auto events = doc.value(u"traceEvents"_s).toArray();
        const auto idOf = [](const QJsonObject &e) { return e[u"id2"_s][u"local"_s].toString(); };
        QString cancelledTrack;
        bool cancelRequested = false, cancelledInstant = false, blockedInstant = false, poolThread = false;
        bool rootCancelledInstant = false;
        QHash<QString, QString> trackOfSpan;
        QJsonObject topBegin;
        for (const auto &v : events) {
            const auto e = v.toObject();
            const auto ph = e[u"ph"_s].toString();
            if (ph == u"b"_s) {
                trackOfSpan.insert(e[u"args"_s][u"span_id"_s].toString(), idOf(e));
                if (e[u"name"_s] == u"crunch"_s)
                    poolThread = e[u"tid"_s].toInt() == 2;
                if (e[u"name"_s] == u"GET /slow"_s)
                    cancelledTrack = idOf(e);
                if (e[u"name"_s] == u"GET /top"_s)
                    topBegin = e;
            }
            if (ph == u"n"_s && e[u"name"_s] == u"cancel_requested"_s) {
                cancelRequested = idOf(e) == cancelledTrack;
                QCOMPARE(e[u"args"_s][u"requested_by"_s].toString(), u"tester"_s);
            }
            if (ph == u"n"_s && e[u"name"_s] == u"cancelled"_s && idOf(e) == cancelledTrack) {
                cancelledInstant = true;
            }
            if (ph == u"n"_s && e[u"name"_s] == u"cancelled"_s && e[u"args"_s][u"span"_s] == u"GET /slow"_s) {
                rootCancelledInstant = true;
                // From the root span's typed job facts.
                QCOMPARE(e[u"args"_s][u"cancel.reason"_s].toString(), u"user"_s);
                QCOMPARE(e[u"args"_s][u"cancel.requested_by"_s].toString(), u"tester"_s);
            }
            if (ph == u"i"_s && e[u"name"_s] == u"loop_blocked"_s)
                blockedInstant = e[u"tid"_s].toInt() == 1;
        }
        QVERIFY(cancelRequested);
        QVERIFY(cancelledInstant);
        QVERIFY(rootCancelledInstant);
        QVERIFY(blockedInstant);
        QVERIFY(poolThread);
        QCOMPARE(topBegin[u"ts"_s].toDouble(), 0.0); // the earliest span is the origin
        QCOMPARE(topBegin[u"args"_s][u"coroute.job"_s][u"state"_s].toString(), u"succeeded"_s);
        // The root span's job facts are span attributes in the export, as every reader sees them.
        QCOMPARE(topBegin[u"args"_s][u"coroute.state"_s].toString(), u"succeeded"_s);
        QCOMPARE(topBegin[u"args"_s][u"coroute.route"_s].toString(), u"/top"_s);
        QCOMPARE(topBegin[u"args"_s][u"coroute.job_id"_s].toInteger(), qint64(r.tree));
        QCOMPARE(idOf(topBegin), u"0x"_s + QString::number(r.tree, 16));
        // Each job is one track; different jobs never share one.
        for (const auto &s : r.spans) {
            const auto track = trackOfSpan.value(SpanData::idHex(s.spanId));
            QVERIFY(!track.isEmpty());
            for (const auto &o : r.spans) {
                if (o.job != s.job)
                    QVERIFY(trackOfSpan.value(SpanData::idHex(o.spanId)) != track);
            }
        }
        QCOMPARE(trackOfSpan.value(SpanData::idHex(r.named(u"fanout"_s)->spanId)), idOf(topBegin));
    }

    void chromeTraceNestsOverlapsAndZeroDurations()
    {
        QList<SpanData> spans{
            makeSpan(7, 1, 0, u"GET /job"_s, 1000, 100000),
            makeSpan(7, 2, 1, u"a"_s, 2000, 50000),   // a and b overlap without nesting (gather)
            makeSpan(7, 3, 1, u"b"_s, 3000, 60000),
            makeSpan(7, 4, 3, u"b.child"_s, 4000, 5000),
            makeSpan(7, 5, 1, u"instant"_s, 70000, 70000), // zero duration
            makeSpan(7, 6, 5, u"instant.child"_s, 70000, 70000),
            makeSpan(8, 9, 4, u"GET /child"_s, 4200, 4800),
        };
        spans[3].thread = u"pool"_s;
        spans[2].status = SpanStatus::Cancelled;
        spans[2].events.append({10000, u"cancel_requested"_s, {{u"reason"_s, u"parent"_s}}});
        const auto doc = toChromeTrace(spans);
        const auto problem = chromeProblem(doc, int(spans.size()));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

        QHash<QString, QString> track;
        QHash<QString, double> beginTs, endTs;
        bool cancelled = false;
        for (const auto &v : doc[u"traceEvents"_s].toArray()) {
            const auto e = v.toObject();
            const auto name = e[u"name"_s].toString();
            if (e[u"ph"_s] == u"b"_s) {
                track.insert(name, e[u"id2"_s][u"local"_s].toString());
                beginTs.insert(name, e[u"ts"_s].toDouble());
                QCOMPARE(e[u"tid"_s].toInt(), name == u"b.child"_s ? 2 : 1);
            } else if (e[u"ph"_s] == u"e"_s) {
                endTs.insert(name, e[u"ts"_s].toDouble());
            } else if (e[u"ph"_s] == u"n"_s && name == u"cancelled"_s) {
                cancelled = e[u"id2"_s][u"local"_s] == track.value(u"b"_s) && e[u"ts"_s].toDouble() == 59.0;
            }
        }
        QCOMPARE(track.value(u"GET /job"_s), u"0x7"_s);
        QCOMPARE(track.value(u"a"_s), u"0x7"_s);
        QVERIFY(track.value(u"b"_s) != u"0x7"_s);   // its own lane of job 7
        QCOMPARE(track.value(u"b.child"_s), track.value(u"b"_s)); // follows its parent
        QCOMPARE(track.value(u"instant"_s), u"0x7"_s);
        QCOMPARE(track.value(u"GET /child"_s), u"0x8"_s);
        QCOMPARE(beginTs.value(u"GET /job"_s), 0.0);
        QCOMPARE(beginTs.value(u"b"_s), 2.0); // microseconds from the first start
        QCOMPARE(beginTs.value(u"instant"_s), 69.0);
        QCOMPARE(endTs.value(u"instant"_s), 69.0);
        QCOMPARE(endTs.value(u"instant.child"_s), 69.0);
        QVERIFY(cancelled);
        QCOMPARE(doc[u"otherData"_s][u"origin_unix_ns"_s].toString(), u"1000"_s);

        const auto empty = toChromeTrace({});
        QVERIFY2(chromeProblem(empty, 0).isEmpty(), qPrintable(chromeProblem(empty, 0)));
    }

    void otlpOfRuntimeSpans()
    {
        const auto r = record();
        QVERIFY(r.complete);
        const auto doc = toOtlpJson(r.spans);
        const auto problem = otlpProblem(doc, int(r.spans.size()));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

        const auto top = otlpSpan(doc, u"GET /top"_s);
        QVERIFY(!top.contains(u"parentSpanId"_s));
        QCOMPARE(top[u"status"_s][u"code"_s].toInt(), 1);
        QCOMPARE(top[u"traceId"_s].toString(), r.root(r.tree)->traceIdHex());
        QCOMPARE(otlpAttribute(top, u"coroute.job_id"_s)[u"intValue"_s].toString(), QString::number(r.tree));

        const auto prepare = otlpSpan(doc, u"prepare"_s);
        QCOMPARE(prepare[u"parentSpanId"_s].toString(), SpanData::idHex(r.root(r.tree)->spanId));
        QCOMPARE(otlpAttribute(prepare, u"items"_s)[u"intValue"_s].toString(), u"2"_s);
        QCOMPARE(otlpAttribute(prepare, u"ratio"_s)[u"doubleValue"_s].toDouble(), 0.5);
        QCOMPARE(otlpAttribute(prepare, u"flag"_s)[u"boolValue"_s].toBool(), true);
        QCOMPARE(otlpAttribute(prepare, u"tags"_s)[u"arrayValue"_s][u"values"_s][1][u"intValue"_s].toString(), u"1"_s);
        QCOMPARE(prepare[u"events"_s][0][u"name"_s].toString(), u"log"_s);
        QVERIFY(isDecimal(prepare[u"events"_s][0][u"timeUnixNano"_s]));
        QCOMPARE(otlpAttribute(prepare, u"nested"_s)[u"kvlistValue"_s][u"values"_s][0][u"key"_s].toString(), u"k"_s);

        const auto slow = otlpSpan(doc, u"GET /slow"_s);
        QCOMPARE(slow[u"status"_s][u"code"_s].toInt(), 2);
        QVERIFY(slow[u"status"_s][u"message"_s].toString().contains(u"cancelled"_s));
        QCOMPARE(otlpAttribute(slow, u"cancel.reason"_s)[u"stringValue"_s].toString(), u"user"_s);
        QCOMPARE(otlpAttribute(slow, u"coroute.cancelled"_s)[u"boolValue"_s].toBool(), true);
        QCOMPARE(otlpAttribute(otlpSpan(doc, u"crunch"_s), u"thread.name"_s)[u"stringValue"_s].toString(), u"pool"_s);

        const auto named = toOtlpJson(r.spans, u"my-tool"_s);
        QCOMPARE(named[u"resourceSpans"_s][0][u"resource"_s][u"attributes"_s][0][u"value"_s][u"stringValue"_s]
                     .toString(), u"my-tool"_s);
    }

    void otlpAttributeTypes_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QJsonValue>("expected");
        QTest::newRow("string") << QJsonValue(u"x"_s) << u"stringValue"_s << QJsonValue(u"x"_s);
        QTest::newRow("int") << QJsonValue(qint64(1) << 40) << u"intValue"_s << QJsonValue(u"1099511627776"_s);
        QTest::newRow("negative int") << QJsonValue(-3) << u"intValue"_s << QJsonValue(u"-3"_s);
        QTest::newRow("double") << QJsonValue(2.5) << u"doubleValue"_s << QJsonValue(2.5);
        QTest::newRow("parsed int") << QJsonDocument::fromJson("[12]").array().at(0) << u"intValue"_s
                                    << QJsonValue(u"12"_s);
        QTest::newRow("bool") << QJsonValue(false) << u"boolValue"_s << QJsonValue(false);
        QTest::newRow("array") << QJsonValue(QJsonArray{true}) << u"arrayValue"_s
                               << QJsonValue(QJsonObject{{u"values"_s, QJsonArray{QJsonObject{{u"boolValue"_s, true}}}}});
        QTest::newRow("object") << QJsonValue(QJsonObject{{u"a"_s, u"b"_s}}) << u"kvlistValue"_s
                                << QJsonValue(QJsonObject{{u"values"_s, QJsonArray{QJsonObject{
                                       {u"key"_s, u"a"_s}, {u"value"_s, QJsonObject{{u"stringValue"_s, u"b"_s}}}}}}});
        QTest::newRow("null is dropped") << QJsonValue(QJsonValue::Null) << QString() << QJsonValue();
    }

    void otlpAttributeTypes()
    {
        QFETCH(QJsonValue, value);
        QFETCH(QString, field);
        QFETCH(QJsonValue, expected);
        auto s = makeSpan(1, 0xabc, 0, u"s"_s, 5, 9);
        s.attributes.insert(u"attr"_s, value);
        const auto doc = toOtlpJson({s});
        const auto problem = otlpProblem(doc, 1);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const auto span = otlpSpan(doc, u"s"_s);
        QCOMPARE(span[u"spanId"_s].toString(), u"0000000000000abc"_s);
        QCOMPARE(span[u"traceId"_s].toString(), u"2a"_s.repeated(16));
        QCOMPARE(span[u"startTimeUnixNano"_s].toString(), u"5"_s);
        QCOMPARE(span[u"endTimeUnixNano"_s].toString(), u"9"_s);
        const auto attr = otlpAttribute(span, u"attr"_s);
        if (field.isEmpty()) {
            QVERIFY(attr.isUndefined());
        } else {
            QCOMPARE(attr.toObject().keys(), QStringList{field});
            QCOMPARE(attr[field], expected);
        }
    }

    void otlpStatusCodes_data()
    {
        QTest::addColumn<SpanStatus>("status");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("exportedMessage");
        QTest::newRow("unset") << SpanStatus::Unset << QString() << 0 << QString();
        QTest::newRow("ok") << SpanStatus::Ok << QString() << 1 << QString();
        QTest::newRow("error") << SpanStatus::Error << u"boom"_s << 2 << u"boom"_s;
        QTest::newRow("cancelled") << SpanStatus::Cancelled << QString() << 2 << u"cancelled"_s;
        QTest::newRow("cancelled with message") << SpanStatus::Cancelled << u"cancelled (user) by me"_s << 2
                                                << u"cancelled (user) by me"_s;
    }

    void otlpStatusCodes()
    {
        QFETCH(SpanStatus, status);
        QFETCH(QString, message);
        QFETCH(int, code);
        QFETCH(QString, exportedMessage);
        auto s = makeSpan(1, 1, 0, u"s"_s, 5, 5);
        s.status = status;
        s.statusMessage = message;
        const auto span = otlpSpan(toOtlpJson({s}), u"s"_s);
        QCOMPARE(span[u"status"_s][u"code"_s].toInt(-1), code);
        QCOMPARE(span[u"status"_s][u"message"_s].toString(), exportedMessage);
        QCOMPARE(otlpAttribute(span, u"coroute.cancelled"_s).isUndefined(), status != SpanStatus::Cancelled);
    }

    void writesTraceFilesAtomically()
    {
        const auto r = record();
        QVERIFY(r.complete);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QList<std::pair<QString, QJsonObject>> files{
            {dir.filePath(u"trace.json"_s), toChromeTrace(r.spans, r.jobs)},
            {dir.filePath(u"trace.otlp.json"_s), toOtlpJson(r.spans)},
        };
        for (const auto &[path, doc] : files) {
            QString error = u"stale"_s;
            QVERIFY2(writeTraceFile(path, doc, &error), qPrintable(error));
            QVERIFY(error.isEmpty());
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QJsonParseError parseError;
            const auto read = QJsonDocument::fromJson(f.readAll(), &parseError);
            QCOMPARE(parseError.error, QJsonParseError::NoError);
            QCOMPARE(read.object(), doc);
        }
        // For a look in ui.perfetto.dev / Jaeger: COROUTE_TRACE_DUMP_DIR=/some/dir keeps copies.
        if (const auto keep = qEnvironmentVariable("COROUTE_TRACE_DUMP_DIR"); !keep.isEmpty()) {
            for (const auto &[path, doc] : files)
                QVERIFY(writeTraceFile(QDir(keep).filePath(QFileInfo(path).fileName()), doc, nullptr));
        }
        // Only the two files: no temporary left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 2);
        const auto read = QJsonDocument::fromJson([&] {
            QFile f(files[1].first);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }());
        const auto problem = otlpProblem(read.object(), int(r.spans.size()));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void unwritablePathGivesAClearError()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QJsonObject doc{{u"traceEvents"_s, QJsonArray{}}};

        QString error;
        const auto missing = dir.filePath(u"no/such/folder/trace.json"_s);
        QVERIFY(!writeTraceFile(missing, doc, &error));
        QVERIFY2(error.contains(QDir::toNativeSeparators(missing)), qPrintable(error));
        QVERIFY2(error.contains(u"does not exist"_s), qPrintable(error));
        QVERIFY(!QFile::exists(missing));

        error.clear();
        QVERIFY(!writeTraceFile(dir.path(), doc, &error)); // a folder, not a file
        QVERIFY2(error.startsWith(u"cannot write trace file "_s), qPrintable(error));
        QVERIFY(QFileInfo(dir.path()).isDir());

        error.clear();
        QVERIFY(!writeTraceFile(QString(), doc, &error));
        QVERIFY2(error.contains(u"no path"_s), qPrintable(error));
        QVERIFY(!writeTraceFile(missing, doc, nullptr)); // the message is optional
    }
};

QTEST_GUILESS_MAIN(tst_Trace)
#include "tst_trace.moc"
