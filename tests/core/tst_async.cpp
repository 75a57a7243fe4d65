#include "async/cancellation.h"
#include "async/clock.h"
#include "async/event.h"
#include "async/pool.h"
#include "async/semaphore.h"
#include "async/sleep.h"

#include "coroutinetest.h"
#include "liveguard.h"
#include "eventloopchecker.h"

#include <QStringList>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <thread>

using namespace coroute;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using coroute::test::runCoroutine;
using std::chrono::milliseconds;

namespace {

using Guard = coroute::test::LiveGuard;

// Suspends on the real clock until pred holds or about timeoutMs passed; every loop bounded.
QCoro::Task<bool> waitUntil(std::function<bool()> pred, int timeoutMs = 5000)
{
    for (int i = 0; i < timeoutMs && !pred(); ++i)
        co_await sleep(1ms);
    co_return pred();
}

QCoro::Task<void> sleeper(QStringList *log, QString name, Clock *clock, milliseconds d, std::stop_token token = {})
{
    Guard guard;
    try {
        co_await sleep(*clock, d, token);
    } catch (const Cancelled &) {
        log->append(name + u":cancelled"_s);
        throw;
    }
    log->append(name + u":done"_s);
}

// Awaits task; true when it threw Cancelled.
QCoro::Task<bool> throwsCancelled(QCoro::Task<void> task)
{
    try {
        co_await task;
    } catch (const Cancelled &) {
        co_return true;
    }
    co_return false;
}

} // namespace

class tst_Async : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();

    void cancelReasonNames();
    void sleepRealClock();
    void sleepManualClock();
    void manualClockOrdering();
    void sleepCancelled();
    void sleepAlreadyCancelled();
    void eventWaitCancelled();
    void semaphoreCancelWhileQueued();
    void semaphoreFifoAndLimit();
    void semaphoreSetCapacity();
    void poolResult();
    void poolQueuedWorkDropped();
    void poolRunningWorkAwaited();
    void cancelFromAnotherThread();
};

void tst_Async::cleanup()
{
    QCOMPARE(Guard::live(), 0);
}

void tst_Async::cancelReasonNames()
{
    QCOMPARE(nameOf(CancelReason::SiblingFailed), u"sibling_failed"_s);
    QVERIFY(cancelReasonFromString(u"timeout") == CancelReason::Timeout);
    QVERIFY(cancelReasonFromString(u"bogus") == CancelReason::None);
    QVERIFY(TimedOut().reason() == CancelReason::Timeout);
}

void tst_Async::sleepRealClock()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        QStringList log;
        // Deadlines decide the order, not the order of the calls.
        auto c = sleeper(&log, u"c"_s, &Clock::system(), 30ms);
        auto a = sleeper(&log, u"a"_s, &Clock::system(), 5ms);
        auto b = sleeper(&log, u"b"_s, &Clock::system(), 15ms);
        co_await c;
        co_await a;
        co_await b;
        CO_COMPARE(log, (QStringList{u"a:done"_s, u"b:done"_s, u"c:done"_s}));
        co_await sleep(0ms); // already due: does not suspend
    }()));
}

void tst_Async::sleepManualClock()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        QStringList log;
        auto task = sleeper(&log, u"s"_s, &clock, 100ms);
        CO_COMPARE(clock.pendingTimers(), 1);
        clock.advance(99ms);
        CO_VERIFY(!task.isReady());
        clock.advance(1ms); // resumes inline
        CO_VERIFY(task.isReady());
        CO_COMPARE(log, QStringList{u"s:done"_s});
        co_await task;
    }()));
}

void tst_Async::manualClockOrdering()
{
    ManualClock clock;
    QStringList fired;
    const auto t0 = clock.now();
    clock.schedule(t0 + 30ms, [&] { fired.append(u"30"_s); });
    clock.schedule(t0 + 10ms, [&] { fired.append(u"10a"_s); });
    clock.schedule(t0 + 10ms, [&] { fired.append(u"10b"_s); }); // same deadline: in order scheduled
    const auto dropped = clock.schedule(t0 + 20ms, [&] { fired.append(u"20"_s); });
    clock.schedule(t0 + 15ms, [&] {
        fired.append(u"15"_s);
        // Scheduled from a callback and due within the same advance: fires too.
        clock.schedule(clock.now() + 5ms, [&] { fired.append(u"15+5"_s); });
    });
    clock.unschedule(dropped);
    clock.unschedule(dropped); // harmless
    QCOMPARE(clock.pendingTimers(), 4);
    QCOMPARE(clock.nextDeadline(), t0 + 10ms);
    clock.advance(25ms);
    QCOMPARE(fired, (QStringList{u"10a"_s, u"10b"_s, u"15"_s, u"15+5"_s}));
    QCOMPARE(clock.now(), t0 + 25ms);
    clock.advance(5ms);
    QCOMPARE(fired.last(), u"30"_s);
    QCOMPARE(clock.pendingTimers(), 0);
    QCOMPARE(clock.nextDeadline(), clock.now());
}

