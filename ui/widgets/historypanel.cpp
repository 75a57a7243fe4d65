#include "widgets/historypanel.h"

#include "models/jobtreemodel.h"
#include "models/spanmodel.h"
#include "trace/chrometrace.h"
#include "trace/otlp.h"
#include "trace/tracefile.h"
#include "views/timelineview.h"
#include "widgets/detailspanel.h"
#include "widgets/jobspanel.h"
#include "widgets/runbrowser_p.h"

#include <QDateTime>
#include <QDialog>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMap>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTreeView>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr int RunIdRole = Qt::UserRole + 1;

// Runs fn on the global pool and hands its result to done on receiver's thread, unless the
// receiver is gone by then.
template<typename Fn, typename Done>
void runInBackground(QObject *receiver, Fn fn, Done done)
{
    using R = decltype(fn());
    auto *watcher = new QFutureWatcher<R>(receiver);
    QObject::connect(watcher, &QFutureWatcher<R>::finished, receiver, [watcher, done = std::move(done)] {
        done(watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run(std::move(fn)));
}

} // namespace

HistoryPanel::HistoryPanel(HistoryStore *store, QWidget *parent) : QWidget(parent), m_store(store)
{
    m_runs = new QTreeWidget(this);
    m_runs->setObjectName(u"runList"_s);
    m_runs->setHeaderLabels({u"Run"_s, u"Name"_s, u"Started"_s, u"State"_s, u"Jobs"_s, u"Failed"_s, u"Cancelled"_s});
    m_runs->setRootIsDecorated(false);
    m_runs->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runs->setColumnWidth(1, 260);
    m_runs->setColumnWidth(2, 150);
    m_refresh = new QPushButton(u"Refresh"_s, this);
    m_open = new QPushButton(u"Open"_s, this);
    m_export = new QPushButton(u"Export trace…"_s, this);
    m_compare = new QPushButton(u"Compare two"_s, this);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto *buttons = new QHBoxLayout;
    for (auto *b : {m_refresh, m_open, m_export, m_compare})
        buttons->addWidget(b);
    buttons->addWidget(m_status, 1);

    m_model = new JobTreeModel(this);
    m_spanModel = new SpanModel(this);
    m_jobs = new JobsPanel(m_model, nullptr, this);
    m_timeline = new TimelineView(this);
    m_timeline->setFollowLive(false);
    m_details = new DetailsPanel(this);
    m_browser = new detail::RunBrowser(m_model, m_spanModel, m_jobs, m_timeline, m_details, this);
    m_tabs = new QTabWidget(this);
    auto *runSplit = new QSplitter(Qt::Horizontal, this);
    runSplit->addWidget(m_jobs);
    runSplit->addWidget(m_details);
    runSplit->setStretchFactor(0, 3);
    runSplit->setStretchFactor(1, 2);
    m_tabs->addTab(runSplit, u"Jobs"_s);
    m_tabs->addTab(m_timeline, u"Timeline"_s);
    connect(m_tabs, &QTabWidget::currentChanged, m_browser, &detail::RunBrowser::refresh);

    auto *top = new QWidget(this);
    auto *tl = new QVBoxLayout(top);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->addLayout(buttons);
    tl->addWidget(m_runs, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_tabs);
    split->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(m_refresh, &QPushButton::clicked, this, &HistoryPanel::refresh);
    connect(m_open, &QPushButton::clicked, this, [this] {
        const auto runs = selectedRuns();
        if (!runs.isEmpty())
            openRun(runs.first());
    });
    connect(m_runs, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem *item) { openRun(item->data(0, RunIdRole).toLongLong()); });
    connect(m_compare, &QPushButton::clicked, this, [this] {
        const auto runs = selectedRuns();
        if (runs.size() == 2)
            compareRuns(runs[1], runs[0]);
        else
            m_status->setText(u"Select two runs to compare."_s);
    });
    connect(m_export, &QPushButton::clicked, this, [this] {
        const auto runs = selectedRuns();
        if (runs.isEmpty()) {
            m_status->setText(u"Select a run to export."_s);
            return;
        }
        // Non-blocking dialog: no nested event loop on the GUI thread.
        auto *dialog = new QFileDialog(this, u"Export the trace of run %1"_s.arg(runs.first()));
        dialog->setAcceptMode(QFileDialog::AcceptSave);
        const QString chrome = u"Chrome trace / Perfetto (*.json)"_s;
        const QString otlp = u"OpenTelemetry OTLP/JSON (*.otlp.json)"_s;
        dialog->setNameFilters({chrome, otlp});
        dialog->selectFile(u"run-%1.trace.json"_s.arg(runs.first()));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QFileDialog::fileSelected, this, [this, dialog, run = runs.first(), otlp](const QString &path) {
            exportTrace(run, path, dialog->selectedNameFilter() == otlp || path.endsWith(u".otlp.json"_s));
        });
        dialog->open();
    });
    connect(this, &HistoryPanel::exported, this, [this](const QString &path, const QString &error) {
        m_status->setText(error.isEmpty() ? u"Trace written to %1."_s.arg(path) : error);
    });
    const bool ok = m_store != nullptr;
    for (auto *b : {m_refresh, m_open, m_export, m_compare})
        b->setEnabled(ok);
    if (!ok)
        m_status->setText(u"No history store: start with --db FILE, or check the default database."_s);
    else
        refresh();
}

HistoryPanel::~HistoryPanel() = default;

QList<RunId> HistoryPanel::selectedRuns() const
{
    QList<RunId> ids;
    for (auto *item : m_runs->selectedItems())
        ids.append(item->data(0, RunIdRole).toLongLong());
    std::sort(ids.begin(), ids.end(), std::greater<>());
    return ids;
}

