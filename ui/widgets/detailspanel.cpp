#include "widgets/detailspanel.h"

#include "models/statestyle_p.h"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

QString scalarText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return u"null"_s;
    case QJsonValue::Bool: return v.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double: return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    case QJsonValue::String: return u"\"%1\""_s.arg(v.toString());
    case QJsonValue::Undefined: return u"—"_s;
    case QJsonValue::Array: return u"[%1 items]"_s.arg(v.toArray().size());
    case QJsonValue::Object: return u"{%1 keys}"_s.arg(v.toObject().size());
    }
    return {};
}

QTreeWidgetItem *section(QTreeWidget *tree, const QString &name, const QString &summary = {})
{
    auto *item = new QTreeWidgetItem(tree, {name, summary});
    QFont f = item->font(0);
    f.setBold(true);
    item->setFont(0, f);
    item->setFirstColumnSpanned(false);
    return item;
}

QString timeText(qint64 ms)
{
    return ms ? QDateTime::fromMSecsSinceEpoch(ms).toString(u"HH:mm:ss.zzz"_s) : QString();
}

} // namespace

DetailsPanel::DetailsPanel(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(u"detailsTree"_s);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({u"Field"_s, u"Value"_s});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_tree->setColumnWidth(0, 200);
    m_tree->setAlternatingRowColors(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_tree, 1);
    clear();
}

void DetailsPanel::clear()
{
    m_job = 0;
    m_title->setText(u"Select a job to see its details."_s);
    m_tree->clear();
}

void DetailsPanel::addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value)
{
    auto *item = new QTreeWidgetItem(parent, {key, scalarText(value)});
    item->setToolTip(1, item->text(1));
    if (value.isObject()) {
        const auto o = value.toObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            addJson(item, it.key(), *it);
    } else if (value.isArray()) {
        const auto a = value.toArray();
        // Huge arrays stay browsable without building thousands of items.
        const int shown = int(qMin<qsizetype>(a.size(), 500));
        for (int i = 0; i < shown; ++i)
            addJson(item, u"[%1]"_s.arg(i), a.at(i));
        if (a.size() > shown)
            new QTreeWidgetItem(item, {u"…"_s, u"%1 more"_s.arg(a.size() - shown)});
    }
}

