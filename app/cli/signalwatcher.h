#pragma once

#include <QObject>

class QSocketNotifier;

namespace coroute::cli {

/// Turns SIGINT and SIGTERM into a Qt signal on the thread that created the watcher (a
/// self-pipe: the handler only writes a byte). A second signal while the first is being
/// handled exits the process at once with code 130.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void interrupted(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace coroute::cli
