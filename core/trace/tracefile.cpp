#include "trace/tracefile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace coroute {

bool writeTraceFile(const QString &path, const QJsonObject &doc, QString *error)
{
    const auto fail = [&](const QString &why) {
        if (error)
            *error = u"cannot write trace file %1: %2"_s.arg(QDir::toNativeSeparators(path), why);
        return false;
    };
    if (path.isEmpty())
        return fail(u"no path given"_s);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        const QFileInfo dir(QFileInfo(path).absolutePath());
        if (!dir.exists())
            return fail(u"the folder %1 does not exist"_s.arg(QDir::toNativeSeparators(dir.filePath())));
        return fail(file.errorString());
    }
    const QByteArray bytes = QJsonDocument(doc).toJson(QJsonDocument::Compact);
    if (file.write(bytes) != bytes.size()) {
        const auto why = file.errorString();
        file.cancelWriting();
        return fail(why);
    }
    if (!file.commit())
        return fail(file.errorString());
    if (error)
        error->clear();
    return true;
}

} // namespace coroute
