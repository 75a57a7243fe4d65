#pragma once

#include "jobs/builtins.h"

#include <optional>

class QCommandLineParser;

namespace coroute::cli {

/// Adds the options of every command that runs jobs: --root DIR (repeatable).
void addRuntimeOptions(QCommandLineParser &parser);
/// The built-ins' configuration from those options, or nothing (after printing why) when
/// an option is invalid.
std::optional<BuiltinsConfig> builtinsConfig(const QCommandLineParser &parser);

} // namespace coroute::cli
