#include "cliprocess.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

using namespace Qt::StringLiterals;

namespace coroute::test {

QJsonValue CliRun::json() const
{
    const auto doc = QJsonDocument::fromJson("[" + out.trimmed() + "]");
    return doc.array().isEmpty() ? QJsonValue(QJsonValue::Undefined) : doc.array().first();
}

QList<QJsonObject> CliRun::lines() const
{
    QList<QJsonObject> list;
    for (const auto &line : out.split('\n')) {
        if (!line.trimmed().isEmpty())
            list.append(QJsonDocument::fromJson(line).object());
    }
    return list;
}

QString coroutePath()
{
    return qEnvironmentVariable("COROUTE_BIN");
}

namespace {

CliRun finish(QProcess &p, int timeoutMs)
{
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

} // namespace

CliRun runCoroute(const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.start(coroutePath(), args);
    return finish(p, timeoutMs);
}

CliRun runCorouteWithFileLimit(const QStringList &args, int limitKiB, int timeoutMs)
{
    QProcess p;
    const QString script = u"ulimit -f %1 && exec \"$0\" \"$@\""_s.arg(limitKiB);
    p.start(u"/bin/bash"_s, QStringList{u"-c"_s, script, coroutePath()} + args);
    return finish(p, timeoutMs);
}

bool catchesSignal(qint64 pid, int signal)
{
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return false;
    for (const auto &line : status.readAll().split('\n')) {
        if (line.startsWith("SigCgt:"))
            return (line.mid(7).trimmed().toULongLong(nullptr, 16) >> (signal - 1)) & 1;
    }
    return false;
}

} // namespace coroute::test
