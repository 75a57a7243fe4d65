#include "cli/runrecording.h"

#include "cli/output.h"
#include "cli/runtimeoptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace coroute::cli {

bool RunRecording::openHistory(const QCommandLineParser &parser)
{
    bool failed = false;
    m_history = cli::openHistory(parser, &failed);
    return !failed;
}

void RunRecording::start(Runtime &runtime, const QString &runName, const std::optional<QString> &tracePath)
{
    if (m_history) {
        m_recorder = std::make_unique<HistoryRecorder>(runtime, *m_history, runName,
                                                       QCoreApplication::arguments().join(u' '));
    }
    if (tracePath)
        m_trace = std::make_unique<TraceCollector>(runtime, *tracePath);
}

bool RunRecording::finish(const QString &state)
{
    bool ok = true;
    if (m_recorder) {
        // A history that lost writes (disk full, damaged) is a failure the caller must see.
        if (const auto error = m_recorder->finish(state); !error.isEmpty()) {
            printError(error);
            ok = false;
        }
    }
    if (m_trace && !m_trace->write()) // prints why
        ok = false;
    return ok;
}

std::optional<QString> traceOption(const QCommandLineParser &parser)
{
    if (!parser.isSet(u"trace"_s))
        return std::nullopt;
    return parser.value(u"trace"_s);
}

} // namespace coroute::cli
