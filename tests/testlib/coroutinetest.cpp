#include "coroutinetest.h"

#include <QEventLoop>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace coroute::test {

namespace {

// Heap state shared with the driver: after a watchdog timeout runCoroutine() returns while
// the task may still be suspended; when it finishes later it must not touch a dead stack.
struct RunState
{
    bool done = false;
    bool abandoned = false;
    QPointer<QEventLoop> loop;
};

QCoro::Task<void> drive(QCoro::Task<void> task, std::shared_ptr<RunState> state)
{
    try {
        co_await task;
    } catch (const std::exception &e) {
        if (!state->abandoned)
            QTest::qFail(qPrintable(QStringLiteral("coroutine threw: ") + QString::fromUtf8(e.what())),
                         __FILE__, __LINE__);
    } catch (...) {
        if (!state->abandoned)
            QTest::qFail("coroutine threw a non-standard exception", __FILE__, __LINE__);
    }
    state->done = true;
    if (state->loop)
        state->loop->quit();
}

} // namespace

bool runCoroutine(QCoro::Task<void> task, int timeoutMs)
{
    auto state = std::make_shared<RunState>();
    QEventLoop loop;
    state->loop = &loop;
    auto driver = drive(std::move(task), state);
    if (!state->done) {
        QTimer watchdog;
        watchdog.setSingleShot(true);
        QObject::connect(&watchdog, &QTimer::timeout, &loop, &QEventLoop::quit);
        watchdog.start(timeoutMs);
        loop.exec();
    }
    state->loop = nullptr;
    if (!state->done) {
        state->abandoned = true;
        QTest::qFail("coroutine did not finish before the watchdog fired", __FILE__, __LINE__);
    }
    return state->done;
}

} // namespace coroute::test