void tst_Async::sleepCancelled()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        QStringList log;
        std::stop_source stop;
        auto task = sleeper(&log, u"s"_s, &clock, 100ms, stop.get_token());
        stop.request_stop();
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        CO_COMPARE(log, QStringList{u"s:cancelled"_s});
        CO_COMPARE(clock.pendingTimers(), 0); // the timer was forgotten
        // Real clock too.
        std::stop_source stop2;
        auto real = sleeper(&log, u"r"_s, &Clock::system(), 60s, stop2.get_token());
        stop2.request_stop();
        const bool cancelled2 = co_await throwsCancelled(std::move(real));
        CO_VERIFY(cancelled2);
    }()));
}

void tst_Async::sleepAlreadyCancelled()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        QStringList log;
        std::stop_source stop;
        stop.request_stop();
        auto task = sleeper(&log, u"s"_s, &clock, 100ms, stop.get_token());
        CO_VERIFY(task.isReady()); // never suspended
        CO_COMPARE(clock.pendingTimers(), 0);
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
    }()));
}

void tst_Async::eventWaitCancelled()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        AsyncEvent event;
        std::stop_source stop;
        int woken = 0;
        auto waiter = [](AsyncEvent *ev, int *count, std::stop_token token) -> QCoro::Task<void> {
            co_await ev->wait(token);
            ++*count;
        };
        auto cancelledWaiter = waiter(&event, &woken, stop.get_token());
        auto plainWaiter = waiter(&event, &woken, {});
        CO_COMPARE(event.waiterCount(), 2);
        stop.request_stop();
        const bool cancelled = co_await throwsCancelled(std::move(cancelledWaiter));
        CO_VERIFY(cancelled);
        CO_COMPARE(event.waiterCount(), 1);
        CO_COMPARE(woken, 0);
        event.set(); // resumes the remaining waiter inline
        CO_COMPARE(woken, 1);
        CO_VERIFY(plainWaiter.isReady());
        co_await plainWaiter;
        // Set wins over a token that fires later; a set event does not suspend.
        co_await event.wait(stop.get_token());
        CO_COMPARE(event.waiterCount(), 0);
    }()));
}

void tst_Async::semaphoreCancelWhileQueued()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        Semaphore sem(1, u"one"_s);
        auto held = sem.tryAcquire();
        CO_VERIFY(held.has_value());
        CO_COMPARE(sem.available(), 0);
        std::stop_source stop;
        bool acquired = false;
        auto acquirer = [](Semaphore *s, bool *got, std::stop_token token) -> QCoro::Task<void> {
            auto permit = co_await s->acquire(token);
            *got = permit.isValid();
        };
        auto task = acquirer(&sem, &acquired, stop.get_token());
        CO_COMPARE(sem.waiting(), 1);
        stop.request_stop();
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        CO_VERIFY(!acquired);
        CO_COMPARE(sem.waiting(), 0); // left the queue
        CO_COMPARE(sem.available(), 0); // took nothing
        held->release();
        CO_COMPARE(sem.available(), 1);
        CO_COMPARE(sem.capacity(), 1);
    }()));
}

void tst_Async::semaphoreFifoAndLimit()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        ManualClock clock;
        Semaphore sem(2);
        QStringList order;
        int inFlight = 0;
        int maxInFlight = 0;
        auto worker = [](Semaphore *s, Clock *c, QStringList *log, int *now, int *max, int i) -> QCoro::Task<void> {
            Guard guard;
            auto permit = co_await s->acquire();
            log->append(QString::number(i));
            *max = std::max(*max, ++*now);
            co_await sleep(*c, milliseconds(10 + (i % 3) * 5));
            --*now;
        };
        std::vector<QCoro::Task<void>> tasks;
        for (int i = 0; i < 8; ++i)
            tasks.push_back(worker(&sem, &clock, &order, &inFlight, &maxInFlight, i));
        CO_COMPARE(sem.waiting(), 6);
        // Drive the clock; grants are posted, so the loop turns between steps (bounded).
        for (int step = 0; step < 400 && (order.size() < 8 || inFlight > 0); ++step) {
            clock.advance(5ms);
            co_await sleep(1ms);
        }
        for (auto &t : tasks)
            co_await t;
        CO_COMPARE(order, (QStringList{u"0"_s, u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s, u"6"_s, u"7"_s}));
        CO_VERIFY(maxInFlight <= 2);
        CO_COMPARE(maxInFlight, 2);
        CO_COMPARE(sem.available(), 2);
    }()));
}

void tst_Async::semaphoreSetCapacity()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        Semaphore sem(1);
        auto held = sem.tryAcquire();
        int got = 0;
        auto acquirer = [](Semaphore *s, int *count) -> QCoro::Task<void> {
            auto permit = co_await s->acquire();
            ++*count;
        };
        auto a = acquirer(&sem, &got);
        auto b = acquirer(&sem, &got);
        CO_COMPARE(sem.waiting(), 2);
        sem.setCapacity(3); // serves both waiters
        co_await a;
        co_await b;
        CO_COMPARE(got, 2);
        CO_COMPARE(sem.available(), 2); // only `held` is still out
        auto extra = sem.tryAcquire();
        CO_VERIFY(extra.has_value());
    }()));
}

