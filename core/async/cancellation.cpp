#include "async/cancellation.h"

using namespace Qt::StringLiterals;

namespace coroute {

QString nameOf(CancelReason reason)
{
    switch (reason) {
    case CancelReason::None: return u"none"_s;
    case CancelReason::User: return u"user"_s;
    case CancelReason::Timeout: return u"timeout"_s;
    case CancelReason::SiblingFailed: return u"sibling_failed"_s;
    case CancelReason::Parent: return u"parent"_s;
    case CancelReason::Shutdown: return u"shutdown"_s;
    }
    return u"none"_s;
}

CancelReason cancelReasonFromString(QStringView name)
{
    for (auto r : {CancelReason::User, CancelReason::Timeout, CancelReason::SiblingFailed,
                   CancelReason::Parent, CancelReason::Shutdown}) {
        if (name == nameOf(r))
            return r;
    }
    return CancelReason::None;
}

} // namespace coroute
