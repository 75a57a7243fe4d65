// Evicted jobs read back from the history store on demand: the live model keeps a bounded
// window; older jobs come back a page at a time, exactly as they were live.

#include "models/jobfilterproxymodel.h"
#include "models/jobtreemodel.h"
#include "models/spanmodel.h"
#include "runtimehost.h"
#include "uitestutil.h"
#include "widgets/detailspanel.h"
#include "widgets/jobspanel.h"
#include "widgets/mainwindow.h"

#include <QAbstractItemModelTester>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

#include <sqlite3.h>

#include <atomic>
#include <memory>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_ReadBack : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void readsEvictedJobsBackFromTheStore();
    void pageSeesJobsTheWriterHasNotWrittenYet();
    void pageInFlightIsDroppedWhenTheRunChanges();
    void evictionDuringALoadKeepsTheRangeWhole();
    void jobStillUnfinishedInTheStoreIsReadAgain();
    void detailsShowAReadBackJob();
    void rerunsAJobOnlyTheHistoryHas();
    void proxyFetchesOnlyWhenOlderJobsAreAtTheEnd();
};

namespace {

const QJsonValue none(QJsonValue::Undefined);

QCoro::Task<QJsonValue> logged(Context &ctx)
{
    auto span = ctx.span(u"logged work"_s);
    ctx.log(u"logged %1"_s.arg(ctx.param(u"i"_s).toInteger()));
    co_return QJsonValue(QJsonObject{{u"i"_s, ctx.param(u"i"_s)}});
}

void addRoutes(Runtime &rt)
{
    test::addTestRoutes(rt);
    rt.router().get(u"/logged"_s, logged).query({.name = u"i"_s, .type = ParamType::Int, .defaultValue = 0});
}

// Options for a host recording into store, with this suite's routes and then more setup.
RuntimeHost::Options recordingInto(HistoryStore *store, std::function<void(Runtime &)> more = {})
{
    RuntimeHost::Options options;
    options.builtins = false;
    options.store = store;
    options.setup = [more = std::move(more)](Runtime &rt) {
        addRoutes(rt);
        if (more)
            more(rt);
    };
    return options;
}

// Shows the inspector at a size where every panel has room; false if it never appeared.
bool showInspector(MainWindow &window)
{
    window.resize(1400, 860);
    window.show();
    return QTest::qWaitForWindowExposed(&window);
}

struct Run
{
    QTemporaryDir dir;
    std::unique_ptr<HistoryStore> store;
};

std::unique_ptr<Run> openStore()
{
    auto r = std::make_unique<Run>();
    QString error;
    r->store = HistoryStore::open(r->dir.filePath(u"history.sqlite"_s), &error);
    if (!r->store)
        qWarning() << error;
    return r;
}

JobInfo synthetic(JobId id, JobId parent = 0, JobState state = JobState::Succeeded)
{
    JobInfo j;
    j.id = id;
    j.parent = parent;
    j.method = u"GET"_s;
    j.path = u"/x/%1"_s.arg(id);
    j.route = u"/x/{n:int}"_s;
    j.state = state;
    j.createdMs = 1000 + qint64(id);
    j.startedMs = 1000 + qint64(id);
    j.finishedMs = isTerminal(state) ? 1010 + qint64(id) : 0;
    if (state == JobState::Succeeded)
        j.result = QJsonObject{{u"id"_s, qint64(id)}};
    return j;
}

// Top-level ids held as live rows (not read back), and those read back, in row order.
QList<JobId> topRows(const JobTreeModel &model, bool fromHistory)
{
    QList<JobId> ids;
    for (int r = 0; r < model.rowCount(); ++r) {
        const QModelIndex idx = model.index(r, 0);
        if (idx.data(JobTreeModel::FromHistoryRole).toBool() == fromHistory)
            ids.append(idx.data(JobTreeModel::JobIdRole).value<JobId>());
    }
    return ids;
}

// As MainWindow does: spans that arrive with (or after) their job's eviction are not kept.
void forgetSpansOfEvicted(const JobTreeModel &model, SpanModel &spans, const ChangeSet &c)
{
    QList<JobId> gone;
    for (const auto &s : c.spans) {
        if (!model.job(s.job))
            gone.append(s.job);
    }
    spans.forget(gone);
}

bool waitLoaded(const JobTreeModel &model)
{
    return QTest::qWaitFor([&] { return !model.isLoadingHistory(); }, 30000);
}

} // namespace

