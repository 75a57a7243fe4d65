#pragma once
// Internal to coroute's awaitables and runtime; not part of the public API. Do not include directly.

#include <QString>

#include <chrono>
#include <coroutine>
#include <memory>

namespace coroute::detail {

/// What the runtime tracks about the job a coroutine belongs to. An awaitable captures the
/// current one when it suspends (and says what it waits on), and makes it current again
/// while it resumes the coroutine, so the runtime can show what each job is waiting on and
/// which job held the event loop, without handlers passing anything around.
class ExecutionContext
{
public:
    virtual ~ExecutionContext() = default;
    /// The coroutine suspended on what (empty: it runs again). On the coroutine's thread.
    virtual void setWaitingOn(const QString &what) = 0;
    /// One stretch of the job's code ran this long on the loop, nested resumes excluded.
    virtual void ranFor(std::chrono::nanoseconds exclusive) = 0;
};

/// The execution context of the code running now on this thread, or null.
ExecutionContext *currentExecution();
/// Shares ownership of the current context (to keep it while suspended).
std::shared_ptr<ExecutionContext> currentExecutionShared();

/// Makes ctx current for a scope and measures how long the scope ran, minus the time of
/// scopes nested in it, reporting that to ctx->ranFor().
class ExecutionScope
{
public:
    explicit ExecutionScope(std::shared_ptr<ExecutionContext> ctx);
    ~ExecutionScope();
    ExecutionScope(const ExecutionScope &) = delete;
    ExecutionScope &operator=(const ExecutionScope &) = delete;

    /// Reports the innermost scope's time so far now (before its job's record closes) and
    /// goes on measuring from here.
    static void checkpoint();

private:
    std::shared_ptr<ExecutionContext> m_ctx;
    std::shared_ptr<ExecutionContext> m_previous;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::nanoseconds m_previousNested;
    std::chrono::nanoseconds m_reported{0}; ///< total time already reported by checkpoints
    ExecutionScope *m_outer;
};

/// Resumes h inside an ExecutionScope for ctx (or plainly when ctx is null).
void resumeIn(const std::shared_ptr<ExecutionContext> &ctx, std::coroutine_handle<> h);

} // namespace coroute::detail
