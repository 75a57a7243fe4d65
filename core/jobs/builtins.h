#pragma once

#include <QStringList>

namespace coroute {

class Runtime;

/// Settings of the built-in route modules, filled from the command line or by an embedder.
struct BuiltinsConfig
{
    /// Folders /fs and /db may touch; paths are relative to them. Empty: the current folder.
    QStringList roots;
};

/// Registers the built-in route modules (/sys, /demo, and the local jobs) and the services
/// they need on the runtime.
void registerBuiltins(Runtime &runtime, const BuiltinsConfig &config = {});

} // namespace coroute