void tst_ReadBack::initTestCase()
{
    // MainWindow remembers its layout: keep the tests' settings away from the user's.
    QStandardPaths::setTestModeEnabled(true);
}

void tst_ReadBack::readsEvictedJobsBackFromTheStore()
{
    auto history = openStore();
    QVERIFY(history->store);
    RuntimeHost host(recordingInto(history->store.get()));
    const RunId run = host.runId();
    QVERIFY(run > 0);

    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    // Newest first, the older jobs are at the end: a view scrolled there fetches more (as this
    // test does after every batch) while jobs are evicted and written.
    auto proxy = std::make_unique<JobFilterProxyModel>();
    proxy->setSourceModel(&model);
    proxy->sort(JobTreeModel::IdColumn, Qt::DescendingOrder);
    auto proxyTester = std::make_unique<QAbstractItemModelTester>(proxy.get());
    model.setMaxFinishedTopLevel(50);
    model.setHistoryPageSize(40);
    model.setMaxHistoryTopLevel(100);
    model.setHistory(history->store.get(), run);
    SpanModel spans;
    connect(&model, &JobTreeModel::evicted, &spans, &SpanModel::forget);
    connect(&model, &JobTreeModel::historyLoaded, &spans, &SpanModel::apply);
    connect(&host, &RuntimeHost::changed, &spans, [&](const ChangeSet &c) {
        model.apply(c);
        spans.apply(c);
        forgetSpansOfEvicted(model, spans, c);
        if (proxy && proxy->canFetchMore({}))
            proxy->fetchMore({});
    });
    // What was live, without any bound: the reference every read-back row must equal.
    JobTreeModel reference;
    reference.setMaxFinishedTopLevel(100000);
    connect(&host, &RuntimeHost::changed, &reference, &JobTreeModel::apply);
    QHash<JobId, int> liveSpans;
    connect(&host, &RuntimeHost::changed, &reference, [&](const ChangeSet &c) {
        for (const auto &s : c.spans)
            ++liveSpans[s.job];
    });
    QList<ChangeSet> pages;
    connect(&model, &JobTreeModel::historyLoaded, &spans, [&](const ChangeSet &page) { pages.append(page); });

    // 300 top-level jobs, 500 in all: trees of 1 + 2, failures, jobs with a log and a span.
    for (int i = 0; i < 300; ++i) {
        if (i % 3 == 0)
            host.submit({u"GET"_s, u"/tree"_s, {{u"n"_s, 2}, {u"ms"_s, 1}}, none});
        else if (i % 5 == 1)
            host.submit({u"GET"_s, u"/leaf"_s, {{u"fail"_s, true}}, none});
        else
            host.submit({u"GET"_s, u"/logged"_s, {{u"i"_s, i}}, none});
    }
    QVERIFY(test::waitIdle(host));
    QTRY_COMPARE_WITH_TIMEOUT(reference.jobCount(), 500, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(model.jobCount() - model.historyJobs() + model.evictedJobs(), 500, 20000);
    QVERIFY(waitLoaded(model));
    QVERIFY(!pages.isEmpty()); // the proxy fetched while the run went on
    proxyTester.reset(); // from here on, only this test reads pages
    proxy.reset();

    // The live window kept its bound; read-back rows keep theirs.
    QCOMPARE(model.evictedTopLevel(), 250);
    const QList<JobId> liveTops = topRows(model, false);
    QCOMPARE(liveTops.size(), 50);
    QVERIFY(model.historyTopLevel() <= 100);
    QCOMPARE(model.historyOnlyTopLevel(), 250 - model.historyTopLevel());

    QList<JobId> evictedTops;
    for (int r = 0; r < reference.rowCount(); ++r) {
        const JobId id = reference.index(r, 0).data(JobTreeModel::JobIdRole).value<JobId>();
        if (!liveTops.contains(id))
            evictedTops.append(id);
    }
    QCOMPARE(evictedTops.size(), 250);

    // Walk back to the oldest job, a page at a time; then forward again to the live window.
    for (int guard = 0; guard < 50 && model.canFetchOlder(); ++guard) {
        model.fetchOlder();
        QVERIFY(model.isLoadingHistory());
        QVERIFY(!model.canFetchOlder()); // one read at a time
        QVERIFY(waitLoaded(model));
        QVERIFY(model.historyTopLevel() <= 100);
        QVERIFY(model.rowCount() <= 150);
    }
    QVERIFY(!model.canFetchOlder());
    QCOMPARE(topRows(model, true), evictedTops.mid(0, 100)); // the oldest, in id order
    QCOMPARE(model.historyOnlyTopLevel(), 150);
    QVERIFY(model.canFetchNewer());
    for (int guard = 0; guard < 50 && model.canFetchNewer(); ++guard) {
        model.fetchNewer();
        QVERIFY(waitLoaded(model));
        QVERIFY(model.rowCount() <= 150);
    }
    QCOMPARE(topRows(model, true), evictedTops.mid(150)); // the newest evicted, next to the live ones
    QCOMPARE(topRows(model, false), liveTops);
    QVERIFY(model.canFetchOlder());

    // Every evicted job came back at least once, with its whole subtree, as it was live.
    QSet<JobId> loadedTops;
    QSet<JobId> loadedJobs;
    for (const auto &page : std::as_const(pages)) {
        for (const auto &j : page.jobs) {
            loadedJobs.insert(j.id);
            if (!j.parent)
                loadedTops.insert(j.id);
            const JobInfo *was = reference.job(j.id);
            QVERIFY(was);
            const auto stored = history->store->job(run, j.id);
            QVERIFY(stored);
            for (const JobInfo *other : {was, &*stored}) {
                QCOMPARE(j.parent, other->parent);
                QCOMPARE(j.route, other->route);
                QCOMPARE(j.path, other->path);
                QCOMPARE(j.params, other->params);
                QCOMPARE(j.state, other->state);
                QCOMPARE(j.error.message, other->error.message);
                QCOMPARE(j.finishedMs, other->finishedMs);
                if (j.state == JobState::Succeeded)
                    QCOMPARE(j.result, other->result);
            }
        }
    }
    QCOMPARE(loadedTops, QSet<JobId>(evictedTops.cbegin(), evictedTops.cend()));
    int evictedJobs = 0;
    for (const auto top : std::as_const(evictedTops))
        evictedJobs += int(reference.subtree(top).size());
    QCOMPARE(loadedJobs.size(), evictedJobs);

    // Held read-back rows show exactly what the live rows showed, with their spans and logs.
    for (const auto top : topRows(model, true)) {
        const auto ids = model.subtree(top);
        QCOMPARE(ids, reference.subtree(top));
        for (const auto id : ids) {
            QVERIFY(model.isFromHistory(id));
            for (int c = 0; c < JobTreeModel::ColumnCount; ++c) {
                QCOMPARE(model.indexOf(id, c).data(Qt::DisplayRole), reference.indexOf(id, c).data(Qt::DisplayRole));
                QCOMPARE(model.indexOf(id, c).data(JobTreeModel::SortRole),
                         reference.indexOf(id, c).data(JobTreeModel::SortRole));
            }
            QCOMPARE(spans.spans(id).size(), liveSpans.value(id));
            QCOMPARE(model.logs(id).size(), reference.logs(id).size());
        }
    }
    // Counts by state cover what is held: the live window plus the read-back rows.
    int held = 0;
    for (int s = 0; s < 8; ++s)
        held += model.countIn(JobState(s));
    QCOMPARE(held, model.jobCount());
    QCOMPARE(model.jobCount() - model.historyJobs() + model.evictedJobs(), 500);
    host.shutdown();
}

void tst_ReadBack::pageSeesJobsTheWriterHasNotWrittenYet()
{
    auto history = openStore();
    QVERIFY(history->store);
    HistoryStore &store = *history->store;
    const RunId run = store.beginRun(u"synthetic"_s, {});
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    model.setMaxFinishedTopLevel(10);
    model.setHistoryPageSize(5000);
    model.setHistory(&store, run);
    // As the recorder does: each batch goes to the store, then to the model, which evicts at once.
    JobId id = 0;
    const auto batch = [&] {
        ChangeSet set;
        for (int i = 0; i < 500; ++i) {
            const JobId top = ++id;
            set.jobs.append(synthetic(top));
            set.jobs.append(synthetic(++id, top));
        }
        store.record(run, set);
        model.apply(set);
    };
    for (int i = 0; i < 8; ++i)
        batch();
    // Another connection holds the write lock: the last batch waits in the writer's queue
    // while the page is asked for (reads go on in WAL mode). The page must still see it.
    sqlite3 *blocker = nullptr;
    QCOMPARE(sqlite3_open(store.path().toUtf8().constData(), &blocker), SQLITE_OK);
    sqlite3_busy_timeout(blocker, 30000);
    QCOMPARE(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    batch();
    QCOMPARE(model.evictedTopLevel(), 4490);
    QVERIFY(model.canFetchOlder());
    model.fetchOlder();
    QCOMPARE(sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(blocker);
    QVERIFY(waitLoaded(model));
    QCOMPARE(model.historyTopLevel(), 4490);
    QCOMPARE(model.historyJobs(), 8980);
    QCOMPARE(model.rowCount(), 4500);
    QVERIFY(!model.canFetchOlder());
    QVERIFY(!model.canFetchNewer());
    QCOMPARE(model.historyOnlyTopLevel(), 0);
    QCOMPARE(model.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(1));
    QCOMPARE(model.index(4489, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(8979));
    QCOMPARE(model.rowCount(model.indexOf(1)), 1);
    QCOMPARE(model.job(2)->result, QJsonValue(QJsonObject{{u"id"_s, 2}}));
}

void tst_ReadBack::pageInFlightIsDroppedWhenTheRunChanges()
{
    auto history = openStore();
    QVERIFY(history->store);
    HistoryStore &store = *history->store;
    const RunId run = store.beginRun(u"first"_s, {});
    const RunId other = store.beginRun(u"second"_s, {});
    ChangeSet set;
    for (JobId id = 1; id <= 100; ++id)
        set.jobs.append(synthetic(id));
    store.record(run, set);
    store.record(other, set);
    QVERIFY(store.flush().isEmpty());

    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    QSignalSpy loaded(&model, &JobTreeModel::historyLoaded);
    model.setMaxFinishedTopLevel(10);
    model.setHistory(&store, run);
    model.apply(set);
    QCOMPARE(model.rowCount(), 10);
    model.fetchOlder();
    QVERIFY(model.isLoadingHistory());
    model.clear(); // a new run: the page of the old one must not land in it
    QVERIFY(model.isLoadingHistory());
    QVERIFY(!model.canFetchOlder());
    QVERIFY(waitLoaded(model));
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(loaded.count(), 0);

    // Switching the history while a page is read drops that page too.
    model.apply(set);
    model.fetchOlder();
    model.setHistory(&store, other);
    QVERIFY(waitLoaded(model));
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(model.rowCount(), 10);
    // Then it reads from the new one.
    model.fetchOlder();
    QVERIFY(waitLoaded(model));
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(model.rowCount(), 100);
}

void tst_ReadBack::evictionDuringALoadKeepsTheRangeWhole()
{
    auto history = openStore();
    QVERIFY(history->store);
    HistoryStore &store = *history->store;
    const RunId run = store.beginRun(u"synthetic"_s, {});
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    model.setMaxFinishedTopLevel(20);
    model.setHistoryPageSize(30);
    model.setMaxHistoryTopLevel(60);
    model.setHistory(&store, run);
    JobId id = 0;
    const auto feed = [&](int tops, JobState state = JobState::Succeeded) {
        ChangeSet set;
        for (int i = 0; i < tops; ++i)
            set.jobs.append(synthetic(++id, 0, state));
        store.record(run, set);
        model.apply(set);
    };
    feed(1, JobState::Running); // job 1 stays live, running, below everything evicted
    feed(100);                  // 2..101: 2..81 evicted
    model.fetchOlder();
    feed(50); // evicts 50 more while the page is read
    QVERIFY(waitLoaded(model));
    QCOMPARE(topRows(model, true).size(), 30);
    QCOMPARE(topRows(model, true).first(), JobId(52)); // the page below the evicted ones at request
    QCOMPARE(topRows(model, true).last(), JobId(81));
    QVERIFY(model.canFetchNewer()); // 82..131 were evicted meanwhile
    QVERIFY(model.canFetchOlder());

    // Older: 22..51, then 2..21 with job 1 skipped (it is live); the bound drops the newest.
    model.fetchOlder();
    QVERIFY(waitLoaded(model));
    model.fetchOlder();
    QVERIFY(waitLoaded(model));
    QVERIFY(!model.canFetchOlder());
    QList<JobId> expected;
    for (JobId i = 2; i <= 61; ++i)
        expected.append(i);
    QCOMPARE(topRows(model, true), expected);
    QCOMPARE(model.job(1)->state, JobState::Running);
    QVERIFY(!model.isFromHistory(1));
    // Newer again up to the live window, and no job is held twice.
    for (int guard = 0; guard < 20 && model.canFetchNewer(); ++guard) {
        model.fetchNewer();
        QVERIFY(waitLoaded(model));
    }
    expected.clear();
    for (JobId i = 72; i <= 131; ++i)
        expected.append(i);
    QCOMPARE(topRows(model, true), expected);
    QList<JobId> all = topRows(model, true) + topRows(model, false);
    QCOMPARE(QSet<JobId>(all.cbegin(), all.cend()).size(), all.size());
    QCOMPARE(model.rowCount(), 60 + 21);
}

void tst_ReadBack::jobStillUnfinishedInTheStoreIsReadAgain()
{
    auto history = openStore();
    QVERIFY(history->store);
    HistoryStore &store = *history->store;
    const RunId run = store.beginRun(u"synthetic"_s, {});
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    model.setMaxFinishedTopLevel(2);
    model.setHistory(&store, run);
    // Jobs 1..5 finished; the store has job 2's last state not yet (it says running): as when
    // a job finishes and is evicted while a page is being read.
    ChangeSet live;
    ChangeSet stored;
    for (JobId id = 1; id <= 5; ++id) {
        live.jobs.append(synthetic(id));
        stored.jobs.append(synthetic(id, 0, id == 2 ? JobState::Running : JobState::Succeeded));
    }
    store.record(run, stored);
    model.apply(live);
    QCOMPARE(model.evictedTopLevel(), 3);
    model.fetchOlder();
    QVERIFY(waitLoaded(model));
    // Only what lies before the unfinished one comes back; the rest is read again later.
    QCOMPARE(topRows(model, true), (QList<JobId>{3}));
    QCOMPARE(model.historyOnlyTopLevel(), 2);
    QVERIFY(model.canFetchOlder());
    ChangeSet finished;
    finished.jobs = {synthetic(2)};
    store.record(run, finished);
    model.fetchOlder();
    QVERIFY(waitLoaded(model));
    QCOMPARE(topRows(model, true), (QList<JobId>{1, 2, 3}));
    QCOMPARE(model.job(2)->state, JobState::Succeeded);
    QCOMPARE(model.historyOnlyTopLevel(), 0);
    QVERIFY(!model.canFetchOlder());
    QVERIFY(!model.canFetchNewer());
}

void tst_ReadBack::detailsShowAReadBackJob()
{
    auto history = openStore();
    QVERIFY(history->store);
    RuntimeHost host(recordingInto(history->store.get()));
    MainWindow window(&host, history->store.get());
    QVERIFY(showInspector(window));
    JobTreeModel *model = window.jobModel();
    QAbstractItemModelTester tester(model);
    model->setMaxFinishedTopLevel(20);
    model->setHistoryPageSize(25);
    QCOMPARE(model->historyStore(), history->store.get());
    QCOMPARE(model->historyRun(), host.runId());
    for (int i = 0; i < 60; ++i)
        host.submit({u"GET"_s, u"/logged"_s, {{u"i"_s, i}}, none});
    QVERIFY(test::waitIdle(host));
    QTRY_COMPARE_WITH_TIMEOUT(model->evictedTopLevel(), 40, 20000);
    QVERIFY(waitLoaded(*model));

    // The bar says what is in the history only and reads it back.
    QPushButton *older = window.jobsPanel()->loadOlderButton();
    QTRY_VERIFY(older->isVisible() && older->isEnabled());
    QTest::mouseClick(older, Qt::LeftButton);
    QVERIFY(waitLoaded(*model));
    QCOMPARE(model->historyTopLevel(), 25);
    QVERIFY(window.statusText().contains(u"15 older jobs in the history only"_s));

    const JobId id = topRows(*model, true).first();
    QVERIFY(model->isFromHistory(id));
    window.jobsPanel()->selectJob(id);
    QTRY_COMPARE(window.detailsPanel()->jobId(), id);
    QTreeWidget *tree = window.detailsPanel()->tree();
    QMap<QString, QTreeWidgetItem *> sections;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        sections.insert(tree->topLevelItem(i)->text(0), tree->topLevelItem(i));
    QVERIFY(sections.contains(u"Result"_s));
    QCOMPARE(sections[u"Parameters"_s]->child(0)->text(1), QString::number(model->job(id)->params[u"i"_s].toInteger()));
    QCOMPARE(sections[u"Logs"_s]->text(1), u"1"_s);
    QCOMPARE(sections[u"Logs"_s]->child(0)->text(1), u"logged %1"_s.arg(model->job(id)->params[u"i"_s].toInteger()));
    QCOMPARE(sections[u"Spans"_s]->text(1), u"2"_s); // the job's root span and "logged work"

    // A picture of it, for a human to look at (COROUTE_SCREENSHOT=file.png).
    const QString shot = qEnvironmentVariable("COROUTE_SCREENSHOT");
    if (!shot.isEmpty()) {
        window.jobsPanel()->view()->scrollToTop();
        window.flushChanges(); // the status bar too
        QVERIFY(window.grab().save(shot, "PNG"));
    }
    host.shutdown();
}

// The runtime keeps few finished jobs here, so the oldest ones exist only in the history;
// re-running one read back from it submits its request again.
void tst_ReadBack::rerunsAJobOnlyTheHistoryHas()
{
    auto history = openStore();
    QVERIFY(history->store);
    RuntimeHost host(recordingInto(history->store.get(), [](Runtime &rt) { rt.jobs().setFinishedWindow(5); }));
    MainWindow window(&host, history->store.get());
    QVERIFY(showInspector(window));
    JobTreeModel *model = window.jobModel();
    model->setMaxFinishedTopLevel(10);
    model->setHistoryPageSize(25);
    for (int i = 0; i < 30; ++i)
        host.submit({u"GET"_s, u"/logged"_s, {{u"i"_s, 100 + i}}, none});
    QVERIFY(test::waitIdle(host));
    QTRY_COMPARE_WITH_TIMEOUT(model->evictedTopLevel(), 20, 20000);
    QVERIFY(waitLoaded(*model));
    model->fetchOlder();
    QVERIFY(waitLoaded(*model));

    const JobId oldest = topRows(*model, true).first();
    QVERIFY(model->isFromHistory(oldest));
    QCOMPARE(model->job(oldest)->params[u"i"_s].toInteger(), 100);
    auto held = std::make_shared<std::atomic<bool>>(true); // written on the runtime's thread
    QVERIFY(QTest::qWaitFor([&] {
        host.post([oldest, held](Runtime &rt) { *held = rt.jobs().job(oldest).has_value(); });
        return !*held;
    }, 20000));

    window.jobsPanel()->selectJob(oldest);
    QVERIFY(window.jobsPanel()->rerunAction()->isEnabled());
    window.jobsPanel()->rerunAction()->trigger();
    const auto rerun = [&]() -> const JobInfo * {
        const JobInfo *found = nullptr;
        for (int r = 0; r < model->rowCount(); ++r) {
            const auto id = model->index(r, 0).data(JobTreeModel::JobIdRole).value<JobId>();
            if (id > 30)
                found = model->job(id);
        }
        return found;
    };
    QTRY_VERIFY_WITH_TIMEOUT(rerun() && rerun()->state == JobState::Succeeded, 20000);
    QCOMPARE(rerun()->path, u"/logged"_s);
    QCOMPARE(rerun()->params[u"i"_s].toInteger(), 100);
    host.shutdown();
}

void tst_ReadBack::proxyFetchesOnlyWhenOlderJobsAreAtTheEnd()
{
    auto history = openStore();
    QVERIFY(history->store);
    const RunId run = history->store->beginRun(u"synthetic"_s, {});
    JobTreeModel model;
    model.setMaxFinishedTopLevel(5);
    model.setHistory(history->store.get(), run);
    ChangeSet set;
    for (JobId id = 1; id <= 20; ++id)
        set.jobs.append(synthetic(id));
    history->store->record(run, set);
    model.apply(set);
    JobFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy);
    QVERIFY(model.canFetchOlder());
    // Oldest first: the end of the view is the newest jobs (following live), not history.
    proxy.sort(JobTreeModel::IdColumn, Qt::AscendingOrder);
    QVERIFY(!proxy.canFetchMore({}));
    QVERIFY(!model.isLoadingHistory());
    // Newest first: the tester, like a view showing the end, fetches more at once.
    proxy.sort(JobTreeModel::IdColumn, Qt::DescendingOrder);
    QVERIFY(model.isLoadingHistory());
    QVERIFY(!proxy.canFetchMore({})); // one read at a time
    QVERIFY(waitLoaded(model));
    QCOMPARE(proxy.rowCount(), 20);
    QCOMPARE(proxy.index(19, 0).data(JobTreeModel::JobIdRole).value<JobId>(), JobId(1));
}

QTEST_MAIN(tst_ReadBack)
#include "tst_readback.moc"
