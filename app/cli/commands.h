#pragma once

#include <QStringList>

namespace coroute::cli {

// Each command takes its own arguments (the command name first) and returns an exit code.

/// coroute routes [--json|--openapi]
int routesCommand(const QStringList &args);
/// coroute call METHOD PATH [--query k=v]... [--body JSON] [--timeout MS] [--trace FILE] [--pretty]
int callCommand(const QStringList &args);
/// coroute run PLAN.json [--concurrency N] [--jsonl] [--trace FILE] [--pretty]
int runCommand(const QStringList &args);
/// coroute serve [--listen HOST:PORT] [--token T] [--allow-remote] [--max-body BYTES]  (app/serve)
int serveCommand(const QStringList &args);
/// coroute bench WORKLOAD [--mode routed|bare] [--n N] [--no-store]  (app/bench)
int benchCommand(const QStringList &args);

/// coroute history runs|jobs RUN|job RUN:ID|prune [--json] [--db FILE]
int historyCommand(const QStringList &args);

/// coroute trace export --run ID --format chrome|otlp -o FILE [--db FILE]
int traceCommand(const QStringList &args);

/// Prints the top-level usage to stdout.
void printUsage();

} // namespace coroute::cli
