#pragma once

namespace coroute::test {

/// Counts live instances: put one in a coroutine frame or a closure, and end each test case
/// with `QCOMPARE(LiveGuard::live(), 0)` to prove every frame and closure was released
/// (Qt Creator's tst_tasking does this with CustomStorage::instanceCount()).
class LiveGuard
{
public:
    LiveGuard() { ++s_live; }
    LiveGuard(const LiveGuard &) { ++s_live; }
    LiveGuard &operator=(const LiveGuard &) = default;
    ~LiveGuard() { --s_live; }
    static int live() { return s_live; }

private:
    static inline int s_live = 0;
};

} // namespace coroute::test
