#pragma once

#include "runtime/jobinfo.h"
#include "trace/spandata.h"

#include <QJsonObject>
#include <QList>

namespace coroute {

/// Chrome trace event JSON (opens in ui.perfetto.dev and chrome://tracing) of finished spans:
/// `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`.
///
/// Each job is one async track: its spans are nestable async slices (`ph` "b"/"e", `cat`
/// "coroute", `id2.local` = the job id in hex), because coroutine slices overlap and move
/// between threads. Spans of one job that overlap without nesting (gather branches) go to
/// extra tracks of that job, id `(lane << 48) | job`, so every track nests properly.
/// `ts` is in microseconds relative to the earliest span start (`otherData.origin_unix_ns`);
/// events are sorted by `ts`. Span events become async instants (`ph` "n") on the span's
/// track; a cancelled span adds an instant "cancelled" at its end; "loop_blocked" events are
/// also thread instants (`ph` "i", `s` "t") on the loop thread. `tid` 1 = loop, 2 = pool.
/// jobs, when given, add each job's state, path and outcome to its root slice's args.
QJsonObject toChromeTrace(const QList<SpanData> &spans, const QList<JobInfo> &jobs = {});

} // namespace coroute
