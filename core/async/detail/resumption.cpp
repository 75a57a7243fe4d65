#include "async/detail/resumption.h"
#include "async/detail/tsan.h"

#include <QCoreApplication>
#include <QEvent>

namespace coroute::detail {

namespace {

// The posted function travels inside the event, which Qt deletes on the receiving thread
// after delivery: the function is created on one thread and destroyed on the other, never
// shared (invokeMethod's ref-counted slot object may be released on the posting thread).
class CallEvent final : public QEvent
{
public:
    static QEvent::Type type()
    {
        static const auto t = QEvent::Type(QEvent::registerEventType());
        return t;
    }
    explicit CallEvent(std::function<void()> fn) : QEvent(type()), m_fn(std::move(fn)) {}
    void run() { m_fn(); }

private:
    std::function<void()> m_fn;
};

class Anchor final : public QObject
{
public:
    using QObject::QObject;
    bool event(QEvent *e) override
    {
        // Qt's event queue hands the event over under its own futex lock: acquire what
        // postTo() released before reading anything of it, its type included.
        tsanAcquire(e);
        if (e->type() == CallEvent::type()) {
            static_cast<CallEvent *>(e)->run();
            return true;
        }
        return QObject::event(e);
    }
};

} // namespace

QObject *threadAnchor()
{
    thread_local std::unique_ptr<QObject> anchor;
    if (!anchor)
        anchor = std::make_unique<Anchor>();
    return anchor.get();
}

QObject *makeAnchor(QObject *parent)
{
    return new Anchor(parent);
}

void postTo(QObject *anchor, std::function<void()> fn)
{
    auto *e = new CallEvent(std::move(fn));
    tsanRelease(e);
    QCoreApplication::postEvent(anchor, e);
}

} // namespace coroute::detail
