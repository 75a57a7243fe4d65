#pragma once
// Internal to coroute's combinators and job drivers; not part of the public API.

#include <QtGlobal>

#include <coroutine>
#include <exception>

namespace coroute::detail {

/// A fire-and-forget coroutine: starts at once, frees its frame when it ends, and cannot be
/// awaited. Combinators use it for the drivers that await their children to completion, the
/// runtime for the coroutines that drive its jobs.
/// A driver catches everything itself; an exception that still escapes is logged, never
/// allowed to terminate the process.
struct Detached
{
    struct promise_type
    {
        Detached get_return_object() noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept
        {
            qCritical("coroute: an exception escaped a detached driver (a combinator's child or a job)");
        }
    };
};

} // namespace coroute::detail
