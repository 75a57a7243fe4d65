#pragma once

#include <QString>
#include <QStringList>

namespace coroute {

/// A path inside one of the roots, checked: what FileRoots::resolve() answers.
struct ResolvedPath
{
    QString root;      ///< the canonical root folder it lies in
    QString absolute;  ///< the cleaned absolute path (a symlink at the end is not followed)
    QString canonical; ///< the path with every symlink resolved; for a new file, canonical parent + name
    QString relative;  ///< absolute relative to root, "" for the root itself
    bool exists = false;
};

/// The sandbox of the /fs and /db jobs: confines every path to the configured root folders.
/// Paths are relative to the roots (reads: the first root where the path exists; new files:
/// the first root whose folder holds it), or absolute inside a root. A path is decoded once
/// from percent-encoding and NFKC-normalised before it is checked, so `%2e%2e/`, `%2f` and
/// fullwidth dots cannot sneak past; `..` climbing out, absolute paths outside and symlinks
/// that resolve outside are refused with Error(403, "forbidden_path", "<path> escapes root
/// <root>"); NUL bytes give Error(400, "invalid_path"); a missing file Error(404, "not_found").
/// Immutable after construction, so every method is thread-safe (use it on pool threads).
class FileRoots
{
public:
    /// Takes the root folders; each is made canonical. Folders that do not exist are dropped
    /// with a warning. With no usable root every path is refused.
    explicit FileRoots(const QStringList &roots);

    /// The canonical root folders, in order.
    QStringList roots() const { return m_roots; }

    /// The canonical path of an existing file or folder. Throws Error (400, 403, 404).
    QString resolveForRead(const QString &path) const;
    /// The canonical path to create or replace a file at: its folder must exist inside a root.
    /// Throws Error (400, 403, 404 when the folder is missing).
    QString resolveForWrite(const QString &path) const;

    /// Full resolution of an existing file or folder (as resolveForRead). Throws Error.
    ResolvedPath resolveExisting(const QString &path) const;
    /// Full resolution of a file to write (as resolveForWrite). Throws Error.
    ResolvedPath resolveWritable(const QString &path) const;

    /// Re-checks a file opened after resolution: what its descriptor really refers to (from
    /// /proc/self/fd) must still lie inside a root, so a folder swapped for a symlink between
    /// the check and the open is caught. Throws Error(403, "forbidden_path") otherwise.
    void checkOpened(int fd, const QString &path) const;
    /// Opens a resolved canonical path (ResolvedPath::canonical) by walking down from its
    /// root one component at a time with O_NOFOLLOW (openat), so a folder swapped for a
    /// symlink after resolution cannot lead the descriptor outside: what it refers to is
    /// provably inside the root. flags are open(2)'s for the last component (O_PATH to only
    /// describe it, O_RDONLY | O_DIRECTORY to read a folder); O_NOFOLLOW and O_CLOEXEC are
    /// added. The caller owns (closes) the descriptor. Throws Error: 403 forbidden_path when a
    /// component has become a symlink, 404 not_found when one vanished, 400 not_a_directory
    /// when O_DIRECTORY was asked of a file, 403 permission_denied, 500 io_error.
    int openInside(const QString &canonical, int flags, const QString &path) const;
    /// The root a canonical or absolute path lies in, or empty when it lies in none.
    QString rootOf(const QString &absolutePath) const;
    /// absolutePath relative to its root ("" for the root itself); empty when outside.
    QString relativeTo(const QString &root, const QString &absolutePath) const;

    /// Decodes percent-encoding once, refuses NUL bytes (400) and NFKC-normalises.
    /// Exposed for tests and for modules that check names of their own.
    static QString normalizePath(const QString &path);

private:
    [[noreturn]] void escapes(const QString &path, const QString &root) const;
    /// Where a path may lie: (root, cleaned absolute path) in order of preference, each
    /// already checked not to climb out of its root.
    QList<std::pair<QString, QString>> candidates(const QString &path) const;
    QString lexical(const QString &root, const QString &normalized) const;

    QStringList m_roots;
};

} // namespace coroute
