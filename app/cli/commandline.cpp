#include "cli/commandline.h"

#include "cli/exitcode.h"
#include "cli/output.h"

#include <QCommandLineParser>

using namespace Qt::StringLiterals;

namespace coroute::cli {

std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &args)
{
    if (!parser.parse(args)) {
        printError(parser.errorText());
        return Usage;
    }
    if (parser.isSet(u"help"_s)) {
        printLine(parser.helpText());
        return Success;
    }
    return std::nullopt;
}

} // namespace coroute::cli
