#include "cli/signalwatcher.h"

#include "cli/exitcode.h"

#include <QSocketNotifier>

#include <atomic>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace coroute::cli {

namespace {
int g_fds[2] = {-1, -1};
std::atomic<int> g_count{0};

void onSignal(int sig)
{
    if (g_count.fetch_add(1) >= 1)
        ::_exit(Interrupted); // second Ctrl-C: leave at once
    const char c = char(sig);
    [[maybe_unused]] auto n = ::write(g_fds[1], &c, 1);
}
} // namespace

SignalWatcher::SignalWatcher(QObject *parent) : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_fds) != 0)
        return;
    m_notifier = new QSocketNotifier(g_fds[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char c = 0;
        if (::read(g_fds[0], &c, 1) == 1)
            Q_EMIT interrupted(int(c));
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
}

} // namespace coroute::cli
