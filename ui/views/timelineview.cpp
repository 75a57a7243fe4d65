#include "views/timelineview.h"

#include "models/statestyle_p.h"

#include <QHelpEvent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr double labelWidth = 170;

QColor barColor(const SpanData &s, bool open, bool queued)
{
    if (queued)
        return detail::stateColor(JobState::Pending);
    if (open)
        return detail::stateColor(JobState::Running);
    switch (s.status) {
    case SpanStatus::Error: return detail::stateColor(JobState::Failed);
    case SpanStatus::Cancelled:
        return s.attribute(u"cancel.reason"_s).toString() == u"timeout"_s ? detail::stateColor(JobState::TimedOut)
                                                                                 : detail::stateColor(JobState::Cancelled);
    case SpanStatus::Ok: return detail::stateColor(JobState::Succeeded);
    case SpanStatus::Unset: break;
    }
    return detail::stateColor(JobState::Running).lighter(120);
}

QColor textOn(const QColor &bg)
{
    return bg.lightnessF() > 0.6 ? QColor(20, 20, 20) : QColor(250, 250, 250);
}

QString formatSpan(qint64 ns)
{
    const double ms = double(ns) / 1e6;
    if (ms < 1)
        return u"%1 µs"_s.arg(double(ns) / 1e3, 0, 'f', 0);
    if (ms < 1000)
        return u"%1 ms"_s.arg(ms, 0, 'f', ms < 10 ? 2 : 0);
    return u"%1 s"_s.arg(ms / 1000, 0, 'f', 2);
}

JobId requesterJob(const SpanData &s)
{
    const QString by = s.attribute(u"cancel.requested_by"_s).toString();
    return by.startsWith(u"job:"_s) ? by.mid(4).toULongLong() : 0;
}

} // namespace

TimelineView::TimelineView(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(true);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    setMinimumHeight(120);
    m_vp.left = labelWidth;
    m_liveTimer.setInterval(200);
    connect(&m_liveTimer, &QTimer::timeout, this, [this] {
        if (m_follow && isVisible())
            relayout();
    });
    m_liveTimer.start();
}

QSize TimelineView::sizeHint() const
{
    return {800, 300};
}

qint64 TimelineView::nowNs() const
{
    return trace::nowNs();
}

std::pair<qint64, qint64> TimelineView::extent() const
{
    qint64 from = 0;
    qint64 to = 0;
    bool anyOpen = false;
    for (const auto &s : m_spans) {
        if (from == 0 || s.startNs < from)
            from = s.startNs;
        to = qMax(to, s.endNs ? s.endNs : s.startNs);
        anyOpen = anyOpen || s.endNs == 0;
    }
    if (anyOpen)
        to = qMax(to, nowNs());
    return {from, to};
}

void TimelineView::setSpans(const QList<SpanData> &spans)
{
    m_spans = spans;
    if (m_follow || !m_fitted) {
        fitAll();
        return;
    }
    relayout();
}

void TimelineView::setViewport(const TimelineViewport &vp)
{
    m_vp = vp;
    relayout();
}

void TimelineView::setFollowLive(bool follow)
{
    if (m_follow == follow)
        return;
    m_follow = follow;
    if (follow)
        fitAll();
    Q_EMIT followLiveChanged(follow);
}

void TimelineView::fitAll()
{
    const auto [from, to] = extent();
    if (from != 0) {
        m_vp.fit(from, to, width() - m_vp.left - 8);
        m_vp.scrollY = 0;
        m_fitted = true;
    }
    relayout();
}

void TimelineView::relayout()
{
    if (m_follow && !m_spans.isEmpty()) {
        const auto [from, to] = extent();
        m_vp.fit(from, to, width() - m_vp.left - 8);
    }
    m_layout = layoutTimeline(m_spans, m_vp, nowNs(), width(), height());
    update();
}

int TimelineView::spanAt(const QPointF &pos) const
{
    for (auto it = m_layout.bars.crbegin(); it != m_layout.bars.crend(); ++it) {
        if (it->rect.adjusted(-1, 0, 1, 0).contains(pos))
            return it->spanIndex;
    }
    return -1;
}

