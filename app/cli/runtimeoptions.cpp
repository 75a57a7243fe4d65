#include "cli/runtimeoptions.h"

#include "cli/output.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace coroute::cli {

void addRuntimeOptions(QCommandLineParser &parser)
{
    parser.addOption({u"root"_s, u"A folder /fs and /db jobs may use (repeatable; default: the current folder)."_s,
                      u"dir"_s});
}

std::optional<BuiltinsConfig> builtinsConfig(const QCommandLineParser &parser)
{
    BuiltinsConfig config;
    for (const auto &root : parser.values(u"root"_s)) {
        const QFileInfo info(root);
        if (!info.isDir()) {
            printError(u"--root %1: not a folder"_s.arg(root));
            return std::nullopt;
        }
        config.roots << info.canonicalFilePath();
    }
    if (config.roots.isEmpty())
        config.roots << QDir::currentPath();
    return config;
}

} // namespace coroute::cli
