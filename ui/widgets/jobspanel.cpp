#include "widgets/jobspanel.h"

#include "models/jobfilterproxymodel.h"
#include "models/jobtreemodel.h"
#include "models/statestyle_p.h"
#include "runtimehost.h"
#include "views/progressdelegate.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QMenu>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace coroute {

JobsPanel::JobsPanel(JobTreeModel *model, RuntimeHost *host, QWidget *parent)
    : QWidget(parent), m_model(model), m_host(host)
{
    m_proxy = new JobFilterProxyModel(this);
    m_proxy->setSourceModel(model);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(u"jobFilter"_s);
    m_filter->setPlaceholderText(u"Filter: id, route, state, error…"_s);
    m_filter->setClearButtonEnabled(true);
    bar->addWidget(m_filter, 1);
    const QList<std::pair<QString, QList<JobState>>> groups{
        {u"active"_s, {JobState::Pending, JobState::Running, JobState::Cancelling}},
        {u"succeeded"_s, {JobState::Succeeded}},
        {u"failed"_s, {JobState::Failed, JobState::TimedOut, JobState::Interrupted}},
        {u"cancelled"_s, {JobState::Cancelled}},
    };
    for (const auto &[name, states] : groups) {
        auto *b = new QToolButton(this);
        b->setText(name);
        b->setCheckable(true);
        b->setIcon(detail::stateIcon(states.first() == JobState::Pending ? JobState::Running : states.first()));
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        b->setAutoRaise(true);
        QVariantList v;
        for (auto s : states)
            v.append(int(s));
        b->setProperty("states", v);
        b->setToolTip(u"Show only %1 jobs (with the others toggled on)"_s.arg(name));
        connect(b, &QToolButton::toggled, this, &JobsPanel::applyStateFilter);
        m_stateButtons.append(b);
        bar->addWidget(b);
    }

    m_view = new QTreeView(this);
    m_view->setObjectName(u"jobTree"_s);
    m_view->setModel(m_proxy);
    m_view->setUniformRowHeights(true); // large trees scroll smoothly
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(JobTreeModel::IdColumn, Qt::AscendingOrder);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->setItemDelegateForColumn(JobTreeModel::ProgressColumn, new ProgressDelegate(m_view));
    m_view->header()->setStretchLastSection(true);
    m_view->setColumnWidth(JobTreeModel::IdColumn, 90);
    m_view->setColumnWidth(JobTreeModel::RouteColumn, 200);
    m_view->setColumnWidth(JobTreeModel::StateColumn, 100);
    m_view->setColumnWidth(JobTreeModel::DurationColumn, 80);
    m_view->setColumnWidth(JobTreeModel::ProgressColumn, 110);
    m_view->setColumnWidth(JobTreeModel::ExecutorColumn, 60);
    m_view->setColumnWidth(JobTreeModel::WaitingOnColumn, 140);

    // Evicted jobs: how many are in the history only, and reading them back a page at a time.
    m_historyBar = new QWidget(this);
    m_historyBar->setObjectName(u"historyBar"_s);
    auto *hb = new QHBoxLayout(m_historyBar);
    hb->setContentsMargins(0, 0, 0, 0);
    m_historyLabel = new QLabel(m_historyBar);
    m_historyLabel->setForegroundRole(QPalette::PlaceholderText);
    m_loadOlder = new QPushButton(u"Load older"_s, m_historyBar);
    m_loadOlder->setObjectName(u"loadOlder"_s);
    m_loadNewer = new QPushButton(u"Load newer"_s, m_historyBar);
    m_loadNewer->setObjectName(u"loadNewer"_s);
    m_loadNewer->setToolTip(u"Jobs evicted while older ones were shown"_s);
    hb->addWidget(m_historyLabel, 1);
    hb->addWidget(m_loadNewer);
    hb->addWidget(m_loadOlder);
    connect(m_loadOlder, &QPushButton::clicked, this, [this] { m_model->fetchOlder(); });
    connect(m_loadNewer, &QPushButton::clicked, this, [this] { m_model->fetchNewer(); });
    connect(m_model, &JobTreeModel::historyChanged, this, &JobsPanel::updateHistoryBar);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_historyBar);

    const auto makeAction = [this](const QString &text, const QKeySequence &key, const QString &name) {
        auto *a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty())
            a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_view->addAction(a);
        addAction(a);
        return a;
    };
    m_cancel = makeAction(u"Cancel"_s, QKeySequence(Qt::Key_Delete), u"cancelJob"_s);
    m_cancelSubtree = makeAction(u"Cancel subtree (with background jobs)"_s, QKeySequence(Qt::SHIFT | Qt::Key_Delete),
                                 u"cancelSubtree"_s);
    m_cancelAll = makeAction(u"Cancel all"_s, QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete), u"cancelAll"_s);
    auto *sep = new QAction(this);
    sep->setSeparator(true);
    m_view->addAction(sep);
    m_rerun = makeAction(u"Re-run"_s, QKeySequence(Qt::CTRL | Qt::Key_R), u"rerunJob"_s);
    m_copyResult = makeAction(u"Copy result"_s, QKeySequence::Copy, u"copyResult"_s);
    m_cancel->setIcon(detail::stateIcon(JobState::Cancelled));
    m_cancelAll->setShortcutContext(Qt::WindowShortcut);

    connect(m_cancel, &QAction::triggered, this, [this] {
        for (const auto id : selectedJobs())
            m_host->cancel(id);
    });
    connect(m_cancelSubtree, &QAction::triggered, this, [this] {
        for (const auto id : selectedJobs())
            m_host->cancelSubtree(id);
    });
    connect(m_cancelAll, &QAction::triggered, this, [this] { m_host->cancelAll(); });
    connect(m_rerun, &QAction::triggered, this, [this] {
        for (const auto id : selectedJobs()) {
            if (const auto *j = m_model->job(id))
                m_host->rerun(*j);
        }
    });
    connect(m_copyResult, &QAction::triggered, this, [this] {
        QStringList parts;
        for (const auto id : selectedJobs()) {
            if (const auto *j = m_model->job(id)) {
                const QJsonValue v = j->state == JobState::Succeeded ? j->result.toJson() : QJsonValue(j->error.toJson());
                parts << QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Indented))
                             .trimmed().mid(1).chopped(1).trimmed();
            }
        }
        QGuiApplication::clipboard()->setText(parts.join(u'\n'));
    });

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &JobFilterProxyModel::setText);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        Q_EMIT selectionChanged(selectedJobs());
    });
    connect(m_model, &JobTreeModel::applied, this, &JobsPanel::updateActions);
    // Durations of running jobs move on without model changes: repaint now and then.
    auto *ticker = new QTimer(this);
    connect(ticker, &QTimer::timeout, this, [this] {
        if (m_view->isVisible() && m_model->countIn(JobState::Running) > 0)
            m_view->viewport()->update();
    });
    ticker->start(500);
    updateActions();
    updateHistoryBar();
}

