#include "views/timelinelayout.h"
#include "views/timelineview.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_Timeline : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void mapsSpansToRectangles();
    void dropsBarsOutsideTheView();
    void zoomKeepsTheTimeUnderTheCursor();
    void panAndFit();
    void axisLabelsAreDistinctAtEveryZoom_data();
    void axisLabelsAreDistinctAtEveryZoom();
    void viewZoomsAndLinksToTheCanceller();
};

namespace {

constexpr qint64 ms = 1'000'000; // ns
constexpr qint64 t0 = 1'700'000'000'000 * ms;

SpanData span(JobId job, quint64 id, quint64 parent, qint64 fromMs, qint64 toMs, const QString &name = u"work"_s)
{
    SpanData s;
    s.job = job;
    s.spanId = id;
    s.parentId = parent;
    s.name = name;
    s.startNs = t0 + fromMs * ms;
    s.endNs = toMs < 0 ? 0 : t0 + toMs * ms;
    s.status = SpanStatus::Ok;
    return s;
}

TimelineViewport viewport()
{
    TimelineViewport vp;
    vp.originNs = t0;
    vp.nsPerPixel = 0.1 * ms; // 10 px per ms
    vp.left = 100;
    vp.top = 20;
    vp.rowHeight = 18;
    return vp;
}

} // namespace

void tst_Timeline::mapsSpansToRectangles()
{
    QList<SpanData> spans{
        span(2, 20, 10, 5, 30),                       // job 2 root (parent span is in job 1)
        span(1, 10, 0, 0, 100, u"GET /a"_s),          // job 1 root
        span(1, 11, 10, 10, 50),                      // depth 1
        span(1, 12, 11, 20, 20),                      // depth 2, zero length -> 1 px
        span(1, 13, 10, 60, 80, u"queued"_s),         // depth 1, queued
        span(3, 30, 0, 40, -1),                       // open: runs to now
    };
    spans[1].events.append({t0 + 70 * ms, u"loop_blocked"_s, {}});
    const auto vp = viewport();
    const auto layout = layoutTimeline(spans, vp, t0 + 90 * ms);

    // Rows: job 1 (depths 0..2), job 2, job 3.
    QCOMPARE(layout.rows.size(), 5);
    QCOMPARE(layout.rows[0].job, JobId(1));
    QCOMPARE(layout.rows[0].label, u"#1 GET /a"_s);
    QCOMPARE(layout.rows[2].depth, 2);
    QCOMPARE(layout.rows[3].job, JobId(2));
    QCOMPARE(layout.rows[4].job, JobId(3));
    QCOMPARE(layout.bars.size(), 6);

    const auto bar = [&](int spanIndex) {
        for (const auto &b : layout.bars) {
            if (b.spanIndex == spanIndex)
                return b;
        }
        return TimelineBar{};
    };
    QCOMPARE(bar(1).rect, QRectF(100, 21, 1000, 15));    // 0..100 ms, row 0
    QCOMPARE(bar(2).rect, QRectF(200, 39, 400, 15));     // 10..50 ms, row 1
    QCOMPARE(bar(3).rect, QRectF(300, 57, 1, 15));       // 20 ms, row 2, widened to 1 px
    QCOMPARE(bar(4).rect, QRectF(700, 39, 200, 15));     // 60..80 ms, row 1
    QVERIFY(bar(4).queued);
    QCOMPARE(bar(0).rect, QRectF(150, 75, 250, 15));     // 5..30 ms, row 3
    QCOMPARE(bar(5).rect, QRectF(500, 93, 500, 15));     // 40 ms .. now (90 ms), row 4
    QVERIFY(bar(5).open);
    QCOMPARE(bar(1).markers, QList<double>{800});

    // Zoomed in twice and scrolled down one row: the geometry follows.
    auto zoomed = vp;
    zoomed.nsPerPixel /= 2;
    zoomed.scrollY = 18;
    const auto z = layoutTimeline(spans, zoomed, t0 + 90 * ms);
    for (const auto &b : z.bars) {
        if (b.spanIndex == 2)
            QCOMPARE(b.rect, QRectF(300, 21, 800, 15));
    }
}

void tst_Timeline::dropsBarsOutsideTheView()
{
    QList<SpanData> spans{span(1, 10, 0, 0, 10), span(2, 20, 0, 200, 300), span(3, 30, 0, 0, 10)};
    auto vp = viewport();
    vp.rowHeight = 100;
    // 600 px wide: 0..50 ms visible; 130 px high: only the first row (20..120) is visible.
    const auto layout = layoutTimeline(spans, vp, t0, 600, 130);
    QCOMPARE(layout.rows.size(), 3);
    QCOMPARE(layout.bars.size(), 1);
    QCOMPARE(layout.bars[0].spanIndex, 0);
}

