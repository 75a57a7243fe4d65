#include "trace/chrometrace.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QMap>
#include <QSet>

#include <algorithm>
#include <map>
#include <vector>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr int kPid = 1;
constexpr int kLoopTid = 1;
constexpr int kPoolTid = 2;

struct Event
{
    qint64 ns; // sort key; relative ts is derived from it
    QJsonObject json;
};

qint64 endOf(const SpanData &s)
{
    return std::max(s.endNs, s.startNs);
}

QJsonObject jobArgs(const JobInfo &j)
{
    QJsonObject o{{u"id"_s, qint64(j.id)},
                  {u"state"_s, nameOf(j.state)},
                  {u"method"_s, j.method},
                  {u"path"_s, j.path},
                  {u"route"_s, j.route},
                  {u"executor"_s, nameOf(j.executor)},
                  {u"attempts"_s, j.attempts}};
    if (j.parent)
        o.insert(u"parent"_s, qint64(j.parent));
    if (j.linkedFrom)
        o.insert(u"linked_from"_s, qint64(j.linkedFrom));
    if (!j.params.isEmpty())
        o.insert(u"params"_s, j.params);
    if (j.queuedMs)
        o.insert(u"queued_ms"_s, j.queuedMs);
    if (j.cancelReason != CancelReason::None) {
        o.insert(u"cancel_reason"_s, nameOf(j.cancelReason));
        o.insert(u"cancelled_by"_s, j.cancelledBy);
    }
    if (!j.error.isNull())
        o.insert(u"error"_s, j.error.toJson());
    if (!j.warnings.isEmpty())
        o.insert(u"warnings"_s, QJsonArray::fromStringList(j.warnings));
    return o;
}

class Builder
{
public:
    Builder(const QList<SpanData> &spans, const QList<JobInfo> &jobs) : m_spans(spans)
    {
        for (const auto &j : jobs)
            m_jobs.insert(j.id, &j);
        m_tids.insert(u"loop"_s, kLoopTid);
        m_tids.insert(u"pool"_s, kPoolTid);
        m_origin = 0;
        for (const auto &s : spans)
            m_origin = m_origin ? std::min(m_origin, s.startNs) : s.startNs;
    }

    QJsonObject build()
    {
        // std::map: jobs in id order, so the output does not depend on hash order.
        std::map<JobId, std::vector<const SpanData *>> byJob;
        for (const auto &s : m_spans)
            byJob[s.job].push_back(&s);
        for (auto &entry : byJob)
            addJob(entry.second);

        std::stable_sort(m_events.begin(), m_events.end(), [](const Event &a, const Event &b) { return a.ns < b.ns; });

        QJsonArray events;
        events.append(metadata(u"process_name"_s, 0, u"coroute"_s));
        for (auto it = m_tids.constBegin(); it != m_tids.constEnd(); ++it)
            events.append(metadata(u"thread_name"_s, it.value(), it.key()));
        for (const auto &e : m_events)
            events.append(e.json);

        QJsonObject other{{u"generator"_s, u"coroute"_s},
                          {u"origin_unix_ns"_s, QString::number(m_origin)},
                          {u"origin"_s, QDateTime::fromMSecsSinceEpoch(m_origin / 1000000, Qt::UTC)
                                            .toString(Qt::ISODateWithMs)},
                          {u"span_count"_s, qint64(m_spans.size())},
                          {u"job_count"_s, qint64(byJob.size())}};
        return {{u"traceEvents"_s, events}, {u"displayTimeUnit"_s, u"ms"_s}, {u"otherData"_s, other}};
    }

private:
    double ts(qint64 ns) const { return double(ns - m_origin) / 1000.0; }

    int tidOf(const QString &thread)
    {
        const QString name = thread.isEmpty() ? u"loop"_s : thread;
        if (auto it = m_tids.constFind(name); it != m_tids.constEnd())
            return it.value();
        const int tid = name == u"loop"_s ? kLoopTid : name == u"pool"_s ? kPoolTid : 3 + m_extraThreads++;
        m_tids.insert(name, tid);
        return tid;
    }