QString TimelineView::tooltipFor(int i) const
{
    const auto &s = m_spans[i];
    const qint64 end = s.endNs ? s.endNs : nowNs();
    QString text = u"<b>%1</b> — job #%2<br>%3, %4 on %5"_s.arg(s.name.toHtmlEscaped()).arg(s.job)
                       .arg(formatSpan(end - s.startNs), s.endNs ? nameOf(s.status) : u"running"_s,
                            s.thread.isEmpty() ? u"?"_s : s.thread);
    if (!s.statusMessage.isEmpty())
        text += u"<br><i>%1</i>"_s.arg(s.statusMessage.toHtmlEscaped());
    const auto attributes = s.allAttributes();
    for (auto it = attributes.constBegin(); it != attributes.constEnd(); ++it) {
        const QString v = it->isString() ? it->toString()
                                         : QString::fromUtf8(QJsonDocument(QJsonArray{*it}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
        text += u"<br>%1 = %2"_s.arg(it.key().toHtmlEscaped(), v.left(200).toHtmlEscaped());
    }
    for (const auto &e : s.events) {
        text += u"<br>⚑ +%1 %2"_s.arg(formatSpan(e.timeNs - s.startNs), e.name.toHtmlEscaped());
        if (!e.attributes.isEmpty())
            text += u" "_s + QString::fromUtf8(QJsonDocument(e.attributes).toJson(QJsonDocument::Compact)).left(200).toHtmlEscaped();
    }
    if (requesterJob(s))
        text += u"<br>(click to go to job #%1, who cancelled it)"_s.arg(requesterJob(s));
    return text;
}

bool TimelineView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = spanAt(help->pos());
        if (i >= 0)
            QToolTip::showText(help->globalPos(), tooltipFor(i), this);
        else
            QToolTip::hideText();
        return true;
    }
    if (event->type() == QEvent::Resize)
        relayout();
    return QWidget::event(event);
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette pal = palette();
    const double w = width();
    const double h = height();
    p.fillRect(rect(), pal.base());

    // Time axis: labelled ticks at a round step of about 100 px.
    p.fillRect(QRectF(0, 0, w, m_vp.top), pal.alternateBase());
    const qint64 origin = m_spans.isEmpty() ? m_vp.timeAt(m_vp.left) : extent().first;
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    for (const TimelineTick &tick : timelineTicks(m_vp, origin, w)) {
        p.setPen(grid);
        p.drawLine(QPointF(tick.x, m_vp.top), QPointF(tick.x, h));
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QPointF(tick.x + 3, m_vp.top - 7), tick.label);
    }

    // Row labels and alternating stripes.
    p.setClipRect(QRectF(0, m_vp.top, w, h - m_vp.top));
    for (int r = 0; r < m_layout.rows.size(); ++r) {
        const double y = m_vp.yOf(r);
        if (y + m_vp.rowHeight < m_vp.top || y > h)
            continue;
        const auto &row = m_layout.rows[r];
        if (row.depth == 0 && r > 0) {
            p.setPen(grid);
            p.drawLine(QPointF(0, y), QPointF(w, y));
        }
        if (!row.label.isEmpty()) {
            p.setPen(pal.color(QPalette::Text));
            p.drawText(QRectF(4, y, m_vp.left - 8, m_vp.rowHeight), Qt::AlignVCenter | Qt::AlignLeft,
                       p.fontMetrics().elidedText(row.label, Qt::ElideRight, int(m_vp.left - 8)));
        }
    }

    // Bars.
    p.setClipRect(QRectF(m_vp.left, m_vp.top, w - m_vp.left, h - m_vp.top));
    for (const auto &bar : std::as_const(m_layout.bars)) {
        const auto &s = m_spans[bar.spanIndex];
        const QColor c = barColor(s, bar.open, bar.queued);
        if (bar.queued) {
            QColor fill = c;
            fill.setAlpha(60);
            p.fillRect(bar.rect, fill);
            p.setPen(QPen(c, 1, Qt::DashLine));
            p.setBrush(Qt::NoBrush);
            p.drawRect(bar.rect.adjusted(0.5, 0.5, -0.5, -0.5));
        } else {
            p.fillRect(bar.rect, c);
            if (s.status == SpanStatus::Cancelled && !bar.open) {
                p.fillRect(bar.rect, QBrush(c.darker(170), Qt::BDiagPattern));
            }
        }
        for (const double x : bar.markers) {
            const QColor warn = detail::stateColor(JobState::Cancelling);
            p.setPen(Qt::NoPen);
            p.setBrush(warn);
            const QPointF tip(x, bar.rect.top());
            const QPointF pts[3] = {tip + QPointF(-5, -1), tip + QPointF(5, -1), tip + QPointF(0, 7)};
            p.drawPolygon(pts, 3);
            p.setPen(QPen(warn, 2));
            p.drawLine(QPointF(x, bar.rect.top()), QPointF(x, bar.rect.bottom()));
        }
        if (bar.rect.width() > 40) {
            QString label = s.name;
            if (s.status == SpanStatus::Cancelled && !bar.open) {
                label += u"  ✕ %1 by %2"_s.arg(s.attribute(u"cancel.reason"_s).toString(u"cancelled"_s),
                                               s.attribute(u"cancel.requested_by"_s).toString(u"?"_s));
            }
            p.setPen(bar.queued ? pal.color(QPalette::Text) : textOn(c));
            const QRectF tr = bar.rect.adjusted(4, 0, -2, 0).intersected(QRectF(m_vp.left, 0, w, h));
            p.drawText(tr, Qt::AlignVCenter | Qt::AlignLeft,
                       p.fontMetrics().elidedText(label, Qt::ElideRight, int(tr.width())));
        }
    }
    p.setClipping(false);
    if (m_spans.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, u"No spans yet: select jobs, or run a route"_s);
    }
}

void TimelineView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0)
        return;
    if (event->modifiers() & Qt::ShiftModifier) {
        m_vp.panBy(0, steps * m_vp.rowHeight * 3);
    } else {
        setFollowLive(false);
        m_vp.zoomAround(event->position().x(), std::pow(0.8, steps));
    }
    relayout();
    event->accept();
}

void TimelineView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_dragging = true;
        m_dragged = false;
        m_dragFrom = event->position();
        setCursor(Qt::ClosedHandCursor);
    }
}

void TimelineView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_dragging)
        return;
    const QPointF d = event->position() - m_dragFrom;
    if (!m_dragged && d.manhattanLength() < 3)
        return;
    if (!m_dragged)
        setFollowLive(false);
    m_dragged = true;
    m_dragFrom = event->position();
    m_vp.panBy(d.x(), d.y());
    relayout();
}

void TimelineView::mouseReleaseEvent(QMouseEvent *event)
{
    unsetCursor();
    const bool click = m_dragging && !m_dragged;
    m_dragging = false;
    if (!click)
        return;
    const int i = spanAt(event->position());
    if (i < 0)
        return;
    const JobId requester = requesterJob(m_spans[i]);
    Q_EMIT jobActivated(requester ? requester : m_spans[i].job);
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent *)
{
    fitAll();
}

} // namespace coroute
