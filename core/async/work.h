#pragma once

#include <qcoro/qcorotask.h>

#include <functional>
#include <stop_token>

namespace coroute {

/// A unit of work for a combinator: called once with a token that the combinator controls
/// (linked to the caller's token), it returns the task to await. A factory rather than a
/// task, because a QCoro::Task starts at once and cannot be restarted (retry needs that).
template<typename T>
using Work = std::function<QCoro::Task<T>(std::stop_token)>;

} // namespace coroute
