#include "runtime/jobregistry.h"
#include "runtime/detail/jobrecord_p.h"
#include "runtime/detail/recordtable_p.h"

#include <QTimer>

#include <algorithm>

namespace coroute {

JobRegistry::JobRegistry(QObject *parent) : QObject(parent), m_records(std::make_unique<detail::RecordTable>())
{
    qRegisterMetaType<coroute::ChangeSet>();
}

JobRegistry::~JobRegistry() = default;

std::optional<JobInfo> JobRegistry::job(JobId id) const
{
    if (auto *r = record(id))
        return r->info;
    return std::nullopt;
}

QList<JobInfo> JobRegistry::jobs() const
{
    QList<const detail::JobRecord *> records;
    records.reserve(m_records->size());
    m_records->forEach([&records](const auto &r) { records.append(r.get()); });
    std::sort(records.begin(), records.end(), [](auto *a, auto *b) { return a->info.id < b->info.id; });
    QList<JobInfo> out;
    out.reserve(records.size());
    for (const auto *r : std::as_const(records))
        out.append(r->info);
    return out;
}

QList<JobId> JobRegistry::children(JobId id) const
{
    auto *r = record(id);
    return r ? r->children : QList<JobId>{};
}

QList<LogEntry> JobRegistry::logs(JobId id) const
{
    auto *r = record(id);
    return r ? r->logs : QList<LogEntry>{};
}

int JobRegistry::count() const
{
    return int(m_records->size());
}

int JobRegistry::activeCount() const
{
    return countIn(JobState::Pending) + countIn(JobState::Running) + countIn(JobState::Cancelling);
}

std::shared_ptr<detail::JobRecord> JobRegistry::create(JobId id, JobId parent)
{
    auto r = std::make_shared<detail::JobRecord>();
    r->info.id = id;
    r->info.parent = parent;
    ++m_counts[size_t(r->info.state)];
    m_records->insert(r->info.id, r);
    if (r->info.parent) {
        if (auto *p = record(r->info.parent))
            p->children.append(r->info.id);
    }
    markDirty(*r);
    return r;
}

detail::JobRecord *JobRegistry::record(JobId id) const
{
    return m_records->find(id);
}

void JobRegistry::setState(detail::JobRecord &r, JobState state)
{
    if (r.info.state == state)
        return;
    --m_counts[size_t(r.info.state)];
    ++m_counts[size_t(state)];
    r.info.state = state;
    if (isTerminal(state) && r.info.parent == 0)
        m_finishedTopLevel.push_back(r.info.id);
    markDirty(r);
}

void JobRegistry::markDirty(detail::JobRecord &r)
{
    if (!r.dirty) {
        r.dirty = true;
        m_dirty.append(r.info.id);
    }
    scheduleFlush();
}

void JobRegistry::scheduleFlush()
{
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QTimer::singleShot(m_batchIntervalMs, this, &JobRegistry::flush);
    }
}

void JobRegistry::addSpan(SpanData span)
{
    m_newSpans.append(std::move(span));
    scheduleFlush();
}

bool JobRegistry::addEventToPendingSpan(quint64 spanId, SpanEvent e)
{
    for (auto it = m_newSpans.rbegin(); it != m_newSpans.rend(); ++it) {
        if (it->spanId == spanId) {
            // The span already ended: the event cannot lie after its end.
            e.timeNs = std::min(e.timeNs, it->endNs);
            it->events.append(std::move(e));
            return true;
        }
    }
    return false;
}

void JobRegistry::appendLog(JobId id, LogEntry entry)
{
    if (auto *r = record(id)) {
        r->logs.append(entry);
        m_newLogs.append(std::move(entry));
        markDirty(*r);
    }
}

void JobRegistry::flush()
{
    m_flushScheduled = false;
    if (m_dirty.isEmpty() && m_newLogs.isEmpty() && m_newSpans.isEmpty())
        return;
    ChangeSet set;
    set.sequence = ++m_sequence;
    set.logs = std::exchange(m_newLogs, {});
    set.spans = std::exchange(m_newSpans, {});
    set.jobs.reserve(m_dirty.size());
    for (auto id : std::as_const(m_dirty)) {
        if (auto *r = record(id)) {
            r->dirty = false;
            set.jobs.append(r->info);
        }
    }
    m_dirty.clear();
    Q_EMIT changed(set);
    evictBeyondWindow();
}

void JobRegistry::evictBeyondWindow()
{
    if (m_finishedWindow <= 0)
        return;
    const auto finished = [this] { return qsizetype(m_records->size()) - activeCount(); };
    while (finished() > m_finishedWindow && !m_finishedTopLevel.empty()) {
        const JobId top = m_finishedTopLevel.front();
        m_finishedTopLevel.pop_front();
        QList<JobId> tree{top};
        bool settled = true;
        for (qsizetype i = 0; i < tree.size() && settled; ++i) {
            auto *r = record(tree[i]);
            if (!r)
                continue;
            // A record with changes not yet sent must go out first: never lose a final state.
            settled = isTerminal(r->info.state) && !r->dirty;
            tree += r->children;
        }
        if (!settled) {
            m_finishedTopLevel.push_front(top);
            scheduleFlush();
            return;
        }
        for (auto id : std::as_const(tree)) {
            const auto *r = record(id);
            if (!r)
                continue;
            --m_counts[size_t(r->info.state)];
            m_records->remove(id);
            ++m_evicted;
        }
    }
}

} // namespace coroute
