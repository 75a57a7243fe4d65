#include "models/jobtreemodel.h"

#include "models/statestyle_p.h"

#include "uilog_p.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QSet>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <chrono>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr int maxLogsPerJob = 2000;

QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return u"%1 ms"_s.arg(ms);
    if (ms < 60000)
        return u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 2);
    return u"%1 min %2 s"_s.arg(ms / 60000).arg((ms % 60000) / 1000);
}

QString progressLabel(const JobInfo &j)
{
    if (j.progress < 0)
        return j.progressText;
    const QString pct = u"%1%"_s.arg(qRound(j.progress * 100));
    return j.progressText.isEmpty() ? pct : pct + u"  "_s + j.progressText;
}

} // namespace

JobTreeModel::JobTreeModel(QObject *parent) : QAbstractItemModel(parent) {}

JobTreeModel::~JobTreeModel()
{
    // The read in flight uses the store: it returns soon once cancelled (one page at most).
    cancelLoad();
    m_load.waitForFinished();
    qDeleteAll(m_nodes);
}

void JobTreeModel::setMaxFinishedTopLevel(int n)
{
    m_maxFinishedTop = qMax(1, n);
    evictIfNeeded();
}

void JobTreeModel::countState(JobState state, int delta, const Node *node)
{
    m_counts[size_t(state)] += delta;
    if (!node->parent && !node->fromHistory && isTerminal(state))
        m_finishedTop += delta;
}

void JobTreeModel::apply(const ChangeSet &changes)
{
    struct Insert
    {
        Node *parent;
        std::vector<Node *> rows;
    };
    std::vector<Insert> inserts;
    QHash<Node *, size_t> insertOf;       // parent (null: top level) -> its entry in inserts
    QHash<Node *, QList<int>> updatedRows; // parent -> rows whose job changed
    QSet<Node *> fresh;                    // new in this batch, not attached yet

    for (const auto &job : changes.jobs) {
        if (Node *n = m_nodes.value(job.id)) {
            if (n->info.state != job.state) {
                countState(n->info.state, -1, n);
                countState(job.state, +1, n);
            }
            n->info = job;
            if (!fresh.contains(n))
                updatedRows[n->parent].append(n->row);
            continue;
        }
        // Ids grow: an unknown id below the highest seen belongs to an evicted job.
        if (job.id <= m_maxSeen)
            continue;
        m_maxSeen = job.id;
        auto *n = new Node;
        n->info = job;
        n->parent = job.parent ? m_nodes.value(job.parent) : nullptr;
        m_nodes.insert(job.id, n);
        fresh.insert(n);
        countState(job.state, +1, n);
        if (n->parent && fresh.contains(n->parent)) {
            // The parent is not visible yet: its insertion brings its children along.
            n->row = int(n->parent->children.size());
            n->parent->children.push_back(n);
            continue;
        }
        auto it = insertOf.constFind(n->parent);
        if (it == insertOf.constEnd()) {
            it = insertOf.insert(n->parent, inserts.size());
            inserts.push_back({n->parent, {}});
        }
        inserts[*it].rows.push_back(n);
    }

    for (auto &ins : inserts) {
        auto &siblings = ins.parent ? ins.parent->children : m_top;
        const int first = int(siblings.size());
        beginInsertRows(indexFor(ins.parent, 0), first, first + int(ins.rows.size()) - 1);
        for (auto *n : ins.rows) {
            n->row = int(siblings.size());
            siblings.push_back(n);
        }
        endInsertRows();
    }

    for (auto it = updatedRows.begin(); it != updatedRows.end(); ++it) {
        auto &rows = it.value();
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        const QModelIndex parentIndex = indexFor(it.key(), 0);
        qsizetype i = 0;
        while (i < rows.size()) {
            qsizetype j = i;
            while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1)
                ++j;
            // Id and route never change: leaving them out keeps a proxy sorted by id (the
            // default) from re-sorting every updated row, which costs a layout change each.
            Q_EMIT dataChanged(index(rows[i], StateColumn, parentIndex),
                               index(rows[j], ColumnCount - 1, parentIndex));
            i = j + 1;
        }
    }

    for (const auto &log : changes.logs) {
        if (Node *n = m_nodes.value(log.job)) {
            n->logs.append(log);
            if (n->logs.size() > maxLogsPerJob)
                n->logs.removeFirst();
        }
    }

    evictIfNeeded();
    Q_EMIT applied();
}

