#pragma once

#include "async/cancellation.h"
#include "async/detail/resumption.h"

#include <QString>

#include <deque>
#include <memory>
#include <optional>
#include <stop_token>

namespace coroute {

/// An asyncio-style semaphore for coroutines on one thread. Waiters are served first in,
/// first out. A semaphore must outlive its permits and waiters.
class Semaphore
{
    struct Waiter;

public:
    /// An acquired permit; released when destroyed (RAII) or by release().
    class Permit
    {
    public:
        Permit() = default;
        Permit(Permit &&other) noexcept : m_sem(std::exchange(other.m_sem, nullptr)) {}
        Permit &operator=(Permit &&other) noexcept;
        Permit(const Permit &) = delete;
        Permit &operator=(const Permit &) = delete;
        ~Permit() { release(); }

        /// Gives the permit back early. Does nothing for an empty permit.
        void release();
        bool isValid() const { return m_sem != nullptr; }

    private:
        friend class Semaphore;
        explicit Permit(Semaphore *sem) : m_sem(sem) {}
        Semaphore *m_sem = nullptr;
    };

    class AcquireAwaiter
    {
    public:
        AcquireAwaiter(Semaphore &sem, std::stop_token token) : m_sem(sem), m_token(std::move(token)) {}
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        /// Returns the permit; throws Cancelled if the token fired while waiting.
        Permit await_resume();

    private:
        Semaphore &m_sem;
        std::stop_token m_token;
        bool m_immediate = false;
        std::shared_ptr<Waiter> m_waiter;
        detail::StopWatch m_stop;
    };

    explicit Semaphore(int permits, QString name = {});
    Semaphore(const Semaphore &) = delete;
    Semaphore &operator=(const Semaphore &) = delete;

    /// Awaitable: `auto permit = co_await sem.acquire(token);`. Completes early with
    /// Cancelled when the token fires, leaving the queue without taking a permit.
    AcquireAwaiter acquire(std::stop_token token = {}) { return AcquireAwaiter(*this, std::move(token)); }
    /// A permit if one is free and nobody is queued, else nothing.
    std::optional<Permit> tryAcquire();

    QString name() const { return m_name; }
    int capacity() const { return m_capacity; }
    int available() const { return m_available; }
    /// Waiters still queued (cancelled ones excluded).
    int waiting() const;
    /// Changes the number of permits; queued waiters are served if the capacity grew.
    void setCapacity(int permits);

private:
    struct Waiter
    {
        std::shared_ptr<detail::Resumption> state;
        bool granted = false;
    };
    void releaseOne();
    void serveQueue();

    QString m_name;
    int m_capacity;
    int m_available;
    std::deque<std::shared_ptr<Waiter>> m_queue;
};

} // namespace coroute
