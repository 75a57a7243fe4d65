#include "async/combinators.h"
#include "async/clock.h"
#include "async/sleep.h"

#include "coroutinetest.h"
#include "liveguard.h"

#include <QStringList>
#include <QTest>

#include <algorithm>
#include <stdexcept>

using namespace coroute;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using coroute::test::runCoroutine;
using std::chrono::milliseconds;

namespace {

// Counts live instances: children hold one in their frame and one in their Work closure, so
// a count of zero after a case means every child and closure was released.
using Guard = coroute::test::LiveGuard;

// (child, event) pairs in the order they happened, as "child:event".
struct Log
{
    QStringList entries;
    void add(const QString &child, const char *event) { entries.append(QString(child + u':' + QLatin1StringView(event))); }
};

// Compares the log: `ordered` must match exactly, then the rest in any order (the order in
// which a stop source runs its callbacks is unspecified).
bool logMatches(const QStringList &log, const QStringList &ordered, QStringList anyOrder)
{
    if (log.size() != ordered.size() + anyOrder.size() || log.mid(0, ordered.size()) != ordered) {
        qWarning() << "log:" << log;
        return false;
    }
    QStringList rest = log.mid(ordered.size());
    rest.sort();
    anyOrder.sort();
    if (rest != anyOrder)
        qWarning() << "log:" << log;
    return rest == anyOrder;
}

QCoro::Task<int> child(Log *log, QString name, Clock *clock, milliseconds d, int value, bool fail,
                       std::stop_token token)
{
    Guard guard;
    log->add(name, "start");
    try {
        co_await sleep(*clock, d, token);
    } catch (const Cancelled &) {
        log->add(name, "cancelled");
        throw;
    }
    if (fail) {
        log->add(name, "failed");
        throw std::runtime_error(name.toStdString() + " failed");
    }
    log->add(name, "done");
    co_return value;
}

QCoro::Task<void> voidChild(Log *log, QString name, Clock *clock, milliseconds d, bool fail, std::stop_token token)
{
    auto task = child(log, std::move(name), clock, d, 0, fail, std::move(token));
    co_await task;
}

Work<int> sleeper(Log &log, const QString &name, Clock &clock, milliseconds d, int value)
{
    return [&log, name, &clock, d, value, guard = Guard()](std::stop_token token) {
        return child(&log, name, &clock, d, value, false, std::move(token));
    };
}

Work<int> failer(Log &log, const QString &name, Clock &clock, milliseconds d)
{
    return [&log, name, &clock, d, guard = Guard()](std::stop_token token) {
        return child(&log, name, &clock, d, 0, true, std::move(token));
    };
}

Work<void> voidSleeper(Log &log, const QString &name, Clock &clock, milliseconds d, bool fail = false)
{
    return [&log, name, &clock, d, fail, guard = Guard()](std::stop_token token) {
        return voidChild(&log, name, &clock, d, fail, std::move(token));
    };
}

// Awaits task; true when it threw Cancelled (or a subclass when allowed).
template<typename T>
QCoro::Task<bool> throwsCancelled(QCoro::Task<T> task)
{
    try {
        co_await task;
    } catch (const TimedOut &) {
        co_return false;
    } catch (const Cancelled &) {
        co_return true;
    } catch (...) {
        co_return false;
    }
    co_return false;
}

// Awaits task; the message of the std::exception it threw, or empty.
template<typename T>
QCoro::Task<QString> failureOf(QCoro::Task<T> task)
{
    try {
        co_await task;
    } catch (const std::exception &e) {
        co_return QString::fromUtf8(e.what());
    }
    co_return QString();
}

// Runs the manual clock through every timer it holds, one deadline at a time (bounded).
void drainClock(ManualClock &clock)
{
    for (int i = 0; i < 100 && clock.pendingTimers() > 0; ++i)
        clock.advance(std::chrono::ceil<milliseconds>(clock.nextDeadline() - clock.now()));
}

} // namespace

class tst_Combinators : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();

    void gatherOrder();
    void gatherFailFast();
    void gatherVoid();
    void gatherEmpty();
    void gatherMany();
    void gatherSettledMix();
    void raceWinner();
    void raceFailureWins();
    void withTimeoutTimesOut();
    void withTimeoutInTime();
    void withTimeoutSystemClock();
    void timeoutOrNullopt();
    void outerCancellation_data();
    void outerCancellation();
    void taskGroupSiblingFailure();
    void taskGroupCancel();
    void taskGroupNested();
    void taskGroupSpawnFromMember();
    void retryUntilSuccess();
    void retryExhausted();
    void retryIfRefuses();
    void retryNeverRetriesCancelled();
    void retryCancelDuringBackoff();
};

