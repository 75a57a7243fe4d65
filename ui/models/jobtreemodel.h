#pragma once

#include "runtime/jobinfo.h"
#include "store/historystore.h"

#include <QAbstractItemModel>
#include <QFuture>
#include <QHash>

#include <array>
#include <atomic>
#include <memory>
#include <vector>

namespace coroute {

/// The live tree of jobs (children under their parent), fed by the runtime's change sets.
/// A batch inserts each parent's new rows as one contiguous range and reports updates as one
/// dataChanged per contiguous run of rows (from StateColumn on: id and route never change).
/// Memory is bounded: beyond maxFinishedTopLevel finished top-level jobs (for windows of 1,000
/// or more: once 5 % beyond, so that eviction comes in chunks), the oldest finished ones (with
/// their subtrees) are evicted down to the bound; they stay in the history store.
///
/// With setHistory(), evicted jobs are read back from the store on demand, a page of top-level
/// jobs (with their subtrees, spans and logs) at a time, on a pool thread: fetchOlder() reads
/// the next older page (JobFilterProxyModel offers it to views as fetchMore() when the older
/// jobs are at the end), fetchNewer() the evicted jobs between the read-back ones and the live
/// window. Read-back rows form one contiguous id range of finished top-level jobs, kept ahead
/// of the live rows (rows 0 .. historyTopLevel() - 1) and under their own bound
/// (maxHistoryTopLevel): reading a page beyond it drops the read-back rows at the far end
/// again. Live eviction never touches them. A page waits until the store has written every
/// batch queued when it was asked for (the recorder writes asynchronously), and is dropped
/// when clear() or setHistory() came in between.
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
        FromHistoryRole,              ///< bool: read back from the history store (was evicted)
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

    /// Evicted jobs of run can be read back from store, which must outlive the model. Drops a
    /// read in flight (its page is ignored). Null store: no read-back.
    void setHistory(HistoryStore *store, RunId run);
    HistoryStore *historyStore() const { return m_store; }
    RunId historyRun() const { return m_run; }
    /// Top-level jobs read per page (default 1,000).
    void setHistoryPageSize(int n);
    int historyPageSize() const { return m_pageSize; }
    /// Read-back top-level jobs kept at most (default 5,000; at least one page).
    void setMaxHistoryTopLevel(int n);
    int maxHistoryTopLevel() const { return m_maxHistoryTop; }
    /// Read-back top-level rows held now (the first rows of the top level).
    int historyTopLevel() const { return m_historyTop; }
    /// Jobs (with subtrees) read back from the history and held now.
    int historyJobs() const { return m_historyJobs; }
    /// Evicted top-level jobs not held now: only in the history store.
    int historyOnlyTopLevel() const { return m_evictedTop - m_historyTop; }
    /// Whether a page is being read (one at a time; a dropped one still counts until it returns).
    bool isLoadingHistory() const { return m_loading; }
    /// Whether older evicted jobs can be read back now (none is being read).
    bool canFetchOlder() const;
    /// Starts reading the next older page of evicted jobs; historyLoaded() follows.
    void fetchOlder();
    /// Whether evicted jobs newer than the read-back ones exist (evicted while they were shown).
    bool canFetchNewer() const;
    /// Reads the page of evicted top-level jobs just newer than the read-back ones.
    void fetchNewer();
    /// Whether the model holds this job as read back from the history.
    bool isFromHistory(JobId id) const;

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
    /// A page read back from the history was inserted: its jobs, spans and logs (as held now).
    void historyLoaded(const coroute::ChangeSet &page);
    /// What historyOnlyTopLevel(), isLoadingHistory(), canFetchOlder() or canFetchNewer() say changed.
    void historyChanged();

private:
    struct Node
    {
        JobInfo info;
        Node *parent = nullptr;
        int row = 0;
        std::vector<Node *> children;
        QList<LogEntry> logs;
        bool fromHistory = false; ///< read back from the store (the whole subtree is)
    };
    enum class Direction { Older, Newer };
    Node *nodeAt(const QModelIndex &index) const;
    QModelIndex indexFor(const Node *node, int column) const;
    void countState(JobState state, int delta, const Node *node);
    void evictIfNeeded();
    void destroy(Node *node, QList<JobId> &ids);
    void renumberTop(size_t from);
    void loadHistory(Direction direction);
    void insertHistoryPage(const ChangeSet &page, Direction direction, JobId above, JobId below, int limit);
    void dropHistoryRows(int first, int last);
    void cancelLoad();

    std::vector<Node *> m_top;
    QHash<JobId, Node *> m_nodes;
    std::array<int, 8> m_counts{};
    int m_finishedTop = 0;
    int m_maxFinishedTop = 20000;
    int m_evictedTop = 0;
    int m_evictedJobs = 0;
    JobId m_maxSeen = 0;

    // Read-back: [m_historyLo, m_historyHi] is the top-level id range read back (when
    // m_hasHistoryRange); every evicted top-level job in it is held, as the first m_historyTop rows.
    HistoryStore *m_store = nullptr;
    RunId m_run = 0;
    int m_pageSize = 1000;
    int m_maxHistoryTop = 5000;
    int m_historyTop = 0;
    int m_historyJobs = 0;
    bool m_hasHistoryRange = false;
    JobId m_historyLo = 0;
    JobId m_historyHi = 0;
    JobId m_minEvictedTop = 0;
    JobId m_maxEvictedTop = 0;
    bool m_loading = false;
    quint64 m_generation = 0; ///< bumped by clear() and setHistory(): pages of older ones are dropped
    std::shared_ptr<std::atomic<bool>> m_loadCancelled;
    QFuture<ChangeSet> m_load;
};

} // namespace coroute
