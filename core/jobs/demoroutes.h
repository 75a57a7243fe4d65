#pragma once

#include "router/router.h"

namespace coroute {

/// The async patterns as runnable routes: include under "/demo".
/// /dashboard gathers three sources, /batch works under a semaphore, /tolerant gathers with
/// failures tolerated, /group is a TaskGroup where one failure cancels the rest, /slow times
/// out, /items/{item_id:int} has a typed path parameter, /block blocks the loop on purpose.
Router demoRoutes();

} // namespace coroute
