#pragma once

#include <QString>

namespace coroute {

/// Identifies a job within one runtime (and one history run). 0 means "no job".
using JobId = quint64;

/// Lifecycle of a job: pending -> running -> (cancelling ->) one terminal state.
enum class JobState {
    Pending,     ///< submitted, waiting for a concurrency permit
    Running,     ///< its handler is executing
    Cancelling,  ///< cancellation requested, the handler has not stopped yet
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Interrupted, ///< found unfinished in the history after a crash
};

/// "pending", "running", "cancelling", "succeeded", "failed", "cancelled", "timed_out", "interrupted".
QString nameOf(JobState state);
/// Parses a name produced by nameOf(); returns false in ok for an unknown name.
JobState jobStateFromString(QStringView name, bool *ok = nullptr);
/// Whether the state is final (succeeded, failed, cancelled, timed_out, interrupted).
constexpr bool isTerminal(JobState s)
{
    return s == JobState::Succeeded || s == JobState::Failed || s == JobState::Cancelled
        || s == JobState::TimedOut || s == JobState::Interrupted;
}

} // namespace coroute
