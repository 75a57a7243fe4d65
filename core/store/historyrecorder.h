#pragma once

#include "store/historystore.h"

#include <QObject>

namespace coroute {

class Runtime;

/// Records everything a runtime does (the batched change sets: jobs, logs, spans) into a
/// HistoryStore as one run. The runtime's thread only hands batches over; the store's
/// writer thread does the SQLite work.
class HistoryRecorder : public QObject
{
    Q_OBJECT
public:
    HistoryRecorder(Runtime &runtime, HistoryStore &store, const QString &name, const QString &command);
    ~HistoryRecorder() override; ///< finishes the run if finish() was not called

    RunId runId() const { return m_run; }
    HistoryStore &store() const { return m_store; }
    /// Hands over the pending batch, ends the run with state, and waits until it is written.
    /// Returns the store's write error, if any (a history that lost writes must be reported).
    QString finish(const QString &state = QStringLiteral("finished"));

private:
    Runtime &m_runtime;
    HistoryStore &m_store;
    RunId m_run = 0;
    bool m_finished = false;
};

} // namespace coroute
