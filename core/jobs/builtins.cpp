#include "jobs/builtins.h"

#include "jobs/demoroutes.h"
#include "jobs/sysroutes.h"
#include "runtime/runtime.h"

using namespace Qt::StringLiterals;

namespace coroute {

void registerBuiltins(Runtime &runtime, const BuiltinsConfig &config)
{
    runtime.router().include(sysRoutes(), u"/sys"_s);
    runtime.router().include(demoRoutes(), u"/demo"_s);
    Q_UNUSED(config); // consumed by the local job modules as they land
}

} // namespace coroute
