#pragma once

#include <QString>

#include <exception>
#include <stop_token>

namespace coroute {

/// Why a cancellation was requested. Stored with the job; awaitables do not know it.
enum class CancelReason {
    None,          ///< not cancelled
    User,          ///< a person or a script asked for it
    Timeout,       ///< a deadline passed (withTimeout, a route or job timeout)
    SiblingFailed, ///< another member of a gather or TaskGroup failed
    Parent,        ///< the parent job was cancelled
    Shutdown,      ///< the runtime is shutting down (Ctrl-C, window closed)
};

/// Stable lower-case name used in JSON and the history store ("sibling_failed").
QString nameOf(CancelReason reason);
/// Parses a name produced by nameOf(); unknown names give CancelReason::None.
CancelReason cancelReasonFromString(QStringView name);

/// Thrown out of an awaitable whose stop token fired. Catch it to clean up, then rethrow.
/// An awaitable cannot know why it was stopped, so reason() is None unless a layer that owns
/// the stop source (a job, withTimeout, a TaskGroup) knows better and says so.
class Cancelled : public std::exception
{
public:
    explicit Cancelled(CancelReason reason = CancelReason::None) noexcept : m_reason(reason) {}
    CancelReason reason() const noexcept { return m_reason; }
    const char *what() const noexcept override { return "cancelled"; }

private:
    CancelReason m_reason;
};

/// Thrown by withTimeout() when its deadline passed before the work finished.
class TimedOut : public Cancelled
{
public:
    TimedOut() noexcept : Cancelled(CancelReason::Timeout) {}
    const char *what() const noexcept override { return "timed out"; }
};

/// Throws Cancelled when the token has been stopped.
inline void throwIfCancelled(const std::stop_token &token)
{
    if (token.stop_requested())
        throw Cancelled();
}

} // namespace coroute
