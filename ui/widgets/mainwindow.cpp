#include "widgets/mainwindow.h"

#include "models/changethrottle.h"
#include "models/jobtreemodel.h"
#include "models/spanmodel.h"
#include "models/statestyle_p.h"
#include "runtimehost.h"
#include "trace/loopmonitor.h"
#include "views/timelineview.h"
#include "widgets/detailspanel.h"
#include "widgets/healthpanel.h"
#include "widgets/historypanel.h"
#include "widgets/jobspanel.h"
#include "widgets/routespanel.h"
#include "widgets/runbrowser_p.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QMessageBox>
#include <QLabel>
#include <QMenuBar>
#include <QPainter>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace coroute {

QIcon inspectorIcon()
{
    QIcon icon(u":/coroute/icons/coroute.svg"_s);
    if (!icon.pixmap(32, 32).isNull())
        return icon;
    QPixmap pm(64, 64);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x2b, 0x57, 0x97));
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 12, 12);
    p.setPen(QPen(QColor(0xff, 0xff, 0xff), 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.drawPolyline(QPolygonF({QPointF(14, 18), QPointF(22, 18), QPointF(22, 30), QPointF(38, 30)}));
    p.drawPolyline(QPolygonF({QPointF(30, 30), QPointF(30, 42), QPointF(50, 42)}));
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x8b, 0xe2, 0x8b));
    p.drawRoundedRect(QRectF(34, 26, 16, 8), 3, 3);
    p.setBrush(QColor(0xff, 0x6b, 0x6b));
    p.drawRoundedRect(QRectF(34, 42, 12, 8), 3, 3);
    p.end();
    return QIcon(pm);
}

