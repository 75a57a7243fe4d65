#include "runtime/runtime.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include "coroutinetest.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace coroute;
using namespace Qt::StringLiterals;

namespace {

std::atomic<int> conversions{0};

// A typed result with a toJson() member.
struct Item
{
    qint64 id = 0;
    QString name;
    QJsonObject toJson() const
    {
        ++conversions;
        return {{u"id"_s, id}, {u"name"_s, name}};
    }
};

// A typed result whose conversion fails.
struct Broken
{
    QJsonObject toJson() const { throw std::runtime_error("no JSON for you"); }
};

} // namespace

namespace geometry {
// A typed result with a free toJson(), found by argument lookup.
struct Size
{
    int width = 0;
    int height = 0;
};
QJsonArray toJson(const Size &s)
{
    return {s.width, s.height};
}
} // namespace geometry

static_assert(TypedResult<Item>);
static_assert(TypedResult<geometry::Size>);
static_assert(!TypedResult<QJsonObject>, "JSON stays JSON");
static_assert(!TypedResult<int>);
static_assert(!TypedResult<JobResult>, "a JobResult passes through as itself");
static_assert(!TypedResult<JobError>, "an error is thrown, not returned");

class tst_JobResult : public QObject
{
    Q_OBJECT

    static void addRoutes(Runtime &rt)
    {
        rt.router().get(u"/items/{id:int}"_s, [](Context &ctx) -> QCoro::Task<Item> {
            co_return Item{ctx.param(u"id"_s).toInteger(), u"item"_s};
        });
        rt.router().get(u"/size"_s, [](Context &) { return geometry::Size{3, 4}; }); // sync, on the pool
        rt.router().get(u"/broken"_s, [](Context &) -> QCoro::Task<Broken> { co_return Broken{}; });
        rt.router().get(u"/passed"_s, [](Context &) -> QCoro::Task<JobResult> {
            co_return JobResult::fromValue(Item{9, u"nine"_s});
        });
        rt.router().get(u"/json"_s, [](Context &) -> QCoro::Task<QJsonObject> { co_return QJsonObject{{u"a"_s, 1}}; });
    }

private Q_SLOTS:
    void init() { conversions = 0; }

    void typedResultsKeepTheirValue()
    {
        Runtime rt;
        addRoutes(rt);
        test::runCoroutine([&]() -> QCoro::Task<void> {
            const auto item = co_await rt.call({u"GET"_s, u"/items/42"_s, {}, {}});
            CO_VERIFY(item.succeeded());
            CO_VERIFY(item.job->result.isTyped());
            const auto *value = item.job->result.value<Item>();
            CO_VERIFY(value);
            CO_COMPARE(value->id, 42);
            CO_COMPARE(value->name, u"item"_s);
            CO_VERIFY(!item.job->result.value<geometry::Size>()); // the wrong type gives nothing
            CO_COMPARE(conversions.load(), 0); // nobody read it as JSON yet

            const auto size = co_await rt.call({u"GET"_s, u"/size"_s, {}, {}});
            CO_VERIFY(size.succeeded());
            CO_VERIFY(size.job->result.value<geometry::Size>());
            CO_COMPARE(size.job->result.toJson(), QJsonValue(QJsonArray{3, 4}));

            const auto json = co_await rt.call({u"GET"_s, u"/json"_s, {}, {}});
            CO_VERIFY(!json.job->result.isTyped());
            CO_VERIFY(!json.job->result.value<QJsonObject>());
            CO_COMPARE(json.job->result.toJson(), QJsonValue(QJsonObject{{u"a"_s, 1}}));

            // A JobResult a handler returns is the job's result as is, not wrapped again.
            const auto passed = co_await rt.call({u"GET"_s, u"/passed"_s, {}, {}});
            CO_VERIFY(passed.job->result.value<Item>());
            CO_COMPARE(passed.job->result.value<Item>()->id, 9);

            // A conversion that throws reads as an error object, whoever reads it.
            const auto broken = co_await rt.call({u"GET"_s, u"/broken"_s, {}, {}});
            CO_VERIFY(broken.succeeded());
            const auto text = broken.job->result.toJson()[u"error"_s].toString();
            CO_VERIFY2(text.contains(u"no JSON for you"_s), qPrintable(text));
            CO_COMPARE(broken.job->toJson().value(u"result"_s), broken.job->result.toJson());
        }());
    }

    void jsonIsMadeOnceWhoeverAsks()
    {
        const auto result = JobResult::fromValue(Item{7, u"seven"_s});
        const QJsonValue expected(QJsonObject{{u"id"_s, 7}, {u"name"_s, u"seven"_s}});
        std::atomic<int> wrong{0};
        std::vector<std::thread> readers;
        std::latch start(4); // all four ask at once
        for (int t = 0; t < 4; ++t) {
            readers.emplace_back([copy = result, &wrong, &expected, &start] {
                start.arrive_and_wait();
                for (int i = 0; i < 100; ++i)
                    wrong += copy.toJson() != expected;
            });
        }
        for (auto &t : readers)
            t.join();
        QCOMPARE(wrong.load(), 0);
        QCOMPARE(conversions.load(), 1);
        QCOMPARE(result, JobResult(expected)); // equal when their JSON is
    }

    // What the history (and every JSON reader) gets is the value's JSON.
    void historyStoresTheJson()
    {
        QTemporaryDir dir;
        QString error;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        RunId run = 0;
        JobId id = 0;
        {
            Runtime rt;
            addRoutes(rt);
            HistoryRecorder recorder(rt, *store, u"test"_s, u"tst_jobresult"_s);
            run = recorder.runId();
            id = rt.submit({u"GET"_s, u"/items/5"_s, {}, {}}).id;
            QTRY_COMPARE_WITH_TIMEOUT(rt.jobs().activeCount(), 0, 10000);
            QCOMPARE(rt.jobs().job(id)->toJson().value(u"result"_s),
                     QJsonValue(QJsonObject{{u"id"_s, 5}, {u"name"_s, u"item"_s}}));
            recorder.finish();
        }
        const auto stored = store->jobs(run);
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.front().id, id);
        QCOMPARE(stored.front().result.toJson(), QJsonValue(QJsonObject{{u"id"_s, 5}, {u"name"_s, u"item"_s}}));
        QVERIFY(!stored.front().result.isTyped()); // read back as JSON: the type stayed in that process
    }
};

QTEST_GUILESS_MAIN(tst_JobResult)
#include "tst_jobresult.moc"
