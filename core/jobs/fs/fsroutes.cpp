#include "jobs/fs/fsroutes.h"

#include "async/pool.h"
#include "jobs/fs/fileroots.h"
#include "jobs/fs/fslog_p.h"
#include "runtime/context.h"
#include "runtime/error.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QStringDecoder>

#include <openssl/evp.h>

#include <QRandomGenerator>

#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <vector>

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

constexpr qint64 chunkSize = 1 << 20;         // 1 MiB: cancellation and progress granularity
constexpr qint64 defaultMaxBytes = 16 << 20;  // 16 MiB
constexpr int listBatch = 256;

QString isoUtc(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QString typeOf(mode_t mode)
{
    if (S_ISLNK(mode))
        return u"symlink"_s;
    if (S_ISDIR(mode))
        return u"dir"_s;
    if (S_ISREG(mode))
        return u"file"_s;
    return u"other"_s;
}

QString isoUtc(const struct timespec &t)
{
    return isoUtc(QDateTime::fromMSecsSinceEpoch(qint64(t.tv_sec) * 1000 + t.tv_nsec / 1000000, Qt::UTC));
}

// "0644": the permission bits of a mode.
QString octal(mode_t mode)
{
    return u"0"_s + QString::number(mode & 0777, 8).rightJustified(3, u'0');
}

/// Closes a descriptor when it goes out of scope.
class Descriptor
{
public:
    explicit Descriptor(int fd) : m_fd(fd) {}
    ~Descriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Q_DISABLE_COPY_MOVE(Descriptor)
    int get() const { return m_fd; }

private:
    int m_fd;
};

[[noreturn]] void ioFailure(const QFileDevice &file, const QString &path, const QString &what)
{
    const bool denied = file.error() == QFileDevice::PermissionsError;
    throw Error(denied ? 403 : 500, denied ? u"permission_denied"_s : u"io_error"_s,
                u"%1 %2: %3"_s.arg(what, path, file.errorString()), QJsonObject{{u"path"_s, path}});
}

/// QSaveFile's promise (a temporary file that replaces the target only on commit()) made safe
/// against a folder swapped for a symlink after FileRoots checked it: the folder is opened once,
/// its descriptor verified to lie inside a root, and the temporary file is created and renamed
/// relative to that descriptor, so no later swap can redirect the write outside the root.
class SafeSaveFile
{
public:
    /// Opens canonical's folder and a fresh temporary file in it. Throws Error.
    SafeSaveFile(const FileRoots &roots, const QString &canonical, const QString &shownPath)
        : m_path(shownPath)
    {
        const QFileInfo target(canonical);
        m_name = QFile::encodeName(target.fileName());
        m_dir = ::open(QFile::encodeName(target.path()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m_dir < 0)
            fail(u"cannot open the folder of"_s);
        roots.checkOpened(m_dir, shownPath);
        for (int attempt = 0; attempt < 16 && m_fd < 0; ++attempt) {
            m_temp = '.' + m_name + '.' + QByteArray::number(QRandomGenerator::global()->generate(), 36) + ".tmp";
            m_fd = ::openat(m_dir, m_temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
            if (m_fd < 0 && errno != EEXIST)
                break;
        }
        if (m_fd < 0)
            fail(u"cannot open for writing"_s);
        struct stat old;
        if (::fstatat(m_dir, m_name.constData(), &old, 0) == 0 && S_ISREG(old.st_mode))
            (void)::fchmod(m_fd, old.st_mode & 07777); // a replaced file keeps its permissions
        m_file.open(m_fd, QIODevice::WriteOnly, QFileDevice::DontCloseHandle);
    }
    ~SafeSaveFile()
    {
        m_file.close();
        if (m_fd >= 0)
            ::close(m_fd);
        if (!m_committed && !m_temp.isEmpty() && m_dir >= 0)
            ::unlinkat(m_dir, m_temp.constData(), 0); // a failure or a cancel leaves the old file
        if (m_dir >= 0)
            ::close(m_dir);
    }
    Q_DISABLE_COPY_MOVE(SafeSaveFile)

    QFile &file() { return m_file; }
    /// Writes everything out and renames the temporary file over the target. Throws Error.
    void commit()
    {
        if (!m_file.flush() || ::fsync(m_fd) != 0)
            ioFailure(m_file, m_path, u"cannot write"_s);
        if (::renameat(m_dir, m_temp.constData(), m_dir, m_name.constData()) != 0)
            fail(u"cannot commit"_s);
        m_committed = true;
    }

private:
    [[noreturn]] void fail(const QString &what) const
    {
        const int e = errno;
        const bool denied = e == EACCES || e == EPERM || e == EROFS;
        throw Error(e == ENOENT ? 404 : denied ? 403 : 500,
                    e == ENOENT ? u"not_found"_s : denied ? u"permission_denied"_s : u"io_error"_s,
                    u"%1 %2: %3"_s.arg(what, m_path, QString::fromLocal8Bit(std::strerror(e))),
                    QJsonObject{{u"path"_s, m_path}});
    }

    QString m_path;
    QByteArray m_name;
    QByteArray m_temp;
    int m_dir = -1;
    int m_fd = -1;
    QFile m_file;
    bool m_committed = false;
};

void requireFile(const ResolvedPath &r, const QString &path)
{
    const QFileInfo info(r.canonical);
    if (info.isDir())
        throw Error(400, u"is_directory"_s, u"%1 is a folder, not a file"_s.arg(path));
    if (!info.isFile())
        throw Error(400, u"not_a_file"_s, u"%1 is not a regular file"_s.arg(path));
}

void reportProgress(const Context &ctx, qint64 done, qint64 total)
{
    if (total > 0)
        ctx.setProgress(double(done) / double(total), u"%1 / %2 bytes"_s.arg(done).arg(total));
}

// Copies src into out chunk by chunk; the token is checked between chunks. Returns the bytes.
qint64 pump(QFile &src, QFileDevice &out, const QString &srcPath, const std::stop_token &token,
            const std::function<void(qint64)> &onChunk)
{
    QByteArray buffer(chunkSize, Qt::Uninitialized);
    qint64 copied = 0;
    for (;;) {
        throwIfCancelled(token);
        const qint64 n = src.read(buffer.data(), chunkSize);
        if (n < 0)
            ioFailure(src, srcPath, u"cannot read"_s);
        if (n == 0)
            return copied;
        if (out.write(buffer.constData(), n) != n)
            ioFailure(out, out.fileName(), u"cannot write"_s);
        copied += n;
        onChunk(copied);
    }
}

// Every handler names its pool work before the co_await: GCC 12 mishandles a capturing lambda
// temporary inside a co_await expression (valgrind showed its captured QString freed by the
// frame while the pool still held it).

// ---- read ------------------------------------------------------------------------------------

QCoro::Task<QJsonObject> readHandler(Context &ctx)
{
    const FileRoots &roots = ctx.files();
    const QString path = ctx.param(u"path"_s).toString();
    const qint64 maxBytes = ctx.param(u"max_bytes"_s).toInteger(defaultMaxBytes);
    // Resolution stats the file system, so it runs on the pool with the read itself.
    auto work = [&ctx, &roots, path, maxBytes](std::stop_token token) -> QJsonObject {
            const auto r = roots.resolveExisting(path);
            requireFile(r, path);
            QFile file(r.canonical);
            const auto tooLarge = [&](qint64 size) {
                return Error(413, u"too_large"_s,
                             u"%1 has %2 bytes, more than max_bytes %3"_s.arg(path).arg(size).arg(maxBytes),
                             QJsonObject{{u"path"_s, path}, {u"bytes"_s, size}, {u"max_bytes"_s, maxBytes}});
            };
            const qint64 size = file.size();
            if (size > maxBytes)
                throw tooLarge(size);
            if (!file.open(QIODevice::ReadOnly))
                ioFailure(file, path, u"cannot open"_s);
            roots.checkOpened(file.handle(), path);
            QByteArray data;
            data.reserve(size);
            for (;;) {
                throwIfCancelled(token);
                const QByteArray chunk = file.read(chunkSize);
                if (chunk.isEmpty()) {
                    if (file.error() != QFileDevice::NoError)
                        ioFailure(file, path, u"cannot read"_s);
                    break;
                }
                data += chunk;
                if (data.size() > maxBytes) // it grew while we read
                    throw tooLarge(data.size());
                reportProgress(ctx, data.size(), size);
            }
            QJsonObject out{{u"path"_s, r.relative}, {u"bytes"_s, qint64(data.size())}};
            QStringDecoder utf8(QStringDecoder::Utf8);
            const QString text = utf8(data);
            // Text only when it round-trips: valid UTF-8 without NUL bytes.
            if (!utf8.hasError() && !data.contains('\0'))
                out.insert(u"text"_s, text);
            else
                out.insert(u"base64"_s, QString::fromLatin1(data.toBase64()));
            return out;
        };
    auto result = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
    co_return result;
}

// ---- hash ------------------------------------------------------------------------------------

// OpenSSL's EVP digests rather than QCryptographicHash: hashing a 256 MiB in-memory buffer in
// 1 MiB updates (-O2, Qt 6.4 and OpenSSL 3 from Debian, x86-64 with SHA-NI, best of 3) gave
// SHA-256 1203 MB/s with EVP against 175 MB/s with QCryptographicHash (portable C, no SHA-NI);
// SHA-1 1195 vs 725 MB/s, MD5 792 vs 769 MB/s.
QCoro::Task<QJsonObject> hashHandler(Context &ctx)
{
    const FileRoots &roots = ctx.files();
    const QString path = ctx.param(u"path"_s).toString();
    const QString algo = ctx.param(u"algo"_s).toString(u"sha256"_s);
    auto work = [&ctx, &roots, path, algo](std::stop_token token) -> QJsonObject {
            const EVP_MD *md = algo == u"sha1"_s ? EVP_sha1() : algo == u"md5"_s ? EVP_md5() : EVP_sha256();
            const auto r = roots.resolveExisting(path);
            requireFile(r, path);
            QFile file(r.canonical);
            if (!file.open(QIODevice::ReadOnly))
                ioFailure(file, path, u"cannot open"_s);
            roots.checkOpened(file.handle(), path);
            const qint64 total = file.size();
            std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
            if (!digest || EVP_DigestInit_ex(digest.get(), md, nullptr) != 1)
                throw Error(500, u"crypto_error"_s, u"cannot start a %1 digest"_s.arg(algo));
            QByteArray buffer(chunkSize, Qt::Uninitialized);
            qint64 done = 0;
            for (;;) {
                throwIfCancelled(token);
                const qint64 n = file.read(buffer.data(), chunkSize);
                if (n < 0)
                    ioFailure(file, path, u"cannot read"_s);
                if (n == 0)
                    break;
                if (EVP_DigestUpdate(digest.get(), buffer.constData(), size_t(n)) != 1)
                    throw Error(500, u"crypto_error"_s, u"%1 digest update failed"_s.arg(algo));
                done += n;
                reportProgress(ctx, done, total);
            }
            unsigned char out[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            if (EVP_DigestFinal_ex(digest.get(), out, &len) != 1)
                throw Error(500, u"crypto_error"_s, u"%1 digest final failed"_s.arg(algo));
            const QByteArray hex = QByteArray(reinterpret_cast<const char *>(out), int(len)).toHex();
            return QJsonObject{{u"path"_s, r.relative}, {u"algo"_s, algo},
                               {u"hex"_s, QString::fromLatin1(hex)}, {u"bytes"_s, done}};
        };
    auto result = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
    co_return result;
}

// ---- write -----------------------------------------------------------------------------------

QCoro::Task<QJsonObject> writeHandler(Context &ctx)
{
    const FileRoots &roots = ctx.files();
    const QString path = ctx.param(u"path"_s).toString();
    const QJsonValue text = ctx.param(u"text"_s);
    const QJsonValue base64 = ctx.param(u"base64"_s);
    const bool append = ctx.param(u"append"_s).toBool(false);
    const bool hasText = !text.isUndefined() && !text.isNull();
    const bool hasBase64 = !base64.isUndefined() && !base64.isNull();
    if (hasText == hasBase64)
        throw Error(422, u"invalid_body"_s, u"give exactly one of text or base64"_s,
                    QJsonObject{{u"text"_s, hasText}, {u"base64"_s, hasBase64}});
    const QString content = hasText ? text.toString() : base64.toString();

    auto work = [&ctx, &roots, path, content, hasText, append](std::stop_token token) -> QJsonObject {
            QByteArray data;
            if (hasText) {
                data = content.toUtf8();
            } else {
                auto decoded = QByteArray::fromBase64Encoding(content.toLatin1(),
                                                              QByteArray::AbortOnBase64DecodingErrors);
                if (!decoded)
                    throw Error(422, u"invalid_body"_s, u"base64 is not valid base64"_s);
                data = std::move(*decoded);
            }
            throwIfCancelled(token);
            const auto r = roots.resolveWritable(path);

            // Everything goes to a temporary file that replaces the target only on commit(): a
            // failure or a cancel before it leaves the old file as it was.
            SafeSaveFile save(roots, r.canonical, path);
            QFile &out = save.file();
            {
                qint64 written = 0;
                qint64 total = data.size();
                std::optional<QFile> old;
                if (append && r.exists) {
                    old.emplace(r.canonical);
                    if (!old->open(QIODevice::ReadOnly))
                        ioFailure(*old, path, u"cannot open"_s);
                    roots.checkOpened(old->handle(), path);
                    total += old->size();
                    written = pump(*old, out, path, token,
                                   [&](qint64 n) { reportProgress(ctx, n, total); });
                }
                for (qint64 at = 0; at < data.size(); at += chunkSize) {
                    throwIfCancelled(token);
                    const qint64 n = qMin(chunkSize, data.size() - at);
                    if (out.write(data.constData() + at, n) != n)
                        ioFailure(out, path, u"cannot write"_s);
                    written += n;
                    reportProgress(ctx, written, total);
                }
                throwIfCancelled(token);
                save.commit(); // until here, a failure or a cancel drops the temporary file
                return QJsonObject{{u"path"_s, r.relative}, {u"bytes"_s, written}};
            }
        };
    auto result = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
    co_return result;
}

// ---- copy ------------------------------------------------------------------------------------

QCoro::Task<QJsonObject> copyHandler(Context &ctx)
{
    const FileRoots &roots = ctx.files();
    const QString from = ctx.param(u"from"_s).toString();
    const QString to = ctx.param(u"to"_s).toString();
    auto work = [&ctx, &roots, from, to](std::stop_token token) -> QJsonObject {
            const auto src = roots.resolveExisting(from);
            requireFile(src, from);
            const auto dst = roots.resolveWritable(to);
            QFile in(src.canonical);
            if (!in.open(QIODevice::ReadOnly))
                ioFailure(in, from, u"cannot open"_s);
            roots.checkOpened(in.handle(), from);
            const qint64 total = in.size();
            SafeSaveFile save(roots, dst.canonical, to);
            const qint64 copied = pump(in, save.file(), from, token, [&](qint64 n) { reportProgress(ctx, n, total); });
            throwIfCancelled(token);
            save.commit();
            return QJsonObject{{u"from"_s, src.relative}, {u"to"_s, dst.relative}, {u"bytes"_s, copied}};
        };
    auto result = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
    co_return result;
}

// ---- list ------------------------------------------------------------------------------------

// Listing and stat go by descriptor, as reads do: the folder is opened by FileRoots::openInside()
// (a walk down from the root that follows no symlink), its entries are read from that
// descriptor (fdopendir) and described with fstatat(AT_SYMLINK_NOFOLLOW), and sub-folders are
// opened relative to their parent with O_NOFOLLOW. A folder swapped for a symlink at any
// moment can make a listing fail or miss entries, never name or measure a file outside.

QJsonObject entryJson(const struct stat &st, const QString &relative)
{
    // A link describes itself (its own size and time): following it could reveal a file outside.
    const qint64 size = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? qint64(st.st_size) : 0;
    return QJsonObject{{u"path"_s, relative}, {u"type"_s, typeOf(st.st_mode)}, {u"size"_s, size},
                       {u"modified"_s, isoUtc(st.st_mtim)}};
}

// Walks one folder on pool threads, a batch at a time, depth first (a folder's entry comes
// before its contents). Only one batch runs at a time, so the open folders are never used by
// two threads at once.
struct DirLister
{
    struct Level
    {
        DIR *dir = nullptr;
        QString relative; // of the folder, to its root ("" for the root itself)
    };

    const FileRoots *roots = nullptr;
    QString path;
    bool recursive = false;
    bool started = false;
    std::vector<Level> levels;

    DirLister() = default;
    Q_DISABLE_COPY_MOVE(DirLister)
    ~DirLister()
    {
        for (const auto &level : levels)
            ::closedir(level.dir);
    }

    void open(int fd, const QString &relative)
    {
        DIR *dir = ::fdopendir(fd);
        if (!dir) {
            ::close(fd);
            return;
        }
        levels.push_back({dir, relative});
    }

    std::vector<QJsonObject> next(const std::stop_token &token)
    {
        if (!started) {
            started = true;
            const auto r = roots->resolveExisting(path);
            const int fd = roots->openInside(r.canonical, O_RDONLY | O_DIRECTORY, path);
            open(fd, roots->relativeTo(roots->rootOf(r.canonical), r.canonical));
            if (levels.empty())
                throw Error(500, u"io_error"_s, u"cannot read the folder %1"_s.arg(path),
                            QJsonObject{{u"path"_s, path}});
        }
        std::vector<QJsonObject> batch;
        batch.reserve(listBatch);
        while (int(batch.size()) < listBatch && !levels.empty()) {
            throwIfCancelled(token);
            const Level level = levels.back();
            errno = 0;
            const dirent *entry = ::readdir(level.dir);
            if (!entry) { // the end, or an unreadable rest: the folder is done either way
                ::closedir(level.dir);
                levels.pop_back();
                continue;
            }
            const char *name = entry->d_name;
            if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0)
                continue;
            struct stat st;
            if (::fstatat(::dirfd(level.dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone since it was read
            const QString decoded = QFile::decodeName(name);
            const QString relative = level.relative.isEmpty() ? decoded : level.relative + u'/' + decoded;
            batch.push_back(entryJson(st, relative));
            if (recursive && S_ISDIR(st.st_mode)) {
                // Unreadable sub-folders are skipped, as are ones swapped for a link meanwhile.
                const int fd = ::openat(::dirfd(level.dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0)
                    open(fd, relative);
            }
        }
        return batch;
    }
};

QCoro::AsyncGenerator<QJsonObject> listHandler(Context &ctx)
{
    auto lister = std::make_shared<DirLister>();
    lister->roots = &ctx.files();
    lister->path = ctx.param(u"path"_s).toString();
    lister->recursive = ctx.param(u"recursive"_s).toBool(false);
    for (;;) {
        auto work = [lister](std::stop_token token) { return lister->next(token); };
        auto batch = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
        for (auto &entry : batch)
            co_yield std::move(entry);
        if (int(batch.size()) < listBatch)
            break;
    }
}

// ---- stat ------------------------------------------------------------------------------------

// Whether the file behind fd grants mode (R_OK, W_OK) to this process, asked of the
// descriptor, not of a name.
bool accessible(int fd, int mode)
{
    if (::faccessat(fd, "", mode, AT_EMPTY_PATH) == 0)
        return true;
    if (errno != EINVAL && errno != ENOSYS)
        return false;
    // A kernel without faccessat2: the descriptor's own /proc entry leads to the same file.
    return ::access(("/proc/self/fd/" + QByteArray::number(fd)).constData(), mode) == 0;
}

QCoro::Task<QJsonObject> statHandler(Context &ctx)
{
    const FileRoots &roots = ctx.files();
    const QString path = ctx.param(u"path"_s).toString();
    auto work = [&roots, path]() -> QJsonObject {
            const auto r = roots.resolveExisting(path);
            // What the path leads to, opened without following anything below its root.
            const Descriptor target(roots.openInside(r.canonical, O_PATH, path));
            struct stat st;
            if (::fstat(target.get(), &st) != 0)
                throw Error(500, u"io_error"_s, u"cannot stat %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno))),
                            QJsonObject{{u"path"_s, path}});
            // The path as named: a link stays a link (its target was checked to be inside).
            // Asked of its folder, itself opened inside the root.
            bool isLink = false;
            if (r.absolute != r.canonical) {
                const QString folder = QFileInfo(QFileInfo(r.absolute).path()).canonicalFilePath();
                if (!folder.isEmpty() && !roots.rootOf(folder).isEmpty()) {
                    const Descriptor dir(roots.openInside(folder, O_PATH | O_DIRECTORY, path));
                    struct stat named;
                    isLink = ::fstatat(dir.get(), QFile::encodeName(QFileInfo(r.absolute).fileName()).constData(),
                                       &named, AT_SYMLINK_NOFOLLOW) == 0
                        && S_ISLNK(named.st_mode);
                }
            }
            QJsonObject out{
                {u"path"_s, r.relative},
                {u"type"_s, isLink ? u"symlink"_s : typeOf(st.st_mode)},
                {u"size"_s, S_ISREG(st.st_mode) ? qint64(st.st_size) : qint64(0)},
                {u"modified"_s, isoUtc(st.st_mtim)},
                {u"permissions"_s, octal(st.st_mode)},
                {u"readable"_s, accessible(target.get(), R_OK)},
                {u"writable"_s, accessible(target.get(), W_OK)},
            };
            struct statx sx;
            if (::statx(target.get(), "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
                const auto ms = qint64(sx.stx_btime.tv_sec) * 1000 + sx.stx_btime.tv_nsec / 1000000;
                out.insert(u"created"_s, isoUtc(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)));
            }
            if (isLink)
                out.insert(u"target"_s, roots.relativeTo(roots.rootOf(r.canonical), r.canonical));
            return out;
        };
    auto result = co_await runInPool(ctx.pool(), std::move(work), ctx.token());
    co_return result;
}

ParamSpec pathParam(const QString &description)
{
    return {.name = u"path"_s, .type = ParamType::String, .description = description, .required = true};
}

} // namespace

Router fsRoutes()
{
    const QString confined = u" Paths are relative to the root folders (or absolute inside one); "
                             "escapes are refused with 403 forbidden_path."_s;
    Router r;
    r.get(u"/read"_s, readHandler)
        .summary(u"Read a file"_s)
        .description(u"Reads the file in 1 MiB chunks on the thread pool (cancellable between chunks) and "
                     "returns {path, bytes, text} for valid UTF-8 without NUL bytes, else {path, bytes, base64}. "
                     "A file larger than max_bytes fails with 413 too_large."_s + confined)
        .query(pathParam(u"File to read"_s))
        .query({.name = u"max_bytes"_s, .type = ParamType::Int,
                .description = u"Largest file accepted, in bytes (default 16 MiB)"_s,
                .defaultValue = defaultMaxBytes, .minimum = 0, .maximum = double(qint64(1) << 30)});
    r.get(u"/hash"_s, hashHandler)
        .summary(u"Hash a file"_s)
        .description(u"Streams the file through an OpenSSL digest in 1 MiB chunks on the thread pool, with "
                     "progress and cancellation between chunks. Returns {path, algo, hex, bytes}."_s + confined)
        .query(pathParam(u"File to hash"_s))
        .query({.name = u"algo"_s, .type = ParamType::String, .description = u"Digest algorithm"_s,
                .defaultValue = u"sha256"_s, .choices = {u"sha256"_s, u"sha1"_s, u"md5"_s}});
    r.post(u"/write"_s, writeHandler)
        .summary(u"Write a file atomically"_s)
        .description(u"Writes text (as UTF-8) or base64-decoded bytes through a temporary file that replaces "
                     "the target only when complete: a failed or cancelled write leaves the old file untouched. "
                     "With append, the old content is copied first. Give exactly one of text and base64 "
                     "(else 422 invalid_body). Returns {path, bytes}."_s + confined)
        .bodyField(pathParam(u"File to create or replace; its folder must exist"_s))
        .bodyField({.name = u"text"_s, .type = ParamType::String, .description = u"Content as text, stored as UTF-8"_s})
        .bodyField({.name = u"base64"_s, .type = ParamType::String, .description = u"Content as base64 bytes"_s})
        .bodyField({.name = u"append"_s, .type = ParamType::Bool,
                    .description = u"Keep the old content and add to its end"_s, .defaultValue = false});
    r.post(u"/copy"_s, copyHandler)
        .summary(u"Copy a file"_s)
        .description(u"Copies in 1 MiB chunks on the thread pool with progress; the destination is replaced "
                     "atomically when the copy is complete, never half-written. Cancellable between chunks. "
                     "Returns {from, to, bytes}."_s + confined)
        .bodyField({.name = u"from"_s, .type = ParamType::String, .description = u"File to copy"_s, .required = true})
        .bodyField({.name = u"to"_s, .type = ParamType::String,
                    .description = u"Destination file; its folder must exist"_s, .required = true});
    r.get(u"/list"_s, listHandler)
        .summary(u"List a folder (streamed)"_s)
        .description(u"Streams one item per entry, {path, type (file|dir|symlink|other), size, modified (ISO 8601 "
                     "UTC)}, with paths relative to the root; the folder is read on the thread pool in batches "
                     "of 256. Symlinks are listed, never followed."_s + confined)
        .query({.name = u"path"_s, .type = ParamType::String,
                .description = u"Folder to list (default: the first root)"_s, .defaultValue = u""_s})
        .query({.name = u"recursive"_s, .type = ParamType::Bool, .description = u"Descend into sub-folders"_s,
                .defaultValue = false});
    r.get(u"/stat"_s, statHandler)
        .summary(u"Describe a file or folder"_s)
        .description(u"Returns {path, type, size, modified, created (when the file system knows it), "
                     "permissions (octal, e.g. \"0644\"), readable, writable}; a symlink also gives its target."_s
                     + confined)
        .query(pathParam(u"File or folder"_s));
    return r;
}

} // namespace coroute