void JobTreeModel::destroy(Node *node, QList<JobId> &ids)
{
    for (auto *c : node->children)
        destroy(c, ids);
    countState(node->info.state, -1, node);
    if (node->fromHistory)
        --m_historyJobs;
    ids.append(node->info.id);
    m_nodes.remove(node->info.id);
    delete node;
}

void JobTreeModel::evictIfNeeded()
{
    // Large windows evict in chunks (once 5 % over the bound): each removal costs a proxy and
    // a tree view work in proportion to all their rows, so a stream of finishing jobs should
    // remove a thousand rows now and then, not a few with every batch.
    const int slack = m_maxFinishedTop >= 1000 ? m_maxFinishedTop / 20 : 0;
    int excess = m_finishedTop - m_maxFinishedTop;
    if (excess <= slack)
        return;
    // The oldest finished top-level rows, grouped into contiguous ranges.
    QList<std::pair<int, int>> ranges;
    // Read-back rows (the first m_historyTop) have their own bound: only live rows go here.
    for (int row = m_historyTop; row < int(m_top.size()) && excess > 0; ++row) {
        if (!isTerminal(m_top[size_t(row)]->info.state))
            continue;
        --excess;
        if (!ranges.isEmpty() && ranges.last().second == row - 1)
            ranges.last().second = row;
        else
            ranges.append({row, row});
    }
    QList<JobId> ids;
    // From the last range back, so the rows of earlier ranges stay valid.
    for (auto r = ranges.crbegin(); r != ranges.crend(); ++r) {
        beginRemoveRows({}, r->first, r->second);
        for (int row = r->first; row <= r->second; ++row) {
            const JobId id = m_top[size_t(row)]->info.id;
            m_minEvictedTop = m_minEvictedTop ? qMin(m_minEvictedTop, id) : id;
            m_maxEvictedTop = qMax(m_maxEvictedTop, id);
            destroy(m_top[size_t(row)], ids);
        }
        m_top.erase(m_top.begin() + r->first, m_top.begin() + r->second + 1);
        renumberTop(size_t(r->first));
        m_evictedTop += r->second - r->first + 1;
        endRemoveRows();
    }
    m_evictedJobs += int(ids.size());
    Q_EMIT evicted(ids);
    if (m_store)
        Q_EMIT historyChanged();
}

void JobTreeModel::renumberTop(size_t from)
{
    for (size_t row = from; row < m_top.size(); ++row)
        m_top[row]->row = int(row);
}

void JobTreeModel::setHistory(HistoryStore *store, RunId run)
{
    cancelLoad();
    m_store = store;
    m_run = run;
    Q_EMIT historyChanged();
}

void JobTreeModel::setHistoryPageSize(int n)
{
    m_pageSize = qMax(1, n);
    m_maxHistoryTop = qMax(m_maxHistoryTop, m_pageSize);
}

void JobTreeModel::setMaxHistoryTopLevel(int n)
{
    m_maxHistoryTop = qMax(m_pageSize, n);
    if (m_historyTop > m_maxHistoryTop) {
        // Keep the read-back rows nearest to the live ones.
        dropHistoryRows(0, m_historyTop - m_maxHistoryTop - 1);
        m_historyLo = m_top.front()->info.id;
        Q_EMIT historyChanged();
    }
}

bool JobTreeModel::isFromHistory(JobId id) const
{
    const Node *n = m_nodes.value(id);
    return n && n->fromHistory;
}

void JobTreeModel::cancelLoad()
{
    // The page of a read in flight is dropped when it returns (another generation); m_loading
    // stays set until then, so reads never overlap.
    ++m_generation;
    if (m_loadCancelled)
        *m_loadCancelled = true;
}

bool JobTreeModel::canFetchOlder() const
{
    if (!m_store || m_loading || m_evictedTop == 0)
        return false;
    return !m_hasHistoryRange || m_minEvictedTop < m_historyLo;
}

void JobTreeModel::fetchOlder()
{
    if (canFetchOlder())
        loadHistory(Direction::Older);
}

bool JobTreeModel::canFetchNewer() const
{
    return m_store && !m_loading && m_hasHistoryRange && m_maxEvictedTop > m_historyHi;
}

void JobTreeModel::fetchNewer()
{
    if (canFetchNewer())
        loadHistory(Direction::Newer);
}

