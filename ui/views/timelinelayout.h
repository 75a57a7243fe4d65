#pragma once

#include "trace/spandata.h"

#include <QList>
#include <QRectF>
#include <QString>

namespace coroute {

/// What part of time and of the rows a timeline shows, and how big it is.
struct TimelineViewport
{
    qint64 originNs = 0;       ///< the time at the left edge of the plot area (Unix epoch ns)
    double nsPerPixel = 1e6;   ///< zoom: nanoseconds per horizontal pixel (> 0)
    double scrollY = 0;        ///< pixels of rows scrolled off the top
    double left = 0;           ///< x where the plot area starts (after row labels)
    double top = 24;           ///< y where the rows start (below the time axis)
    double rowHeight = 18;

    /// x of a time.
    double xOf(qint64 ns) const { return left + double(ns - originNs) / nsPerPixel; }
    /// The time at x.
    qint64 timeAt(double x) const { return originNs + qint64((x - left) * nsPerPixel); }
    /// y of the top of a row.
    double yOf(int row) const { return top + row * rowHeight - scrollY; }
    /// Zooms by factor (< 1 zooms in) keeping the time under x where it is.
    void zoomAround(double x, double factor);
    /// Moves the view by pixels (positive dx shows earlier times, positive dy earlier rows).
    void panBy(double dx, double dy);
    /// Shows [fromNs, toNs] across width pixels of plot area, with a small margin.
    void fit(qint64 fromNs, qint64 toNs, double width);
};

/// One span placed on the timeline.
struct TimelineBar
{
    int spanIndex = -1;   ///< index in the spans given to layoutTimeline
    int row = 0;
    QRectF rect;          ///< in widget coordinates
    bool open = false;    ///< still running: drawn up to now
    bool queued = false;  ///< a "queued" span: time waiting for a concurrency permit
    QList<double> markers; ///< x of "loop_blocked" events
};

/// A row of the timeline: one job, one nesting depth of its spans.
struct TimelineRow
{
    JobId job = 0;
    int depth = 0;
    QString label;        ///< the job's root span name on depth 0
};

/// Rows and bars of spans for a viewport; pure, so tests can check the geometry.
struct TimelineLayout
{
    QList<TimelineRow> rows;
    QList<TimelineBar> bars; ///< only those that intersect [0, width] x [top, height]; all when width <= 0
};

/// A labelled mark on the time axis.
struct TimelineTick
{
    double x = 0;
    QString label;        ///< time since the origin, e.g. "12.5 ms": distinct from its neighbours
};

/// Axis marks across [vp.left, width] at a round step of about 100 px (1, 2 or 5 × 10^k ns),
/// labelled with the time since originNs in µs, ms or s and as many decimals as the step needs.
QList<TimelineTick> timelineTicks(const TimelineViewport &vp, qint64 originNs, double width);

/// Places spans: jobs in id order, each job's spans on one row per nesting depth (a span's
/// depth is its parent's + 1 within the job; the root is 0). A span with endNs == 0 is open
/// and ends at nowNs. Bars narrower than 1 px are widened to 1 px. Bars outside the visible
/// area (width x height, when given) are dropped.
TimelineLayout layoutTimeline(const QList<SpanData> &spans, const TimelineViewport &viewport, qint64 nowNs,
                              double width = 0, double height = 0);

} // namespace coroute