    QJsonObject metadata(const QString &what, int tid, const QString &name) const
    {
        QJsonObject o{{u"ph"_s, u"M"_s}, {u"name"_s, what}, {u"pid"_s, kPid}, {u"ts"_s, 0},
                      {u"args"_s, QJsonObject{{u"name"_s, name}}}};
        if (tid)
            o.insert(u"tid"_s, tid);
        return o;
    }

    static QString trackId(JobId job, int lane)
    {
        // Lane 0 is the job's own track; overlapping siblings need tracks of their own.
        const quint64 id = (quint64(lane) << 48) | job;
        return u"0x"_s + QString::number(id, 16);
    }

    QJsonObject asyncEvent(const QString &ph, const SpanData &s, const QString &name, qint64 ns, int lane)
    {
        return {{u"ph"_s, ph},
                {u"cat"_s, u"coroute"_s},
                {u"id2"_s, QJsonObject{{u"local"_s, trackId(s.job, lane)}}},
                {u"name"_s, name},
                {u"ts"_s, ts(ns)},
                {u"pid"_s, kPid},
                {u"tid"_s, tidOf(s.thread)}};
    }

    void begin(const SpanData &s, int lane)
    {
        QJsonObject args = s.allAttributes();
        args.insert(u"span_id"_s, SpanData::idHex(s.spanId));
        if (s.parentId)
            args.insert(u"parent_span_id"_s, SpanData::idHex(s.parentId));
        args.insert(u"trace_id"_s, s.traceIdHex());
        args.insert(u"job"_s, qint64(s.job));
        args.insert(u"status"_s, nameOf(s.status));
        if (!s.statusMessage.isEmpty())
            args.insert(u"status_message"_s, s.statusMessage);
        if (!s.thread.isEmpty())
            args.insert(u"thread"_s, s.thread);
        if (s.endNs < s.startNs)
            args.insert(u"open"_s, true);
        if (auto *job = m_jobs.value(s.job); job && !m_jobRootSeen.contains(s.job) && isJobRoot(s)) {
            m_jobRootSeen.insert(s.job);
            args.insert(u"coroute.job"_s, jobArgs(*job));
        }
        auto json = asyncEvent(u"b"_s, s, s.name, s.startNs, lane);
        json.insert(u"args"_s, args);
        m_events.push_back({s.startNs, json});

        for (const auto &e : s.events)
            addSpanEvent(s, e, lane);
    }

    void end(const SpanData &s, int lane)
    {
        const qint64 at = endOf(s);
        m_events.push_back({at, asyncEvent(u"e"_s, s, s.name, at, lane)});
        if (s.status == SpanStatus::Cancelled) {
            QJsonObject args{{u"span_id"_s, SpanData::idHex(s.spanId)}, {u"span"_s, s.name}};
            if (!s.statusMessage.isEmpty())
                args.insert(u"message"_s, s.statusMessage);
            for (const auto &key : {u"cancel.reason"_s, u"cancel.requested_by"_s}) {
                if (const auto v = s.attribute(key); !v.isUndefined())
                    args.insert(key, v);
            }
            auto json = asyncEvent(u"n"_s, s, u"cancelled"_s, at, lane);
            json.insert(u"args"_s, args);
            m_events.push_back({at, json});
        }
    }

