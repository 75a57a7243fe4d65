#include "bench/benchhistory.h"

#include "cli/output.h"

using namespace Qt::StringLiterals;

namespace coroute::bench {

BenchHistory::BenchHistory(Runtime &runtime, const BenchOptions &options, BenchReport &report, const QString &name)
{
    if (!options.store)
        return;
    QString error;
    m_store = HistoryStore::open(m_dir.filePath(u"bench-history.sqlite"_s), &error);
    if (!m_store) {
        cli::printError(u"bench: history store: "_s + error);
        return;
    }
    m_recorder = std::make_unique<HistoryRecorder>(runtime, *m_store, u"bench "_s + name, name);
    report.storeOn = true;
}

BenchHistory::~BenchHistory()
{
    finish();
}

void BenchHistory::finish()
{
    if (!m_recorder)
        return;
    m_recorder->finish();
    m_recorder.reset();
}

} // namespace coroute::bench
