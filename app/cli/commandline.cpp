#include "cli/commandline.h"

#include "cli/exitcode.h"
#include "cli/output.h"

#include <QCommandLineParser>
#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace coroute::cli {

std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args)
{
    if (!parser.parse(args)) {
        printError(parser.errorText());
        return Usage;
    }
    if (parser.isSet(u"help"_s)) {
        // Qt names the executable's path in the usage line; name the command instead.
        QString help = parser.helpText();
        const QString exe = QCoreApplication::arguments().value(0);
        if (!args.isEmpty() && !exe.isEmpty() && help.startsWith(u"Usage: "_s + exe))
            help.replace(7, exe.size(), args.first());
        printLine(help);
        return Success;
    }
    return std::nullopt;
}

} // namespace coroute::cli
