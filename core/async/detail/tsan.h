#pragma once
// Internal to coroute; not part of the public API. Do not include directly.
//
// ThreadSanitizer annotations for our hand-offs between threads whose synchronisation lives
// inside Qt's uninstrumented library. On Linux QMutex is a raw futex and QAtomic operations
// inside libQt6Core are not instrumented, so the happens-before edges of Qt's event queue and
// of QThreadPool's work queue are invisible to TSan. Where our code relies on such an edge,
// it states it: tsanRelease(x) on the sending side before handing over, tsanAcquire(x) on the
// receiving side before touching what was handed over. Without TSan both compile to nothing.

#if defined(__SANITIZE_THREAD__)
#define COROUTE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COROUTE_TSAN 1
#endif
#endif

#include <QMutex>

#ifdef COROUTE_TSAN
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#endif

namespace coroute::detail {

/// Everything this thread did so far happens before a later tsanAcquire(addr) elsewhere.
inline void tsanRelease([[maybe_unused]] const void *addr)
{
#ifdef COROUTE_TSAN
    __tsan_release(const_cast<void *>(addr));
#endif
}

/// What other threads did before their tsanRelease(addr) happens before what follows here.
inline void tsanAcquire([[maybe_unused]] const void *addr)
{
#ifdef COROUTE_TSAN
    __tsan_acquire(const_cast<void *>(addr));
#endif
}

/// A QMutex whose ordering TSan sees. QMutex takes its uncontended path in inline (and so
/// instrumented) atomics, but a contended lock or unlock is a futex inside the library, and
/// the edge it makes is lost. Use with QMutexLocker.
class Mutex
{
public:
    void lock()
    {
        m_mutex.lock();
        tsanAcquire(this);
    }
    void unlock()
    {
        tsanRelease(this);
        m_mutex.unlock();
    }

private:
    QMutex m_mutex;
};

} // namespace coroute::detail
