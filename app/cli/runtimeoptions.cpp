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
    addHistoryOption(parser);
}

void addHistoryOption(QCommandLineParser &parser)
{
    parser.addOption({u"db"_s, u"The history database (default: %1)."_s.arg(HistoryStore::defaultPath()), u"file"_s});
}

std::unique_ptr<HistoryStore> openHistory(const QCommandLineParser &parser, bool *failed)
{
    *failed = false;
    const bool explicitPath = parser.isSet(u"db"_s);
    const QString path = explicitPath ? parser.value(u"db"_s) : HistoryStore::defaultPath();
    QString error;
    auto store = HistoryStore::open(path, &error);
    if (!store) {
        printError(error);
        *failed = explicitPath;
        if (!explicitPath)
            printError(u"going on without a history"_s);
    }
    return store;
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
