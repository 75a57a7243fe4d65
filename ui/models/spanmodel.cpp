#include "models/spanmodel.h"

namespace coroute {

SpanModel::SpanModel(QObject *parent) : QObject(parent) {}

void SpanModel::apply(const ChangeSet &changes)
{
    applyIf(changes, {});
}

void SpanModel::applyIf(const ChangeSet &changes, const std::function<bool(JobId)> &keep)
{
    if (changes.spans.isEmpty())
        return;
    QList<JobId> jobs;
    for (const auto &s : changes.spans) {
        if (keep && !keep(s.job))
            continue;
        auto &list = m_byJob[s.job];
        if (list.isEmpty())
            jobs.append(s.job);
        list.append(s);
        ++m_count;
        if (m_minNs == 0 || s.startNs < m_minNs)
            m_minNs = s.startNs;
        m_maxNs = qMax(m_maxNs, qMax(s.endNs, s.startNs));
    }
    Q_EMIT spansAdded(jobs);
}

void SpanModel::forget(const QList<JobId> &jobs)
{
    for (const auto id : jobs) {
        const auto it = m_byJob.constFind(id);
        if (it != m_byJob.constEnd()) {
            m_count -= int(it->size());
            m_byJob.erase(it);
        }
    }
}

void SpanModel::clear()
{
    m_byJob.clear();
    m_count = 0;
    m_minNs = m_maxNs = 0;
}

QList<SpanData> SpanModel::spans(const QList<JobId> &jobs) const
{
    QList<SpanData> out;
    for (const auto id : jobs)
        out.append(m_byJob.value(id));
    return out;
}

} // namespace coroute