void JobTreeModel::loadHistory(Direction direction)
{
    // Older: the newest evicted top-level jobs below the read-back range (below all evicted
    // ones when nothing is read back). Newer: the oldest above the read-back range, up to the
    // newest evicted one. Jobs the model still holds (running when older ones were evicted)
    // come along and are skipped when the page is inserted.
    const JobId above = direction == Direction::Newer ? m_historyHi : 0;
    const JobId below = direction == Direction::Older && m_hasHistoryRange ? m_historyLo : m_maxEvictedTop + 1;
    const auto order = direction == Direction::Older ? Qt::DescendingOrder : Qt::AscendingOrder;
    const int limit = m_pageSize;
    HistoryStore *store = m_store;
    const RunId run = m_run;
    // Every evicted job's last change set was handed to the store (the recorder records a
    // batch before the GUI thread receives it): once the batches queued now are written, the
    // page sees them all.
    const quint64 mark = store->writeMark();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    m_loadCancelled = cancelled;
    m_loading = true;
    const quint64 generation = m_generation;
    auto *watcher = new QFutureWatcher<ChangeSet>(this);
    connect(watcher, &QFutureWatcher<ChangeSet>::finished, this,
            [this, watcher, generation, direction, above, below, limit] {
                watcher->deleteLater();
                m_loading = false;
                if (generation == m_generation)
                    insertHistoryPage(watcher->result(), direction, above, below, limit);
                else
                    qCDebug(lcUi) << "dropped a history page of a previous run or model state";
                Q_EMIT historyChanged();
            });
    m_load = QtConcurrent::run([store, run, mark, cancelled, above, below, limit, order] {
        using namespace std::chrono_literals;
        while (!store->waitWritten(mark, 100ms)) {
            if (*cancelled)
                return ChangeSet{};
        }
        if (*cancelled)
            return ChangeSet{};
        return store->jobTrees(run, above, below, limit, order);
    });
    watcher->setFuture(m_load);
    Q_EMIT historyChanged();
}

void JobTreeModel::insertHistoryPage(const ChangeSet &page, Direction direction, JobId above, JobId below, int limit)
{
    // An evicted top-level job that the store still has as unfinished (it finished while the
    // page was read: its last state was queued after the page's mark): the page stops short of
    // it, so that the next page reads it again, and the range stays whole.
    JobId staleLow = 0;
    JobId staleHigh = 0;
    for (const auto &job : page.jobs) {
        if (!job.parent && !isTerminal(job.state) && !m_nodes.contains(job.id)) {
            staleLow = staleLow ? qMin(staleLow, job.id) : job.id;
            staleHigh = qMax(staleHigh, job.id);
        }
    }
    const auto beyondStale = [&](JobId top) {
        return direction == Direction::Older ? staleHigh && top <= staleHigh : staleLow && top >= staleLow;
    };
    // Build the page's subtrees: parents come before their children (id order). Jobs the model
    // holds (running ones it never evicted) are skipped with their subtrees.
    std::vector<Node *> tops;
    QHash<JobId, Node *> built;
    JobId lowest = 0;
    JobId highest = 0;
    int pageTops = 0;
    for (const auto &job : page.jobs) {
        if (!job.parent) {
            ++pageTops;
            lowest = lowest ? qMin(lowest, job.id) : job.id;
            highest = qMax(highest, job.id);
        }
        Node *parent = job.parent ? built.value(job.parent) : nullptr;
        if (m_nodes.contains(job.id) || (job.parent && !parent) || (!job.parent && beyondStale(job.id)))
            continue;
        auto *n = new Node;
        n->info = job;
        n->parent = parent;
        n->fromHistory = true;
        built.insert(job.id, n);
        if (parent) {
            n->row = int(parent->children.size());
            parent->children.push_back(n);
        } else {
            tops.push_back(n);
        }
    }
    // The range now read back. A short page means the store has nothing further that way.
    if (pageTops > 0 || !m_hasHistoryRange) {
        if (direction == Direction::Older) {
            const JobId lo = staleHigh ? staleHigh + 1 : pageTops < limit ? 1 : lowest;
            m_historyLo = m_hasHistoryRange ? qMin(m_historyLo, lo) : lo;
            if (!m_hasHistoryRange)
                m_historyHi = below - 1;
        } else {
            const JobId hi = staleLow ? staleLow - 1 : pageTops < limit ? below - 1 : highest;
            m_historyHi = qMax(m_historyHi, hi);
            Q_UNUSED(above);
        }
        m_hasHistoryRange = true;
    }
    ChangeSet inserted;
    if (!tops.empty()) {
        // Older pages go first; newer ones right after the read-back rows: one contiguous range.
        const int first = direction == Direction::Older ? 0 : m_historyTop;
        beginInsertRows({}, first, first + int(tops.size()) - 1);
        for (auto *n : built) {
            m_nodes.insert(n->info.id, n);
            countState(n->info.state, +1, n);
        }
        m_top.insert(m_top.begin() + first, tops.begin(), tops.end());
        renumberTop(size_t(first));
        m_historyTop += int(tops.size());
        m_historyJobs += int(built.size());
        endInsertRows();
        for (const auto &log : page.logs) {
            if (Node *n = built.value(log.job)) {
                n->logs.append(log);
                if (n->logs.size() > maxLogsPerJob)
                    n->logs.removeFirst();
            }
        }
        for (const auto &j : page.jobs) {
            if (built.contains(j.id))
                inserted.jobs.append(j);
        }
        for (const auto &sp : page.spans) {
            if (built.contains(sp.job))
                inserted.spans.append(sp);
        }
        for (const auto &l : page.logs) {
            if (built.contains(l.job))
                inserted.logs.append(l);
        }
    }
    // Over the bound: drop the read-back rows farthest from this page.
    const int excess = m_historyTop - m_maxHistoryTop;
    if (excess > 0) {
        if (direction == Direction::Older) {
            dropHistoryRows(m_historyTop - excess, m_historyTop - 1);
            m_historyHi = m_top[size_t(m_historyTop - 1)]->info.id;
        } else {
            dropHistoryRows(0, excess - 1);
            m_historyLo = m_top.front()->info.id;
        }
    }
    if (!inserted.jobs.isEmpty())
        Q_EMIT historyLoaded(inserted);
}

