#include "async/detail/resumption.h"

#include <QMetaObject>
#include <QPointer>

namespace coroute::detail {

QObject *threadAnchor()
{
    thread_local std::unique_ptr<QObject> anchor;
    if (!anchor)
        anchor = std::make_unique<QObject>();
    return anchor.get();
}

void postTo(QObject *anchor, std::function<void()> fn)
{
    QMetaObject::invokeMethod(anchor, std::move(fn), Qt::QueuedConnection);
}

} // namespace coroute::detail
