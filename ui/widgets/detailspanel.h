#pragma once

#include "runtime/jobinfo.h"

#include <QWidget>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace coroute {

/// The Details tab: one job's request, parameters, result (pretty JSON, collapsible), error,
/// logs and spans.
class DetailsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DetailsPanel(QWidget *parent = nullptr);

    /// Shows a job; logs and spans as known so far.
    void showJob(const JobInfo &job, const QList<LogEntry> &logs, const QList<SpanData> &spans);
    void clear();
    JobId jobId() const { return m_job; }
    QTreeWidget *tree() const { return m_tree; }

    /// Adds a JSON value as children of parent (objects and arrays expand, scalars are leaves).
    static void addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value);

private:
    QLabel *m_title;
    QTreeWidget *m_tree;
    JobId m_job = 0;
};

} // namespace coroute
