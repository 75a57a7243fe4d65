#pragma once

#include <QLoggingCategory>

namespace coroute {
Q_DECLARE_LOGGING_CATEGORY(lcUi)
}
