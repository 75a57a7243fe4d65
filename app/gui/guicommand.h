#pragma once

#include <QStringList>

namespace coroute::gui {

/// Whether `coroute` with these arguments needs a QApplication (the inspector or the
/// gui-lag bench) rather than a QCoreApplication.
bool needsGuiApplication(int argc, char **argv);
/// Whether a display is available: QT_QPA_PLATFORM set, or DISPLAY / WAYLAND_DISPLAY.
bool hasDisplay();

/// coroute gui [--plan FILE] [--screenshot FILE.png --after MS] [--demo] [--db FILE] [--root DIR]...
/// Runs the inspector until its window closes (or the screenshot is saved).
int guiCommand(const QStringList &args);

} // namespace coroute::gui
