#include "jobs/fs/fileroots.h"

#include "jobs/fs/fslog_p.h"
#include "runtime/context.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace coroute {

namespace detail {
Q_LOGGING_CATEGORY(lcFs, "coroute.fs", QtInfoMsg)
} // namespace detail

namespace {

bool isInside(const QString &root, const QString &path)
{
    if (path == root)
        return true;
    const QString prefix = root.endsWith(u'/') ? root : root + u'/';
    return path.startsWith(prefix);
}

QString parentOf(const QString &absolute)
{
    const auto slash = absolute.lastIndexOf(u'/');
    return slash <= 0 ? u"/"_s : absolute.left(slash);
}

QString nameOfPath(const QString &absolute)
{
    return absolute.mid(absolute.lastIndexOf(u'/') + 1);
}

// Resolves every symlink of the longest existing prefix and keeps the rest as written.
// The rest is already free of "." and ".." (the input is a cleaned absolute path).
QString canonicalPrefix(const QString &absolute)
{
    QString existing = absolute;
    QStringList rest;
    while (!QFileInfo::exists(existing) && existing != u"/"_s) {
        rest.prepend(nameOfPath(existing));
        existing = parentOf(existing);
    }
    QString canonical = QFileInfo(existing).canonicalFilePath();
    if (canonical.isEmpty())
        canonical = existing;
    for (const auto &part : std::as_const(rest))
        canonical = canonical == u"/"_s ? canonical + part : canonical + u'/' + part;
    return canonical;
}

} // namespace

FileRoots::FileRoots(const QStringList &roots)
{
    for (const auto &root : roots) {
        const QString canonical = QFileInfo(root).canonicalFilePath();
        if (canonical.isEmpty() || !QFileInfo(canonical).isDir()) {
            qCWarning(detail::lcFs, "root %s is not an existing folder; ignored", qPrintable(root));
            continue;
        }
        if (!m_roots.contains(canonical))
            m_roots << canonical;
    }
}

QString FileRoots::normalizePath(const QString &path)
{
    const auto nul = [&path] {
        return Error(400, u"invalid_path"_s, u"a path must not contain a NUL byte (also not as %00)"_s,
                     QJsonObject{{u"path"_s, path}});
    };
    if (path.contains(QChar(0)))
        throw nul();
    // Decoded exactly once: "%252e" stays the literal name "%2e", never "." on a second pass.
    const QString decoded = QString::fromUtf8(QByteArray::fromPercentEncoding(path.toUtf8()));
    if (decoded.contains(QChar(0)))
        throw nul();
    // NFKC folds lookalikes (fullwidth "．" and "／") into the characters the kernel acts on.
    return decoded.normalized(QString::NormalizationForm_KC);
}

void FileRoots::escapes(const QString &path, const QString &root) const
{
    throw Error(403, u"forbidden_path"_s, u"%1 escapes root %2"_s.arg(path, root),
                QJsonObject{{u"path"_s, path}, {u"root"_s, root}});
}

void FileRoots::checkOpened(int fd, const QString &path) const
{
    char target[4096];
    const QByteArray link = "/proc/self/fd/" + QByteArray::number(fd);
    const ssize_t n = ::readlink(link.constData(), target, sizeof target);
    if (n <= 0 || size_t(n) >= sizeof target) {
        // Without /proc the open cannot be verified: refuse rather than trust the earlier check.
        throw Error(403, u"forbidden_path"_s, u"%1: cannot verify the opened file"_s.arg(path),
                    QJsonObject{{u"path"_s, path}});
    }
    const QString real = QFile::decodeName(QByteArray(target, qsizetype(n)));
    if (rootOf(real).isEmpty())
        escapes(path, m_roots.value(0));
}

