#pragma once

#include <optional>

class QCommandLineParser;
#include <QStringList>

namespace coroute::cli {

/// Parses a command's arguments. Returns the exit code to leave with when the command should
/// not go on: 2 after printing a usage error, 0 after printing --help.
std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args);

} // namespace coroute::cli
