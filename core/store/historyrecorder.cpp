#include "store/historyrecorder.h"

#include "runtime/runtime.h"

using namespace Qt::StringLiterals;

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

QString HistoryRecorder::finish(const QString &state)
{
    if (m_finished)
        return m_store.flush();
    m_finished = true;
    m_runtime.jobs().flush();
    if (!m_run)
        return u"history write failed: the run could not be started in %1"_s.arg(m_store.path());
    m_store.endRun(m_run, state);
    return m_store.flush();
}

} // namespace coroute
