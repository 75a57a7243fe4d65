#include "models/changethrottle.h"
#include "models/jobfilterproxymodel.h"
#include "models/jobtreemodel.h"
#include "uitestutil.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_JobTreeModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void batchInsertsAreContiguous();
    void updatesCoalesceIntoRuns();
    void evictionKeepsTheBound();
    void followsARunExactly();
    void proxyFiltersByStateAndText();
    void throttleSlicesSpansAfterTheirJobs();
};

namespace {

JobInfo job(JobId id, JobId parent, JobState state, const QString &path = u"/leaf"_s)
{
    JobInfo j;
    j.id = id;
    j.parent = parent;
    j.method = u"GET"_s;
    j.path = path;
    j.route = path;
    j.state = state;
    j.createdMs = 1000 + qint64(id);
    return j;
}

} // namespace

void tst_JobTreeModel::batchInsertsAreContiguous()
{
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    ChangeSet set;
    // Two top-level jobs with children, one child of an existing parent later.
    set.jobs = {job(1, 0, JobState::Running), job(2, 1, JobState::Running), job(3, 1, JobState::Pending),
                job(4, 0, JobState::Running), job(5, 4, JobState::Running)};
    model.apply(set);
    // One insertion at the top level (1 and 4, children come along with their new parents).
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted[0][1].toInt(), 0);
    QCOMPARE(inserted[0][2].toInt(), 1);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowCount(model.indexOf(1)), 2);
    QCOMPARE(model.rowCount(model.indexOf(4)), 1);

    inserted.clear();
    ChangeSet more;
    more.jobs = {job(6, 1, JobState::Pending), job(7, 1, JobState::Pending), job(8, 4, JobState::Pending),
                 job(9, 0, JobState::Pending)};
    model.apply(more);
    // One range per parent: under 1 (rows 2..3), under 4 (row 1), top level (row 2).
    QCOMPARE(inserted.count(), 3);
    QCOMPARE(model.rowCount(model.indexOf(1)), 4);
    QCOMPARE(model.indexOf(7).row(), 3);
    QCOMPARE(model.jobCount(), 9);
    QCOMPARE(model.countIn(JobState::Pending), 5);
    QCOMPARE(model.subtree(1), (QList<JobId>{1, 2, 3, 6, 7}));
}

void tst_JobTreeModel::updatesCoalesceIntoRuns()
{
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    ChangeSet set;
    for (JobId id = 1; id <= 10; ++id)
        set.jobs.append(job(id, 0, JobState::Running));
    model.apply(set);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    ChangeSet upd;
    for (JobId id : {2, 3, 4, 7, 8, 10})
        upd.jobs.append(job(id, 0, JobState::Succeeded));
    model.apply(upd);
    QCOMPARE(changed.count(), 3); // rows 1-3, 6-7, 9
    QCOMPARE(changed[0][0].toModelIndex().row(), 1);
    QCOMPARE(changed[0][0].toModelIndex().column(), int(JobTreeModel::StateColumn)); // id and route never change
    QCOMPARE(changed[0][1].toModelIndex().row(), 3);
    QCOMPARE(changed[0][1].toModelIndex().column(), int(JobTreeModel::ColumnCount) - 1);
    QCOMPARE(model.countIn(JobState::Succeeded), 6);
    QCOMPARE(model.countIn(JobState::Running), 4);
}

void tst_JobTreeModel::evictionKeepsTheBound()
{
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    model.setMaxFinishedTopLevel(50);
    QSignalSpy evicted(&model, &JobTreeModel::evicted);
    JobId id = 0;
    for (int batch = 0; batch < 10; ++batch) {
        ChangeSet set;
        for (int i = 0; i < 20; ++i) {
            const JobId top = ++id;
            set.jobs.append(job(top, 0, JobState::Succeeded));
            set.jobs.append(job(++id, top, JobState::Succeeded));
        }
        // One unfinished job early on must survive eviction.
        if (batch == 0)
            set.jobs.append(job(++id, 0, JobState::Running));
        model.apply(set);
        QVERIFY(model.rowCount() <= 51);
    }
    QCOMPARE(model.rowCount(), 51);
    QCOMPARE(model.jobCount(), 101);
    QCOMPARE(model.evictedTopLevel(), 150);
    QCOMPARE(model.evictedJobs(), 300);
    QVERIFY(evicted.count() > 0);
    QVERIFY(model.job(41)); // the running one
    QCOMPARE(model.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(41));
    // An update of an evicted job does not bring it back.
    ChangeSet late;
    late.jobs = {job(1, 0, JobState::Succeeded)};
    model.apply(late);
    QVERIFY(!model.job(1));
    QCOMPARE(model.rowCount(), 51);
}

