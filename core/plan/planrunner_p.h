#pragma once
// Internal to core/plan; not part of the public API.

#include "async/event.h"
#include "plan/planrunner.h"
#include "runtime/jobinfo.h"

#include <QElapsedTimer>
#include <QHash>

#include <coroutine>
#include <memory>

namespace coroute {

namespace detail {
/// A coroutine nobody awaits: starts at once and frees its frame at the end.
struct PlanWatcher
{
    struct promise_type
    {
        PlanWatcher get_return_object() noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept;
    };
};
} // namespace detail

class PlanRunner::Private
{
public:
    Private(PlanRunner *owner, Runtime &rt, Plan p) : q(owner), runtime(rt), plan(std::move(p)) {}

    struct Group // one plan job and its instances
    {
        QList<int> instances;
        QList<int> dependencies; ///< indices of groups
        int unfinished = 0;
        bool allSucceeded = true;
    };

    PlanRunner *q;
    Runtime &runtime;
    Plan plan;
    int concurrency = 0;
    QList<PlanJobResult> instances;
    QList<int> groupOf;   ///< instance -> group
    QList<Group> groups;  ///< in plan order
    QHash<QString, int> groupIndex;
    int running = 0;
    int unfinished = 0;
    bool started = false;
    bool stopping = false;
    CancelReason stopReason = CancelReason::None;
    QString stopBy;
    bool scheduling = false;
    bool rescheduled = false;
    QElapsedTimer clock;
    std::unique_ptr<AsyncEvent> done;

    void build();
    void schedule();
    void scheduleOnce();
    void start(int i);
    void settle(int i, PlanJobState state, QJsonValue result, JobError error);
    void onJobEnded(int i, const JobInfo &info);
    /// Awaits the runtime job to its end, then reports it. The runner outlives it: run()
    /// waits for every job it started.
    detail::PlanWatcher watch(int instance, JobId id);
    void stop(CancelReason reason, const QString &by);
    QJsonValue groupResult(int g) const;
};

} // namespace coroute
