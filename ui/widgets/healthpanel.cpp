#include "widgets/healthpanel.h"

#include "models/statestyle_p.h"

#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

using namespace Qt::StringLiterals;

namespace coroute {

namespace detail {

struct HealthCharts
{
    QLineSeries *runtimeLag = nullptr;
    QLineSeries *guiLag = nullptr;
    QLineSeries *throughput = nullptr;
    QValueAxis *lagX = nullptr;
    QValueAxis *lagY = nullptr;
    QValueAxis *rateX = nullptr;
    QValueAxis *rateY = nullptr;
};

} // namespace detail

namespace {

constexpr double windowS = 60;
constexpr int tickMs = 500;

QChartView *makeChart(QWidget *parent, const QString &title, QValueAxis *&x, QValueAxis *&y, const QString &yTitle)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    const QPalette pal = parent->palette();
    // Palette roles, so the charts read in light and dark themes alike.
    chart->setBackgroundBrush(pal.base());
    chart->setTitleBrush(pal.text());
    chart->legend()->setLabelColor(pal.color(QPalette::Text));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    x = new QValueAxis;
    y = new QValueAxis;
    x->setTitleText(u"seconds"_s);
    y->setTitleText(yTitle);
    for (auto *axis : {x, y}) {
        axis->setLabelsBrush(pal.text());
        axis->setTitleBrush(pal.text());
        QColor grid = pal.color(QPalette::Mid);
        grid.setAlpha(90);
        axis->setGridLineColor(grid);
        axis->setLabelFormat(u"%.0f"_s);
    }
    y->setRange(0, 20);
    x->setRange(-windowS, 0);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto *view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    return view;
}

QLineSeries *addSeries(QChartView *view, QValueAxis *x, QValueAxis *y, const QString &name, const QColor &color)
{
    auto *s = new QLineSeries;
    s->setName(name);
    s->setPen(QPen(color, 2));
    view->chart()->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    return s;
}

void trim(QLineSeries *s, double from)
{
    int drop = 0;
    while (drop < s->count() && s->at(drop).x() < from)
        ++drop;
    if (drop)
        s->removePoints(0, drop);
}

double maxY(const QLineSeries *s)
{
    double m = 0;
    for (int i = 0; i < s->count(); ++i)
        m = qMax(m, s->at(i).y());
    return m;
}

} // namespace

HealthPanel::HealthPanel(QWidget *parent) : QWidget(parent), d(std::make_unique<detail::HealthCharts>())
{
    auto *lag = makeChart(this, u"Event-loop lag"_s, d->lagX, d->lagY, u"ms"_s);
    d->runtimeLag = addSeries(lag, d->lagX, d->lagY, u"runtime thread"_s, detail::stateColor(JobState::Running));
    d->guiLag = addSeries(lag, d->lagX, d->lagY, u"GUI thread"_s, detail::stateColor(JobState::TimedOut));
    auto *rate = makeChart(this, u"Throughput"_s, d->rateX, d->rateY, u"jobs/s"_s);
    d->throughput = addSeries(rate, d->rateX, d->rateY, u"finished jobs per second"_s,
                              detail::stateColor(JobState::Succeeded));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(lag, 1);
    layout->addWidget(rate, 1);
    m_clock.start();
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &HealthPanel::tick);
    timer->start(tickMs);
}

HealthPanel::~HealthPanel() = default;

void HealthPanel::addRuntimeLag(double ms)
{
    m_runtimeWorst = qMax(m_runtimeWorst, ms);
}

void HealthPanel::addGuiLag(double ms)
{
    m_guiWorst = qMax(m_guiWorst, ms);
}

void HealthPanel::setFinishedTotal(qint64 total)
{
    m_finished = total;
}

void HealthPanel::tick()
{
    const qint64 nowMs = m_clock.elapsed();
    const double t = double(nowMs) / 1000.0;
    d->runtimeLag->append(t, m_runtimeWorst);
    d->guiLag->append(t, m_guiWorst);
    const double dt = double(nowMs - m_lastTickMs) / 1000.0;
    if (dt > 0)
        d->throughput->append(t, double(m_finished - m_finishedAtLastTick) / dt);
    m_finishedAtLastTick = m_finished;
    m_lastTickMs = nowMs;
    m_runtimeWorst = m_guiWorst = 0;
    for (auto *s : {d->runtimeLag, d->guiLag, d->throughput})
        trim(s, t - windowS);
    d->lagX->setRange(t - windowS, t);
    d->rateX->setRange(t - windowS, t);
    d->lagY->setRange(0, qMax(20.0, std::ceil(qMax(maxY(d->runtimeLag), maxY(d->guiLag)) * 1.15)));
    d->rateY->setRange(0, qMax(10.0, std::ceil(maxY(d->throughput) * 1.15)));
}

} // namespace coroute