void tst_Combinators::cleanup()
{
    // Leak check: every child frame and every Work closure is gone.
    QCOMPARE(Guard::live(), 0);
}

void tst_Combinators::gatherOrder()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::vector<Work<int>> work;
        work.push_back(sleeper(log, u"a"_s, clock, 30ms, 1));
        work.push_back(sleeper(log, u"b"_s, clock, 10ms, 2));
        work.push_back(sleeper(log, u"c"_s, clock, 20ms, 3));
        auto task = gather<int>(std::move(work));
        clock.advance(30ms);
        const auto values = co_await task;
        CO_COMPARE(values, (std::vector<int>{1, 2, 3}));
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"c:start"_s, u"b:done"_s,
                                             u"c:done"_s, u"a:done"_s}));
    }()));
}

void tst_Combinators::gatherFailFast()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::vector<Work<int>> work;
        work.push_back(sleeper(log, u"a"_s, clock, 10ms, 1));
        work.push_back(failer(log, u"b"_s, clock, 20ms));
        work.push_back(sleeper(log, u"c"_s, clock, 100ms, 3));
        auto task = gather<int>(std::move(work));
        clock.advance(20ms);
        const QString error = co_await failureOf(std::move(task));
        CO_COMPARE(error, u"b failed"_s);
        // c's cleanup ran before gather rethrew.
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"c:start"_s, u"a:done"_s,
                                             u"b:failed"_s, u"c:cancelled"_s}));
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::gatherVoid()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        {
            std::vector<Work<void>> work;
            work.push_back(voidSleeper(log, u"a"_s, clock, 10ms));
            work.push_back(voidSleeper(log, u"b"_s, clock, 5ms));
            auto task = gather(std::move(work));
            clock.advance(10ms);
            co_await task;
            CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"b:done"_s, u"a:done"_s}));
        }
        log.entries.clear();
        std::vector<Work<void>> work;
        work.push_back(voidSleeper(log, u"a"_s, clock, 10ms, true));
        work.push_back(voidSleeper(log, u"b"_s, clock, 50ms));
        auto task = gather(std::move(work));
        clock.advance(10ms);
        const QString error = co_await failureOf(std::move(task));
        CO_COMPARE(error, u"a failed"_s);
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"a:failed"_s, u"b:cancelled"_s}));
    }()));
}

void tst_Combinators::gatherEmpty()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        const auto values = co_await gather<int>({});
        CO_VERIFY(values.empty());
        const auto settled = co_await gatherSettled<int>({});
        CO_VERIFY(settled.empty());
        bool threw = false;
        try {
            auto task = race<int>({});
            co_await task;
        } catch (const std::invalid_argument &) {
            threw = true;
        }
        CO_VERIFY(threw);
    }()));
}

void tst_Combinators::gatherMany()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        constexpr int n = 2000;
        std::vector<Work<int>> work;
        for (int i = 0; i < n; ++i)
            work.push_back(sleeper(log, QString::number(i), clock, milliseconds(1 + (i * 7) % 50), i));
        auto task = gather<int>(std::move(work));
        clock.advance(50ms);
        const auto values = co_await task;
        CO_COMPARE(int(values.size()), n);
        for (int i = 0; i < n; ++i)
            CO_COMPARE(values[i], i);
        // Cancelling many: all settle before the combinator throws.
        log.entries.clear();
        std::stop_source stop;
        std::vector<Work<int>> more;
        for (int i = 0; i < n; ++i)
            more.push_back(sleeper(log, QString::number(i), clock, 100ms, i));
        auto cancelled = gather<int>(std::move(more), stop.get_token());
        stop.request_stop();
        const bool threw = co_await throwsCancelled(std::move(cancelled));
        CO_VERIFY(threw);
        CO_COMPARE(log.entries.count(), 2 * n);
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::gatherSettledMix()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::vector<Work<int>> work;
        work.push_back(sleeper(log, u"a"_s, clock, 10ms, 1));
        work.push_back(failer(log, u"b"_s, clock, 5ms));
        // c gives up by itself: its inner timeout cancels it.
        work.push_back([&log, &clock, guard = Guard()](std::stop_token token) {
            return withTimeout<int>(clock, 15ms, sleeper(log, u"c"_s, clock, 100ms, 3), std::move(token));
        });
        auto task = gatherSettled<int>(std::move(work));
        clock.advance(15ms);
        const auto results = co_await task;
        CO_COMPARE(results.size(), std::size_t(3));
        using State = Settled<int>::State;
        CO_VERIFY(results[0].state == State::Succeeded);
        CO_COMPARE(results[0].value, std::optional<int>(1));
        CO_COMPARE(results[0].errorMessage(), QString());
        CO_VERIFY(results[1].state == State::Failed);
        CO_VERIFY(!results[1].value);
        CO_COMPARE(results[1].errorMessage(), u"b failed"_s);
        CO_VERIFY(results[2].state == State::Cancelled);
        CO_COMPARE(results[2].errorMessage(), u"timed out"_s);
        // A failure does not cancel the others.
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"c:start"_s, u"b:failed"_s,
                                             u"a:done"_s, u"c:cancelled"_s}));
        Settled<void> cancelled;
        cancelled.state = Settled<void>::State::Cancelled;
        CO_COMPARE(cancelled.errorMessage(), u"cancelled"_s);
    }()));
}

