#pragma once

#include <QObject>

class QTimer;

namespace coroute {
class PlanRunner;
struct PlanJobResult;
}

namespace coroute::cli {

/// The progress of `coroute run` on stderr. On a terminal: one line redrawn in place (done /
/// running / pending / failed, rate, ETA) at most 10 times a second, failures printed above
/// it. Otherwise: one plain line per finished job, "[12/40] save succeeded in 35 ms".
class RunProgress : public QObject
{
    Q_OBJECT
public:
    RunProgress(PlanRunner &runner, bool terminal, QObject *parent = nullptr);
    /// Draws the final state and ends the live line.
    void finish();

private:
    void onFinished(const PlanJobResult &job);
    void redraw();
    QString statusLine() const;

    PlanRunner &m_runner;
    bool m_terminal;
    bool m_drawn = false;
    QTimer *m_timer = nullptr;
};

} // namespace coroute::cli
