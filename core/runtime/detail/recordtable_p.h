#pragma once

#include "runtime/jobinfo.h"

#include <deque>
#include <memory>
#include <unordered_map>

namespace coroute::detail {

struct JobRecord;

/// The registry's records by id. A runtime hands out ids in increasing order, so records sit
/// in a deque indexed by (id - first id): a lookup reads one slot rather than hashing into a
/// table far bigger than the cache, and ids submitted together sit together. Removed records
/// leave empty slots, trimmed from the front. A record that outlives many newer ones (a
/// long-running job) moves to a side table, so that empty slots stay fewer than live ones.
class RecordTable
{
public:
    using Ptr = std::shared_ptr<JobRecord>;

    /// Ids must increase from one insert to the next; an older id goes to the side table.
    void insert(JobId id, Ptr record);
    JobRecord *find(JobId id) const;
    Ptr share(JobId id) const;
    /// False when there was no such record.
    bool remove(JobId id);
    qsizetype size() const { return m_live + qsizetype(m_side.size()); }
    /// Slots held (live or empty): stays within 2 × live + 64 whatever the removal order.
    qsizetype slotCount() const { return qsizetype(m_slots.size()); }

    /// Calls f(const Ptr &) for every record; side-table records first, then by id.
    template<typename F>
    void forEach(F &&f) const
    {
        for (const auto &[id, record] : m_side)
            f(record);
        for (const auto &record : m_slots) {
            if (record)
                f(record);
        }
    }

private:
    /// The slot or side-table entry for id, or null.
    const Ptr *slotOf(JobId id) const;
    void compact();

    std::deque<Ptr> m_slots; ///< m_slots[i] holds id m_first + i, or nothing
    JobId m_first = 0;
    qsizetype m_live = 0;    ///< non-empty slots
    std::unordered_map<JobId, Ptr> m_side;
};

} // namespace coroute::detail