void tst_Combinators::raceWinner()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::vector<Work<int>> work;
        work.push_back(sleeper(log, u"a"_s, clock, 30ms, 1));
        work.push_back(sleeper(log, u"b"_s, clock, 10ms, 2));
        work.push_back(sleeper(log, u"c"_s, clock, 20ms, 3));
        auto task = race<int>(std::move(work));
        clock.advance(10ms);
        const auto result = co_await task;
        CO_COMPARE(result.index, std::size_t(1));
        CO_COMPARE(result.value, 2);
        // Losers were cancelled and settled before race returned.
        CO_VERIFY(logMatches(log.entries, {u"a:start"_s, u"b:start"_s, u"c:start"_s, u"b:done"_s},
                             {u"a:cancelled"_s, u"c:cancelled"_s}));
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::raceFailureWins()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::vector<Work<int>> work;
        work.push_back(sleeper(log, u"a"_s, clock, 30ms, 1));
        work.push_back(failer(log, u"b"_s, clock, 10ms));
        auto task = race<int>(std::move(work));
        clock.advance(10ms);
        const QString error = co_await failureOf(std::move(task));
        CO_COMPARE(error, u"b failed"_s);
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"b:failed"_s, u"a:cancelled"_s}));
    }()));
}

void tst_Combinators::withTimeoutTimesOut()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        auto task = withTimeout<int>(clock, 50ms, sleeper(log, u"slow"_s, clock, 100ms, 1));
        clock.advance(49ms);
        CO_VERIFY(!task.isReady());
        clock.advance(1ms);
        CO_VERIFY_THROWS(co_await task, TimedOut);
        CO_COMPARE(log.entries, (QStringList{u"slow:start"_s, u"slow:cancelled"_s}));
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::withTimeoutInTime()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        auto task = withTimeout<int>(clock, 50ms, sleeper(log, u"quick"_s, clock, 20ms, 7));
        clock.advance(20ms);
        const int value = co_await task;
        CO_COMPARE(value, 7);
        CO_COMPARE(clock.pendingTimers(), 0); // the deadline timer was forgotten
        // A failure inside the deadline is the work's own, not a timeout.
        auto failing = withTimeout<int>(clock, 50ms, failer(log, u"f"_s, clock, 10ms));
        clock.advance(10ms);
        const QString error = co_await failureOf(std::move(failing));
        CO_COMPARE(error, u"f failed"_s);
        // void work
        auto voidTask = withTimeout<void>(clock, 50ms, voidSleeper(log, u"v"_s, clock, 10ms));
        clock.advance(10ms);
        co_await voidTask;
        CO_COMPARE(log.entries, (QStringList{u"quick:start"_s, u"quick:done"_s, u"f:start"_s, u"f:failed"_s,
                                             u"v:start"_s, u"v:done"_s}));
    }()));
}

void tst_Combinators::withTimeoutSystemClock()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        Log log;
        auto task = withTimeout<int>(5ms, sleeper(log, u"slow"_s, Clock::system(), 60s, 1));
        CO_VERIFY_THROWS(co_await task, TimedOut);
        CO_COMPARE(log.entries, (QStringList{u"slow:start"_s, u"slow:cancelled"_s}));
    }()));
}

