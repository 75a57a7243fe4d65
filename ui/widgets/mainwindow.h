#pragma once

#include "runtime/jobinfo.h"
#include "store/historystore.h"

#include <QMainWindow>

class QLabel;
class QTimer;

namespace coroute {

class ChangeThrottle;
class DetailsPanel;
class HealthPanel;
class HistoryPanel;
class JobTreeModel;
class JobsPanel;
class LoopMonitor;
class RoutesPanel;
class RuntimeHost;
class SpanModel;
class TimelineView;
namespace detail {
class RunBrowser;
}

/// The inspector: Jobs (central), Routes, Details, Timeline, Health and History docks over a
/// RuntimeHost. It only renders: change sets arrive from the host, coalesced by a
/// ChangeThrottle; every action is posted to the runtime's thread through the host.
/// Window geometry and dock layout are remembered with QSettings.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    /// host and store (may be null) must outlive the window.
    MainWindow(RuntimeHost *host, HistoryStore *store, QWidget *parent = nullptr);
    ~MainWindow() override;

    JobTreeModel *jobModel() const { return m_model; }
    SpanModel *spanModel() const { return m_spans; }
    JobsPanel *jobsPanel() const { return m_jobs; }
    RoutesPanel *routesPanel() const { return m_routes; }
    TimelineView *timeline() const { return m_timeline; }
    DetailsPanel *detailsPanel() const { return m_details; }
    HistoryPanel *historyPanel() const { return m_history; }
    ChangeThrottle *throttle() const { return m_throttle; }
    /// The GUI thread's loop monitor (5 ms samples).
    LoopMonitor *guiMonitor() const { return m_guiMonitor; }
    /// Applies every change received so far now (tests and screenshots).
    void flushChanges();

    /// The status bar text: counts by state.
    QString statusText() const;

    /// Reads a plan file and hands it to the runtime to validate and run; false (with a
    /// message) when the file cannot be read.
    bool openPlanFile(const QString &path, QString *error = nullptr);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void updateStatus();
    void restoreSettings();
    void saveSettings() const;

    RuntimeHost *m_host;
    JobTreeModel *m_model;
    SpanModel *m_spans;
    ChangeThrottle *m_throttle;
    JobsPanel *m_jobs;
    RoutesPanel *m_routes;
    TimelineView *m_timeline;
    DetailsPanel *m_details;
    HealthPanel *m_health;
    HistoryPanel *m_history;
    detail::RunBrowser *m_browser;
    LoopMonitor *m_guiMonitor;
    QLabel *m_statusLabel;
    QTimer *m_statusTimer;
    double m_runtimeLag = 0;
};

/// The application icon (the SVG when an SVG plugin is present, else the same drawn by hand).
QIcon inspectorIcon();

} // namespace coroute
