#pragma once

#include "async/cancellation.h"
#include "async/detail/resumption.h"
#include "async/detail/tsan.h"

#include <QRunnable>
#include <QThreadPool>

#include <qcoro/qcorotask.h>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <variant>

namespace coroute {

namespace detail {

/// fn as a QRunnable. QThreadPool hands it to a pool thread under a QMutex (a futex TSan
/// cannot see): the creating thread releases the task before start(), run() acquires it
/// before touching anything, and releases the pool when done (see waitForPool()).
template<typename Fn>
class PoolTask final : public QRunnable
{
public:
    PoolTask(QThreadPool &pool, Fn fn) : m_pool(pool), m_fn(std::move(fn)) {}
    void run() override
    {
        tsanAcquire(this);
        (*m_fn)();
        m_fn.reset(); // its captures go before the release, not in the destructor after it
        tsanRelease(&m_pool);
    }

private:
    QThreadPool &m_pool;
    std::optional<Fn> m_fn;
};

/// Starts fn on pool (QThreadPool::start with the hand-off made visible to TSan).
template<typename Fn>
void startInPool(QThreadPool &pool, Fn &&fn)
{
    auto *task = new PoolTask<std::decay_t<Fn>>(pool, std::forward<Fn>(fn));
    tsanRelease(task);
    pool.start(task);
}

/// pool.waitForDone(): what every task started with startInPool() did happens before what
/// the caller does next.
inline void waitForPool(QThreadPool &pool)
{
    pool.waitForDone();
    tsanAcquire(&pool);
}

template<typename R>
struct PoolState
{
    // 0 queued, 1 running or done, 2 abandoned before it started
    std::atomic<int> claim{0};
    std::shared_ptr<Resumption> resumption = std::make_shared<Resumption>();
    std::variant<std::monostate, std::conditional_t<std::is_void_v<R>, std::monostate, R>, std::exception_ptr> outcome;
};

template<typename R>
class PoolAwaiter
{
public:
    template<typename Fn>
    PoolAwaiter(QThreadPool &pool, Fn &&fn, std::stop_token token)
        : m_pool(pool), m_token(std::move(token)), m_state(std::make_shared<PoolState<R>>())
    {
        // Shared so that move-only callables fit in the copyable std::function the pool takes.
        auto shared = std::make_shared<std::decay_t<Fn>>(std::forward<Fn>(fn));
        m_work = [state = m_state, shared, token = m_token] {
            int expected = 0;
            if (!state->claim.compare_exchange_strong(expected, 1))
                return; // abandoned while queued: the awaiter was resumed already
            try {
                if constexpr (std::is_void_v<R>) {
                    invoke(*shared, token);
                    state->outcome.template emplace<1>();
                } else {
                    state->outcome.template emplace<1>(invoke(*shared, token));
                }
            } catch (...) {
                state->outcome.template emplace<2>(std::current_exception());
            }
            auto r = state->resumption;
            postTo(r->anchor, [r] { r->resume(false); });
        };
    }

    bool await_ready() const { return m_token.stop_requested(); }

    void await_suspend(std::coroutine_handle<> h)
    {
        auto &r = *m_state->resumption;
        r.suspend(h, QStringLiteral("pool work"));
        // Cancellation can only win while the work is still queued; running work is waited for.
        std::weak_ptr<PoolState<R>> weak = m_state;
        r.onCancel = [weak] {
            auto s = weak.lock();
            int expected = 0;
            return s && s->claim.compare_exchange_strong(expected, 2);
        };
        m_stop.watch(m_token, m_state->resumption);
        startInPool(m_pool, std::move(m_work));
    }

    R await_resume()
    {
        m_stop.reset();
        // Dropped before it started. Work that ran to the end did happen (a file was written):
        // its result stands even if the token fired meanwhile; the next await sees the token.
        if (m_state->resumption->cancelled || m_state->outcome.index() == 0)
            throw Cancelled();
        if (m_state->outcome.index() == 2)
            std::rethrow_exception(std::get<2>(m_state->outcome));
        if constexpr (!std::is_void_v<R>)
            return std::move(std::get<1>(m_state->outcome));
    }

private:
    template<typename Fn>
    static decltype(auto) invoke(Fn &fn, const std::stop_token &token)
    {
        if constexpr (std::is_invocable_v<Fn &, std::stop_token>)
            return fn(token);
        else
            return fn();
    }

    QThreadPool &m_pool;
    std::stop_token m_token;
    std::shared_ptr<PoolState<R>> m_state;
    std::function<void()> m_work;
    StopWatch m_stop;
};

template<typename Fn>
using PoolResult = typename std::conditional_t<std::is_invocable_v<Fn &, std::stop_token>,
                                               std::invoke_result<Fn &, std::stop_token>,
                                               std::invoke_result<Fn &>>::type; // typename: clang 14

} // namespace detail

/// Runs fn on a pool thread (asyncio's run_in_executor) and resumes on the calling thread
/// with its result or exception. fn may take a std::stop_token to notice cancellation.
/// Cancelled before a pool thread picked it up, the work is dropped and Cancelled thrown at
/// once; once running, it is waited for (it may hold references into the caller's frame) and
/// its outcome, value or exception, is returned as if no cancellation had come.
template<typename Fn>
auto runInPool(QThreadPool &pool, Fn &&fn, std::stop_token token = {})
{
    using R = detail::PoolResult<std::decay_t<Fn>>;
    return detail::PoolAwaiter<R>(pool, std::forward<Fn>(fn), std::move(token));
}

} // namespace coroute
