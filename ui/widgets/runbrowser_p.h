#pragma once
// Not installed: ties a job tree, a timeline and a details panel to one run's models, so
// the live run and a past run are browsed the same way.

#include "runtime/jobinfo.h"

#include <QObject>
#include <QTimer>

namespace coroute {

class DetailsPanel;
class JobTreeModel;
class JobsPanel;
class SpanModel;
class TimelineView;

namespace detail {

class RunBrowser : public QObject
{
    Q_OBJECT
public:
    RunBrowser(JobTreeModel *model, SpanModel *spans, JobsPanel *jobs, TimelineView *timeline, DetailsPanel *details,
               QObject *parent = nullptr);
    /// Recomputes what the timeline and the details show (after a batch, or a selection).
    void refresh();
    /// Spans the timeline shows for these jobs (with their descendants): finished spans,
    /// plus an open span for each started, unfinished job. No jobs: the latest top-level ones.
    QList<SpanData> timelineSpans(const QList<JobId> &selection) const;

private:
    JobTreeModel *m_model;
    SpanModel *m_spans;
    JobsPanel *m_jobs;
    TimelineView *m_timeline;
    DetailsPanel *m_details;
    QTimer m_refresh; ///< coalesces refreshes to one per event-loop turn
};

} // namespace detail
} // namespace coroute
