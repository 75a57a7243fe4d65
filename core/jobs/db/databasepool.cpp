#include "jobs/db/databasepool.h"

#include "async/pool.h"
#include "runtime/context.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QThreadPool>

using namespace Qt::StringLiterals;

Q_DECLARE_LOGGING_CATEGORY(lcDb)

namespace coroute {

namespace {

QStringList canonicalRoots(const QStringList &roots)
{
    QStringList out;
    for (const auto &root : roots.isEmpty() ? QStringList{QDir::currentPath()} : roots) {
        const QString canonical = QFileInfo(root).canonicalFilePath();
        out.append(canonical.isEmpty() ? QDir::cleanPath(QFileInfo(root).absoluteFilePath()) : canonical);
    }
    return out;
}

bool inside(const QString &root, const QString &path)
{
    return path == root || path.startsWith(root.endsWith(u'/') ? root : root + u'/');
}

bool insideAny(const QStringList &roots, const QString &path)
{
    for (const auto &root : roots) {
        if (inside(root, path))
            return true;
    }
    return false;
}

Error forbidden(const QString &name, const QString &why)
{
    return Error(403, u"forbidden_path"_s, u"database path '%1' %2"_s.arg(name, why),
                 QJsonObject{{u"path"_s, name}});
}

} // namespace

DatabasePool::DatabasePool(QStringList roots) : m_roots(canonicalRoots(roots)) {}

DatabasePool::~DatabasePool() = default;

void DatabasePool::setBusyTimeout(std::chrono::milliseconds timeout)
{
    QMutexLocker lock(&m_mutex);
    m_busyTimeout = timeout;
}

std::chrono::milliseconds DatabasePool::busyTimeout() const
{
    QMutexLocker lock(&m_mutex);
    return m_busyTimeout;
}

int DatabasePool::openCount() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_open.size());
}

QString DatabasePool::resolve(const QStringList &roots, const QString &name)
{
    if (name.trimmed().isEmpty())
        throw Error(422, u"invalid_param"_s, u"db: a database path is required"_s);
    if (roots.isEmpty())
        throw forbidden(name, u"cannot be used: no root folders are configured"_s);
    const QString clean = QDir::fromNativeSeparators(name);
    if (clean.contains(QChar(0)))
        throw forbidden(name, u"contains a NUL character"_s);
    if (clean.split(u'/').contains(u".."_s))
        throw forbidden(name, u"must not contain '..'"_s);
    const QString absolute = QDir::cleanPath(QDir::isAbsolutePath(clean) ? clean : roots.first() + u'/' + clean);
    const QFileInfo info(absolute);
    if (info.fileName().isEmpty())
        throw Error(422, u"invalid_param"_s, u"database path '%1' names a folder"_s.arg(name));

    // The parent's canonical path settles symlinked folders; the file itself may be a link too.
    const QString parent = QFileInfo(info.absolutePath()).canonicalFilePath();
    if (parent.isEmpty()) {
        if (!insideAny(roots, absolute))
            throw forbidden(name, u"is outside the root folders"_s);
        throw Error(404, u"not_found"_s, u"the folder of database '%1' does not exist"_s.arg(name),
                    QJsonObject{{u"path"_s, name}});
    }
    if (!insideAny(roots, parent))
        throw forbidden(name, u"is outside the root folders"_s);
    QString target = parent + u'/' + info.fileName();
    const QFileInfo file(target);
    if (file.isSymLink() || file.exists()) {
        const QString canonical = file.canonicalFilePath();
        if (canonical.isEmpty() || !insideAny(roots, canonical))
            throw forbidden(name, u"is a link that leads outside the root folders"_s);
        if (QFileInfo(canonical).isDir())
            throw Error(422, u"invalid_param"_s, u"database path '%1' is a folder"_s.arg(name));
        target = canonical;
    }
    return target;
}

QCoro::Task<std::shared_ptr<Database>> DatabasePool::open(QString name, QThreadPool &pool, std::stop_token token)
{
    const QStringList roots = m_roots;
    // Named, not a temporary inside co_await: GCC 12 destroys such lambda temporaries twice.
    auto check = [roots, name] { return resolve(roots, name); };
    const QString path = co_await runInPool(pool, std::move(check), token);
    std::shared_ptr<Database> db;
    {
        QMutexLocker lock(&m_mutex);
        auto &slot = m_open[path];
        if (!slot) {
            DatabaseOptions options;
            options.busyTimeout = m_busyTimeout;
            slot = std::make_shared<Database>(path, options);
            qCDebug(lcDb) << "sharing" << path;
        }
        db = slot;
    }
    try {
        // Concurrent first uses queue behind one another on the database's thread: one open.
        co_await db->open(token);
    } catch (const Error &) {
        QMutexLocker lock(&m_mutex);
        if (m_open.value(path) == db)
            m_open.remove(path);
        throw;
    }
    co_return std::shared_ptr<Database>(db);
}

QCoro::Task<std::shared_ptr<Database>> Context::db(QString name)
{
    auto *service = m_runtime.service<DatabasePool>();
    if (!service)
        throw Error(500, u"no_service"_s, u"no database service: call registerBuiltins() or set a DatabasePool"_s);
    auto db = co_await service->open(std::move(name), m_runtime.pool(), m_token);
    co_return std::shared_ptr<Database>(db);
}

} // namespace coroute
