#include "runtime/detail/recordtable_p.h"
#include "runtime/detail/jobrecord_p.h"

namespace coroute::detail {

void RecordTable::insert(JobId id, Ptr record)
{
    if (m_slots.empty())
        m_first = id;
    const JobId end = m_first + JobId(m_slots.size());
    if (id < end) {
        if (id >= m_first && !m_slots[size_t(id - m_first)]) {
            m_slots[size_t(id - m_first)] = std::move(record);
            ++m_live;
        } else {
            m_side.insert_or_assign(id, std::move(record));
        }
        return;
    }
    m_slots.resize(size_t(id - m_first)); // ids skipped since the last insert stay empty
    m_slots.push_back(std::move(record));
    ++m_live;
    if (id - end > 0) // skipped ids add empty slots
        compact();
}

const RecordTable::Ptr *RecordTable::slotOf(JobId id) const
{
    if (id >= m_first && id - m_first < JobId(m_slots.size()))
        return &m_slots[size_t(id - m_first)];
    if (m_side.empty())
        return nullptr;
    const auto it = m_side.find(id);
    return it == m_side.end() ? nullptr : &it->second;
}

JobRecord *RecordTable::find(JobId id) const
{
    const Ptr *slot = slotOf(id);
    return slot ? slot->get() : nullptr;
}

RecordTable::Ptr RecordTable::share(JobId id) const
{
    const Ptr *slot = slotOf(id);
    return slot ? *slot : nullptr;
}

bool RecordTable::remove(JobId id)
{
    if (id >= m_first && id - m_first < JobId(m_slots.size())) {
        auto &slot = m_slots[size_t(id - m_first)];
        if (!slot)
            return false;
        slot.reset();
        --m_live;
        compact();
        return true;
    }
    return m_side.erase(id) > 0;
}

void RecordTable::compact()
{
    // Empty slots at the front go; a live record at the front moves aside once empty slots
    // outnumber live ones, so a long-lived job cannot pin every slot after it.
    constexpr qsizetype slack = 64;
    while (!m_slots.empty()) {
        if (m_slots.front()) {
            if (qsizetype(m_slots.size()) <= 2 * m_live + slack)
                break;
            m_side.emplace(m_first, std::move(m_slots.front()));
            --m_live;
        }
        m_slots.pop_front();
        ++m_first;
    }
}

} // namespace coroute::detail
