#pragma once
// Internal to the runtime; not part of the public API.

#include <coroutine>
#include <exception>

namespace coroute::detail {

/// A coroutine nobody awaits: starts at once and frees itself at the end. Its body must
/// catch everything; an escaping exception terminates.
struct Detached
{
    struct promise_type
    {
        Detached get_return_object() noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept { std::terminate(); }
    };
};

} // namespace coroute::detail
