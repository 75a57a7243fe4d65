#pragma once
// Internal to the runtime; not part of the public API.

#include "async/clock.h"
#include "async/detail/execution.h"
#include "async/event.h"
#include "runtime/jobinfo.h"

#include <stop_token>

namespace coroute {
class Context;
}

namespace coroute::detail {

/// The registry's live record of a job. Touched on the runtime's thread only.
struct JobRecord
{
    JobInfo info;
    std::stop_source stop;
    QList<JobId> children;
    QList<LogEntry> logs;
    AsyncEvent done;                 ///< set once the job reached a terminal state
    Clock::TimerId timeoutTimer = 0;
    bool dirty = false;
    bool abandoned = false;          ///< shutdown() gave up waiting; the record is final
    qint64 createdNs = 0;            ///< start of the root span
    Context *context = nullptr;      ///< while the handler's context exists
    quint64 rootSpanId = 0;          ///< set when the job finished
    std::shared_ptr<ExecutionContext> execution;
};

} // namespace coroute::detail
