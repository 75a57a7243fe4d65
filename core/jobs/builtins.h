#pragma once

namespace coroute {

class Runtime;

/// Registers the built-in route modules: /sys and /demo.
void registerBuiltins(Runtime &runtime);

} // namespace coroute
