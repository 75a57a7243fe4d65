#include "bench/benchhistory.h"
#include "bench/workloads.h"

#include "jobs/builtins.h"
#include "router/router.h"
#include "runtime/callrequest.h"
#include "runtime/context.h"
#include "runtime/runtime.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QThreadPool>

#include <openssl/sha.h>

#include <vector>

using namespace Qt::StringLiterals;

namespace coroute::bench {

namespace {

constexpr qint64 defaultN = 64;
constexpr qint64 mib = 1024 * 1024;

struct Entry
{
    QString path;     // absolute
    QString expected; // lowercase sha256 hex
    qint64 bytes = 0;
};

QString sha256Hex(const QByteArray &data)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(data.constData()), size_t(data.size()), digest);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(digest), SHA256_DIGEST_LENGTH).toHex());
}

// Writes n files of random bytes into folder and answers their digests.
std::vector<Entry> makeFiles(const QString &folder, qint64 n, qint64 bytes, QString &failure)
{
    std::vector<Entry> entries;
    QByteArray data(bytes, Qt::Uninitialized);
    for (qint64 i = 0; i < n; ++i) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        const QString path = QDir(folder).filePath(u"file-%1.bin"_s.arg(i, 2, 10, QLatin1Char('0')));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size()) {
            failure = u"cannot write %1: %2"_s.arg(path, file.errorString());
            return {};
        }
        entries.push_back({path, sha256Hex(data), bytes});
    }
    return entries;
}

// Reads "<sha256 hex>\t<path>" lines; relative paths are relative to the manifest's folder.
std::vector<Entry> readManifest(const QString &manifest, QString &failure)
{
    QFile file(manifest);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        failure = u"cannot read the manifest %1: %2"_s.arg(manifest, file.errorString());
        return {};
    }
    const QDir base = QFileInfo(manifest).absoluteDir();
    std::vector<Entry> entries;
    int lineNo = 0;
    while (!file.atEnd()) {
        ++lineNo;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty())
            continue;
        const auto tab = line.indexOf(u'\t');
        const QString hex = line.left(tab).trimmed().toLower();
        if (tab < 0 || hex.size() != 64) {
            failure = u"manifest line %1: expected \"<sha256 hex>\\t<path>\""_s.arg(lineNo);
            return {};
        }
        entries.push_back({QFileInfo(base.absoluteFilePath(line.mid(tab + 1))).absoluteFilePath(), hex, 0});
    }
    if (entries.empty())
        failure = u"the manifest %1 lists no files"_s.arg(manifest);
    return entries;
}

// Reads every file once so the timed region hashes from the page cache.
void warm(std::vector<Entry> &entries, QString &failure)
{
    QByteArray buffer(mib, Qt::Uninitialized);
    for (auto &e : entries) {
        QFile file(e.path);
        if (!file.open(QIODevice::ReadOnly)) {
            failure = u"cannot read %1: %2"_s.arg(e.path, file.errorString());
            return;
        }
        e.bytes = 0;
        for (qint64 got; (got = file.read(buffer.data(), buffer.size())) > 0;)
            e.bytes += got;
    }
}

} // namespace

QCoro::Task<void> runFiles(BenchOptions options, BenchReport &report)
{
    QTemporaryDir temp;
    QString failure;
    std::vector<Entry> entries;
    if (options.manifest.isEmpty()) {
        const qint64 n = options.n > 0 ? options.n : defaultN;
        if (!temp.isValid())
            failure = u"cannot make a temporary folder: "_s + temp.errorString();
        else
            entries = makeFiles(temp.path(), n, options.fileMb * mib, failure);
    } else {
        entries = readManifest(options.manifest, failure);
    }
    if (failure.isEmpty())
        warm(entries, failure);
    beginReport(report, options, options.manifest.isEmpty() ? u"sha256_temp"_s : u"sha256_manifest"_s,
                qint64(entries.size()));
    if (!failure.isEmpty()) {
        report.fail(failure);
        co_return;
    }

    // The sandbox's roots: every folder a file lies in.
    QSet<QString> folders;
    qint64 totalBytes = 0;
    for (const auto &e : entries) {
        folders.insert(QFileInfo(e.path).absolutePath());
        totalBytes += e.bytes;
    }
    Runtime runtime;
    BenchHistory history(runtime, options, report, u"w5"_s);
    registerBuiltins(runtime, {.roots = QStringList(folders.begin(), folders.end())});
    if (runtime.pool().maxThreadCount() < 2)
        runtime.pool().setMaxThreadCount(2); // two cores hash at once, even where Qt counts one
    std::vector<CallRequest> requests;
    requests.reserve(entries.size());
    for (const auto &e : entries)
        requests.push_back({u"GET"_s, u"/fs/hash"_s, QJsonObject{{u"path"_s, e.path}, {u"algo"_s, u"sha256"_s}},
                            QJsonValue(QJsonValue::Undefined)});
    std::vector<JobId> ids;
    ids.reserve(entries.size());
    qint64 refused = 0;
    const auto before = readMemory();

    const double t0 = nowSeconds();
    for (const auto &request : requests) {
        const auto submission = runtime.submit(request);
        ids.push_back(submission.id);
        refused += submission.accepted() ? 0 : 1;
    }
    std::vector<JobInfo> done;
    done.reserve(ids.size());
    for (const auto id : ids) {
        if (id)
            done.push_back(co_await runtime.wait(id));
        else
            done.emplace_back();
    }
    const double wall = nowSeconds() - t0;

    report.setRounded(u"wall_s"_s, wall, 6);
    report.setRounded(u"mb_s"_s, double(totalBytes) / 1e6 / wall, 1);
    report.set(u"bytes"_s, totalBytes);
    report.set(u"pool_threads"_s, runtime.pool().maxThreadCount());
    endReport(report, before);
    if (refused)
        report.fail(u"%1 requests refused"_s.arg(refused));
    qint64 wrong = 0;
    QString first;
    for (size_t i = 0; i < entries.size(); ++i) {
        const auto &info = done[i];
        QString problem;
        if (info.state != JobState::Succeeded)
            problem = u"%1: %2"_s.arg(entries[i].path, info.error.message);
        else if (info.result.toJson()[u"hex"_s].toString() != entries[i].expected)
            problem = u"%1: digest %2, expected %3"_s.arg(entries[i].path, info.result.toJson()[u"hex"_s].toString(),
                                                          entries[i].expected);
        if (!problem.isEmpty() && !wrong++)
            first = problem;
    }
    if (wrong)
        report.fail(u"%1 files not hashed as expected, first: %2"_s.arg(wrong).arg(first));
}

} // namespace coroute::bench
