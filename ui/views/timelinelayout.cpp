#include "views/timelinelayout.h"

#include <QHash>
#include <QMap>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace coroute {

void TimelineViewport::zoomAround(double x, double factor)
{
    const qint64 anchor = timeAt(x);
    nsPerPixel = std::clamp(nsPerPixel * factor, 1.0, 1e12);
    originNs = anchor - qint64((x - left) * nsPerPixel);
}

void TimelineViewport::panBy(double dx, double dy)
{
    originNs -= qint64(dx * nsPerPixel);
    scrollY = qMax(0.0, scrollY - dy);
}

void TimelineViewport::fit(qint64 fromNs, qint64 toNs, double width)
{
    const qint64 span = qMax<qint64>(toNs - fromNs, 1000);
    const double usable = qMax(10.0, width);
    nsPerPixel = qMax(1.0, double(span) * 1.04 / usable);
    originNs = fromNs - qint64(double(span) * 0.02);
}

QList<TimelineTick> timelineTicks(const TimelineViewport &vp, qint64 originNs, double width)
{
    const double targetNs = vp.nsPerPixel * 100;
    double step = std::pow(10.0, std::floor(std::log10(targetNs)));
    if (targetNs / step > 5)
        step *= 5;
    else if (targetNs / step > 2)
        step *= 2;
    const qint64 t0 = vp.timeAt(vp.left);
    QList<TimelineTick> ticks;
    // Bounded: about width / 100 marks, whatever the zoom.
    for (double t = std::ceil(double(t0 - originNs) / step) * step; ticks.size() < 1000; t += step) {
        const double x = vp.xOf(originNs + qint64(t));
        if (x > width)
            break;
        const double magnitude = std::max(std::abs(t), step);
        const double unit = magnitude < 1e6 ? 1e3 : magnitude < 1e9 ? 1e6 : 1e9;
        const auto suffix = unit == 1e3 ? u" µs"_s : unit == 1e6 ? u" ms"_s : u" s"_s;
        // Enough decimals to tell a step apart, and no more.
        const int decimals = std::clamp(int(std::ceil(-std::log10(step / unit) - 1e-9)), 0, 9);
        const double value = std::abs(t / unit) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : t / unit;
        ticks.append({x, QString::number(value, 'f', decimals) + suffix});
    }
    return ticks;
}

TimelineLayout layoutTimeline(const QList<SpanData> &spans, const TimelineViewport &vp, qint64 nowNs, double width,
                              double height)
{
    TimelineLayout out;
    // Depth of each span within its job, following parent links inside the job.
    QHash<quint64, int> indexOf;
    for (int i = 0; i < spans.size(); ++i)
        indexOf.insert(spans[i].spanId, i);
    std::vector<int> depth(size_t(spans.size()), -1);
    const auto depthOf = [&](int i) {
        int d = 0;
        int cur = i;
        // Bounded walk: a malformed cycle cannot hang the layout.
        for (int guard = 0; guard < 64; ++guard) {
            if (depth[size_t(cur)] >= 0) {
                d += depth[size_t(cur)];
                break;
            }
            const auto p = indexOf.constFind(spans[cur].parentId);
            if (spans[cur].parentId == 0 || p == indexOf.constEnd() || spans[*p].job != spans[cur].job)
                break;
            ++d;
            cur = *p;
        }
        depth[size_t(i)] = d;
        return d;
    };
    QMap<JobId, int> maxDepth; // sorted by job id
    QHash<JobId, QString> rootName;
    for (int i = 0; i < spans.size(); ++i) {
        const int d = depthOf(i);
        auto &m = maxDepth[spans[i].job];
        m = qMax(m, d);
        if (d == 0 && !rootName.contains(spans[i].job))
            rootName.insert(spans[i].job, spans[i].name);
    }
    QHash<JobId, int> firstRow;
    for (auto it = maxDepth.cbegin(); it != maxDepth.cend(); ++it) {
        firstRow.insert(it.key(), int(out.rows.size()));
        for (int d = 0; d <= it.value(); ++d)
            out.rows.append({it.key(), d, d == 0 ? u"#%1 %2"_s.arg(it.key()).arg(rootName.value(it.key())) : QString()});
    }
    const double barHeight = vp.rowHeight - 3;
    for (int i = 0; i < spans.size(); ++i) {
        const auto &s = spans[i];
        TimelineBar bar;
        bar.spanIndex = i;
        bar.row = firstRow.value(s.job) + depth[size_t(i)];
        bar.open = s.endNs == 0;
        bar.queued = s.name == u"queued"_s;
        const qint64 end = bar.open ? qMax(nowNs, s.startNs) : s.endNs;
        const double x0 = vp.xOf(s.startNs);
        const double x1 = qMax(vp.xOf(end), x0 + 1.0);
        const double y = vp.yOf(bar.row) + 1;
        bar.rect = QRectF(x0, y, x1 - x0, barHeight);
        if (width > 0 && (bar.rect.right() < vp.left || bar.rect.left() > width))
            continue;
        if (height > 0 && (bar.rect.bottom() < vp.top || bar.rect.top() > height))
            continue;
        for (const auto &e : s.events) {
            if (e.name == u"loop_blocked"_s)
                bar.markers.append(vp.xOf(e.timeNs));
        }
        out.bars.append(bar);
    }
    return out;
}

} // namespace coroute
