#pragma once
// Not installed: colours and icons of job states, shared by the models and views.

#include "runtime/jobstate.h"

#include <QColor>
#include <QIcon>

namespace coroute::detail {

/// A mid-tone colour per state, chosen to read on light and dark backgrounds alike.
QColor stateColor(JobState state);
/// A small filled circle (a ring for unfinished states) in the state's colour.
QIcon stateIcon(JobState state);

} // namespace coroute::detail
