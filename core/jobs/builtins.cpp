#include "jobs/builtins.h"

#include "jobs/db/databasepool.h"
#include "jobs/db/dbroutes.h"
#include "jobs/demoroutes.h"
#include "jobs/sysroutes.h"
#include "runtime/runtime.h"

using namespace Qt::StringLiterals;

namespace coroute {

void registerBuiltins(Runtime &runtime, const BuiltinsConfig &config)
{
    runtime.router().include(sysRoutes(), u"/sys"_s);
    runtime.router().include(demoRoutes(), u"/demo"_s);
    runtime.router().include(dbRoutes(), u"/db"_s);
    runtime.setService<DatabasePool>(std::make_shared<DatabasePool>(config.roots));
}

} // namespace coroute
