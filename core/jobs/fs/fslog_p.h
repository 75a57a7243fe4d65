#pragma once
// Private to core/jobs/fs: not installed.

#include <QLoggingCategory>

namespace coroute::detail {
Q_DECLARE_LOGGING_CATEGORY(lcFs)
} // namespace coroute::detail