int FileRoots::openInside(const QString &canonical, int flags, const QString &path) const
{
    const QString root = rootOf(canonical);
    if (root.isEmpty())
        escapes(path, m_roots.value(0));
    const QStringList parts = relativeTo(root, canonical).split(u'/', Qt::SkipEmptyParts);
    const auto failure = [&](int e, bool last) {
        const QJsonObject detail{{u"path"_s, path}};
        if (e == ENOENT || (e == ENOTDIR && !last))
            return Error(404, u"not_found"_s, u"%1: no such file or folder"_s.arg(path), detail);
        if (e == ENOTDIR)
            return Error(400, u"not_a_directory"_s, u"%1 is not a folder"_s.arg(path), detail);
        const QString why = QString::fromLocal8Bit(std::strerror(e));
        if (e == EACCES || e == EPERM)
            return Error(403, u"permission_denied"_s, u"cannot open %1: %2"_s.arg(path, why), detail);
        return Error(500, u"io_error"_s, u"cannot open %1: %2"_s.arg(path, why), detail);
    };
    // The root itself is configuration, trusted as it was made canonical; below it nothing is
    // followed: each step is opened relative to the one before.
    int fd = ::open(QFile::encodeName(root).constData(),
                    (parts.isEmpty() ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw failure(errno, parts.isEmpty());
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const bool last = i == parts.size() - 1;
        const QByteArray name = QFile::encodeName(parts[i]);
        const int next = ::openat(fd, name.constData(), (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            const int e = errno;
            // O_NOFOLLOW | O_DIRECTORY on a symlink fails with ENOTDIR, not ELOOP: look.
            struct stat st;
            const bool link = ::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
            ::close(fd);
            if (link || e == ELOOP)
                escapes(path, root); // resolved as a folder or file, now a link: the swap
            throw failure(e, last);
        }
        ::close(fd);
        fd = next;
    }
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) { // O_PATH | O_NOFOLLOW opens a link itself
        ::close(fd);
        escapes(path, root);
    }
    return fd;
}

QString FileRoots::lexical(const QString &root, const QString &normalized) const
{
    if (QDir::isAbsolutePath(normalized))
        return QDir::cleanPath(normalized);
    return QDir::cleanPath(root + u'/' + normalized);
}

QString FileRoots::rootOf(const QString &absolutePath) const
{
    for (const auto &root : m_roots) {
        if (isInside(root, absolutePath))
            return root;
    }
    return {};
}

QString FileRoots::relativeTo(const QString &root, const QString &absolutePath) const
{
    if (!isInside(root, absolutePath))
        return {};
    if (absolutePath == root)
        return {};
    return absolutePath.mid(root.endsWith(u'/') ? root.size() : root.size() + 1);
}

QList<std::pair<QString, QString>> FileRoots::candidates(const QString &path) const
{
    if (m_roots.isEmpty())
        throw Error(403, u"forbidden_path"_s, u"%1: no root folder is configured"_s.arg(path));
    const QString p = normalizePath(path);
    QList<std::pair<QString, QString>> out;
    if (QDir::isAbsolutePath(p)) {
        QString abs = QDir::cleanPath(p);
        QString root = rootOf(abs);
        if (root.isEmpty()) {
            // The caller may name a root through a symlinked spelling (/tmp vs /private/tmp).
            abs = canonicalPrefix(abs);
            root = rootOf(abs);
        }
        if (root.isEmpty())
            escapes(path, m_roots.first());
        out.append({root, abs});
    } else {
        for (const auto &root : m_roots) {
            const QString abs = lexical(root, p);
            if (!isInside(root, abs))
                escapes(path, root);
            out.append({root, abs});
        }
    }
    return out;
}

ResolvedPath FileRoots::resolveExisting(const QString &path) const
{
    for (const auto &[root, abs] : candidates(path)) {
        const QFileInfo info(abs);
        if (!info.exists())
            continue; // also a dangling symlink: nothing to read there
        const QString canonical = info.canonicalFilePath();
        if (rootOf(canonical).isEmpty())
            escapes(path, root); // a symlink on the way leads out
        return {root, abs, canonical, relativeTo(root, abs), true};
    }
    throw Error(404, u"not_found"_s, u"%1: no such file or folder"_s.arg(path), QJsonObject{{u"path"_s, path}});
}

ResolvedPath FileRoots::resolveWritable(const QString &path) const
{
    const auto places = candidates(path);

    // An existing file (or link) is replaced where it is; a new one goes to the first root
    // whose folder holds it.
    const std::pair<QString, QString> *chosen = nullptr;
    for (const auto &c : std::as_const(places)) {
        const QFileInfo info(c.second);
        if (info.exists() || info.isSymLink()) {
            chosen = &c;
            break;
        }
    }
    if (!chosen) {
        for (const auto &c : std::as_const(places)) {
            if (QFileInfo(parentOf(c.second)).isDir()) {
                chosen = &c;
                break;
            }
        }
    }
    if (!chosen)
        throw Error(404, u"not_found"_s, u"%1: the folder to write into does not exist"_s.arg(path),
                    QJsonObject{{u"path"_s, path}});
    const auto &[root, abs] = *chosen;
    if (abs == root)
        throw Error(400, u"is_directory"_s, u"%1 is a root folder, not a file"_s.arg(path));

    // Canonicalise the folder, not the file: the file may not exist yet.
    const QString parent = QFileInfo(parentOf(abs)).canonicalFilePath();
    if (parent.isEmpty())
        throw Error(404, u"not_found"_s, u"%1: the folder to write into does not exist"_s.arg(path),
                    QJsonObject{{u"path"_s, path}});
    if (rootOf(parent).isEmpty())
        escapes(path, root);
    QString target = parent == u"/"_s ? parent + nameOfPath(abs) : parent + u'/' + nameOfPath(abs);

    const QFileInfo targetInfo(target);
    if (targetInfo.isSymLink()) {
        // Writing replaces what the link points at: that must stay inside too, even when it
        // does not exist yet (a dangling link aimed outside).
        target = canonicalPrefix(QDir::cleanPath(targetInfo.symLinkTarget()));
        if (rootOf(target).isEmpty())
            escapes(path, root);
        if (!QFileInfo(parentOf(target)).isDir())
            throw Error(404, u"not_found"_s, u"%1: the link's folder does not exist"_s.arg(path));
    }
    const QFileInfo finalInfo(target);
    if (finalInfo.isDir())
        throw Error(400, u"is_directory"_s, u"%1 is a folder, not a file"_s.arg(path));
    return {root, abs, target, relativeTo(root, abs), finalInfo.exists()};
}

QString FileRoots::resolveForRead(const QString &path) const
{
    return resolveExisting(path).canonical;
}

QString FileRoots::resolveForWrite(const QString &path) const
{
    return resolveWritable(path).canonical;
}

FileRoots &Context::files() const
{
    auto *roots = m_runtime.service<FileRoots>();
    if (!roots)
        throw Error(500, u"no_service"_s,
                    u"no FileRoots service; call registerBuiltins() or Runtime::setService<FileRoots>()"_s);
    return *roots;
}

} // namespace coroute
