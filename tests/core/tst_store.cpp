#include "async/sleep.h"
#include "runtime/runtime.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include "coroutinetest.h"
#include "sqlitescalar.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <QMutex>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace coroute;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

CallRequest get(const QString &path)
{
    return {u"GET"_s, path, {}, QJsonValue(QJsonValue::Undefined)};
}

// A runtime with a few kinds of jobs: children, failures, cancellation, logs and spans.
void addRoutes(Runtime &rt)
{
    rt.router().get(u"/leaf/{n:int}"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
        auto s = ctx.span(u"leaf work"_s);
        ctx.log(u"leaf %1"_s.arg(ctx.param(u"n"_s).toInteger()));
        co_await sleep(1ms, ctx.token());
        co_return ctx.param(u"n"_s);
    });
    rt.router().get(u"/tree"_s, [](Context &ctx) -> QCoro::Task<QJsonValue> {
        auto a = co_await ctx.call(u"GET"_s, u"/leaf/1"_s);
        auto b = co_await ctx.call(u"GET"_s, u"/leaf/2"_s);
        co_return QJsonValue(a.toInt() + b.toInt());
    });
    rt.router().get(u"/fail"_s, [](Context &) -> QCoro::Task<void> {
        throw Error(409, u"conflict"_s, u"already there"_s);
        co_return;
    });
    rt.router().get(u"/forever"_s, [](Context &ctx) -> QCoro::Task<void> { co_await sleep(1h, ctx.token()); });
}

