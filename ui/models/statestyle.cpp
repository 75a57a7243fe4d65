#include "models/statestyle_p.h"

#include <QPainter>
#include <QPixmap>

#include <array>

namespace coroute::detail {

QColor stateColor(JobState state)
{
    switch (state) {
    case JobState::Pending: return QColor(0x8a, 0x8f, 0x98);
    case JobState::Running: return QColor(0x3b, 0x8e, 0xea);
    case JobState::Cancelling: return QColor(0xd9, 0xa4, 0x06);
    case JobState::Succeeded: return QColor(0x2e, 0xa0, 0x43);
    case JobState::Failed: return QColor(0xe5, 0x48, 0x4d);
    case JobState::Cancelled: return QColor(0xa3, 0x71, 0xf7);
    case JobState::TimedOut: return QColor(0xf0, 0x88, 0x3e);
    case JobState::Interrupted: return QColor(0xb0, 0x6a, 0x3b);
    }
    return QColor(Qt::gray);
}

QIcon stateIcon(JobState state)
{
    static std::array<QIcon, 8> cache;
    auto &icon = cache[size_t(state)];
    if (icon.isNull()) {
        QPixmap pm(16, 16);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        const QColor c = stateColor(state);
        if (isTerminal(state)) {
            p.setPen(Qt::NoPen);
            p.setBrush(c);
            p.drawEllipse(QRectF(2.5, 2.5, 11, 11));
        } else {
            p.setPen(QPen(c, 2.5));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(QRectF(3, 3, 10, 10));
        }
        p.end();
        icon = QIcon(pm);
    }
    return icon;
}

} // namespace coroute::detail
