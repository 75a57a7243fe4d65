#include "models/jobtreemodel.h"
#include "models/spanmodel.h"
#include "runtimehost.h"
#include "uitestutil.h"
#include "widgets/historypanel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_History : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pastRunIsShownAsItWasLive();
    void comparesRunsPerRoute();
};

namespace {

void compareJob(const JobInfo &a, const JobInfo &b)
{
    QCOMPARE(a.id, b.id);
    QCOMPARE(a.parent, b.parent);
    QCOMPARE(a.path, b.path);
    QCOMPARE(a.route, b.route);
    QCOMPARE(a.state, b.state);
    QCOMPARE(a.params, b.params);
    if (b.state == JobState::Succeeded) // the store keeps no result for other states (null vs undefined)
        QCOMPARE(a.result, b.result);
    QCOMPARE(a.error.message, b.error.message);
    QCOMPARE(a.cancelReason, b.cancelReason);
}

} // namespace

void tst_History::pastRunIsShownAsItWasLive()
{
    QTemporaryDir dir;
    QString error;
    auto store = HistoryStore::open(dir.filePath(u"history.sqlite"_s), &error);
    QVERIFY2(store, qPrintable(error));

    JobTreeModel live;
    SpanModel liveSpans;
    RunId run = 0;
    {
        RuntimeHost::Options options;
        options.store = store.get();
        options.runName = u"ui test"_s;
        options.setup = test::addTestRoutes;
        RuntimeHost host(options);
        run = host.runId();
        QVERIFY(run > 0);
        connect(&host, &RuntimeHost::changed, &live, &JobTreeModel::apply);
        connect(&host, &RuntimeHost::changed, &liveSpans, &SpanModel::apply);
        const auto none = QJsonValue(QJsonValue::Undefined);
        host.submit({u"GET"_s, u"/demo/dashboard"_s, {{u"ms"_s, 5}}, none});
        host.submit({u"GET"_s, u"/demo/group"_s, {}, none});                         // fails, siblings cancelled
        host.submit({u"GET"_s, u"/demo/slow"_s, {{u"timeout_ms"_s, 10}, {u"work_ms"_s, 5000}}, none}); // timed out
        host.submit({u"GET"_s, u"/tree"_s, {{u"n"_s, 3}, {u"fail"_s, true}}, none});
        QVERIFY(test::waitIdle(host));
        host.shutdown(); // finishes the run: everything is written
    }
    QTRY_VERIFY(live.jobCount() > 10);
    QVERIFY(live.countIn(JobState::Failed) > 0);
    QVERIFY(live.countIn(JobState::Cancelled) > 0);
    QCOMPARE(live.countIn(JobState::TimedOut), 1);

    HistoryPanel panel(store.get());
    QAbstractItemModelTester tester(panel.model());
    panel.show();
    QTRY_VERIFY_WITH_TIMEOUT(panel.runList()->topLevelItemCount() >= 1, 10000);
    QSignalSpy opened(&panel, &HistoryPanel::runOpened);
    panel.openRun(run);
    QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 10000);

    const JobTreeModel &past = *panel.model();
    QCOMPARE(past.jobCount(), live.jobCount());
    QCOMPARE(past.rowCount(), live.rowCount());
    for (int s = 0; s < 8; ++s)
        QCOMPARE(past.countIn(JobState(s)), live.countIn(JobState(s)));
    for (int r = 0; r < live.rowCount(); ++r) {
        const JobId top = live.index(r, 0).data(JobTreeModel::JobIdRole).value<JobId>();
        QCOMPARE(past.index(r, 0).data(JobTreeModel::JobIdRole).value<JobId>(), top);
        const auto ids = live.subtree(top);
        QCOMPARE(past.subtree(top), ids);
        for (const auto id : ids) {
            compareJob(*past.job(id), *live.job(id));
            QCOMPARE(panel.spanModel()->spans(id).size(), liveSpans.spans(id).size());
            QCOMPARE(past.indexOf(id).data(Qt::DisplayRole), live.indexOf(id).data(Qt::DisplayRole));
        }
    }

    // Its trace exports in both formats.
    QSignalSpy exported(&panel, &HistoryPanel::exported);
    const QString chrome = dir.filePath(u"run.trace.json"_s);
    const QString otlp = dir.filePath(u"run.otlp.json"_s);
    panel.exportTrace(run, chrome, false);
    panel.exportTrace(run, otlp, true);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 10000);
    QCOMPARE(exported[0][1].toString(), QString());
    QCOMPARE(exported[1][1].toString(), QString());
    QFile c(chrome);
    QVERIFY(c.open(QIODevice::ReadOnly));
    QVERIFY(!QJsonDocument::fromJson(c.readAll()).object().value(u"traceEvents"_s).toArray().isEmpty());
    QFile o(otlp);
    QVERIFY(o.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(o.readAll()).object().contains(u"resourceSpans"_s));
}

void tst_History::comparesRunsPerRoute()
{
    JobInfo a;
    a.method = u"GET"_s;
    a.route = u"/x"_s;
    a.startedMs = 100;
    a.finishedMs = 110;
    JobInfo b = a;
    b.finishedMs = 130;
    JobInfo c = a;
    c.route = u"/y"_s;
    const auto d = HistoryPanel::routeDurations({a, b, c});
    QCOMPARE(d.size(), 2);
    QCOMPARE(d[0].route, u"GET /x"_s);
    QCOMPARE(d[0].jobs, 2);
    QCOMPARE(d[0].meanMs, 20.0);
    QCOMPARE(d[0].maxMs, 30.0);
    QCOMPARE(d[1].jobs, 1);
}

QTEST_MAIN(tst_History)
#include "tst_history.moc"
