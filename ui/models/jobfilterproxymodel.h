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

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QSet<JobState> m_states;
    QString m_text;
};

} // namespace coroute
