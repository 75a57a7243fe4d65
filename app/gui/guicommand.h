#pragma once

#include <QStringList>

namespace coroute::gui {

/// Whether `coroute` with these arguments needs a QApplication (the inspector or the
/// gui-lag bench) rather than a QCoreApplication.
bool needsGuiApplication(int argc, char **argv);
/// Whether a display is available: QT_QPA_PLATFORM set, or DISPLAY / WAYLAND_DISPLAY.
bool hasDisplay();

/// Tunes the C allocator for a process that shows the inspector: glibc's fastbins off, so that
/// the many small objects the GUI thread frees coalesce as they are freed rather than all at
/// once in the next large allocation. Call before the window exists. No-op elsewhere.
void tuneAllocatorForGui();

/// coroute gui [--plan FILE] [--screenshot FILE.png --after MS] [--demo] [--db FILE] [--root DIR]...
/// Runs the inspector until its window closes (or the screenshot is saved).
int guiCommand(const QStringList &args);

} // namespace coroute::gui
