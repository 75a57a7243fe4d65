#include "async/combinators.h"

#include "async/detail/resumption.h"

using namespace Qt::StringLiterals;

namespace coroute {

namespace detail {

bool isCancellation(const std::exception_ptr &e)
{
    if (!e)
        return false;
    try {
        std::rethrow_exception(e);
    } catch (const Cancelled &) {
        return true;
    } catch (...) {
        return false;
    }
}

bool isTimeout(const std::exception_ptr &e)
{
    if (!e)
        return false;
    try {
        std::rethrow_exception(e);
    } catch (const TimedOut &) {
        return true;
    } catch (...) {
        return false;
    }
}

QString errorMessage(const std::exception_ptr &e)
{
    if (!e)
        return {};
    try {
        std::rethrow_exception(e);
    } catch (const std::exception &ex) {
        return QString::fromUtf8(ex.what());
    } catch (...) {
        return u"unknown error"_s;
    }
}

ChildScope::ChildScope(const std::stop_token &outer)
    : m_outer(outer), m_idle(std::make_shared<AsyncEvent>())
{
    // Runs on whichever thread stops the outer token: it only stops ours, whose callbacks
    // (the children's awaitables) post their resumptions to this thread.
    if (outer.stop_possible())
        m_link.emplace(outer, Forward{m_stop});
}

ChildScope::~ChildScope() = default;

void ChildScope::childStarted()
{
    if (m_pending++ == 0 && m_idle->isSet())
        m_idle = std::make_shared<AsyncEvent>();
}

void ChildScope::childSettled()
{
    Q_ASSERT(m_pending > 0);
    if (--m_pending > 0)
        return;
    m_outerStoppedAtSettle = m_outer.stop_requested();
    // Posted: the child's frame is destroyed and the driver's stack unwound before the
    // combinator goes on, so nothing of the children outlives the combinator's return.
    postTo(threadAnchor(), [idle = m_idle] { idle->set(); });
}

QCoro::Task<void> allSettled(std::shared_ptr<ChildScope> scope)
{
    // Each round ends only when the count reached zero: bounded by the number of children.
    while (scope->pending() > 0) {
        auto idle = scope->idleEvent();
        co_await idle->wait();
    }
}

// ---------------------------------------------------------------------------------------------

struct VoidGatherState : ChildScope
{
    using ChildScope::ChildScope;
    std::exception_ptr firstError;
};

struct GroupState : ChildScope
{
    using ChildScope::ChildScope;
    std::exception_ptr firstError;
    CancelReason reason = CancelReason::None; // set on the loop thread only
    int size = 0;
    bool joined = false;
};

} // namespace detail

QCoro::Task<void> gather(std::vector<Work<void>> work, std::stop_token token)
{
    throwIfCancelled(token);
    auto state = std::make_shared<detail::VoidGatherState>(token);
    for (auto &w : work) {
        detail::driveChild<void>(state, std::move(w), [s = state.get()](detail::Outcome<void> &&o) {
            if (o.error && !s->firstError) {
                s->firstError = o.error;
                s->requestStop();
            }
        });
    }
    co_await detail::allSettled(state);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
    if (state->firstError)
        std::rethrow_exception(state->firstError);
}

// ---------------------------------------------------------------------------------------------

TaskGroup::TaskGroup(std::stop_token parent) : m_state(std::make_shared<detail::GroupState>(parent)) {}

TaskGroup::~TaskGroup()
{
    Q_ASSERT_X(m_state->size == 0 || m_state->joined, "TaskGroup", "destroyed without join()");
    // Release builds: members still running are told to stop; their drivers keep the state.
    if (m_state->pending() > 0)
        m_state->requestStop();
}

void TaskGroup::spawn(Work<void> work)
{
    auto &s = *m_state;
    ++s.size;
    s.joined = false;
    detail::driveChild<void>(m_state, std::move(work), [st = m_state.get()](detail::Outcome<void> &&o) {
        if (!o.error || st->firstError)
            return;
        // Cancelled is how members answer the group's own cancellation; anything else,
        // or a Cancelled while the group runs on (a member's timeout), is a failure.
        if (st->stopRequested() && detail::isCancellation(o.error))
            return;
        st->firstError = o.error;
        if (!st->stopRequested()) {
            st->reason = CancelReason::SiblingFailed;
            st->requestStop();
        }
    });
}

QCoro::Task<void> TaskGroup::join()
{
    auto state = m_state; // not `this` after suspending
    co_await detail::allSettled(state);
    state->joined = true;
    if (state->firstError)
        std::rethrow_exception(state->firstError);
    if (state->outerStoppedAtSettle())
        throw Cancelled();
}

void TaskGroup::cancel()
{
    if (m_state->stopRequested())
        return;
    m_state->reason = CancelReason::User;
    m_state->requestStop();
}

int TaskGroup::size() const
{
    return m_state->size;
}

int TaskGroup::running() const
{
    return m_state->pending();
}

CancelReason TaskGroup::cancelReason() const
{
    if (m_state->reason != CancelReason::None)
        return m_state->reason;
    return m_state->stopRequested() && m_state->outerStopRequested() ? CancelReason::Parent : CancelReason::None;
}

std::stop_token TaskGroup::token() const
{
    return m_state->token();
}

} // namespace coroute
