#pragma once

#include "router/router.h"

namespace coroute {

/// The /db routes: exec, query (streamed rows) and bulk insert on SQLite files inside the
/// configured roots. Needs the DatabasePool service (registerBuiltins sets it).
Router dbRoutes();

} // namespace coroute
