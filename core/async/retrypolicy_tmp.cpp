// TEMPORARY stand-in for router's RetryPolicy implementation (router/route.cpp on the router
// branch) so that the async branch links on its own. Drop this file and its CMake line when
// the branches merge.
#include "router/route.h"

#include <algorithm>
#include <cmath>

namespace coroute {

std::chrono::milliseconds RetryPolicy::delayFor(int retry, double random01) const
{
    const double base = double(initialBackoff.count()) * std::pow(multiplier, std::max(retry - 1, 0));
    const double capped = std::min(base, double(maxBackoff.count()));
    const double scaled = capped * (1.0 + jitter * (2.0 * random01 - 1.0));
    return std::chrono::milliseconds(std::llround(std::max(scaled, 0.0)));
}

QJsonObject RetryPolicy::toJson() const
{
    return {};
}

} // namespace coroute