void JobTreeModel::dropHistoryRows(int first, int last)
{
    QList<JobId> ids;
    beginRemoveRows({}, first, last);
    for (int row = first; row <= last; ++row)
        destroy(m_top[size_t(row)], ids);
    m_top.erase(m_top.begin() + first, m_top.begin() + last + 1);
    renumberTop(size_t(first));
    m_historyTop -= last - first + 1;
    endRemoveRows();
    Q_EMIT evicted(ids);
}

void JobTreeModel::clear()
{
    beginResetModel();
    qDeleteAll(m_nodes);
    m_nodes.clear();
    m_top.clear();
    m_counts = {};
    m_finishedTop = 0;
    m_evictedTop = 0;
    m_evictedJobs = 0;
    m_maxSeen = 0;
    cancelLoad();
    m_historyTop = 0;
    m_historyJobs = 0;
    m_hasHistoryRange = false;
    m_historyLo = m_historyHi = 0;
    m_minEvictedTop = m_maxEvictedTop = 0;
    endResetModel();
    Q_EMIT historyChanged();
}

JobTreeModel::Node *JobTreeModel::nodeAt(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : nullptr;
}

QModelIndex JobTreeModel::indexFor(const Node *node, int column) const
{
    return node ? createIndex(node->row, column, node) : QModelIndex();
}

const JobInfo *JobTreeModel::jobAt(const QModelIndex &index) const
{
    if (index.model() != this)
        return nullptr;
    const Node *n = nodeAt(index);
    return n ? &n->info : nullptr;
}

const JobInfo *JobTreeModel::job(JobId id) const
{
    const Node *n = m_nodes.value(id);
    return n ? &n->info : nullptr;
}

QList<LogEntry> JobTreeModel::logs(JobId id) const
{
    const Node *n = m_nodes.value(id);
    return n ? n->logs : QList<LogEntry>{};
}

QModelIndex JobTreeModel::indexOf(JobId id, int column) const
{
    return indexFor(m_nodes.value(id), column);
}

QList<JobId> JobTreeModel::subtree(JobId id) const
{
    QList<JobId> out;
    const Node *root = m_nodes.value(id);
    if (!root)
        return out;
    QList<const Node *> stack{root};
    while (!stack.isEmpty()) {
        const Node *n = stack.takeLast();
        out.append(n->info.id);
        for (auto it = n->children.rbegin(); it != n->children.rend(); ++it)
            stack.append(*it);
    }
    return out;
}

QModelIndex JobTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    const Node *p = nodeAt(parent);
    if (parent.isValid() && parent.column() != 0)
        return {};
    const auto &siblings = p ? p->children : m_top;
    if (size_t(row) >= siblings.size())
        return {};
    return createIndex(row, column, siblings[size_t(row)]);
}

