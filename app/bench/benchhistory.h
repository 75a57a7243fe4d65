#pragma once

#include "bench/benchreport.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include <QTemporaryDir>

#include <memory>

namespace coroute {
class Runtime;
}

namespace coroute::bench {

/// Records a workload's jobs in a history store, as a real run would (off with --no-store):
/// a fresh SQLite file in a temporary folder, so the bench never touches the user's history.
/// The writer thread works during the timed region; the final flush happens afterwards.
class BenchHistory
{
public:
    BenchHistory(Runtime &runtime, const BenchOptions &options, BenchReport &report, const QString &name);
    ~BenchHistory();
    /// Writes what is still queued (after the timed region).
    void finish();

private:
    QTemporaryDir m_dir;
    std::unique_ptr<HistoryStore> m_store;
    std::unique_ptr<HistoryRecorder> m_recorder;
};

} // namespace coroute::bench
