#include "async/detail/deadlinequeue.h"

#include <algorithm>

namespace coroute::detail {

namespace {
// Ids carry the slot in the low half and its generation in the high half.
Clock::TimerId makeId(quint32 slot, quint32 generation)
{
    return (Clock::TimerId(generation) << 32) | slot;
}
} // namespace

Clock::TimerId DeadlineQueue::add(Clock::TimePoint deadline, std::function<void()> fn)
{
    quint32 slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = quint32(m_slots.size());
        m_slots.emplace_back();
    }
    Slot &s = m_slots[slot];
    s.fn = std::move(fn);
    ++m_live;
    m_heap.push_back({deadline, m_nextOrder++, slot, s.generation});
    std::push_heap(m_heap.begin(), m_heap.end(), later);
    return makeId(slot, s.generation);
}

bool DeadlineQueue::remove(Clock::TimerId id)
{
    const auto slot = quint32(id & 0xffffffffu);
    const auto generation = quint32(id >> 32);
    if (generation == 0 || slot >= m_slots.size() || m_slots[slot].generation != generation) // 0: retired
        return false;
    auto fn = std::move(m_slots[slot].fn);
    release(slot);
    dropStaleTop();
    // Far deadlines removed early (timeouts of jobs that ended) would pile up in the heap.
    if (m_heap.size() > size_t(2 * m_live + 64))
        rebuild();
    return true; // fn is destroyed last: its captures may remove other timers
}

std::function<void()> DeadlineQueue::takeDue(Clock::TimePoint t, Clock::TimePoint *deadline)
{
    if (isEmpty())
        return {};
    const Entry top = m_heap.front();
    if (top.deadline > t)
        return {};
    std::pop_heap(m_heap.begin(), m_heap.end(), later);
    m_heap.pop_back();
    auto fn = std::move(m_slots[top.slot].fn);
    release(top.slot);
    dropStaleTop();
    if (deadline)
        *deadline = top.deadline;
    return fn;
}

void DeadlineQueue::release(quint32 slot)
{
    Slot &s = m_slots[slot];
    s.fn = nullptr;
    --m_live;
    // After 2^32 reuses the generation would wrap and old ids and stale heap entries would
    // match again: such a slot is retired instead of reused.
    if (++s.generation != 0)
        m_free.push_back(slot);
}

void DeadlineQueue::dropStaleTop()
{
    while (!m_heap.empty() && isStale(m_heap.front())) {
        std::pop_heap(m_heap.begin(), m_heap.end(), later);
        m_heap.pop_back();
    }
}

void DeadlineQueue::rebuild()
{
    m_heap.erase(std::remove_if(m_heap.begin(), m_heap.end(), [this](const Entry &e) { return isStale(e); }),
                 m_heap.end());
    std::make_heap(m_heap.begin(), m_heap.end(), later);
}

} // namespace coroute::detail
