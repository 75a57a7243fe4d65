#include "cli/tracecollector.h"

#include "cli/output.h"

#include "runtime/runtime.h"
#include "trace/chrometrace.h"
#include "trace/tracefile.h"

using namespace Qt::StringLiterals;

namespace coroute::cli {

TraceCollector::TraceCollector(Runtime &runtime, QString path, QObject *parent)
    : QObject(parent), m_runtime(runtime), m_path(std::move(path))
{
    connect(&runtime.jobs(), &JobRegistry::changed, this,
            [this](const ChangeSet &changes) { m_spans.append(changes.spans); });
}

bool TraceCollector::write()
{
    m_runtime.jobs().flush();
    QString error;
    if (!writeTraceFile(m_path, toChromeTrace(m_spans, m_runtime.jobs().jobs()), &error)) {
        printError(u"--trace: "_s + error);
        return false;
    }
    return true;
}

} // namespace coroute::cli
