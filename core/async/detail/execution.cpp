#include "async/detail/execution.h"

namespace coroute::detail {

namespace {
thread_local std::shared_ptr<ExecutionContext> t_current;
thread_local std::chrono::nanoseconds t_nested{0};
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
{
}

ExecutionScope::~ExecutionScope()
{
    const auto total = std::chrono::steady_clock::now() - m_start;
    const auto exclusive = total - t_nested;
    t_current = std::move(m_previous);
    t_nested = m_previousNested + total;
    if (m_ctx)
        m_ctx->ranFor(std::chrono::duration_cast<std::chrono::nanoseconds>(exclusive));
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
