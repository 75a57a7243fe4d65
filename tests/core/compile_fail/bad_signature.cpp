// Must NOT compile: a handler that does not take coroute::Context &.
#include "router/router.h"

void registerBadHandler(coroute::Router &router)
{
    router.get(QStringLiteral("/bad"), [](int x) { return x; });
}