void tst_Combinators::timeoutOrNullopt()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        // An aggregate goes on without its slow part.
        std::vector<Work<std::optional<int>>> parts;
        parts.push_back([&](std::stop_token token) {
            return timeoutOr<int>(clock, 50ms, sleeper(log, u"fast"_s, clock, 10ms, 1), std::move(token));
        });
        parts.push_back([&](std::stop_token token) {
            return timeoutOr<int>(clock, 50ms, sleeper(log, u"slow"_s, clock, 500ms, 2), std::move(token));
        });
        auto task = gather<std::optional<int>>(std::move(parts));
        clock.advance(50ms);
        const auto values = co_await task;
        CO_COMPARE(values.size(), std::size_t(2));
        CO_COMPARE(values[0], std::optional<int>(1));
        CO_COMPARE(values[1], std::optional<int>());
        CO_COMPARE(log.entries, (QStringList{u"fast:start"_s, u"slow:start"_s, u"fast:done"_s, u"slow:cancelled"_s}));
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::outerCancellation_data()
{
    QTest::addColumn<QString>("combinator");
    QTest::addColumn<int>("children");
    QTest::newRow("gather") << u"gather"_s << 2;
    QTest::newRow("gatherVoid") << u"gatherVoid"_s << 2;
    QTest::newRow("gatherSettled") << u"gatherSettled"_s << 2;
    QTest::newRow("race") << u"race"_s << 2;
    QTest::newRow("withTimeout") << u"withTimeout"_s << 1;
    QTest::newRow("timeoutOr") << u"timeoutOr"_s << 1;
    QTest::newRow("taskGroup") << u"taskGroup"_s << 2;
    QTest::newRow("retry") << u"retry"_s << 1;
}

void tst_Combinators::outerCancellation()
{
    QFETCH(QString, combinator);
    QFETCH(int, children);
    QVERIFY(runCoroutine([](QString which, int n) -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        std::stop_source stop;
        auto two = [&] {
            std::vector<Work<int>> work;
            work.push_back(sleeper(log, u"a"_s, clock, 100ms, 1));
            work.push_back(sleeper(log, u"b"_s, clock, 200ms, 2));
            return work;
        };
        auto twoVoid = [&] {
            std::vector<Work<void>> work;
            work.push_back(voidSleeper(log, u"a"_s, clock, 100ms));
            work.push_back(voidSleeper(log, u"b"_s, clock, 200ms));
            return work;
        };
        bool cancelled = false;
        if (which == u"gather") {
            auto task = gather<int>(two(), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"gatherVoid") {
            auto task = gather(twoVoid(), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"gatherSettled") {
            auto task = gatherSettled<int>(two(), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"race") {
            auto task = race<int>(two(), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"withTimeout") {
            auto task = withTimeout<int>(clock, 150ms, sleeper(log, u"a"_s, clock, 100ms, 1), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"timeoutOr") {
            auto task = timeoutOr<int>(clock, 150ms, sleeper(log, u"a"_s, clock, 100ms, 1), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        } else if (which == u"taskGroup") {
            TaskGroup group(stop.get_token());
            for (auto &w : twoVoid())
                group.spawn(std::move(w));
            auto task = group.join();
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
            CO_VERIFY(group.cancelReason() == CancelReason::Parent);
            CO_COMPARE(group.running(), 0);
        } else if (which == u"retry") {
            RetryPolicy policy;
            policy.attempts = 5;
            auto task = retry<int>(clock, policy, sleeper(log, u"a"_s, clock, 100ms, 1), stop.get_token());
            stop.request_stop();
            cancelled = co_await throwsCancelled(std::move(task));
        }
        CO_VERIFY(cancelled);
        const QStringList started = n == 2 ? QStringList{u"a:start"_s, u"b:start"_s} : QStringList{u"a:start"_s};
        const QStringList ended = n == 2 ? QStringList{u"a:cancelled"_s, u"b:cancelled"_s} : QStringList{u"a:cancelled"_s};
        CO_VERIFY(logMatches(log.entries, started, ended));
        CO_COMPARE(clock.pendingTimers(), 0);
        // Already cancelled: nothing starts.
        std::stop_source stopped;
        stopped.request_stop();
        auto task = gather<int>(two(), stopped.get_token());
        const bool early = co_await throwsCancelled(std::move(task));
        CO_VERIFY(early);
        CO_COMPARE(log.entries.size(), 2 * n);
    }(combinator, children)));
}

void tst_Combinators::taskGroupSiblingFailure()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        TaskGroup group;
        group.spawn(voidSleeper(log, u"a"_s, clock, 100ms));
        group.spawn(voidSleeper(log, u"b"_s, clock, 10ms, true));
        group.spawn(voidSleeper(log, u"c"_s, clock, 100ms));
        CO_COMPARE(group.size(), 3);
        CO_COMPARE(group.running(), 3);
        clock.advance(10ms);
        CO_VERIFY(group.cancelReason() == CancelReason::SiblingFailed);
        const QString error = co_await failureOf(group.join());
        CO_COMPARE(error, u"b failed"_s);
        CO_COMPARE(group.running(), 0);
        CO_VERIFY(logMatches(log.entries, {u"a:start"_s, u"b:start"_s, u"c:start"_s, u"b:failed"_s},
                             {u"a:cancelled"_s, u"c:cancelled"_s}));
    }()));
}

void tst_Combinators::taskGroupCancel()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        TaskGroup group;
        group.spawn(voidSleeper(log, u"a"_s, clock, 100ms));
        group.spawn(voidSleeper(log, u"b"_s, clock, 10ms));
        clock.advance(10ms);
        group.cancel();
        CO_VERIFY(group.cancelReason() == CancelReason::User);
        // Spawned while cancelling: never started.
        group.spawn(voidSleeper(log, u"late"_s, clock, 10ms));
        co_await group.join(); // the group chose to stop: no exception
        CO_COMPARE(group.size(), 3);
        CO_COMPARE(log.entries, (QStringList{u"a:start"_s, u"b:start"_s, u"b:done"_s, u"a:cancelled"_s}));
    }()));
}