void JobsPanel::updateHistoryBar()
{
    const int only = m_model->historyOnlyTopLevel();
    const bool shown = m_model->historyStore() && (only > 0 || m_model->historyTopLevel() > 0);
    m_historyBar->setVisible(shown);
    if (!shown)
        return;
    const QLocale locale;
    QString text = u"%1 older jobs in the history only"_s.arg(locale.toString(only));
    if (m_model->historyTopLevel() > 0)
        text += u" · %1 read back"_s.arg(locale.toString(m_model->historyTopLevel()));
    if (m_model->isLoadingHistory())
        text += u" · reading…"_s;
    m_historyLabel->setText(text);
    m_historyLabel->setToolTip(
        u"Finished top-level jobs beyond the live window (%1) are evicted and stay in the history store. "
        "Read back, they are shown like live ones; at most %2 are kept, the farthest are dropped again."_s
            .arg(locale.toString(m_model->maxFinishedTopLevel()), locale.toString(m_model->maxHistoryTopLevel())));
    m_loadOlder->setText(u"Load %1 older"_s.arg(locale.toString(m_model->historyPageSize())));
    m_loadOlder->setEnabled(m_model->canFetchOlder());
    m_loadNewer->setEnabled(m_model->canFetchNewer());
    m_loadNewer->setVisible(m_model->canFetchNewer() || (m_model->isLoadingHistory() && m_model->historyTopLevel() > 0));
}

QList<JobId> JobsPanel::selectedJobs() const
{
    QList<JobId> ids;
    const auto rows = m_view->selectionModel()->selectedRows(0);
    for (const auto &idx : rows)
        ids.append(idx.data(JobTreeModel::JobIdRole).value<JobId>());
    return ids;
}

void JobsPanel::selectJob(JobId id)
{
    const QModelIndex src = m_model->indexOf(id);
    const QModelIndex idx = m_proxy->mapFromSource(src);
    if (!idx.isValid())
        return;
    m_view->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(idx);
}

void JobsPanel::updateActions()
{
    const auto ids = selectedJobs();
    bool anyActive = false;
    bool anyFinished = false;
    for (const auto id : ids) {
        if (const auto *j = m_model->job(id)) {
            anyActive = anyActive || !isTerminal(j->state);
            anyFinished = anyFinished || isTerminal(j->state);
        }
    }
    const bool live = m_host != nullptr;
    m_cancel->setEnabled(live && anyActive);
    m_cancelSubtree->setEnabled(live && !ids.isEmpty());
    m_cancelAll->setEnabled(live && m_model->countIn(JobState::Pending) + m_model->countIn(JobState::Running) > 0);
    m_rerun->setEnabled(live && !ids.isEmpty());
    m_copyResult->setEnabled(anyFinished);
}

void JobsPanel::applyStateFilter()
{
    QSet<JobState> states;
    for (auto *b : std::as_const(m_stateButtons)) {
        if (b->isChecked()) {
            for (const auto &v : b->property("states").toList())
                states.insert(JobState(v.toInt()));
        }
    }
    m_proxy->setStates(states);
}

QByteArray JobsPanel::saveState() const
{
    return m_view->header()->saveState();
}

void JobsPanel::restoreState(const QByteArray &state)
{
    m_view->header()->restoreState(state);
}

} // namespace coroute