void tst_Async::poolResult()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        QThreadPool pool;
        QThread *loopThread = QThread::currentThread();
        QThread *workThread = nullptr;
        const int value = co_await runInPool(pool, [&workThread] {
            workThread = QThread::currentThread();
            return 6 * 7;
        });
        CO_COMPARE(value, 42);
        CO_VERIFY(workThread != loopThread);
        CO_COMPARE(QThread::currentThread(), loopThread); // resumed on the loop thread
        bool threw = false;
        try {
            co_await runInPool(pool, [] { throw std::runtime_error("boom"); });
        } catch (const std::runtime_error &) {
            threw = true;
        }
        CO_VERIFY(threw);
    }()));
}

void tst_Async::poolQueuedWorkDropped()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        std::atomic<bool> release{false};
        std::atomic<bool> blockerRunning{false};
        std::atomic<bool> queuedRan{false};
        // Occupies the only pool thread until released (bounded).
        auto blocker = [](QThreadPool *p, std::atomic<bool> *running, std::atomic<bool> *go) -> QCoro::Task<void> {
            co_await runInPool(*p, [running, go] {
                running->store(true);
                for (int i = 0; i < 10000 && !go->load(); ++i)
                    QThread::msleep(1);
            });
        }(&pool, &blockerRunning, &release);
        const bool started = co_await waitUntil([&] { return blockerRunning.load(); });
        CO_VERIFY(started);
        std::stop_source stop;
        auto queued = [](QThreadPool *p, std::atomic<bool> *ran, std::stop_token token) -> QCoro::Task<void> {
            co_await runInPool(*p, [ran] { ran->store(true); }, token);
        }(&pool, &queuedRan, stop.get_token());
        stop.request_stop();
        // Dropped at once, while the blocker still runs.
        const bool cancelled = co_await throwsCancelled(std::move(queued));
        CO_VERIFY(cancelled);
        CO_VERIFY(!release.load());
        release.store(true);
        co_await blocker;
        pool.waitForDone(5000);
        CO_VERIFY(!queuedRan.load());
    }()));
}

void tst_Async::poolRunningWorkAwaited()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        QThreadPool pool;
        test::EventLoopChecker checker(2);
        std::atomic<bool> running{false};
        std::atomic<bool> sawToken{false};
        std::atomic<bool> finished{false};
        std::stop_source stop;
        auto task = [](QThreadPool *p, std::atomic<bool> *run, std::atomic<bool> *saw, std::atomic<bool> *fin,
                       std::stop_token token) -> QCoro::Task<void> {
            co_await runInPool(*p, [run, saw, fin](std::stop_token t) {
                run->store(true);
                for (int i = 0; i < 10000 && !t.stop_requested(); ++i)
                    QThread::msleep(1);
                saw->store(t.stop_requested());
                fin->store(true);
                // Cooperative: work that notices its token stops by throwing Cancelled. Work
                // that runs to the end instead returns its result (its effects happened).
                throwIfCancelled(t);
            }, token);
        }(&pool, &running, &sawToken, &finished, stop.get_token());
        const bool started = co_await waitUntil([&] { return running.load(); });
        CO_VERIFY(started);
        const int ticksBefore = checker.ticks();
        // The loop keeps turning while the pool work runs.
        const bool ticked = co_await waitUntil([&] { return checker.ticks() > ticksBefore + 2; });
        CO_VERIFY(ticked);
        CO_VERIFY(!finished.load());
        stop.request_stop();
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        // Running work was waited for, and it saw its token.
        CO_VERIFY(finished.load());
        CO_VERIFY(sawToken.load());
    }()));
}

void tst_Async::cancelFromAnotherThread()
{
    QVERIFY(runCoroutine([]() -> QCoro::Task<void> {
        QStringList log;
        std::stop_source stop;
        QThread *loopThread = QThread::currentThread();
        QThread *resumedOn = nullptr;
        auto task = [](QStringList *l, QThread **where, std::stop_token token) -> QCoro::Task<void> {
            try {
                co_await sleep(60s, token);
            } catch (const Cancelled &) {
                *where = QThread::currentThread();
                l->append(u"cancelled"_s);
                throw;
            }
        }(&log, &resumedOn, stop.get_token());
        std::thread other([&stop] { stop.request_stop(); });
        other.join();
        const bool cancelled = co_await throwsCancelled(std::move(task));
        CO_VERIFY(cancelled);
        CO_COMPARE(resumedOn, loopThread);
        CO_COMPARE(log, QStringList{u"cancelled"_s});
    }()));
}

QTEST_GUILESS_MAIN(tst_Async)
#include "tst_async.moc"