namespace {
QCoro::Task<void> nestedMember(Log *log, Clock *clock, std::stop_token token)
{
    Guard guard;
    TaskGroup inner(token);
    inner.spawn(voidSleeper(*log, u"x1"_s, *clock, 100ms));
    inner.spawn(voidSleeper(*log, u"x2"_s, *clock, 20ms, true));
    try {
        co_await inner.join();
    } catch (...) {
        log->add(u"inner"_s, inner.cancelReason() == CancelReason::SiblingFailed ? "sibling_failed" : "?");
        throw;
    }
}
} // namespace

void tst_Combinators::taskGroupNested()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        TaskGroup outer;
        outer.spawn([&log, &clock, guard = Guard()](std::stop_token token) {
            return nestedMember(&log, &clock, std::move(token));
        });
        outer.spawn(voidSleeper(log, u"y"_s, clock, 100ms));
        clock.advance(20ms);
        const QString error = co_await failureOf(outer.join());
        CO_COMPARE(error, u"x2 failed"_s);
        CO_VERIFY(outer.cancelReason() == CancelReason::SiblingFailed);
        // x2 fails; the inner group cancels x1 and rethrows; the outer one cancels y.
        CO_COMPARE(log.entries, (QStringList{u"x1:start"_s, u"x2:start"_s, u"y:start"_s, u"x2:failed"_s,
                                             u"x1:cancelled"_s, u"inner:sibling_failed"_s, u"y:cancelled"_s}));
    }()));
}

void tst_Combinators::taskGroupSpawnFromMember()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Log log;
        TaskGroup group;
        group.spawn([&](std::stop_token token) -> QCoro::Task<void> {
            // Spawns a sibling, then finishes before it: join still waits for the sibling.
            group.spawn(voidSleeper(log, u"sibling"_s, clock, 30ms));
            return voidChild(&log, u"parent"_s, &clock, 10ms, false, std::move(token));
        });
        auto join = group.join();
        clock.advance(10ms);
        CO_VERIFY(!join.isReady());
        CO_COMPARE(group.running(), 1);
        clock.advance(20ms);
        co_await join;
        CO_COMPARE(group.size(), 2);
        CO_COMPARE(log.entries, (QStringList{u"sibling:start"_s, u"parent:start"_s, u"parent:done"_s,
                                             u"sibling:done"_s}));
    }()));
}

