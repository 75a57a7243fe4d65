#pragma once

#include "router/router.h"

#include <QStringList>

namespace coroute {

/// The /http routes: GET /get, POST /request, POST /download. They use the runtime's
/// HttpClient service (Context::http()). Downloads are confined to downloadRoots (canonical
/// folders; empty: the current folder).
Router httpRoutes(QStringList downloadRoots = {});

} // namespace coroute
