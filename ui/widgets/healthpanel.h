#pragma once

#include <QElapsedTimer>
#include <QWidget>

namespace coroute {

class HealthPanel;
namespace detail {
struct HealthCharts;
}

/// The Health tab: live line charts (QtCharts) of the event-loop lag of the runtime's thread
/// and of the GUI thread, and of throughput in jobs per second, over the last minute.
class HealthPanel : public QWidget
{
    Q_OBJECT
public:
    explicit HealthPanel(QWidget *parent = nullptr);
    ~HealthPanel() override;

    /// A lag sample of the runtime's loop, in ms (the worst sample per half second is plotted).
    void addRuntimeLag(double ms);
    /// A lag sample of the GUI loop, in ms.
    void addGuiLag(double ms);
    /// The count of finished jobs so far; the panel plots its rate.
    void setFinishedTotal(qint64 total);

private:
    void tick();

    std::unique_ptr<detail::HealthCharts> d;
    QElapsedTimer m_clock;
    double m_runtimeWorst = 0;
    double m_guiWorst = 0;
    qint64 m_finished = 0;
    qint64 m_finishedAtLastTick = 0;
    qint64 m_lastTickMs = 0;
};

} // namespace coroute
