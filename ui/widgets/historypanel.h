#pragma once

#include "runtime/jobinfo.h"
#include "store/historystore.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;
class QTreeWidget;

namespace coroute {

class DetailsPanel;
class JobTreeModel;
class JobsPanel;
class SpanModel;
class TimelineView;
namespace detail {
class RunBrowser;
}

/// Per-route figures of one run, for comparing runs.
struct RouteDurations
{
    QString route;     ///< "GET /demo/dashboard"
    int jobs = 0;
    double meanMs = 0;
    double maxMs = 0;
};

/// The History tab: past runs read from the store on a pool thread; open one to browse its
/// jobs, timeline and details exactly as live (a JobTreeModel fed with a change set made of
/// the stored jobs, spans and logs), export its trace (Chrome trace or OTLP/JSON), compare
/// two runs' durations per route side by side.
class HistoryPanel : public QWidget
{
    Q_OBJECT
public:
    /// store may be null (no history): the panel says so.
    explicit HistoryPanel(HistoryStore *store, QWidget *parent = nullptr);
    ~HistoryPanel() override;

    /// Reloads the list of runs (on a pool thread); runsLoaded() follows.
    void refresh();
    /// Loads a run (on a pool thread) into the run view; runOpened() follows.
    void openRun(RunId run);
    /// Writes a run's trace to path (on a pool thread): OTLP/JSON when otlp, else Chrome
    /// trace JSON; exported() follows.
    void exportTrace(RunId run, const QString &path, bool otlp);
    /// Compares two runs per route (on a pool thread); compared() follows.
    void compareRuns(RunId a, RunId b);

    QTreeWidget *runList() const { return m_runs; }
    JobTreeModel *model() const { return m_model; }
    SpanModel *spanModel() const { return m_spanModel; }
    JobsPanel *jobsPanel() const { return m_jobs; }
    TimelineView *timeline() const { return m_timeline; }
    RunId openedRun() const { return m_opened; }

    /// The change set a stored run replays as (jobs in id order, their spans and logs).
    static ChangeSet replay(const HistoryStore &store, RunId run);
    /// Per-route counts and durations of a run's top-level and child jobs, by route.
    static QList<RouteDurations> routeDurations(const QList<JobInfo> &jobs);

Q_SIGNALS:
    void runsLoaded(const QList<coroute::RunInfo> &runs);
    void runOpened(coroute::RunId run);
    /// path and an error message (empty on success).
    void exported(const QString &path, const QString &error);
    void compared(coroute::RunId a, coroute::RunId b);

private:
    QList<RunId> selectedRuns() const;
    void showComparison(RunId a, RunId b, const QList<RouteDurations> &da, const QList<RouteDurations> &db);

    HistoryStore *m_store;
    QTreeWidget *m_runs;
    QPushButton *m_refresh;
    QPushButton *m_open;
    QPushButton *m_export;
    QPushButton *m_compare;
    QLabel *m_status;
    QTabWidget *m_tabs;
    JobTreeModel *m_model;
    SpanModel *m_spanModel;
    JobsPanel *m_jobs;
    TimelineView *m_timeline;
    DetailsPanel *m_details;
    detail::RunBrowser *m_browser;
    RunId m_opened = 0;
};

} // namespace coroute
