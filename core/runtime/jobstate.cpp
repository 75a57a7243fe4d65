#include "runtime/jobstate.h"

using namespace Qt::StringLiterals;

namespace coroute {

QString nameOf(JobState state)
{
    switch (state) {
    case JobState::Pending: return u"pending"_s;
    case JobState::Running: return u"running"_s;
    case JobState::Cancelling: return u"cancelling"_s;
    case JobState::Succeeded: return u"succeeded"_s;
    case JobState::Failed: return u"failed"_s;
    case JobState::Cancelled: return u"cancelled"_s;
    case JobState::TimedOut: return u"timed_out"_s;
    case JobState::Interrupted: return u"interrupted"_s;
    }
    return u"pending"_s;
}

JobState jobStateFromString(QStringView name, bool *ok)
{
    for (int i = 0; i <= int(JobState::Interrupted); ++i) {
        if (name == nameOf(JobState(i))) {
            if (ok)
                *ok = true;
            return JobState(i);
        }
    }
    if (ok)
        *ok = false;
    return JobState::Pending;
}

} // namespace coroute