void HistoryPanel::refresh()
{
    if (!m_store)
        return;
    HistoryStore *store = m_store;
    runInBackground(this, [store] { return store->runs(200); }, [this](const QList<RunInfo> &runs) {
        const auto selected = selectedRuns();
        m_runs->clear();
        for (const auto &r : runs) {
            auto *item = new QTreeWidgetItem(m_runs, {QString::number(r.id), r.name,
                                                      QDateTime::fromMSecsSinceEpoch(r.startedMs).toString(u"yyyy-MM-dd HH:mm:ss"_s),
                                                      r.state, QString::number(r.jobs), QString::number(r.failed),
                                                      QString::number(r.cancelled)});
            item->setData(0, RunIdRole, r.id);
            item->setToolTip(1, r.command);
            item->setSelected(selected.contains(r.id));
        }
        Q_EMIT runsLoaded(runs);
    });
}

ChangeSet HistoryPanel::replay(const HistoryStore &store, RunId run)
{
    ChangeSet set;
    set.jobs = store.jobs(run);
    std::sort(set.jobs.begin(), set.jobs.end(), [](const JobInfo &a, const JobInfo &b) { return a.id < b.id; });
    set.spans = store.spans(run);
    for (const auto &j : std::as_const(set.jobs))
        set.logs.append(store.logs(run, j.id));
    return set;
}

void HistoryPanel::openRun(RunId run)
{
    if (!m_store)
        return;
    HistoryStore *store = m_store;
    m_status->setText(u"Loading run %1…"_s.arg(run));
    runInBackground(this, [store, run] { return replay(*store, run); }, [this, run](const ChangeSet &set) {
        m_opened = run;
        m_model->clear();
        m_spanModel->clear();
        // A stored run is shown whole.
        m_model->setMaxFinishedTopLevel(qMax(20000, int(set.jobs.size())));
        m_model->apply(set);
        m_spanModel->apply(set);
        m_timeline->fitAll();
        m_browser->refresh();
        m_status->setText(u"Run %1: %2 jobs, %3 spans."_s.arg(run).arg(set.jobs.size()).arg(set.spans.size()));
        Q_EMIT runOpened(run);
    });
}

void HistoryPanel::exportTrace(RunId run, const QString &path, bool otlp)
{
    if (!m_store)
        return;
    HistoryStore *store = m_store;
    runInBackground(
        this,
        [store, run, path, otlp] {
            const auto spans = store->spans(run);
            const QJsonObject doc = otlp ? toOtlpJson(spans) : toChromeTrace(spans, store->jobs(run));
            QString error;
            if (!writeTraceFile(path, doc, &error))
                return error;
            return QString();
        },
        [this, path](const QString &error) { Q_EMIT exported(path, error); });
}

QList<RouteDurations> HistoryPanel::routeDurations(const QList<JobInfo> &jobs)
{
    QMap<QString, RouteDurations> by;
    for (const auto &j : jobs) {
        const QString key = j.method + u' ' + (j.route.isEmpty() ? j.path : j.route);
        auto &d = by[key];
        d.route = key;
        const double ms = double(j.durationMs(j.finishedMs ? j.finishedMs : j.startedMs));
        d.meanMs = (d.meanMs * d.jobs + ms) / (d.jobs + 1);
        d.maxMs = qMax(d.maxMs, ms);
        ++d.jobs;
    }
    return by.values();
}

void HistoryPanel::compareRuns(RunId a, RunId b)
{
    if (!m_store)
        return;
    HistoryStore *store = m_store;
    using Pair = std::pair<QList<RouteDurations>, QList<RouteDurations>>;
    runInBackground(
        this, [store, a, b] { return Pair{routeDurations(store->jobs(a)), routeDurations(store->jobs(b))}; },
        [this, a, b](const Pair &p) {
            showComparison(a, b, p.first, p.second);
            Q_EMIT compared(a, b);
        });
}

void HistoryPanel::showComparison(RunId a, RunId b, const QList<RouteDurations> &da, const QList<RouteDurations> &db)
{
    auto *dialog = new QDialog(this);
    dialog->setObjectName(u"compareDialog"_s);
    dialog->setWindowTitle(u"Run %1 vs run %2: durations per route"_s.arg(a).arg(b));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *table = new QTreeWidget(dialog);
    table->setRootIsDecorated(false);
    table->setSortingEnabled(true);
    table->setHeaderLabels({u"Route"_s, u"Jobs (%1)"_s.arg(a), u"Mean ms (%1)"_s.arg(a), u"Jobs (%1)"_s.arg(b),
                            u"Mean ms (%1)"_s.arg(b), u"Change"_s});
    QMap<QString, std::pair<RouteDurations, RouteDurations>> rows;
    for (const auto &d : da)
        rows[d.route].first = d;
    for (const auto &d : db)
        rows[d.route].second = d;
    for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
        const auto &[x, y] = it.value();
        const QString change = x.jobs && y.jobs && x.meanMs > 0
                                   ? u"%1%2%"_s.arg(y.meanMs >= x.meanMs ? u"+"_s : QString())
                                         .arg((y.meanMs - x.meanMs) / x.meanMs * 100, 0, 'f', 1)
                                   : QString();
        new QTreeWidgetItem(table, {it.key(), x.jobs ? QString::number(x.jobs) : QString(),
                                    x.jobs ? QString::number(x.meanMs, 'f', 1) : QString(),
                                    y.jobs ? QString::number(y.jobs) : QString(),
                                    y.jobs ? QString::number(y.meanMs, 'f', 1) : QString(), change});
    }
    table->header()->resizeSections(QHeaderView::ResizeToContents);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(table);
    dialog->resize(760, 420);
    dialog->show();
}

} // namespace coroute