void tst_Timeline::zoomKeepsTheTimeUnderTheCursor()
{
    auto vp = viewport();
    const qint64 before = vp.timeAt(350);
    vp.zoomAround(350, 0.5);
    QCOMPARE(vp.nsPerPixel, 0.05 * ms);
    QVERIFY(qAbs(vp.timeAt(350) - before) <= 1);
    QCOMPARE(vp.xOf(t0), 350 - (350 - 100) * 2.0); // twice as far from the cursor
    vp.zoomAround(350, 2.0);
    QVERIFY(qAbs(vp.timeAt(350) - before) <= 1);
    QVERIFY(qAbs(vp.originNs - t0) <= 1);
}

void tst_Timeline::panAndFit()
{
    auto vp = viewport();
    vp.panBy(100, -36); // drag right by 100 px (earlier times), up by two rows
    QCOMPARE(vp.originNs, t0 - 10 * ms);
    QCOMPARE(vp.scrollY, 36.0);
    vp.panBy(0, 100);
    QCOMPARE(vp.scrollY, 0.0); // never above the first row
    vp.fit(t0, t0 + 1000 * ms, 1040);
    QCOMPARE(vp.nsPerPixel, 1.0 * ms);
    QVERIFY(vp.xOf(t0) > vp.left && vp.xOf(t0 + 1000 * ms) < vp.left + 1040);
}

void tst_Timeline::axisLabelsAreDistinctAtEveryZoom_data()
{
    QTest::addColumn<double>("nsPerPixel");
    QTest::addColumn<qint64>("offsetNs"); // of the left edge from the origin
    QTest::addColumn<QString>("first");   // the first label
    QTest::newRow("µs zoom, 12 ms in") << 5.0 << 12 * ms << u"12.0000 ms"_s;
    QTest::newRow("sub-ms steps, 12 ms in") << 5'000.0 << 12 * ms << u"12.0 ms"_s;
    QTest::newRow("2 µs steps, 1 ms in") << 20.0 << 1 * ms << u"1.000 ms"_s;
    QTest::newRow("ms steps, 1.5 s in") << 10'000.0 << 1'500 * ms << u"1.500 s"_s;
    QTest::newRow("from the origin") << 1e6 << qint64(0) << u"0 ms"_s;
    QTest::newRow("ns steps at the start") << 0.01 << qint64(0) << u"0.000 µs"_s;
    QTest::newRow("100 ns steps, 2 s in") << 1.0 << 2'000 * ms << u"2.0000000 s"_s;
}

// Labels were rounded to a fixed precision per unit, so at fine zoom neighbours read the same
// ("12 ms", "12 ms", "13 ms"): each label must differ from the one before it.
void tst_Timeline::axisLabelsAreDistinctAtEveryZoom()
{
    QFETCH(double, nsPerPixel);
    QFETCH(qint64, offsetNs);
    QFETCH(QString, first);
    TimelineViewport vp;
    vp.left = 170;
    vp.nsPerPixel = nsPerPixel;
    vp.originNs = t0 + offsetNs;
    const auto ticks = timelineTicks(vp, t0, 1200);
    QVERIFY2(ticks.size() >= 5 && ticks.size() <= 30, qPrintable(QString::number(ticks.size()))); // 40 to 100 px apart
    QCOMPARE(ticks.first().label, first);
    for (qsizetype i = 1; i < ticks.size(); ++i) {
        QVERIFY2(ticks[i].label != ticks[i - 1].label, qPrintable(ticks[i].label));
        QVERIFY(ticks[i].x >= ticks[i - 1].x + 39.9);
    }
    QVERIFY(ticks.first().x >= vp.left && ticks.last().x <= 1200);
}

void tst_Timeline::viewZoomsAndLinksToTheCanceller()
{
    TimelineView view;
    view.resize(800, 200);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    auto cancelled = span(5, 50, 0, 0, 100, u"GET /victim"_s);
    cancelled.status = SpanStatus::Cancelled;
    cancelled.attributes.insert(u"cancel.reason"_s, u"sibling_failed"_s);
    cancelled.attributes.insert(u"cancel.requested_by"_s, u"job:4"_s);
    view.setSpans({span(4, 40, 0, 0, 20, u"GET /culprit"_s), cancelled});
    view.setFollowLive(false);
    view.fitAll();
    const auto vp = view.viewport();
    // Click the cancelled bar: the view asks to show job 4, who cancelled it.
    QSignalSpy activated(&view, &TimelineView::jobActivated);
    const QPoint onVictim(int(vp.xOf(t0 + 50 * ms)), int(vp.yOf(1) + vp.rowHeight / 2));
    QCOMPARE(view.spanAt(onVictim), 1);
    QTest::mouseClick(&view, Qt::LeftButton, {}, onVictim);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated[0][0].value<JobId>(), JobId(4));
    // A wheel step zooms in around the cursor.
    QWheelEvent wheel(QPointF(onVictim), QPointF(view.mapToGlobal(onVictim)), {}, QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    const qint64 under = vp.timeAt(onVictim.x());
    QApplication::sendEvent(&view, &wheel);
    QVERIFY(view.viewport().nsPerPixel < vp.nsPerPixel);
    QVERIFY(qAbs(view.viewport().timeAt(onVictim.x()) - under) <= qint64(vp.nsPerPixel));
}

QTEST_MAIN(tst_Timeline)
#include "tst_timeline.moc"
