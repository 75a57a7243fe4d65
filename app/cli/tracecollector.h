#pragma once

#include "trace/spandata.h"

#include <QList>
#include <QObject>
#include <QString>

namespace coroute {
class Runtime;
}

namespace coroute::cli {

/// Collects every finished span of a runtime (from its change sets) for `--trace FILE`,
/// and writes them as a Chrome trace at the end.
class TraceCollector : public QObject
{
    Q_OBJECT
public:
    TraceCollector(Runtime &runtime, QString path, QObject *parent = nullptr);

    QString path() const { return m_path; }
    int spanCount() const { return int(m_spans.size()); }
    /// Flushes the runtime's pending batch and writes the trace (with the jobs' states).
    /// On failure prints why and returns false.
    bool write();

private:
    Runtime &m_runtime;
    QString m_path;
    QList<SpanData> m_spans;
};

} // namespace coroute::cli
