#pragma once

#include "cli/tracecollector.h"
#include "store/historyrecorder.h"
#include "store/historystore.h"

#include <QString>

#include <memory>
#include <optional>

class QCommandLineParser;

namespace coroute {
class Runtime;
}

namespace coroute::cli {

/// What call, run and serve keep of the jobs they run: the run in the history (--db, or the
/// default file when it opens) and, when asked for, a Chrome trace (--trace FILE).
/// Declare it after the Runtime it records, so that it goes first.
class RunRecording
{
public:
    /// Opens the history (see openHistory()). False, having printed why, when an explicit --db
    /// cannot be opened: the command then ends with Usage before running anything.
    bool openHistory(const QCommandLineParser &parser);
    /// Records runtime's jobs from now on as the run runName, and collects their spans for a
    /// trace at tracePath when given.
    void start(Runtime &runtime, const QString &runName, const std::optional<QString> &tracePath = {});
    /// Ends the run with state ("finished" or "interrupted") and writes the trace. False,
    /// having printed why, when the history lost writes or the trace could not be written.
    bool finish(const QString &state);

private:
    std::unique_ptr<HistoryStore> m_history;
    std::unique_ptr<HistoryRecorder> m_recorder;
    std::unique_ptr<TraceCollector> m_trace;
};

/// The value of --trace FILE, when the command has that option and it was given.
std::optional<QString> traceOption(const QCommandLineParser &parser);

} // namespace coroute::cli
