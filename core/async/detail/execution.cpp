#include "async/detail/execution.h"

namespace coroute::detail {

namespace {
thread_local std::shared_ptr<ExecutionContext> t_current;
thread_local std::chrono::nanoseconds t_nested{0};
thread_local ExecutionScope *t_scope = nullptr;
} // namespace

ExecutionContext *currentExecution()
{
    return t_current.get();
}

std::shared_ptr<ExecutionContext> currentExecutionShared()
{
    return t_current;
}

ExecutionScope::ExecutionScope(std::shared_ptr<ExecutionContext> ctx)
    : m_ctx(std::move(ctx))
    , m_previous(std::exchange(t_current, m_ctx))
    , m_start(std::chrono::steady_clock::now())
    , m_previousNested(std::exchange(t_nested, std::chrono::nanoseconds{0}))
    , m_outer(std::exchange(t_scope, this))
{
}

ExecutionScope::~ExecutionScope()
{
    const auto now = std::chrono::steady_clock::now();
    const auto sinceCheckpoint = std::chrono::duration_cast<std::chrono::nanoseconds>(now - m_start);
    const auto exclusive = sinceCheckpoint - t_nested;
    t_scope = m_outer;
    t_current = std::move(m_previous);
    t_nested = m_previousNested + m_reported + sinceCheckpoint;
    if (m_ctx)
        m_ctx->ranFor(exclusive);
}

void ExecutionScope::checkpoint()
{
    auto *scope = t_scope;
    if (!scope)
        return;
    const auto now = std::chrono::steady_clock::now();
    const auto sinceCheckpoint = std::chrono::duration_cast<std::chrono::nanoseconds>(now - scope->m_start);
    const auto exclusive = sinceCheckpoint - t_nested;
    scope->m_reported += sinceCheckpoint;
    scope->m_start = now;
    t_nested = std::chrono::nanoseconds{0};
    if (scope->m_ctx)
        scope->m_ctx->ranFor(exclusive);
}

void resumeIn(const std::shared_ptr<ExecutionContext> &ctx, std::coroutine_handle<> h)
{
    if (!ctx) {
        h.resume();
        return;
    }
    ctx->setWaitingOn({});
    ExecutionScope scope(ctx);
    h.resume();
}

} // namespace coroute::detail
