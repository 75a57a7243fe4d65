#pragma once

#include <QJsonArray>
#include <QWidget>

class QLabel;
class QPushButton;
class QSpinBox;
class QScrollArea;
class QTreeWidget;

namespace coroute {

class RouteForm;
class RuntimeHost;

/// The Routes tab: routes grouped by prefix with their docs and policies; selecting one
/// builds its typed form; Run submits it once, Run ×N submits it N times. Bad input is
/// refused in the form (Run stays disabled and the problem is shown); nothing is submitted.
class RoutesPanel : public QWidget
{
    Q_OBJECT
public:
    RoutesPanel(RuntimeHost *host, const QJsonArray &routes, QWidget *parent = nullptr);

    /// Selects a route ("GET", "/demo/dashboard"); false if unknown.
    bool selectRoute(const QString &method, const QString &pathTemplate);
    RouteForm *form() const { return m_form; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *runManyButton() const { return m_runMany; }
    QSpinBox *timesBox() const { return m_times; }
    QTreeWidget *routeList() const { return m_list; }

private:
    void showRoute(const QJsonObject &route);
    void run(int times);
    void updateButtons();

    RuntimeHost *m_host;
    QJsonArray m_routes;
    QTreeWidget *m_list;
    QLabel *m_doc;
    QScrollArea *m_formArea;
    RouteForm *m_form = nullptr;
    QPushButton *m_run;
    QPushButton *m_runMany;
    QSpinBox *m_times;
    QLabel *m_status;
};

} // namespace coroute