int execSql(const QString &path, const QString &sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open(path.toUtf8().constData(), &db);
    const int rc = sqlite3_exec(db, sql.toUtf8().constData(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
}

} // namespace

class tst_Store : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void historyEqualsWhatWasLive()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        QList<SpanData> liveSpans;
        QList<JobInfo> live;
        RunId run = 0;
        {
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"test"_s, u"tst_store"_s);
            run = recorder.runId();
            connect(&rt.jobs(), &JobRegistry::changed, this, [&](const ChangeSet &c) { liveSpans += c.spans; });
            rt.submit(get(u"/tree"_s));
            rt.submit(get(u"/fail"_s));
            const auto forever = rt.submit(get(u"/forever"_s)).id;
            QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 1, 10000);
            rt.cancel(forever, CancelReason::User, u"tester"_s);
            QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
            recorder.finish();
            live = rt.jobs().jobs();
        }
        QVERIFY(run > 0);
        const auto stored = store->jobs(run);
        QCOMPARE(stored.size(), live.size());
        for (int i = 0; i < live.size(); ++i) {
            const auto &a = live[i];
            const auto &b = stored[i];
            QCOMPARE(b.id, a.id);
            QCOMPARE(b.parent, a.parent);
            QCOMPARE(b.state, a.state);
            QCOMPARE(b.route, a.route);
            QCOMPARE(b.path, a.path);
            QCOMPARE(b.params, a.params);
            QCOMPARE(b.result, a.state == JobState::Succeeded ? a.result : QJsonValue(QJsonValue::Undefined));
            QCOMPARE(b.error.type, a.error.type);
            QCOMPARE(b.error.status, a.error.status);
            QCOMPARE(b.cancelReason, a.cancelReason);
            QCOMPARE(b.cancelledBy, a.cancelledBy);
            QCOMPARE(b.createdMs, a.createdMs);
            QCOMPARE(b.finishedMs, a.finishedMs);
        }
        const auto spans = store->spans(run);
        QCOMPARE(spans.size(), liveSpans.size());
        QCOMPARE(spans.size(), 7); // 5 root spans and 2 "leaf work" spans
        // Every span reads back with the attributes it had live, the root spans' job facts too.
        for (const auto &liveSpan : std::as_const(liveSpans)) {
            const auto it = std::find_if(spans.begin(), spans.end(),
                                         [&](const SpanData &s) { return s.spanId == liveSpan.spanId; });
            QVERIFY(it != spans.end());
            QCOMPARE(it->allAttributes(), liveSpan.allAttributes());
            if (liveSpan.jobFacts)
                QCOMPARE(it->attribute(u"coroute.state"_s).toString(), liveSpan.jobFacts->state);
        }
        const auto cancelledRoot = std::find_if(spans.begin(), spans.end(), [&](const SpanData &s) {
            return s.attribute(u"cancel.reason"_s).toString() == u"user"_s;
        });
        QVERIFY(cancelledRoot != spans.end());
        QCOMPARE(cancelledRoot->attribute(u"cancel.requested_by"_s).toString(), u"tester"_s);
        QCOMPARE(cancelledRoot->attribute(u"error.status"_s).toInt(), 499);
        const auto leafLogs = store->logs(run, stored[1].id);
        QCOMPARE(leafLogs.size(), 1);
        QCOMPARE(leafLogs.first().message, u"leaf 1"_s);

        const auto runs = store->runs();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.first().state, u"finished"_s);
        QCOMPARE(runs.first().jobs, live.size());
        QCOMPARE(runs.first().failed, 1);
        QCOMPARE(runs.first().cancelled, 1);
    }

    void jobTreesPageThroughTopLevelJobs()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        QList<JobInfo> live;
        RunId run = 0;
        {
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"test"_s, u"tst_store"_s);
            run = recorder.runId();
            // 23 top-level jobs, every third a tree (two children with a span and a log each).
            for (int i = 0; i < 23; ++i)
                rt.submit(get(i % 3 == 0 ? u"/tree"_s : u"/leaf/%1"_s.arg(i)));
            QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
            recorder.finish();
            live = rt.jobs().jobs();
        }
        QList<JobId> tops;
        for (const auto &j : std::as_const(live)) {
            if (!j.parent)
                tops.append(j.id);
        }
        QCOMPARE(tops.size(), 23);
        const auto treeOf = [&](JobId top) {
            QList<JobId> ids{top};
            for (const auto &j : std::as_const(live)) {
                if (ids.contains(j.parent))
                    ids.append(j.id);
            }
            return ids;
        };

        // Newest first, 5 top-level jobs a page, each page below the oldest of the last.
        QList<JobId> seenTops;
        JobId below = 0;
        for (int guard = 0; guard < 10; ++guard) {
            const ChangeSet page = store->jobTrees(run, 0, below, 5, Qt::DescendingOrder);
            if (page.jobs.isEmpty())
                break;
            QList<JobId> pageTops;
            QList<JobId> expected;
            for (const auto &j : page.jobs) {
                if (!j.parent)
                    pageTops.append(j.id);
            }
            QCOMPARE(pageTops, tops.mid(qMax(0, int(tops.size() - seenTops.size()) - 5),
                                        qMin<int>(5, int(tops.size() - seenTops.size()))));
            for (const auto top : std::as_const(pageTops))
                expected += treeOf(top);
            std::sort(expected.begin(), expected.end());
            QList<JobId> got;
            for (const auto &j : page.jobs)
                got.append(j.id);
            QCOMPARE(got, expected); // in id order, with every descendant
            for (const auto &j : page.jobs) {
                const auto it = std::find_if(live.cbegin(), live.cend(), [&](const JobInfo &l) { return l.id == j.id; });
                QVERIFY(it != live.cend());
                QCOMPARE(j.state, it->state);
                QCOMPARE(j.route, it->route);
                QCOMPARE(j.result, it->result);
            }
            // Spans and logs of exactly these jobs.
            int leafSpans = 0;
            for (const auto &s : page.spans) {
                QVERIFY(got.contains(s.job));
                leafSpans += s.name == u"leaf work"_s;
            }
            QCOMPARE(page.spans.size(), got.size() + leafSpans);
            QCOMPARE(page.logs.size(), leafSpans);
            for (const auto &l : page.logs)
                QVERIFY(got.contains(l.job));
            seenTops = pageTops + seenTops;
            below = pageTops.first();
        }
        QCOMPARE(seenTops, tops);

        // Oldest first above a bound, and both bounds at once.
        ChangeSet asc = store->jobTrees(run, tops[2], 0, 3, Qt::AscendingOrder);
        QList<JobId> ascTops;
        for (const auto &j : std::as_const(asc.jobs)) {
            if (!j.parent)
                ascTops.append(j.id);
        }
        QCOMPARE(ascTops, tops.mid(3, 3));
        asc = store->jobTrees(run, tops[2], tops[4], 10, Qt::AscendingOrder);
        QCOMPARE(asc.jobs.first().id, tops[3]);
        QCOMPARE(asc.jobs.size(), treeOf(tops[3]).size());
        QVERIFY(store->jobTrees(run + 1, 0, 0, 10, Qt::DescendingOrder).jobs.isEmpty());
    }

    void waitWrittenSeesQueuedBatches()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        const RunId run = store->beginRun(u"w"_s, {});
        const quint64 before = store->writeMark();
        QVERIFY(store->waitWritten(before, 0ms)); // nothing queued: already written
        ChangeSet set;
        for (JobId id = 1; id <= 500; ++id) {
            JobInfo j;
            j.id = id;
            j.method = u"GET"_s;
            j.path = u"/x"_s;
            j.state = JobState::Succeeded;
            set.jobs.append(j);
        }
        store->record(run, set);
        const quint64 mark = store->writeMark();
        QCOMPARE(mark, before + 1);
        QVERIFY(store->waitWritten(mark, 30s));
        QCOMPARE(store->jobCount(run), 500);
    }

    void reopeningKeepsEverything()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QString error;
        RunId run = 0;
        {
            auto store = HistoryStore::open(path, &error);
            QVERIFY(store);
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"first"_s, {});
            run = recorder.runId();
            coroute::test::runCoroutine([&]() -> QCoro::Task<void> { co_await rt.call(get(u"/tree"_s)); }());
        }
        auto again = HistoryStore::open(path, &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(again->interruptedAtOpen(), 0);
        QCOMPARE(again->jobs(run).size(), 3);
        QCOMPARE(again->job(run, 1)->result.toJson().toInt(), 3);
        QCOMPARE(again->run(run)->state, u"finished"_s);
    }

    void unfinishedJobsOfADeadProcessBecomeInterrupted()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QString error;
        RunId run = 0;
        {
            auto store = HistoryStore::open(path, &error);
            QVERIFY(store);
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"crashing"_s, {});
            run = recorder.runId();
            rt.submit(get(u"/tree"_s));
            rt.submit(get(u"/forever"_s));
            QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().countIn(JobState::Succeeded), 3, 10000);
            rt.jobs().flush();
            store->flush();
            // Pretend the process died: the run still says running, with a pid that is gone.
            QCOMPARE(execSql(path, u"UPDATE runs SET pid = 2147483646 WHERE id = %1"_s.arg(run)), SQLITE_OK);
            coroute::test::runCoroutine(rt.shutdown());
            recorder.finish(u"running"_s); // leaves the run open, as a crash would
            QCOMPARE(execSql(path, u"UPDATE jobs SET state = 'running' WHERE run_id = %1 AND state = 'cancelled'"_s.arg(run)),
                     SQLITE_OK);
        }
        auto reopened = HistoryStore::open(path, &error);
        QVERIFY2(reopened, qPrintable(error));
        QCOMPARE(reopened->interruptedAtOpen(), 1);
        QCOMPARE(reopened->run(run)->state, u"interrupted"_s);
        const auto jobs = reopened->jobs(run);
        QCOMPARE(jobs.size(), 4);
        int succeeded = 0, interrupted = 0;
        for (const auto &j : jobs) {
            succeeded += j.state == JobState::Succeeded;
            interrupted += j.state == JobState::Interrupted;
        }
        QCOMPARE(succeeded, 3);
        QCOMPARE(interrupted, 1);
        QCOMPARE(reopened->job(run, 1)->result.toJson().toInt(), 3);
    }

    void retentionRemovesExactlyWhatItShould()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"h.sqlite"_s);
        QString error;
        auto store = HistoryStore::open(path, &error);
        QVERIFY(store);
        QList<RunId> runs;
        for (int i = 0; i < 6; ++i) {
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"run %1"_s.arg(i), {});
            runs << recorder.runId();
            coroute::test::runCoroutine([&]() -> QCoro::Task<void> { co_await rt.call(get(u"/tree"_s)); }());
        }
        // The two oldest are 10 days old.
        QCOMPARE(execSql(path, u"UPDATE runs SET started_ms = started_ms - 864000000 WHERE id IN (%1, %2)"_s
                                   .arg(runs[0]).arg(runs[1])),
                 SQLITE_OK);
        QCOMPARE(store->applyRetention(0, 30), 0);
        QCOMPARE(store->applyRetention(0, 5), 2);
        QVERIFY(!store->run(runs[0]));
        QVERIFY(store->jobs(runs[1]).isEmpty());
        QVERIFY(store->spans(runs[1]).isEmpty());
        QCOMPARE(store->applyRetention(3, 0), 1);
        QVERIFY(!store->run(runs[2]));
        for (int i = 3; i < 6; ++i) {
            QVERIFY(store->run(runs[i]));
            QCOMPARE(store->jobs(runs[i]).size(), 3);
        }
        QCOMPARE(store->runs().size(), 3);
    }

    void concurrentFirstOpensAllSucceed()
    {
        // Several processes starting at once on a fresh file: one migrates, the others wait.
        QTemporaryDir dir;
        const auto path = dir.filePath(u"fresh.sqlite"_s);
        std::atomic<int> opened{0};
        std::vector<std::thread> threads;
        QStringList errors;
        QMutex mutex;
        for (int i = 0; i < 6; ++i) {
            threads.emplace_back([&] {
                QString error;
                auto store = HistoryStore::open(path, &error);
                if (store && store->beginRun(u"t"_s, {}) > 0) {
                    ++opened;
                } else {
                    QMutexLocker lock(&mutex);
                    errors << error;
                }
            });
        }
        for (auto &t : threads)
            t.join();
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
        QCOMPARE(opened.load(), 6);
    }

    // A history written by schema 1 (spans keyed by span id) opens, moves its spans to the
    // job-first key and keeps every one of them.
    void migratesSchemaOneSpans()
    {
        QTemporaryDir dir;
        const auto path = dir.filePath(u"v1.sqlite"_s);
        const QString v1 = uR"(
            CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, command TEXT,
              started_ms INTEGER NOT NULL, finished_ms INTEGER, state TEXT NOT NULL, pid INTEGER);
            CREATE TABLE jobs (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, id INTEGER NOT NULL,
              parent INTEGER, linked_from INTEGER, method TEXT, path TEXT, route TEXT, params TEXT, body TEXT,
              kind TEXT, executor TEXT, state TEXT NOT NULL, cancel_reason TEXT, cancelled_by TEXT,
              created_ms INTEGER, started_ms INTEGER, finished_ms INTEGER, queued_ms INTEGER, attempts INTEGER,
              progress REAL, progress_text TEXT, waiting_on TEXT, warnings TEXT, result TEXT, error TEXT,
              PRIMARY KEY (run_id, id)) WITHOUT ROWID;
            CREATE TABLE spans (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              span_id TEXT NOT NULL, trace_id TEXT NOT NULL, parent_id TEXT, job INTEGER, name TEXT,
              start_ns INTEGER, end_ns INTEGER, status TEXT, status_message TEXT, thread TEXT, attributes TEXT,
              events TEXT, PRIMARY KEY (run_id, span_id)) WITHOUT ROWID;
            CREATE INDEX spans_job ON spans(run_id, job);
            CREATE TABLE logs (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              job INTEGER NOT NULL, t_ms INTEGER, level TEXT, message TEXT);
            INSERT INTO runs VALUES (1, 'old', 'coroute run', 1000, 2000, 'finished', 1);
            INSERT INTO spans VALUES (1, 'ff00000000000001', '0123456789abcdef0123456789abcdef', NULL, 7,
              'GET /a', 1000, 2000, 'ok', '', 'loop', '{}', '[]');
            INSERT INTO spans VALUES (1, '0000000000000002', '0123456789abcdef0123456789abcdef', 'ff00000000000001',
              7, 'child', 1100, 1900, 'ok', '', 'loop', '{}', '[]');
            INSERT INTO spans VALUES (1, '0000000000000003', '0123456789abcdef0123456789abcdef', NULL, 8,
              'GET /b', 3000, 4000, 'error', 'boom', 'pool', '{}', '[]');
            PRAGMA user_version = 1;)"_s;
        QCOMPARE(execSql(path, v1), SQLITE_OK);

        QString error;
        auto store = HistoryStore::open(path, &error);
        QVERIFY2(store, qPrintable(error));
        const auto seven = store->spans(1, 7);
        QCOMPARE(seven.size(), 2);
        QCOMPARE(seven[0].name, u"GET /a"_s);
        QCOMPARE(seven[1].parentId, seven[0].spanId);
        const auto all = store->spans(1);
        QCOMPARE(all.size(), 3);
        QCOMPARE(all[2].statusMessage, u"boom"_s);
        QCOMPARE(test::sqliteScalar(path, "PRAGMA user_version"), u"3"_s);
        const auto table = test::sqliteScalar(path, "SELECT sql FROM sqlite_master WHERE name = 'spans'");
        QVERIFY2(table.contains(u"PRIMARY KEY (run_id, job, span_id)"_s), qPrintable(table));
        QCOMPARE(test::sqliteScalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'spans_job'"), u"0"_s);
    }

    // Text parameters are encoded into buffers each statement reuses: a value ending in a lone
    // surrogate (a JSON body may carry "\ud83d") must not leak into the next column or row.
    void loneSurrogateStaysInItsColumn()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        const RunId run = store->beginRun(u"surrogates"_s, u"test"_s);
        ChangeSet changes;
        for (JobId id : {JobId(1), JobId(2)}) {
            JobInfo job;
            job.id = id;
            job.method = u"GET"_s;
            job.path = id == 1 ? u"/a/"_s + QChar(0xd83d) : u"/b/x"_s;
            job.route = id == 1 ? u"/a/{name}"_s : u"/b/{name}"_s;
            job.state = JobState::Succeeded;
            changes.jobs.append(job);
        }
        changes.logs.append({1, 1000, LogLevel::Warning, u"first "_s + QChar(0xd83d)});
        changes.logs.append({1, 1001, LogLevel::Warning, u"second"_s});
        store->record(run, changes);
        QCOMPARE(store->flush(), QString());

        const auto jobs = store->jobs(run);
        QCOMPARE(jobs.size(), 2);
        QCOMPARE(jobs[0].route, u"/a/{name}"_s);
        QCOMPARE(jobs[1].method, u"GET"_s);
        QCOMPARE(jobs[1].path, u"/b/x"_s);
        QCOMPARE(jobs[1].route, u"/b/{name}"_s);
        const auto trees = store->jobTrees(run, 0, 0, 10, Qt::AscendingOrder);
        QCOMPARE(trees.logs.size(), 2);
        QCOMPARE(trees.logs[0].level, LogLevel::Warning);
        QCOMPARE(trees.logs[1].level, LogLevel::Warning);
        QCOMPARE(trees.logs[1].message, u"second"_s);
    }

    // Schema 3 drops the route index (no query used it; every insert paid for it). A fresh
    // file never gets it; a schema-2 file loses it and keeps its jobs.
    void schemaThreeHasNoRouteIndex()
    {
        QTemporaryDir dir;
        const auto fresh = dir.filePath(u"fresh.sqlite"_s);
        QString error;
        QVERIFY2(HistoryStore::open(fresh, &error), qPrintable(error));
        QCOMPARE(test::sqliteScalar(fresh, "PRAGMA user_version"), u"3"_s);
        QCOMPARE(test::sqliteScalar(fresh, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_route'"), u"0"_s);
        QCOMPARE(test::sqliteScalar(fresh, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_state'"), u"1"_s);

        const auto old = dir.filePath(u"v2.sqlite"_s);
        {
            auto store = HistoryStore::open(old, &error);
            QVERIFY2(store, qPrintable(error));
            const RunId run = store->beginRun(u"before"_s, u"test"_s);
            ChangeSet changes;
            JobInfo job;
            job.id = 1;
            job.method = u"GET"_s;
            job.path = u"/a"_s;
            job.route = u"/a"_s;
            job.state = JobState::Succeeded;
            changes.jobs.append(job);
            store->record(run, changes);
            QCOMPARE(store->flush(), QString());
        }
        QCOMPARE(execSql(old, u"CREATE INDEX jobs_route ON jobs(route); PRAGMA user_version = 2;"_s), SQLITE_OK);
        auto reopened = HistoryStore::open(old, &error);
        QVERIFY2(reopened, qPrintable(error));
        QCOMPARE(test::sqliteScalar(old, "PRAGMA user_version"), u"3"_s);
        QCOMPARE(test::sqliteScalar(old, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_route'"), u"0"_s);
        QCOMPARE(reopened->jobCount(reopened->latestRun().value()), 1);
    }

    void refusesFilesThatAreNotAHistory()
    {
        QTemporaryDir dir;
        const auto garbage = dir.filePath(u"garbage.sqlite"_s);
        QFile f(garbage);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        QString error;
        QVERIFY(!HistoryStore::open(garbage, &error));
        QVERIFY2(error.contains(garbage), qPrintable(error));

        const auto future = dir.filePath(u"future.sqlite"_s);
        QVERIFY(HistoryStore::open(future, &error));
        QCOMPARE(execSql(future, u"PRAGMA user_version = 99"_s), SQLITE_OK);
        QVERIFY(!HistoryStore::open(future, &error));
        QVERIFY2(error.contains(u"schema version 99"_s), qPrintable(error));

        QVERIFY(!HistoryStore::open(u"/proc/coroute/cannot/h.sqlite"_s, &error));
        QVERIFY(!error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Store)
#include "tst_store.moc"
