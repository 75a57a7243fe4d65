#pragma once

#include "runtime/jobstate.h"

#include <QSet>
#include <QSortFilterProxyModel>

namespace coroute {

/// Filters a JobTreeModel by a set of states and a text (matched against id, request, route,
/// state and error), keeping the ancestors of matching jobs; sorts by JobTreeModel::SortRole.
class JobFilterProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit JobFilterProxyModel(QObject *parent = nullptr);

    /// Only jobs in these states (and their ancestors); empty shows every state.
    void setStates(const QSet<coroute::JobState> &states);
    QSet<JobState> states() const { return m_states; }
    /// Only jobs whose text contains this (case-insensitive); empty shows all.
    void setText(const QString &text);
    QString text() const { return m_text; }

    /// The source's older evicted jobs (JobTreeModel::canFetchOlder), only when sorted by id,
    /// newest first: then they belong at the end, where a view fetches more. Sorted oldest first,
    /// the end is the newest jobs, and scrolling there means following live.
    bool canFetchMore(const QModelIndex &parent) const override;
    /// Reads the source's next older page back (JobTreeModel::fetchOlder).
    void fetchMore(const QModelIndex &parent) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QSet<JobState> m_states;
    QString m_text;
};

} // namespace coroute