QModelIndex JobTreeModel::parent(const QModelIndex &child) const
{
    const Node *n = nodeAt(child);
    return n ? indexFor(n->parent, 0) : QModelIndex();
}

int JobTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    const Node *p = nodeAt(parent);
    return int(p ? p->children.size() : m_top.size());
}

int JobTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool JobTreeModel::hasChildren(const QModelIndex &parent) const
{
    return rowCount(parent) > 0;
}

QVariant JobTreeModel::data(const QModelIndex &index, int role) const
{
    const Node *n = nodeAt(index);
    if (!n)
        return {};
    const JobInfo &j = n->info;
    const int col = index.column();
    switch (role) {
    case JobIdRole: return QVariant::fromValue(j.id);
    case StateRole: return int(j.state);
    case ProgressRole: return j.progress;
    case ProgressTextRole: return progressLabel(j);
    case DurationRole: return j.durationMs(QDateTime::currentMSecsSinceEpoch());
    case FinishedRole: return isTerminal(j.state);
    case FromHistoryRole: return n->fromHistory;
    case SearchTextRole:
        return QString::number(j.id) + u' ' + j.displayName() + u' ' + j.route + u' ' + nameOf(j.state) + u' '
             + j.error.message + u' ' + j.waitingOn;
    case SortRole:
        switch (col) {
        case IdColumn: return QVariant::fromValue(j.id);
        case RouteColumn: return j.displayName();
        case StateColumn: return int(j.state);
        case DurationColumn: return j.durationMs(QDateTime::currentMSecsSinceEpoch());
        case ProgressColumn: return j.progress;
        case ExecutorColumn: return nameOf(j.executor);
        case WaitingOnColumn: return j.waitingOn;
        case WarningsColumn: return int(j.warnings.size());
        }
        return {};
    case Qt::DisplayRole:
        switch (col) {
        case IdColumn: return QString::number(j.id);
        case RouteColumn: return j.displayName();
        case StateColumn: return nameOf(j.state);
        case DurationColumn:
            return j.state == JobState::Pending ? QString()
                                                : formatDuration(j.durationMs(QDateTime::currentMSecsSinceEpoch()));
        case ProgressColumn: return progressLabel(j);
        case ExecutorColumn: return nameOf(j.executor);
        case WaitingOnColumn: return j.waitingOn;
        case WarningsColumn:
            return j.warnings.isEmpty() ? QString()
                 : j.warnings.size() == 1 ? j.warnings.first()
                                          : u"%1 warnings: %2"_s.arg(j.warnings.size()).arg(j.warnings.first());
        }
        return {};
    case Qt::DecorationRole:
        if (col == StateColumn)
            return detail::stateIcon(j.state);
        return {};
    case Qt::ForegroundRole:
        if (col == StateColumn)
            return detail::stateColor(j.state);
        if (col == WarningsColumn && !j.warnings.isEmpty())
            return detail::stateColor(JobState::TimedOut);
        return {};
    case Qt::ToolTipRole:
        switch (col) {
        case IdColumn: return n->fromHistory ? u"read back from the history"_s : QString();
        case RouteColumn: return j.route.isEmpty() ? j.displayName() : j.method + u' ' + j.route;
        case StateColumn:
            if (j.cancelReason != CancelReason::None)
                return u"%1: %2 by %3"_s.arg(nameOf(j.state), nameOf(j.cancelReason), j.cancelledBy);
            if (!j.error.isNull())
                return u"%1: %2"_s.arg(nameOf(j.state), j.error.message);
            return nameOf(j.state);
        case WarningsColumn: return j.warnings.join(u'\n');
        case DurationColumn:
            return j.queuedMs ? u"queued %1 ms on a limit"_s.arg(j.queuedMs) : QString();
        }
        return {};
    case Qt::TextAlignmentRole:
        if (col == IdColumn || col == DurationColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    return {};
}

QVariant JobTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return u"Id"_s;
    case RouteColumn: return u"Route"_s;
    case StateColumn: return u"State"_s;
    case DurationColumn: return u"Duration"_s;
    case ProgressColumn: return u"Progress"_s;
    case ExecutorColumn: return u"Runs on"_s;
    case WaitingOnColumn: return u"Waiting on"_s;
    case WarningsColumn: return u"Warnings"_s;
    }
    return {};
}

} // namespace coroute
