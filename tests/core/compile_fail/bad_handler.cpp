// Must NOT compile: a handler returning a type that is not JSON. The build of this file is a
// test that expects the static_assert's sentence in the compiler output.
#include "router/router.h"

#include <vector>

void registerBadHandler(coroute::Router &router)
{
    router.get(QStringLiteral("/bad"), [](coroute::Context &) { return std::vector<int>{1, 2}; });
}
