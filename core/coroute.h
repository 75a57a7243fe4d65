#pragma once
// Umbrella header of Coroute::Core: `#include <coroute.h>`.

#include "async/cancellation.h"
#include "async/clock.h"
#include "async/combinators.h"
#include "async/event.h"
#include "async/pool.h"
#include "async/semaphore.h"
#include "async/sleep.h"
#include "async/work.h"
#include "router/route.h"
#include "router/router.h"
