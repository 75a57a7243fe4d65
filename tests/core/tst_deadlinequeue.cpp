// The clocks' deadline queue: a heap over reusable slots with lazy removal. Checked against
// std::map under random adds, removals and takes, and through ManualClock for callbacks that
// change the queue while it fires.
#include "async/clock.h"
#include "async/detail/deadlinequeue.h"

#include <QRandomGenerator>
#include <QTest>

#include <map>
#include <memory>
#include <vector>

using namespace coroute;
using namespace coroute::detail;
using namespace std::chrono_literals;

class tst_DeadlineQueue : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Deadlines collide often (a crowd of equal sleeps), removals hit pending, taken and
    // removed ids alike. After every step the queue agrees with the map: size, earliest, and
    // what is due comes out in (deadline, order added) order.
    void randomOperationsMatchAMap()
    {
        const Clock::TimePoint origin{};
        for (quint32 seed = 1; seed <= 100; ++seed) {
            QRandomGenerator rng(seed);
            DeadlineQueue queue;
            std::map<std::pair<qint64, int>, Clock::TimerId> expected; // (ms, order) → id
            std::vector<Clock::TimerId> issued;
            int order = 0;
            int fired = -1;
            qint64 now = 0;
            for (int step = 0; step < 3000; ++step) {
                const auto op = rng.bounded(10);
                if (op < 5) {
                    const qint64 ms = now + rng.bounded(rng.bounded(2) ? 5 : 1000);
                    const int mine = order++;
                    const auto id = queue.add(origin + std::chrono::milliseconds(ms), [&fired, mine] { fired = mine; });
                    QVERIFY(id != 0);
                    QVERIFY(std::none_of(expected.begin(), expected.end(), [id](const auto &e) { return e.second == id; }));
                    expected[{ms, mine}] = id;
                    issued.push_back(id);
                } else if (op < 8 && !issued.empty()) {
                    const auto id = issued[rng.bounded(quint32(issued.size()))];
                    const auto it = std::find_if(expected.begin(), expected.end(),
                                                 [id](const auto &e) { return e.second == id; });
                    QCOMPARE(queue.remove(id), it != expected.end());
                    if (it != expected.end())
                        expected.erase(it);
                } else {
                    now += rng.bounded(200);
                    Clock::TimePoint deadline;
                    while (auto fn = queue.takeDue(origin + std::chrono::milliseconds(now), &deadline)) {
                        QVERIFY(!expected.empty());
                        const auto first = expected.begin();
                        QCOMPARE(deadline, origin + std::chrono::milliseconds(first->first.first));
                        fn();
                        QCOMPARE(fired, first->first.second);
                        expected.erase(first);
                    }
                    QVERIFY(expected.empty() || origin + std::chrono::milliseconds(expected.begin()->first.first)
                                                    > origin + std::chrono::milliseconds(now));
                }
                QCOMPARE(queue.size(), qsizetype(expected.size()));
                if (!expected.empty())
                    QCOMPARE(queue.earliest(), origin + std::chrono::milliseconds(expected.begin()->first.first));
                QVERIFY2(queue.heapSize() <= 2 * queue.size() + 64 + 1,
                         qPrintable(QStringLiteral("heap %1 for %2 pending").arg(queue.heapSize()).arg(queue.size())));
            }
        }
    }

    // Removing a callback destroys it at once (its captures hold coroutine state alive);
    // taking hands it over; an id is dead after either.
    void removalAndTakeReleaseTheCallback()
    {
        DeadlineQueue queue;
        auto held = std::make_shared<int>(0);
        const auto a = queue.add(Clock::TimePoint(1s), [held] {});
        const auto b = queue.add(Clock::TimePoint(2s), [held] {});
        QCOMPARE(held.use_count(), 3);
        QVERIFY(queue.remove(a));
        QCOMPARE(held.use_count(), 2);
        QVERIFY(!queue.remove(a));
        {
            auto fn = queue.takeDue(Clock::TimePoint(5s));
            QVERIFY(fn);
            QVERIFY(queue.isEmpty());
        }
        QCOMPARE(held.use_count(), 1);
        QVERIFY(!queue.remove(b));
        // The freed slots are reused under new ids: the old ones stay dead.
        const auto c = queue.add(Clock::TimePoint(3s), [] {});
        QVERIFY(c != a && c != b);
        QVERIFY(!queue.remove(a));
        QVERIFY(!queue.remove(b));
        QVERIFY(queue.remove(c));
    }

    // Job timeouts: far deadlines, nearly all removed when their jobs end before them. The
    // heap must not keep their stale entries until the deadlines pass.
    void removedFarDeadlinesDoNotPileUp()
    {
        DeadlineQueue queue;
        // A sleep due before all of them stays the heap's top: nothing else pops them.
        const auto keep = queue.add(Clock::TimePoint(1s), [] {});
        for (int round = 0; round < 100; ++round) {
            std::vector<Clock::TimerId> ids;
            for (int i = 0; i < 100; ++i)
                ids.push_back(queue.add(Clock::TimePoint(30s + std::chrono::seconds(i)), [] {}));
            for (const auto id : ids)
                QVERIFY(queue.remove(id));
            QCOMPARE(queue.size(), 1);
            QVERIFY2(queue.heapSize() <= 2 * queue.size() + 64, qPrintable(QString::number(queue.heapSize())));
        }
        QCOMPARE(queue.earliest(), Clock::TimePoint(1s));
        QVERIFY(queue.remove(keep));
    }

    // Through ManualClock: a callback that forgets a timer due at the same advance keeps it
    // from firing, and one that schedules a timer already due gets it fired in that advance.
    void callbacksChangeTheQueueWhileItFires()
    {
        ManualClock clock;
        QStringList order;
        Clock::TimerId second = 0;
        clock.schedule(clock.now() + 10ms, [&] {
            order << QStringLiteral("first");
            clock.unschedule(second);
            clock.schedule(clock.now(), [&] { order << QStringLiteral("added"); });
        });
        second = clock.schedule(clock.now() + 20ms, [&] { order << QStringLiteral("second"); });
        clock.schedule(clock.now() + 30ms, [&] { order << QStringLiteral("third"); });
        QCOMPARE(clock.pendingTimers(), 3);
        clock.advance(50ms);
        QCOMPARE(order, (QStringList{QStringLiteral("first"), QStringLiteral("added"), QStringLiteral("third")}));
        QCOMPARE(clock.pendingTimers(), 0);
        QCOMPARE(clock.nextDeadline(), clock.now());
    }
};

QTEST_GUILESS_MAIN(tst_DeadlineQueue)
#include "tst_deadlinequeue.moc"
