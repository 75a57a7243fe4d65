#include "store/historyrecorder.h"

#include "runtime/runtime.h"

namespace coroute {

HistoryRecorder::HistoryRecorder(Runtime &runtime, HistoryStore &store, const QString &name, const QString &command)
    : m_runtime(runtime), m_store(store), m_run(store.beginRun(name, command))
{
    connect(&runtime.jobs(), &JobRegistry::changed, this,
            [this](const ChangeSet &changes) { m_store.record(m_run, changes); });
}

HistoryRecorder::~HistoryRecorder()
{
    if (!m_finished)
        finish();
}

void HistoryRecorder::finish(const QString &state)
{
    if (m_finished)
        return;
    m_finished = true;
    m_runtime.jobs().flush();
    m_store.endRun(m_run, state);
    m_store.flush();
}

} // namespace coroute