void DetailsPanel::showJob(const JobInfo &j, const QList<LogEntry> &logs, const QList<SpanData> &spans)
{
    const bool same = m_job == j.id;
    QSet<QString> expanded;
    if (same) {
        for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
            if (m_tree->topLevelItem(i)->isExpanded())
                expanded.insert(m_tree->topLevelItem(i)->text(0));
        }
    }
    m_job = j.id;
    const QString color = detail::stateColor(j.state).name();
    m_title->setText(u"<b>#%1 %2</b> &nbsp; <span style='color:%3'>%4</span>"_s.arg(j.id)
                         .arg(j.displayName().toHtmlEscaped(), color, nameOf(j.state)));
    m_tree->setUpdatesEnabled(false);
    m_tree->clear();

    auto *job = section(m_tree, u"Job"_s);
    const auto row = [&](QTreeWidgetItem *parent, const QString &k, const QString &v) {
        if (!v.isEmpty())
            new QTreeWidgetItem(parent, {k, v});
    };
    row(job, u"route"_s, j.method + u' ' + j.route);
    row(job, u"state"_s, nameOf(j.state));
    row(job, u"parent"_s, j.parent ? u"#%1"_s.arg(j.parent) : QString());
    row(job, u"started in background by"_s, j.linkedFrom ? u"#%1"_s.arg(j.linkedFrom) : QString());
    row(job, u"kind"_s, nameOf(j.kind));
    row(job, u"runs on"_s, nameOf(j.executor));
    row(job, u"created"_s, timeText(j.createdMs));
    row(job, u"started"_s, timeText(j.startedMs));
    row(job, u"finished"_s, timeText(j.finishedMs));
    row(job, u"duration"_s, j.startedMs ? u"%1 ms"_s.arg(j.durationMs(QDateTime::currentMSecsSinceEpoch())) : QString());
    row(job, u"queued on a limit"_s, j.queuedMs ? u"%1 ms"_s.arg(j.queuedMs) : QString());
    row(job, u"attempts"_s, j.attempts > 1 ? QString::number(j.attempts) : QString());
    row(job, u"progress"_s, j.progress >= 0 ? u"%1% %2"_s.arg(qRound(j.progress * 100)).arg(j.progressText) : QString());
    row(job, u"waiting on"_s, j.waitingOn);
    if (j.cancelReason != CancelReason::None)
        row(job, u"cancelled"_s, u"%1 by %2"_s.arg(nameOf(j.cancelReason), j.cancelledBy));
    for (const auto &w : j.warnings)
        row(job, u"warning"_s, w);

    auto *params = section(m_tree, u"Parameters"_s, scalarText(j.params));
    for (auto it = j.params.constBegin(); it != j.params.constEnd(); ++it)
        addJson(params, it.key(), *it);
    if (!j.body.isUndefined() && !j.body.isNull()) {
        auto *body = section(m_tree, u"Body"_s, scalarText(j.body));
        if (j.body.isObject() || j.body.isArray()) {
            const auto add = [&](const QJsonValue &v) { addJson(body, u"body"_s, v); };
            add(j.body);
        }
    }
    if (j.state == JobState::Succeeded) {
        auto *result = section(m_tree, u"Result"_s, scalarText(j.result.toJson()));
        addJson(result, u"result"_s, j.result.toJson());
    }
    if (!j.error.isNull()) {
        auto *error = section(m_tree, u"Error"_s, j.error.message);
        row(error, u"status"_s, QString::number(j.error.status));
        row(error, u"type"_s, j.error.type);
        row(error, u"message"_s, j.error.message);
        if (!j.error.detail.isUndefined() && !j.error.detail.isNull())
            addJson(error, u"detail"_s, j.error.detail);
    }
    auto *logItem = section(m_tree, u"Logs"_s, QString::number(logs.size()));
    for (const auto &l : logs) {
        auto *item = new QTreeWidgetItem(logItem, {timeText(l.timeMs) + u' ' + nameOf(l.level), l.message});
        item->setToolTip(1, l.message);
        if (l.level == LogLevel::Warning || l.level == LogLevel::Error)
            item->setForeground(1, detail::stateColor(l.level == LogLevel::Error ? JobState::Failed : JobState::TimedOut));
    }
    auto *spanItem = section(m_tree, u"Spans"_s, QString::number(spans.size()));
    for (const auto &s : spans) {
        const qint64 ns = s.endNs ? s.endNs - s.startNs : 0;
        auto *item = new QTreeWidgetItem(spanItem, {s.name, u"%1 ms, %2 on %3"_s.arg(double(ns) / 1e6, 0, 'f', 3)
                                                                 .arg(nameOf(s.status), s.thread)});
        item->setForeground(1, detail::stateColor(s.status == SpanStatus::Error       ? JobState::Failed
                                                  : s.status == SpanStatus::Cancelled ? JobState::Cancelled
                                                                                      : JobState::Succeeded));
        const auto attributes = s.allAttributes();
        for (auto it = attributes.constBegin(); it != attributes.constEnd(); ++it)
            addJson(item, it.key(), *it);
        for (const auto &e : s.events)
            addJson(item, u"event: "_s + e.name, e.attributes);
    }

    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        auto *item = m_tree->topLevelItem(i);
        const QString name = item->text(0);
        const bool open = same ? expanded.contains(name)
                               : (name != u"Spans"_s && name != u"Logs"_s) || (name == u"Logs"_s && logs.size() < 20);
        item->setExpanded(open);
        if (open && (name == u"Result"_s || name == u"Parameters"_s || name == u"Error"_s || name == u"Body"_s)) {
            for (int c = 0; c < item->childCount(); ++c)
                item->child(c)->setExpanded(item->child(c)->childCount() < 50);
        }
    }
    m_tree->setUpdatesEnabled(true);
}

} // namespace coroute
