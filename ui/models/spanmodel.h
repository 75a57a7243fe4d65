#pragma once

#include "runtime/jobinfo.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace coroute {

/// The finished spans of the jobs a JobTreeModel holds, by job, fed by the same change sets.
/// Forget evicted jobs with forget() (connect JobTreeModel::evicted).
class SpanModel : public QObject
{
    Q_OBJECT
public:
    explicit SpanModel(QObject *parent = nullptr);

    void apply(const coroute::ChangeSet &changes);
    /// Adds only the spans whose job keep() accepts (e.g. the jobs a JobTreeModel still holds).
    void applyIf(const coroute::ChangeSet &changes, const std::function<bool(coroute::JobId)> &keep);
    void forget(const QList<coroute::JobId> &jobs);
    void clear();

    /// The spans of one job, in the order they ended.
    QList<SpanData> spans(JobId job) const { return m_byJob.value(job); }
    /// The spans of these jobs.
    QList<SpanData> spans(const QList<JobId> &jobs) const;
    int spanCount() const { return m_count; }
    /// Earliest start and latest end of every span held, in Unix epoch ns (0, 0 when empty).
    std::pair<qint64, qint64> extent() const { return {m_minNs, m_maxNs}; }

Q_SIGNALS:
    /// Spans of these jobs arrived.
    void spansAdded(const QList<coroute::JobId> &jobs);

private:
    QHash<JobId, QList<SpanData>> m_byJob;
    int m_count = 0;
    qint64 m_minNs = 0;
    qint64 m_maxNs = 0;
};

} // namespace coroute
