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


DatabasePool::DatabasePool(std::shared_ptr<const FileRoots> roots) : m_roots(std::move(roots)) {}

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

QString DatabasePool::resolve(const FileRoots &roots, const QString &name)
{
    if (name.trimmed().isEmpty())
        throw Error(422, u"invalid_param"_s, u"db: a database path is required"_s);
    return roots.resolveForWrite(name);
}

QCoro::Task<std::shared_ptr<Database>> DatabasePool::open(QString name, QThreadPool &pool, std::stop_token token)
{
    // Named, not a temporary inside co_await: GCC 12 destroys such lambda temporaries twice.
    auto check = [roots = m_roots, name] { return resolve(*roots, name); };
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
