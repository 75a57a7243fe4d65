#pragma once
// Internal to coroute's clocks; not part of the public API. Do not include directly.

#include "async/clock.h"

#include <functional>
#include <vector>

namespace coroute::detail {

/// The pending callbacks of a clock, earliest deadline first (equal deadlines in the order
/// added). A binary heap over reusable slots: adding and taking cost O(log n) without a node
/// allocation each, removing is O(1) and leaves a stale heap entry that is skipped, and the
/// heap is rebuilt once stale entries outnumber live ones. Single-threaded.
class DeadlineQueue
{
public:
    /// Queues fn for deadline. The id is never 0 and is not reused while fn is pending.
    Clock::TimerId add(Clock::TimePoint deadline, std::function<void()> fn);
    /// Forgets a pending callback (destroying it now). False when it ran or was removed already.
    bool remove(Clock::TimerId id);

    /// Callbacks added and neither taken nor removed.
    qsizetype size() const { return m_live; }
    bool isEmpty() const { return m_live == 0; }
    /// The earliest pending deadline; only valid when !isEmpty().
    Clock::TimePoint earliest() const
    {
        Q_ASSERT(!isEmpty());
        return m_heap.front().deadline;
    }
    /// Removes and returns the earliest callback whose deadline is at or before t, with its
    /// deadline in *deadline; an empty function when none is due.
    std::function<void()> takeDue(Clock::TimePoint t, Clock::TimePoint *deadline = nullptr);

    /// Heap entries, stale ones included: what the rebuild keeps within 2 × size() + 64.
    qsizetype heapSize() const { return qsizetype(m_heap.size()); }

private:
    struct Entry
    {
        Clock::TimePoint deadline;
        quint64 order;   // ties between equal deadlines go to the earlier add
        quint32 slot;
        quint32 generation;
    };
    struct Slot
    {
        std::function<void()> fn;
        // Bumped when the slot is freed: the ids and heap entries made before go stale.
        quint32 generation = 1;
    };

    static bool later(const Entry &a, const Entry &b)
    {
        return a.deadline != b.deadline ? a.deadline > b.deadline : a.order > b.order;
    }
    bool isStale(const Entry &e) const
    {
        return m_slots[e.slot].generation != e.generation;
    }
    void release(quint32 slot);
    void dropStaleTop(); // keeps the top live, so that earliest() needs no pop
    void rebuild();

    std::vector<Entry> m_heap;
    std::vector<Slot> m_slots;
    std::vector<quint32> m_free;
    quint64 m_nextOrder = 0;
    qsizetype m_live = 0;
};

} // namespace coroute::detail
