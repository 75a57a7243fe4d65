#include "models/jobfilterproxymodel.h"

#include "models/jobtreemodel.h"

namespace coroute {

JobFilterProxyModel::JobFilterProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setSortRole(JobTreeModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void JobFilterProxyModel::setStates(const QSet<JobState> &states)
{
    if (states == m_states)
        return;
    m_states = states;
    invalidateFilter();
}

void JobFilterProxyModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateFilter();
}

bool JobFilterProxyModel::canFetchMore(const QModelIndex &parent) const
{
    const auto *jobs = qobject_cast<const JobTreeModel *>(sourceModel());
    if (parent.isValid() || !jobs)
        return QSortFilterProxyModel::canFetchMore(parent);
    return sortColumn() == JobTreeModel::IdColumn && sortOrder() == Qt::DescendingOrder && jobs->canFetchOlder();
}

void JobFilterProxyModel::fetchMore(const QModelIndex &parent)
{
    auto *jobs = qobject_cast<JobTreeModel *>(sourceModel());
    if (!parent.isValid() && jobs) {
        if (canFetchMore(parent))
            jobs->fetchOlder();
        return;
    }
    QSortFilterProxyModel::fetchMore(parent);
}

bool JobFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_states.isEmpty() && m_text.isEmpty())
        return true;
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_states.isEmpty()
        && !m_states.contains(JobState(idx.data(JobTreeModel::StateRole).toInt())))
        return false;
    if (!m_text.isEmpty()
        && !idx.data(JobTreeModel::SearchTextRole).toString().contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

} // namespace coroute