MainWindow::MainWindow(RuntimeHost *host, HistoryStore *store, QWidget *parent) : QMainWindow(parent), m_host(host)
{
    setObjectName(u"coroute-inspector"_s);
    setWindowTitle(u"coroute inspector"_s);
    setWindowIcon(inspectorIcon());
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);

    m_model = new JobTreeModel(this);
    m_spans = new SpanModel(this);
    m_throttle = new ChangeThrottle(100, 2000, this);
    connect(host, &RuntimeHost::changed, m_throttle, &ChangeThrottle::push);
    connect(m_throttle, &ChangeThrottle::ready, this, [this](const ChangeSet &slice) {
        m_model->apply(slice);
        // Only spans of jobs the model holds: those of jobs evicted already (a burst evicts most
        // of its jobs before their spans come) would stay forever, as their eviction has been
        // announced. Read-back jobs bring theirs from the store.
        m_spans->applyIf(slice, [model = m_model](JobId job) { return model->job(job) != nullptr; });
    });
    // Evicted jobs are read back from the run the host records, on demand.
    if (host->store() && host->runId())
        m_model->setHistory(host->store(), host->runId());
    m_jobs = new JobsPanel(m_model, host, this);
    setCentralWidget(m_jobs);
    m_routes = new RoutesPanel(host, host->routes(), this);
    m_timeline = new TimelineView(this);
    m_timeline->setObjectName(u"timeline"_s);
    m_details = new DetailsPanel(this);
    m_health = new HealthPanel(this);
    m_history = new HistoryPanel(store, this);
    m_browser = new detail::RunBrowser(m_model, m_spans, m_jobs, m_timeline, m_details, this);

    // The timeline's own bar: fit all and follow live.
    auto *timelineBox = new QWidget(this);
    auto *tbar = new QToolBar(timelineBox);
    auto *fit = tbar->addAction(u"Fit all"_s, m_timeline, &TimelineView::fitAll);
    fit->setShortcut(Qt::Key_F);
    fit->setToolTip(u"Show every span (F; or double-click the chart)"_s);
    auto *follow = tbar->addAction(u"Follow live"_s);
    follow->setCheckable(true);
    follow->setChecked(m_timeline->followsLive());
    connect(follow, &QAction::toggled, m_timeline, &TimelineView::setFollowLive);
    connect(m_timeline, &TimelineView::followLiveChanged, follow, &QAction::setChecked);
    auto *hint = new QLabel(u"  wheel: zoom · drag: pan · shift+wheel: scroll rows · click a cancelled span: "
                            "go to who cancelled it"_s, tbar);
    hint->setForegroundRole(QPalette::PlaceholderText);
    tbar->addWidget(hint);
    auto *tl = new QVBoxLayout(timelineBox);
    tl->setContentsMargins(0, 0, 0, 0);
    tl->setSpacing(0);
    tl->addWidget(tbar);
    tl->addWidget(m_timeline, 1);

    const auto dock = [this](const QString &title, const QString &name, QWidget *w, Qt::DockWidgetArea area) {
        auto *d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    auto *routesDock = dock(u"Routes"_s, u"routesDock"_s, m_routes, Qt::LeftDockWidgetArea);
    auto *detailsDock = dock(u"Details"_s, u"detailsDock"_s, m_details, Qt::RightDockWidgetArea);
    auto *timelineDock = dock(u"Timeline"_s, u"timelineDock"_s, timelineBox, Qt::BottomDockWidgetArea);
    auto *healthDock = dock(u"Health"_s, u"healthDock"_s, m_health, Qt::BottomDockWidgetArea);
    auto *historyDock = dock(u"History"_s, u"historyDock"_s, m_history, Qt::BottomDockWidgetArea);
    tabifyDockWidget(timelineDock, healthDock);
    tabifyDockWidget(healthDock, historyDock);
    timelineDock->raise();
    resizeDocks({routesDock, detailsDock}, {520, 380}, Qt::Horizontal);
    resizeDocks({timelineDock}, {300}, Qt::Vertical);
    connect(timelineDock, &QDockWidget::visibilityChanged, m_browser, [this](bool visible) {
        if (visible)
            m_browser->refresh();
    });

    // Menus.
    auto *file = menuBar()->addMenu(u"&File"_s);
    auto *openPlan = file->addAction(u"Open plan…"_s);
    openPlan->setObjectName(u"openPlan"_s);
    openPlan->setShortcut(QKeySequence::Open);
    openPlan->setToolTip(u"Validate a job plan (JSON) and run it"_s);
    connect(openPlan, &QAction::triggered, this, [this] {
        const auto path = QFileDialog::getOpenFileName(this, u"Open plan"_s, QString(), u"Plans (*.json)"_s);
        if (!path.isEmpty())
            openPlanFile(path);
    });
    connect(m_host, &RuntimeHost::planRejected, this, [this](const QString &name, const QJsonObject &errors) {
        QStringList lines;
        for (const auto &e : errors.value(u"errors"_s).toArray())
            lines << u"%1: %2"_s.arg(e[u"loc"_s].toString(), e[u"msg"_s].toString());
        statusBar()->showMessage(u"plan %1 is invalid: nothing ran"_s.arg(name), 10000);
        QMessageBox::warning(this, u"Invalid plan"_s,
                             u"%1 has %2 problem(s); nothing ran.\n\n%3"_s.arg(name).arg(lines.size()).arg(lines.join(u'\n')));
    });
    connect(m_host, &RuntimeHost::planStarted, this, [this](const QString &name, int jobs) {
        statusBar()->showMessage(u"running plan %1 (%2 jobs)"_s.arg(name).arg(jobs), 5000);
    });
    connect(m_host, &RuntimeHost::planFinished, this, [this](const QString &name, const QJsonObject &summary) {
        statusBar()->showMessage(u"plan %1 %2"_s.arg(name, summary.value(u"outcome"_s).toString()), 10000);
    });
    file->addSeparator();
    file->addAction(u"&Quit"_s, QKeySequence::Quit, this, &QWidget::close);
    auto *jobs = menuBar()->addMenu(u"&Jobs"_s);
    jobs->addAction(m_jobs->cancelAction());
    jobs->addAction(m_jobs->cancelSubtreeAction());
    jobs->addAction(m_jobs->cancelAllAction());
    jobs->addSeparator();
    jobs->addAction(m_jobs->rerunAction());
    jobs->addAction(m_jobs->copyResultAction());
    auto *view = menuBar()->addMenu(u"&View"_s);
    for (auto *d : {routesDock, detailsDock, timelineDock, healthDock, historyDock})
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    view->addAction(follow);
    view->addAction(fit);

    // Status bar: counts by state, refreshed with each applied batch.
    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(u"stateCounts"_s);
    statusBar()->addPermanentWidget(m_statusLabel, 1);
    // At most every 100 ms: a rich-text label re-laid out for every slice of a burst costs
    // more than the counts are worth.
    m_statusTimer = new QTimer(this);
    m_statusTimer->setSingleShot(true);
    m_statusTimer->setInterval(100);
    connect(m_statusTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
    const auto statusSoon = [this] {
        if (!m_statusTimer->isActive())
            m_statusTimer->start();
    };
    connect(m_model, &JobTreeModel::applied, this, statusSoon);
    connect(m_model, &JobTreeModel::historyChanged, this, statusSoon);

    // Health: the runtime thread's lag comes from the host; the GUI thread's from a monitor here.
    m_guiMonitor = new LoopMonitor(5, 4000, this);
    connect(m_guiMonitor, &LoopMonitor::sampled, m_health, &HealthPanel::addGuiLag);
    connect(host, &RuntimeHost::runtimeLagSampled, this, [this](double ms) {
        m_runtimeLag = ms;
        m_health->addRuntimeLag(ms);
    });
    connect(m_model, &JobTreeModel::applied, this, [this] {
        qint64 finished = m_model->evictedJobs() - m_model->historyJobs(); // read-back jobs are counted below
        for (auto s : {JobState::Succeeded, JobState::Failed, JobState::Cancelled, JobState::TimedOut,
                       JobState::Interrupted})
            finished += m_model->countIn(s);
        m_health->setFinishedTotal(finished);
    });
    connect(host, &RuntimeHost::submitted, this, [this](const QList<JobId> &ids) {
        statusBar()->showMessage(ids.size() == 1 ? u"submitted #%1"_s.arg(ids.first())
                                                 : u"submitted %1 jobs"_s.arg(ids.size()),
                                 3000);
    });
    restoreSettings();
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::flushChanges()
{
    m_throttle->flushNow();
    updateStatus();
}

QString MainWindow::statusText() const
{
    QStringList parts;
    const auto add = [&](JobState s) {
        const int n = m_model->countIn(s);
        if (n || s == JobState::Running || s == JobState::Succeeded)
            parts << u"<span style='color:%1'>●</span> %2 %3"_s.arg(detail::stateColor(s).name()).arg(n).arg(nameOf(s));
    };
    for (auto s : {JobState::Pending, JobState::Running, JobState::Cancelling, JobState::Succeeded, JobState::Failed,
                   JobState::Cancelled, JobState::TimedOut, JobState::Interrupted})
        add(s);
    if (const int only = m_model->evictedJobs() - m_model->historyJobs())
        parts << u"%1 older jobs in the history only"_s.arg(only);
    return parts.join(u" &nbsp; "_s);
}

void MainWindow::updateStatus()
{
    m_statusLabel->setText(statusText());
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    settings.beginGroup(u"inspector"_s);
    if (!restoreGeometry(settings.value(u"geometry"_s).toByteArray()))
        resize(1400, 860);
    restoreState(settings.value(u"state"_s).toByteArray());
    m_jobs->restoreState(settings.value(u"jobColumns"_s).toByteArray());
    m_timeline->setFollowLive(settings.value(u"followLive"_s, true).toBool());
    m_model->setMaxFinishedTopLevel(settings.value(u"maxFinishedJobs"_s, 20000).toInt());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.beginGroup(u"inspector"_s);
    settings.setValue(u"geometry"_s, saveGeometry());
    settings.setValue(u"state"_s, saveState());
    settings.setValue(u"jobColumns"_s, m_jobs->saveState());
    settings.setValue(u"followLive"_s, m_timeline->followsLive());
    settings.setValue(u"maxFinishedJobs"_s, m_model->maxFinishedTopLevel());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    // Every job settles (reason shutdown) and the history run is finished before we go.
    m_host->shutdown();
    event->accept();
}

bool MainWindow::openPlanFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        const QString message = u"cannot read plan %1: %2"_s.arg(path, file.errorString());
        if (error)
            *error = message;
        statusBar()->showMessage(message, 10000);
        return false;
    }
    // A plan is a small JSON document: reading it here is cheap; validating and running
    // happen on the runtime's thread.
    m_host->runPlan(file.readAll(), QFileInfo(path).fileName());
    return true;
}

} // namespace coroute