namespace {
// Fails `failures` times with "fail N", then returns 42; records when each attempt started.
struct Attempts
{
    int count = 0;
    QList<Clock::TimePoint> startedAt;
};

QCoro::Task<int> flaky(Attempts *attempts, Clock *clock, int failures, std::exception_ptr error, std::stop_token)
{
    Guard guard;
    ++attempts->count;
    attempts->startedAt.append(clock->now());
    if (attempts->count <= failures) {
        if (error)
            std::rethrow_exception(error);
        throw std::runtime_error("fail " + std::to_string(attempts->count));
    }
    co_return 42;
}

Work<int> flakyWork(Attempts &attempts, Clock &clock, int failures, std::exception_ptr error = {})
{
    return [&attempts, &clock, failures, error, guard = Guard()](std::stop_token token) {
        return flaky(&attempts, &clock, failures, error, std::move(token));
    };
}
} // namespace

void tst_Combinators::retryUntilSuccess()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Attempts attempts;
        RetryPolicy policy;
        policy.attempts = 4;
        policy.initialBackoff = 100ms;
        policy.multiplier = 2.0;
        policy.maxBackoff = 250ms;
        policy.jitter = 0.2;
        auto task = retry<int>(clock, policy, flakyWork(attempts, clock, 3));
        drainClock(clock);
        const int value = co_await task;
        CO_COMPARE(value, 42);
        CO_COMPARE(attempts.count, 4);
        // Delays before retries 1..3: 100, 200, 250 (capped), each within +/-20% (+1 ms rounding).
        const double bases[] = {100, 200, 250};
        for (int i = 0; i < 3; ++i) {
            const auto delay = std::chrono::duration_cast<milliseconds>(attempts.startedAt[i + 1] - attempts.startedAt[i]);
            CO_VERIFY2(delay.count() >= bases[i] * 0.8 - 1 && delay.count() <= bases[i] * 1.2 + 1,
                       qPrintable(u"delay %1 out of bounds"_s.arg(delay.count())));
        }
        // TimedOut from a per-attempt timeout is retried like other failures.
        Attempts timeouts;
        auto again = retry<int>(clock, policy, flakyWork(timeouts, clock, 1, std::make_exception_ptr(TimedOut())));
        drainClock(clock);
        const int second = co_await again;
        CO_COMPARE(second, 42);
        CO_COMPARE(timeouts.count, 2);
    }()));
}

void tst_Combinators::retryExhausted()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Attempts attempts;
        RetryPolicy policy;
        policy.attempts = 3;
        auto task = retry<int>(clock, policy, flakyWork(attempts, clock, 10));
        drainClock(clock);
        const QString error = co_await failureOf(std::move(task));
        CO_COMPARE(error, u"fail 3"_s);
        CO_COMPARE(attempts.count, 3);
    }()));
}

void tst_Combinators::retryIfRefuses()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Attempts attempts;
        RetryPolicy policy;
        policy.attempts = 5;
        int asked = 0;
        policy.retryIf = [&asked](const std::exception_ptr &) {
            ++asked;
            return false;
        };
        auto task = retry<int>(clock, policy, flakyWork(attempts, clock, 10));
        CO_COMPARE(clock.pendingTimers(), 0); // no backoff scheduled
        const QString error = co_await failureOf(std::move(task));
        CO_COMPARE(error, u"fail 1"_s);
        CO_COMPARE(attempts.count, 1);
        CO_COMPARE(asked, 1);
    }()));
}

void tst_Combinators::retryNeverRetriesCancelled()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Attempts attempts;
        RetryPolicy policy;
        policy.attempts = 5;
        policy.retryIf = [](const std::exception_ptr &) { return true; }; // even so
        auto task = retry<int>(clock, policy, flakyWork(attempts, clock, 10, std::make_exception_ptr(Cancelled())));
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        CO_COMPARE(attempts.count, 1);
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

void tst_Combinators::retryCancelDuringBackoff()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Attempts attempts;
        RetryPolicy policy;
        policy.attempts = 5;
        std::stop_source stop;
        auto task = retry<int>(clock, policy, flakyWork(attempts, clock, 10), stop.get_token());
        CO_COMPARE(clock.pendingTimers(), 1); // sleeping before the first retry
        stop.request_stop();
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        CO_COMPARE(attempts.count, 1);
        CO_COMPARE(clock.pendingTimers(), 0);
    }()));
}

QTEST_GUILESS_MAIN(tst_Combinators)
#include "tst_combinators.moc"
