#pragma once

#include "router/router.h"

#include <QStringList>

namespace coroute {

/// The /http routes: GET /get, POST /request, POST /download. They use the runtime's
/// HttpClient service (Context::http()); downloads are confined to the FileRoots service
/// (Context::files()), the same sandbox as /fs and /db.
Router httpRoutes();

} // namespace coroute
