#pragma once

#include "runtime/jobinfo.h"

#include <QAbstractItemModel>
#include <QHash>

#include <array>
#include <memory>
#include <vector>

namespace coroute {

/// The live tree of jobs (children under their parent), fed by the runtime's change sets.
/// A batch inserts each parent's new rows as one contiguous range and reports updates as one
/// dataChanged per contiguous run of rows. Memory is bounded: beyond maxFinishedTopLevel
/// finished top-level jobs, the oldest finished ones (with their subtrees) are evicted; they
/// stay in the history store.
class JobTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { IdColumn, RouteColumn, StateColumn, DurationColumn, ProgressColumn, ExecutorColumn,
                  WaitingOnColumn, WarningsColumn, ColumnCount };
    Q_ENUM(Column)
    enum Role {
        JobIdRole = Qt::UserRole + 1, ///< JobId (quint64)
        StateRole,                    ///< JobState as int
        ProgressRole,                 ///< double 0..1, or -1 when unknown
        ProgressTextRole,             ///< QString
        DurationRole,                 ///< qint64 ms (to now while unfinished)
        SortRole,                     ///< a value that sorts naturally for the column
        FinishedRole,                 ///< bool: the state is terminal
        SearchTextRole,               ///< QString: id, method, path, route, state, error
    };
    Q_ENUM(Role)

    explicit JobTreeModel(QObject *parent = nullptr);
    ~JobTreeModel() override;

    /// Applies one batch of changes (new jobs, new snapshots of known jobs, logs).
    void apply(const coroute::ChangeSet &changes);
    /// Removes every job.
    void clear();

    /// Finished top-level jobs kept before the oldest are evicted (default 20,000).
    void setMaxFinishedTopLevel(int n);
    int maxFinishedTopLevel() const { return m_maxFinishedTop; }

    /// The job at index (any column), or null.
    const JobInfo *jobAt(const QModelIndex &index) const;
    /// The job with this id, if the model holds it.
    const JobInfo *job(JobId id) const;
    QList<LogEntry> logs(JobId id) const;
    QModelIndex indexOf(JobId id, int column = 0) const;
    /// Ids of the job and its descendants held by the model.
    QList<JobId> subtree(JobId id) const;

    int jobCount() const { return int(m_nodes.size()); }
    int countIn(JobState state) const { return m_counts[size_t(state)]; }
    /// Top-level jobs evicted so far (with their subtrees: evictedJobs()).
    int evictedTopLevel() const { return m_evictedTop; }
    int evictedJobs() const { return m_evictedJobs; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    /// After a batch was applied.
    void applied();
    /// Jobs dropped by eviction (so companion stores can forget them).
    void evicted(const QList<coroute::JobId> &ids);

private:
    struct Node
    {
        JobInfo info;
        Node *parent = nullptr;
        int row = 0;
        std::vector<Node *> children;
        QList<LogEntry> logs;
    };
    Node *nodeAt(const QModelIndex &index) const;
    QModelIndex indexFor(const Node *node, int column) const;
    void countState(JobState state, int delta, const Node *node);
    void evictIfNeeded();
    void destroy(Node *node, QList<JobId> &ids);

    std::vector<Node *> m_top;
    QHash<JobId, Node *> m_nodes;
    std::array<int, 8> m_counts{};
    int m_finishedTop = 0;
    int m_maxFinishedTop = 20000;
    int m_evictedTop = 0;
    int m_evictedJobs = 0;
    JobId m_maxSeen = 0;
};

} // namespace coroute
