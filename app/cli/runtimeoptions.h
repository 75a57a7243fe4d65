#pragma once

#include "jobs/builtins.h"
#include "store/historystore.h"

#include <memory>

#include <optional>

class QCommandLineParser;

namespace coroute::cli {

/// Adds the options of every command that runs jobs: --root DIR (repeatable), --db FILE.
void addRuntimeOptions(QCommandLineParser &parser);
/// Adds --db FILE alone (commands that only read the history).
void addHistoryOption(QCommandLineParser &parser);
/// The built-ins' configuration from those options, or nothing (after printing why) when
/// an option is invalid.
std::optional<BuiltinsConfig> builtinsConfig(const QCommandLineParser &parser);

/// Opens the history named by --db (or the default file). With an explicit --db that cannot
/// be opened, prints why and returns null with *failed set; the default file failing only
/// warns, and the command goes on without a history.
std::unique_ptr<HistoryStore> openHistory(const QCommandLineParser &parser, bool *failed);

} // namespace coroute::cli
