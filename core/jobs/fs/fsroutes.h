#pragma once

#include "router/router.h"

namespace coroute {

/// The /fs routes: read, hash, write, copy, list (streamed) and stat, confined to the
/// runtime's FileRoots service (Context::files()). Include under "/fs"; registerBuiltins()
/// does that and registers the FileRoots of BuiltinsConfig::roots.
Router fsRoutes();

} // namespace coroute
