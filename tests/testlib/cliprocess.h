#pragma once
// Runs the coroute binary (path in COROUTE_BIN, set by coroute_add_test) for the app tests.

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace coroute::test {

/// One finished run of the CLI: exit code (-1 if it crashed or hung) and its output.
struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    /// stdout as one JSON value (object, array or scalar); undefined when it is not JSON.
    QJsonValue json() const;
    /// stdout as JSON lines, one object per non-empty line.
    QList<QJsonObject> lines() const;
};

/// The coroute binary under test.
QString coroutePath();
/// Runs coroute with args and waits (bounded: a run over timeoutMs is killed).
CliRun runCoroute(const QStringList &args, int timeoutMs = 60000);
/// As runCoroute, under `ulimit -f limitKiB` (a full disk for files it writes). The CLI must
/// ignore SIGXFSZ itself: nothing here does it for it.
CliRun runCorouteWithFileLimit(const QStringList &args, int limitKiB, int timeoutMs = 60000);
/// Whether the process installed a handler for signal (the SigCgt mask in /proc): a child is
/// ready for SIGINT once this is true.
bool catchesSignal(qint64 pid, int signal);

} // namespace coroute::test