    void addSpanEvent(const SpanData &s, const SpanEvent &e, int lane)
    {
        QJsonObject args = e.attributes;
        args.insert(u"span_id"_s, SpanData::idHex(s.spanId));
        args.insert(u"job"_s, qint64(s.job));
        if (e.name == u"loop_blocked"_s) {
            // Blocking is about the loop thread, so it is a thread instant there.
            QJsonObject json{{u"ph"_s, u"i"_s}, {u"s"_s, u"t"_s}, {u"cat"_s, u"coroute"_s},
                             {u"name"_s, e.name}, {u"ts"_s, ts(e.timeNs)}, {u"pid"_s, kPid},
                             {u"tid"_s, tidOf(u"loop"_s)}, {u"args"_s, args}};
            m_events.push_back({e.timeNs, json});
            return;
        }
        auto json = asyncEvent(u"n"_s, s, e.name, e.timeNs, lane);
        json.insert(u"args"_s, args);
        m_events.push_back({e.timeNs, json});
    }

    bool isJobRoot(const SpanData &s) const { return !m_jobSpanIds.contains(s.parentId); }

    void addJob(std::vector<const SpanData *> &spans)
    {
        m_jobSpanIds.clear();
        QHash<quint64, const SpanData *> byId;
        for (const auto *s : spans) {
            m_jobSpanIds.insert(s->spanId);
            byId.insert(s->spanId, s);
        }
        const auto depth = [&](const SpanData *s) {
            int d = 0;
            for (auto *p = byId.value(s->parentId); p && d < 10000; p = byId.value(p->parentId))
                ++d;
            return d;
        };
        QHash<const SpanData *, int> depths;
        for (const auto *s : spans)
            depths.insert(s, depth(s));
        // Start order; on equal starts the longer (outer) span, then the shallower one, first.
        std::stable_sort(spans.begin(), spans.end(), [&](const SpanData *a, const SpanData *b) {
            if (a->startNs != b->startNs)
                return a->startNs < b->startNs;
            if (endOf(*a) != endOf(*b))
                return endOf(*a) > endOf(*b);
            return depths.value(a) < depths.value(b);
        });

        // Each lane is a stack of open slices that nest; a span joins its parent's lane when
        // it nests there, else the first lane where it nests, else a new lane.
        std::vector<std::vector<const SpanData *>> lanes;
        QHash<quint64, int> laneOf;
        const auto closeFinished = [&](int lane, const SpanData &next) {
            auto &stack = lanes[size_t(lane)];
            while (!stack.empty()) {
                const auto *top = stack.back();
                const bool finished = endOf(*top) <= next.startNs && endOf(next) > endOf(*top);
                if (!finished)
                    break;
                end(*top, lane);
                stack.pop_back();
            }
        };
        const auto fits = [&](int lane, const SpanData &s) {
            const auto &stack = lanes[size_t(lane)];
            return stack.empty() || endOf(*stack.back()) >= endOf(s);
        };
        for (const auto *s : spans) {
            for (int l = 0; l < int(lanes.size()); ++l)
                closeFinished(l, *s);
            int lane = -1;
            if (auto it = laneOf.constFind(s->parentId); it != laneOf.constEnd() && fits(it.value(), *s))
                lane = it.value();
            for (int l = 0; lane < 0 && l < int(lanes.size()); ++l) {
                if (fits(l, *s))
                    lane = l;
            }
            if (lane < 0) {
                lane = int(lanes.size());
                lanes.emplace_back();
            }
            lanes[size_t(lane)].push_back(s);
            laneOf.insert(s->spanId, lane);
            begin(*s, lane);
        }
        for (int l = 0; l < int(lanes.size()); ++l) {
            auto &stack = lanes[size_t(l)];
            while (!stack.empty()) {
                end(*stack.back(), l);
                stack.pop_back();
            }
        }
    }

    const QList<SpanData> &m_spans;
    QHash<JobId, const JobInfo *> m_jobs;
    QSet<JobId> m_jobRootSeen;
    QSet<quint64> m_jobSpanIds;
    QMap<QString, int> m_tids;
    int m_extraThreads = 0;
    qint64 m_origin = 0;
    std::vector<Event> m_events;
};

} // namespace

QJsonObject toChromeTrace(const QList<SpanData> &spans, const QList<JobInfo> &jobs)
{
    return Builder(spans, jobs).build();
}

} // namespace coroute
