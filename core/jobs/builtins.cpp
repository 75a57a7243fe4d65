#include "jobs/builtins.h"

#include "jobs/demoroutes.h"
#include "jobs/http/httpclient.h"
#include "jobs/http/httproutes.h"
#include "jobs/sysroutes.h"
#include "runtime/runtime.h"

using namespace Qt::StringLiterals;

namespace coroute {

void registerBuiltins(Runtime &runtime, const BuiltinsConfig &config)
{
    runtime.router().include(sysRoutes(), u"/sys"_s);
    runtime.router().include(demoRoutes(), u"/demo"_s);
    runtime.router().include(httpRoutes(config.roots), u"/http"_s);
    runtime.setService<HttpClient>(std::make_shared<HttpClient>(
        HttpClientOptions{.clock = &runtime.clock(), .pool = &runtime.pool()}));
}

} // namespace coroute
