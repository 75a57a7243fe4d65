#pragma once
// Test helpers for coroutines. QVERIFY/QCOMPARE `return`, which a coroutine cannot, so the
// CO_ variants record the failure and co_return; runCoroutine() drives a task with a watchdog.

#include <QTest>

#include <qcoro/qcorotask.h>

#include <functional>

namespace coroute::test {

/// Runs the event loop until task finishes or timeoutMs passes (then the test fails).
/// Returns whether the task finished. Exceptions escaping the task fail the test.
bool runCoroutine(QCoro::Task<void> task, int timeoutMs = 10000);

} // namespace coroute::test

#define CO_VERIFY(cond)                                                                   \
    do {                                                                                  \
        if (!QTest::qVerify(static_cast<bool>(cond), #cond, "", __FILE__, __LINE__))      \
            co_return;                                                                    \
    } while (false)

#define CO_COMPARE(actual, expected)                                                      \
    do {                                                                                  \
        if (!QTest::qCompare(actual, expected, #actual, #expected, __FILE__, __LINE__))   \
            co_return;                                                                    \
    } while (false)

#define CO_FAIL(message)                                                                  \
    do {                                                                                  \
        QTest::qFail(message, __FILE__, __LINE__);                                        \
        co_return;                                                                        \
    } while (false)

/// Fails unless statement throws ExceptionType.
#define CO_VERIFY_THROWS(statement, ExceptionType)                                        \
    do {                                                                                  \
        bool thrown_ = false;                                                             \
        try {                                                                             \
            statement;                                                                    \
        } catch (const ExceptionType &) {                                                 \
            thrown_ = true;                                                               \
        }                                                                                 \
        CO_VERIFY2(thrown_, "expected " #ExceptionType " from " #statement);              \
    } while (false)

#define CO_VERIFY2(cond, message)                                                         \
    do {                                                                                  \
        if (!QTest::qVerify(static_cast<bool>(cond), #cond, message, __FILE__, __LINE__)) \
            co_return;                                                                    \
    } while (false)

#include "async/cancellation.h"
#include "router/route.h"
#include "runtime/jobinfo.h"
#include "runtime/jobstate.h"

// QCOMPARE prints coroute's enums by name.
namespace coroute {
inline char *toString(JobState v) { return qstrdup(qPrintable(nameOf(v))); }
inline char *toString(CancelReason v) { return qstrdup(qPrintable(nameOf(v))); }
inline char *toString(Executor v) { return qstrdup(qPrintable(nameOf(v))); }
inline char *toString(HandlerKind v) { return qstrdup(qPrintable(nameOf(v))); }
inline char *toString(ParamType v) { return qstrdup(qPrintable(nameOf(v))); }
inline char *toString(LogLevel v) { return qstrdup(qPrintable(nameOf(v))); }
} // namespace coroute
