#pragma once

#include "runtime/jobinfo.h"

#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;
class QTreeView;

namespace coroute {

class JobFilterProxyModel;
class JobTreeModel;
class RuntimeHost;

/// The Jobs tab: a filter bar (state toggles, text) over the live job tree, with a context
/// menu and shortcuts: Cancel (Del), Cancel subtree, Cancel all (Ctrl+Shift+Del),
/// Re-run (Ctrl+R), Copy result (Ctrl+C). Without a host (a past run) only copying works.
/// When the model reads evicted jobs back from the history, a bar under the tree says how many
/// are in the history only and loads them a page at a time (older, or newer than those shown).
class JobsPanel : public QWidget
{
    Q_OBJECT
public:
    JobsPanel(JobTreeModel *model, RuntimeHost *host, QWidget *parent = nullptr);

    QTreeView *view() const { return m_view; }
    JobFilterProxyModel *proxy() const { return m_proxy; }
    JobTreeModel *model() const { return m_model; }
    /// Ids of the selected jobs, in view order.
    QList<JobId> selectedJobs() const;
    /// Selects and shows a job.
    void selectJob(JobId id);

    QAction *cancelAction() const { return m_cancel; }
    QAction *cancelSubtreeAction() const { return m_cancelSubtree; }
    QAction *cancelAllAction() const { return m_cancelAll; }
    QAction *rerunAction() const { return m_rerun; }
    QAction *copyResultAction() const { return m_copyResult; }
    /// The history bar's buttons: read the next older / newer page back.
    QPushButton *loadOlderButton() const { return m_loadOlder; }
    QPushButton *loadNewerButton() const { return m_loadNewer; }

    /// Header layout, for QSettings.
    QByteArray saveState() const;
    void restoreState(const QByteArray &state);

Q_SIGNALS:
    /// The selection changed (the details and the timeline follow it).
    void selectionChanged(const QList<coroute::JobId> &jobs);

private:
    void updateActions();
    void applyStateFilter();
    void updateHistoryBar();

    JobTreeModel *m_model;
    RuntimeHost *m_host;
    JobFilterProxyModel *m_proxy;
    QTreeView *m_view;
    QLineEdit *m_filter;
    QList<QToolButton *> m_stateButtons;
    QAction *m_cancel;
    QAction *m_cancelSubtree;
    QAction *m_cancelAll;
    QAction *m_rerun;
    QAction *m_copyResult;
    QWidget *m_historyBar;
    QLabel *m_historyLabel;
    QPushButton *m_loadOlder;
    QPushButton *m_loadNewer;
};

} // namespace coroute
