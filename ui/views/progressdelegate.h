#pragma once

#include <QStyledItemDelegate>

namespace coroute {

/// Paints JobTreeModel::ProgressRole (0..1) as a progress bar with ProgressTextRole on it;
/// unknown progress (-1) paints as plain text.
class ProgressDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace coroute
