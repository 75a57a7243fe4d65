#include "jobs/builtins.h"

#include "jobs/db/databasepool.h"
#include "jobs/db/dbroutes.h"
#include "jobs/demoroutes.h"
#include "jobs/fs/fileroots.h"
#include "jobs/fs/fsroutes.h"
#include "jobs/http/httpclient.h"
#include "jobs/http/httproutes.h"
#include "jobs/sysroutes.h"
#include "runtime/runtime.h"

#include <QDir>

using namespace Qt::StringLiterals;

namespace coroute {

void registerBuiltins(Runtime &runtime, const BuiltinsConfig &config)
{
    runtime.router().include(sysRoutes(), u"/sys"_s);
    runtime.router().include(demoRoutes(), u"/demo"_s);
    runtime.router().include(fsRoutes(), u"/fs"_s);
    runtime.router().include(dbRoutes(), u"/db"_s);
    // No roots configured: the current folder, as BuiltinsConfig documents.
    const QStringList roots = config.roots.isEmpty() ? QStringList{QDir::currentPath()} : config.roots;
    auto files = std::make_shared<FileRoots>(roots);
    runtime.setService<FileRoots>(files);
    runtime.setService<DatabasePool>(std::make_shared<DatabasePool>(files));
    runtime.router().include(httpRoutes(), u"/http"_s);
    runtime.setService<HttpClient>(std::make_shared<HttpClient>(
        HttpClientOptions{.clock = &runtime.clock(), .pool = &runtime.pool()}));
}

} // namespace coroute
