#pragma once

#include "router/router.h"

namespace coroute {

/// /sleep (async), /cpu (sync, CPU-bound on the pool) and /health: include under "/sys".
Router sysRoutes();

} // namespace coroute
