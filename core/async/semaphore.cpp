#include "async/semaphore.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace coroute {

Semaphore::Permit &Semaphore::Permit::operator=(Permit &&other) noexcept
{
    if (this != &other) {
        release();
        m_sem = std::exchange(other.m_sem, nullptr);
    }
    return *this;
}

void Semaphore::Permit::release()
{
    if (auto *sem = std::exchange(m_sem, nullptr))
        sem->releaseOne();
}

bool Semaphore::AcquireAwaiter::await_ready()
{
    if (m_token.stop_requested())
        return true;
    if (m_sem.m_available > 0 && m_sem.waiting() == 0) {
        --m_sem.m_available;
        m_immediate = true;
        return true;
    }
    return false;
}

void Semaphore::AcquireAwaiter::await_suspend(std::coroutine_handle<> h)
{
    m_waiter = std::make_shared<Waiter>();
    m_waiter->state = std::make_shared<detail::Resumption>();
    m_sem.m_queue.push_back(m_waiter);
    m_waiter->state->suspend(h, u"semaphore '%1': queued at position %2, %3 permits"_s
                                    .arg(m_sem.m_name.isEmpty() ? u"unnamed"_s : m_sem.m_name)
                                    .arg(m_sem.waiting())
                                    .arg(m_sem.m_capacity));
    m_stop.watch(m_token, m_waiter->state);
}

Semaphore::Permit Semaphore::AcquireAwaiter::await_resume()
{
    m_stop.reset();
    if (m_immediate)
        return Permit(&m_sem);
    if (m_waiter && m_waiter->granted) {
        // Granted before the cancellation was seen: the caller owns the permit; the RAII
        // permit returns it when the caller unwinds.
        if (!m_waiter->state->cancelled)
            return Permit(&m_sem);
        m_sem.releaseOne();
    }
    throw Cancelled();
}

Semaphore::Semaphore(int permits, QString name)
    : m_name(std::move(name)), m_capacity(std::max(permits, 1)), m_available(m_capacity)
{
}

std::optional<Semaphore::Permit> Semaphore::tryAcquire()
{
    if (m_available > 0 && waiting() == 0) {
        --m_available;
        return Permit(this);
    }
    return std::nullopt;
}

int Semaphore::waiting() const
{
    return int(std::count_if(m_queue.begin(), m_queue.end(),
                             [](const auto &w) { return !w->state->done && !w->granted; }));
}

void Semaphore::setCapacity(int permits)
{
    permits = std::max(permits, 1);
    m_available += permits - m_capacity;
    m_capacity = permits;
    serveQueue();
}

void Semaphore::releaseOne()
{
    ++m_available;
    serveQueue();
}

void Semaphore::serveQueue()
{
    while (m_available > 0 && !m_queue.empty()) {
        auto w = m_queue.front();
        m_queue.pop_front();
        if (w->state->done)
            continue; // cancelled while queued
        --m_available;
        w->granted = true;
        // Posted, not inline: release() often runs inside another coroutine's unwinding.
        detail::postTo(w->state->anchor, [s = w->state] { s->resume(false); });
    }
}

} // namespace coroute
