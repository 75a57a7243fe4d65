#include "async/detail/resumption.h"

#include <QCoreApplication>
#include <QEvent>

// Qt's event queue hands the posted function from one thread to another under Qt's own
// (uninstrumented) locks; ThreadSanitizer is told about that happens-before edge explicitly.
#if defined(__SANITIZE_THREAD__)
#define COROUTE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COROUTE_TSAN 1
#endif
#endif
#ifdef COROUTE_TSAN
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#endif

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
    void run()
    {
#ifdef COROUTE_TSAN
        __tsan_acquire(this);
#endif
        m_fn();
    }

private:
    std::function<void()> m_fn;
};

class Anchor final : public QObject
{
public:
    bool event(QEvent *e) override
    {
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

void postTo(QObject *anchor, std::function<void()> fn)
{
    auto *e = new CallEvent(std::move(fn));
#ifdef COROUTE_TSAN
    __tsan_release(e);
#endif
    QCoreApplication::postEvent(anchor, e);
}

} // namespace coroute::detail
