#pragma once

namespace coroute::cli {

/// The CLI's exit codes: scripts rely on them.
enum ExitCode : int {
    Success = 0,     ///< every job succeeded
    JobFailed = 1,   ///< a job failed, was cancelled, timed out, or the request was refused
    Usage = 2,       ///< bad usage or an invalid plan; nothing ran
    Interrupted = 130, ///< SIGINT or SIGTERM
};

} // namespace coroute::cli
