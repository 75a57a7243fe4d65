#include "widgets/routespanel.h"

#include "models/statestyle_p.h"
#include "runtimehost.h"
#include "widgets/routeform.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMap>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr int RouteIndexRole = Qt::UserRole + 1;

QString prefixOf(const QString &path)
{
    const int second = path.indexOf(u'/', 1);
    return second > 0 ? path.left(second) : u"/"_s;
}

QString policyText(const QJsonObject &policy)
{
    QStringList parts;
    parts << u"runs on the %1"_s.arg(policy.value(u"executor"_s).toString());
    if (policy.contains(u"timeout_ms"_s))
        parts << u"timeout %1 ms"_s.arg(policy.value(u"timeout_ms"_s).toInteger());
    const auto retry = policy.value(u"retry"_s).toObject();
    if (retry.value(u"attempts"_s).toInt() > 1)
        parts << u"%1 attempts, backoff from %2 ms"_s.arg(retry.value(u"attempts"_s).toInt())
                     .arg(retry.value(u"initial_backoff_ms"_s).toInteger());
    if (policy.contains(u"limit"_s))
        parts << u"limit \"%1\""_s.arg(policy.value(u"limit"_s).toString());
    return parts.join(u", "_s);
}

} // namespace

RoutesPanel::RoutesPanel(RuntimeHost *host, const QJsonArray &routes, QWidget *parent)
    : QWidget(parent), m_host(host), m_routes(routes)
{
    m_list = new QTreeWidget(this);
    m_list->setObjectName(u"routeList"_s);
    m_list->setHeaderLabels({u"Route"_s, u"Summary"_s});
    m_list->setColumnWidth(0, 220);
    QMap<QString, QTreeWidgetItem *> groups;
    for (int i = 0; i < routes.size(); ++i) {
        const auto r = routes[i].toObject();
        const QString path = r.value(u"path"_s).toString();
        const QString prefix = prefixOf(path);
        auto *&group = groups[prefix];
        if (!group) {
            group = new QTreeWidgetItem(m_list, {prefix});
            QFont f = group->font(0);
            f.setBold(true);
            group->setFont(0, f);
            group->setFlags(Qt::ItemIsEnabled);
        }
        auto *item = new QTreeWidgetItem(group, {r.value(u"method"_s).toString() + u' ' + path,
                                                 r.value(u"summary"_s).toString()});
        item->setData(0, RouteIndexRole, i);
        item->setToolTip(1, r.value(u"summary"_s).toString());
    }
    m_list->expandAll();

    m_doc = new QLabel(this);
    m_doc->setWordWrap(true);
    m_doc->setTextFormat(Qt::RichText);
    m_doc->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_doc->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_formArea = new QScrollArea(this);
    m_formArea->setWidgetResizable(true);
    m_formArea->setFrameShape(QFrame::NoFrame);
    m_run = new QPushButton(u"Run"_s, this);
    m_run->setObjectName(u"runButton"_s);
    m_run->setDefault(true);
    m_runMany = new QPushButton(u"Run ×N"_s, this);
    m_runMany->setObjectName(u"runManyButton"_s);
    m_times = new QSpinBox(this);
    m_times->setObjectName(u"runTimes"_s);
    m_times->setRange(1, 100000);
    m_times->setValue(10);
    m_times->setPrefix(u"N = "_s);
    m_status = new QLabel(this);
    m_status->setObjectName(u"runStatus"_s);
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addSpacing(12);
    buttons->addWidget(m_times);
    buttons->addWidget(m_runMany);
    buttons->addStretch(1);
    auto *right = new QWidget(this);
    auto *rl = new QVBoxLayout(right);
    rl->addWidget(m_doc);
    rl->addWidget(m_formArea, 1);
    rl->addLayout(buttons);
    rl->addWidget(m_status);

    auto *split = new QSplitter(this);
    split->addWidget(m_list);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    split->setSizes({240, 320});
    m_list->setMinimumWidth(200); // route paths stay readable when the dock is narrow
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item && item->data(0, RouteIndexRole).isValid())
            showRoute(m_routes[item->data(0, RouteIndexRole).toInt()].toObject());
    });
    connect(m_run, &QPushButton::clicked, this, [this] { run(1); });
    connect(m_runMany, &QPushButton::clicked, this, [this] { run(m_times->value()); });
    connect(m_times, &QSpinBox::valueChanged, this, [this](int n) { m_runMany->setText(u"Run ×%1"_s.arg(n)); });
    m_runMany->setText(u"Run ×%1"_s.arg(m_times->value()));
    if (m_host) {
        connect(m_host, &RuntimeHost::refused, this, [this](const QString &request, const QJsonObject &error) {
            m_status->setText(u"<span style='color:%1'>%2 refused: %3</span>"_s.arg(
                detail::stateColor(JobState::Failed).name(), request.toHtmlEscaped(),
                QString::fromUtf8(QJsonDocument(error).toJson(QJsonDocument::Compact)).toHtmlEscaped()));
        });
        connect(m_host, &RuntimeHost::submitted, this, [this](const QList<JobId> &ids) {
            m_status->setText(ids.size() == 1 ? u"Submitted job #%1."_s.arg(ids.first())
                                              : u"Submitted %1 jobs (#%2 … #%3)."_s.arg(ids.size()).arg(ids.first()).arg(ids.last()));
        });
    }
    m_doc->setText(u"Pick a route on the left to build its form."_s);
    updateButtons();
}

bool RoutesPanel::selectRoute(const QString &method, const QString &pathTemplate)
{
    const QString text = method + u' ' + pathTemplate;
    for (int g = 0; g < m_list->topLevelItemCount(); ++g) {
        auto *group = m_list->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i) {
            if (group->child(i)->text(0) == text) {
                m_list->setCurrentItem(group->child(i));
                return true;
            }
        }
    }
    return false;
}

void RoutesPanel::showRoute(const QJsonObject &route)
{
    QString doc = u"<h3>%1 %2</h3>"_s.arg(route.value(u"method"_s).toString(),
                                         route.value(u"path"_s).toString().toHtmlEscaped());
    if (!route.value(u"summary"_s).toString().isEmpty())
        doc += u"<p><b>%1</b></p>"_s.arg(route.value(u"summary"_s).toString().toHtmlEscaped());
    if (!route.value(u"description"_s).toString().isEmpty())
        doc += u"<p>%1</p>"_s.arg(route.value(u"description"_s).toString().toHtmlEscaped());
    doc += u"<p><i>%1 handler; %2</i></p>"_s.arg(route.value(u"kind"_s).toString(),
                                               policyText(route.value(u"policy"_s).toObject()));
    m_doc->setText(doc);
    delete m_form;
    m_form = new RouteForm(route, m_formArea);
    m_form->setObjectName(u"routeForm"_s);
    m_formArea->setWidget(m_form);
    connect(m_form, &RouteForm::validityChanged, this, &RoutesPanel::updateButtons);
    m_status->clear();
    updateButtons();
}

void RoutesPanel::updateButtons()
{
    const bool ok = m_host && m_form && m_form->isValid();
    m_run->setEnabled(ok);
    m_runMany->setEnabled(ok);
}

void RoutesPanel::run(int times)
{
    if (!m_form || !m_host)
        return;
    const auto request = m_form->request();
    if (!request) {
        m_status->setText(u"Not submitted: "_s + m_form->errors().join(u"; "_s));
        return;
    }
    m_host->submit(*request, times);
}

} // namespace coroute