void tst_JobTreeModel::followsARunExactly()
{
    RuntimeHost::Options options;
    options.builtins = false;
    options.setup = test::addTestRoutes;
    RuntimeHost host(options);
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    JobFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy);
    ChangeThrottle throttle(100, 500);
    connect(&host, &RuntimeHost::changed, &throttle, &ChangeThrottle::push);
    connect(&throttle, &ChangeThrottle::ready, &model, &JobTreeModel::apply);

    // 500 trees of 1 + 3 jobs = 2,000 jobs: some fail, some are cancelled while running.
    QList<JobId> trees;
    connect(&host, &RuntimeHost::submitted, this, [&](const QList<JobId> &ids) { trees.append(ids); });
    for (int i = 0; i < 500; ++i) {
        const QJsonObject q{{u"n"_s, 3}, {u"ms"_s, i % 10 == 0 ? 60000 : 5 + i % 20}, {u"fail"_s, i % 7 == 0}};
        host.submit({u"GET"_s, u"/tree"_s, q, QJsonValue(QJsonValue::Undefined)});
    }
    QTRY_COMPARE_WITH_TIMEOUT(trees.size(), 500, 20000);
    // Cancel the long ones once they run (their children then end cancelled by the parent).
    for (int i = 0; i < 500; i += 10)
        host.cancel(trees[i]);
    QVERIFY(test::waitIdle(host));
    QTRY_VERIFY_WITH_TIMEOUT(!throttle.hasPending() && model.jobCount() == 2000
                                 && model.countIn(JobState::Running) == 0 && model.countIn(JobState::Pending) == 0,
                             20000);
    auto counts = test::readCounts(host);
    QTRY_VERIFY(counts->ready.load());
    for (int s = 0; s < 8; ++s)
        QCOMPARE(model.countIn(JobState(s)), counts->counts[size_t(s)].load());
    QCOMPARE(model.countIn(JobState::Cancelled), 50 * 4);
    QVERIFY(model.countIn(JobState::Failed) > 0);
    QCOMPARE(model.rowCount(), 500);
    // Every child sits under its parent.
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.rowCount(model.index(r, 0)), 3);
    const JobInfo *cancelledChild = model.job(model.subtree(trees[0]).at(1));
    QVERIFY(cancelledChild);
    QCOMPARE(cancelledChild->state, JobState::Cancelled);
    QCOMPARE(cancelledChild->cancelReason, CancelReason::Parent);
}

void tst_JobTreeModel::proxyFiltersByStateAndText()
{
    JobTreeModel model;
    JobFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy);
    ChangeSet set;
    set.jobs = {job(1, 0, JobState::Running, u"/tree"_s), job(2, 1, JobState::Failed), job(3, 1, JobState::Succeeded),
                job(4, 0, JobState::Succeeded, u"/other"_s)};
    model.apply(set);
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setStates({JobState::Failed});
    // The failed child keeps its (running) parent visible.
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 1);
    QCOMPARE(proxy.index(0, 0, proxy.index(0, 0)).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(2));
    proxy.setStates({});
    proxy.setText(u"other"_s);
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(4));
    proxy.setText({});
    proxy.sort(JobTreeModel::IdColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(4));
}

void tst_JobTreeModel::throttleSlicesSpansAfterTheirJobs()
{
    // A burst: 2,500 jobs that finished in one batch bring 2,500 spans and a few logs.
    ChangeSet burst;
    for (JobId id = 1; id <= 2500; ++id) {
        burst.jobs.append(job(id, 0, JobState::Succeeded));
        SpanData s;
        s.job = id;
        s.spanId = id;
        s.name = u"root"_s;
        burst.spans.append(s);
    }
    for (JobId id = 1; id <= 10; ++id)
        burst.logs.append({id, 1000, LogLevel::Info, u"log"_s});
    ChangeSet next;
    next.jobs = {job(2501, 0, JobState::Running)};
    ChangeThrottle throttle(1000, 1000);
    QList<ChangeSet> slices;
    connect(&throttle, &ChangeThrottle::ready, this, [&](const ChangeSet &slice) { slices.append(slice); });
    throttle.push(burst);
    throttle.push(next);
    throttle.flushNow();
    QVERIFY(!throttle.hasPending());
    qsizetype jobs = 0;
    qsizetype spans = 0;
    qsizetype logs = 0;
    for (const auto &slice : std::as_const(slices)) {
        const qsizetype entries = slice.jobs.size() + slice.spans.size() + slice.logs.size();
        QVERIFY2(entries <= 1000, qPrintable(QString::number(entries)));
        // A span or log comes only once every job of its set was handed out, and before the next set.
        if (!slice.spans.isEmpty() || !slice.logs.isEmpty())
            QCOMPARE(jobs, 2500);
        if (!slice.jobs.isEmpty() && slice.jobs.first().id == 2501) {
            QCOMPARE(spans, 2500);
            QCOMPARE(logs, 10);
        }
        jobs += slice.jobs.size();
        spans += slice.spans.size();
        logs += slice.logs.size();
    }
    QCOMPARE(jobs, 2501);
    QCOMPARE(spans, 2500);
    QCOMPARE(logs, 10);
    QVERIFY(slices.size() >= 6);
}

QTEST_MAIN(tst_JobTreeModel)
#include "tst_jobtreemodel.moc"
