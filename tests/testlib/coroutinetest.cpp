#include "coroutinetest.h"

#include <QEventLoop>
#include <QTimer>

namespace coroute::test {

namespace {
QCoro::Task<void> drive(QCoro::Task<void> task, bool &done, QEventLoop &loop)
{
    try {
        co_await task;
    } catch (const std::exception &e) {
        QTest::qFail(qPrintable(QStringLiteral("coroutine threw: ") + QString::fromUtf8(e.what())),
                     __FILE__, __LINE__);
    } catch (...) {
        QTest::qFail("coroutine threw a non-standard exception", __FILE__, __LINE__);
    }
    done = true;
    loop.quit();
}
} // namespace

bool runCoroutine(QCoro::Task<void> task, int timeoutMs)
{
    QEventLoop loop;
    bool done = false;
    auto driver = drive(std::move(task), done, loop);
    if (!done) {
        QTimer watchdog;
        watchdog.setSingleShot(true);
        QObject::connect(&watchdog, &QTimer::timeout, &loop, &QEventLoop::quit);
        watchdog.start(timeoutMs);
        loop.exec();
    }
    if (!done)
        QTest::qFail("coroutine did not finish before the watchdog fired", __FILE__, __LINE__);
    return done;
}

} // namespace coroute::test
