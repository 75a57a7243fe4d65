#include "cli/runprogress.h"

#include "plan/planrunner.h"

#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace coroute::cli {

namespace {
void writeErr(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

QString seconds(double s)
{
    if (s >= 3600)
        return u"%1h%2m"_s.arg(int(s / 3600)).arg(int(s / 60) % 60, 2, 10, QChar(u'0'));
    if (s >= 60)
        return u"%1m%2s"_s.arg(int(s / 60)).arg(int(s) % 60, 2, 10, QChar(u'0'));
    return u"%1s"_s.arg(s, 0, 'f', 1);
}
} // namespace

RunProgress::RunProgress(PlanRunner &runner, bool terminal, QObject *parent)
    : QObject(parent), m_runner(runner), m_terminal(terminal)
{
    connect(&runner, &PlanRunner::jobFinished, this, &RunProgress::onFinished);
    if (m_terminal) {
        // A steady 10 Hz redraw: bursts of events never cost more than 10 writes a second,
        // and rate and ETA keep moving while long jobs run.
        m_timer = new QTimer(this);
        m_timer->setInterval(100);
        connect(m_timer, &QTimer::timeout, this, &RunProgress::redraw);
        m_timer->start();
    }
}

QString RunProgress::statusLine() const
{
    const auto c = m_runner.counts();
    const double elapsed = double(m_runner.elapsedMs()) / 1000.0;
    const double rate = elapsed > 0 ? c.done() / elapsed : 0;
    QString line = u"[%1/%2] running %3, pending %4, failed %5"_s.arg(c.done()).arg(c.total).arg(c.running)
                       .arg(c.pending).arg(c.failed);
    if (c.skipped)
        line += u", skipped %1"_s.arg(c.skipped);
    if (c.cancelled)
        line += u", cancelled %1"_s.arg(c.cancelled);
    line += u" | %1 jobs/s"_s.arg(rate, 0, 'f', 1);
    if (rate > 0 && c.done() < c.total)
        line += u" | ETA %1"_s.arg(seconds((c.total - c.done()) / rate));
    line += u" | %1"_s.arg(seconds(elapsed));
    return line;
}

void RunProgress::redraw()
{
    writeErr(u"\r\x1b[K"_s + statusLine());
    m_drawn = true;
}

void RunProgress::onFinished(const PlanJobResult &job)
{
    const auto c = m_runner.counts();
    QString line = u"[%1/%2] %3 %4"_s.arg(c.done()).arg(c.total).arg(job.id, nameOf(job.state));
    if (job.job)
        line += u" in %1 ms"_s.arg(job.durationMs);
    if (job.state != PlanJobState::Succeeded && !job.error.message.isEmpty())
        line += u": "_s + job.error.message;
    if (!m_terminal) {
        writeErr(line + u'\n');
        return;
    }
    // On a terminal only what went wrong scrolls; the rest shows in the live line.
    if (job.state != PlanJobState::Succeeded)
        writeErr(u"\r\x1b[K"_s + line + u'\n');
}

void RunProgress::finish()
{
    if (!m_terminal)
        return;
    m_timer->stop();
    redraw();
    writeErr(u"\n"_s);
}

} // namespace coroute::cli
