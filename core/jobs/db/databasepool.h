#pragma once

#include "jobs/db/database.h"
#include "jobs/fs/fileroots.h"

#include <QHash>
#include <QMutex>
#include <QStringList>

#include <qcoro/qcorotask.h>

#include <chrono>
#include <memory>
#include <stop_token>

class QThreadPool;

namespace coroute {

/// The runtime's SQLite service: opens each database file once, inside the configured root
/// folders, and shares the connection between jobs (Context::db). Thread-safe.
class DatabasePool
{
public:
    /// Databases live inside roots: the same sandbox as the /fs jobs.
    explicit DatabasePool(std::shared_ptr<const FileRoots> roots);
    ~DatabasePool();

    const FileRoots &roots() const { return *m_roots; }
    /// Busy timeout of databases opened from now on (default 5000 ms).
    void setBusyTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds busyTimeout() const;

    /// Resolves name inside the roots (FileRoots::resolveWritable: the file may not exist yet)
    /// to the canonical path of the database file. Throws Error(403, "forbidden_path") for
    /// escapes, Error(404, "not_found") when the folder is missing, Error(422, "invalid_param")
    /// for an empty name. Touches the file system: call it off the loop.
    static QString resolve(const FileRoots &roots, const QString &name);

    /// The shared database at name, opened (and created when missing) on first use. Path
    /// checks run on pool, the open on the database's own thread. Throws Error or Cancelled.
    QCoro::Task<std::shared_ptr<Database>> open(QString name, QThreadPool &pool, std::stop_token token = {});

    /// Databases currently open.
    int openCount() const;

private:
    std::shared_ptr<const FileRoots> m_roots;
    mutable detail::Mutex m_mutex;
    std::chrono::milliseconds m_busyTimeout{5000};
    QHash<QString, std::shared_ptr<Database>> m_open;
};

} // namespace coroute
