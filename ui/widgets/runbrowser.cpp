#include "widgets/runbrowser_p.h"

#include "models/jobtreemodel.h"
#include "models/spanmodel.h"
#include "views/timelineview.h"
#include "widgets/detailspanel.h"
#include "widgets/jobspanel.h"

#include <QSet>

namespace coroute::detail {

namespace {
constexpr int maxTimelineJobs = 400;
constexpr int liveRefreshMs = 200;
}

RunBrowser::RunBrowser(JobTreeModel *model, SpanModel *spans, JobsPanel *jobs, TimelineView *timeline,
                       DetailsPanel *details, QObject *parent)
    : QObject(parent), m_model(model), m_spans(spans), m_jobs(jobs), m_timeline(timeline), m_details(details)
{
    m_refresh.setSingleShot(true);
    connect(&m_refresh, &QTimer::timeout, this, &RunBrowser::refresh);
    // A selection is followed at once; batches (one per event-loop turn while jobs stream in)
    // at most every liveRefreshMs: rebuilding the timeline's spans each turn would cost the
    // GUI thread more than applying the batches.
    const auto later = [this] { m_refresh.start(0); };
    const auto soon = [this] {
        if (!m_refresh.isActive())
            m_refresh.start(liveRefreshMs);
    };
    connect(model, &JobTreeModel::applied, this, soon);
    connect(model, &JobTreeModel::modelReset, this, later);
    connect(jobs, &JobsPanel::selectionChanged, this, later);
    connect(model, &JobTreeModel::evicted, spans, &SpanModel::forget);
    // Read-back jobs bring their stored spans: the timeline and the details show them as live.
    connect(model, &JobTreeModel::historyLoaded, spans, &SpanModel::apply);
    connect(model, &JobTreeModel::historyLoaded, this, later);
    connect(timeline, &TimelineView::jobActivated, jobs, &JobsPanel::selectJob);
}

QList<SpanData> RunBrowser::timelineSpans(const QList<JobId> &selection) const
{
    QList<JobId> jobs;
    if (selection.isEmpty()) {
        // The whole run, bounded: the latest top-level jobs with their subtrees.
        const int rows = m_model->rowCount();
        for (int r = qMax(0, rows - maxTimelineJobs / 4); r < rows && jobs.size() < maxTimelineJobs; ++r)
            jobs.append(m_model->subtree(m_model->index(r, 0).data(JobTreeModel::JobIdRole).value<JobId>()));
    } else {
        QSet<JobId> seen;
        for (const auto id : selection) {
            for (const auto j : m_model->subtree(id)) {
                if (!seen.contains(j) && jobs.size() < maxTimelineJobs * 10) {
                    seen.insert(j);
                    jobs.append(j);
                }
            }
        }
    }
    QList<SpanData> out = m_spans->spans(jobs);
    for (const auto id : std::as_const(jobs)) {
        const JobInfo *j = m_model->job(id);
        if (!j || isTerminal(j->state) || !j->createdMs)
            continue;
        SpanData open;
        open.job = id;
        open.spanId = 0xFFFF000000000000ull | id; // never collides with random ids in practice
        open.name = j->state == JobState::Pending ? QStringLiteral("queued") : j->method + u' ' + j->path;
        open.startNs = (j->startedMs ? j->startedMs : j->createdMs) * 1000000;
        open.thread = nameOf(j->executor);
        out.append(open);
    }
    return out;
}

void RunBrowser::refresh()
{
    const auto selection = m_jobs->selectedJobs();
    if (m_timeline->isVisible() || m_timeline->spans().isEmpty())
        m_timeline->setSpans(timelineSpans(selection));
    if (selection.size() == 1) {
        if (const JobInfo *j = m_model->job(selection.first()))
            m_details->showJob(*j, m_model->logs(j->id), m_spans->spans(j->id));
    } else if (m_details->jobId() != 0 && !m_model->job(m_details->jobId())) {
        m_details->clear();
    }
}

} // namespace coroute::detail
