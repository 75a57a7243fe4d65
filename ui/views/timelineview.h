#pragma once

#include "views/timelinelayout.h"

#include <QTimer>
#include <QWidget>

namespace coroute {

/// A Gantt chart of spans: wheel zooms around the cursor, drag pans, fitAll() shows
/// everything, and while following live the right edge stays at now. Error spans are red,
/// cancelled ones hatched with the reason and who cancelled (click follows "job:N" to that
/// job), loop_blocked events are marked, time queued on a limit is drawn as dashed outline.
class TimelineView : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineView(QWidget *parent = nullptr);

    /// Replaces the spans shown (open spans, endNs == 0, run up to now).
    void setSpans(const QList<SpanData> &spans);
    const QList<SpanData> &spans() const { return m_spans; }
    const TimelineViewport &viewport() const { return m_vp; }
    void setViewport(const TimelineViewport &vp);
    /// Keeps the latest time at the right edge, repainting as time goes by.
    void setFollowLive(bool follow);
    bool followsLive() const { return m_follow; }
    /// The span under a widget position, or -1.
    int spanAt(const QPointF &pos) const;
    QSize sizeHint() const override;

public Q_SLOTS:
    void fitAll();

Q_SIGNALS:
    /// A job link was clicked (the requester of a cancellation, or a bar of that job).
    void jobActivated(coroute::JobId job);
    void followLiveChanged(bool follow);

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    void relayout();
    qint64 nowNs() const;
    std::pair<qint64, qint64> extent() const;
    QString tooltipFor(int spanIndex) const;

    QList<SpanData> m_spans;
    TimelineViewport m_vp;
    TimelineLayout m_layout;
    bool m_follow = true;
    bool m_fitted = false;
    QPointF m_dragFrom;
    bool m_dragging = false;
    bool m_dragged = false;
    QTimer m_liveTimer;
};

} // namespace coroute
