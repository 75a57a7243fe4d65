#include "store/historystore.h"
#include "store/jsontext_p.h"

#include "runtime/callrequest.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QStringEncoder>

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcStore, "coroute.store", QtInfoMsg)

namespace coroute {

namespace {

// Each entry migrates the schema from version i to i + 1; the version lives in user_version.
const char *const migrations[] = {
    R"(CREATE TABLE runs (
         id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, command TEXT, started_ms INTEGER NOT NULL,
         finished_ms INTEGER, state TEXT NOT NULL, pid INTEGER);
       CREATE INDEX runs_started ON runs(started_ms);
       CREATE TABLE jobs (
         run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, id INTEGER NOT NULL,
         parent INTEGER, linked_from INTEGER, method TEXT, path TEXT, route TEXT, params TEXT, body TEXT,
         kind TEXT, executor TEXT, state TEXT NOT NULL, cancel_reason TEXT, cancelled_by TEXT,
         created_ms INTEGER, started_ms INTEGER, finished_ms INTEGER, queued_ms INTEGER, attempts INTEGER,
         progress REAL, progress_text TEXT, waiting_on TEXT, warnings TEXT, result TEXT, error TEXT,
         PRIMARY KEY (run_id, id)) WITHOUT ROWID;
       CREATE INDEX jobs_state ON jobs(run_id, state);
       CREATE INDEX jobs_parent ON jobs(run_id, parent);
       CREATE INDEX jobs_route ON jobs(route);
       CREATE TABLE spans (
         run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, span_id TEXT NOT NULL,
         trace_id TEXT NOT NULL, parent_id TEXT, job INTEGER, name TEXT, start_ns INTEGER, end_ns INTEGER,
         status TEXT, status_message TEXT, thread TEXT, attributes TEXT, events TEXT,
         PRIMARY KEY (run_id, span_id)) WITHOUT ROWID;
       CREATE INDEX spans_job ON spans(run_id, job);
       CREATE TABLE logs (
         run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, job INTEGER NOT NULL,
         t_ms INTEGER, level TEXT, message TEXT);
       CREATE INDEX logs_job ON logs(run_id, job);)",
    // Spans keyed by job first: ids are random, so keyed by span id every insert landed on a
    // random page (a history of 100,000 jobs took 3x the I/O); readers select by job anyway.
    R"(CREATE TABLE spans_by_job (
         run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, span_id TEXT NOT NULL,
         trace_id TEXT NOT NULL, parent_id TEXT, job INTEGER NOT NULL, name TEXT, start_ns INTEGER,
         end_ns INTEGER, status TEXT, status_message TEXT, thread TEXT, attributes TEXT, events TEXT,
         PRIMARY KEY (run_id, job, span_id)) WITHOUT ROWID;
       INSERT INTO spans_by_job SELECT run_id, span_id, trace_id, parent_id, COALESCE(job, 0), name, start_ns,
         end_ns, status, status_message, thread, attributes, events FROM spans;
       DROP TABLE spans;
       ALTER TABLE spans_by_job RENAME TO spans;)",
    // No query reads jobs by route alone, and keeping that text index cost every job insert a
    // third B-tree descent.
    R"(DROP INDEX IF EXISTS jobs_route;)",
};
constexpr int schemaVersion = int(std::size(migrations));

QJsonValue jsonValue(const QString &text)
{
    if (text.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    const auto doc = QJsonDocument::fromJson("[" + text.toUtf8() + "]");
    return doc.array().isEmpty() ? QJsonValue(text) : doc.array().first();
}

// A prepared statement (RAII) with QString/JSON helpers.
class Statement
{
public:
    Statement(sqlite3 *db, const char *sql)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
            qCCritical(lcStore) << "prepare failed:" << sqlite3_errmsg(db) << sql;
        else
            m_text.resize(size_t(sqlite3_bind_parameter_count(m_stmt)) + 1);
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    bool isValid() const { return m_stmt != nullptr; }
    Statement &bind(int i, qint64 v) { sqlite3_bind_int64(m_stmt, i, v); return *this; }
    Statement &bind(int i, double v) { sqlite3_bind_double(m_stmt, i, v); return *this; }
    Statement &bind(int i, const QString &v)
    {
        if (!m_stmt) // a failed prepare was logged; its step fails too
            return *this;
        if (v.isNull()) {
            sqlite3_bind_null(m_stmt, i);
            return *this;
        }
        QByteArray &utf8 = held(i);
        utf8.resize(m_encoder.requiredSpace(v.size())); // keeps its capacity from the last row
        utf8.truncate(m_encoder.appendToBuffer(utf8.data(), v) - utf8.constData());
        return bindHeld(i);
    }
    /// UTF-8 text; a null array binds NULL.
    Statement &bind(int i, const QByteArray &utf8)
    {
        if (!m_stmt)
            return *this;
        if (utf8.isNull()) {
            sqlite3_bind_null(m_stmt, i);
            return *this;
        }
        held(i) = utf8;
        return bindHeld(i);
    }
    Statement &bindOptional(int i, qint64 v)
    {
        if (v)
            sqlite3_bind_int64(m_stmt, i, v);
        else
            sqlite3_bind_null(m_stmt, i);
        return *this;
    }
    int step() { return sqlite3_step(m_stmt); }
    sqlite3_stmt *handle() const { return m_stmt; }
    void reset()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    qint64 integer(int col) const { return sqlite3_column_int64(m_stmt, col); }
    double real(int col) const { return sqlite3_column_double(m_stmt, col); }
    QString text(int col) const
    {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, col));
        return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, col)) : QString();
    }

private:
    QByteArray &held(int i)
    {
        Q_ASSERT(i > 0 && size_t(i) < m_text.size());
        return m_text[size_t(i)];
    }
    // Text parameters stay in m_text until they are bound again, so SQLite need not copy them
    // (SQLITE_STATIC): the writer binds some twenty per job.
    Statement &bindHeld(int i)
    {
        const QByteArray &utf8 = m_text[size_t(i)];
        sqlite3_bind_text(m_stmt, i, utf8.constData(), int(utf8.size()), SQLITE_STATIC);
        return *this;
    }

    sqlite3_stmt *m_stmt = nullptr;
    // Stateless: a text ending in a lone surrogate must not carry it into the next parameter.
    QStringEncoder m_encoder{QStringEncoder::Utf8, QStringConverter::Flag::Stateless};
    std::vector<QByteArray> m_text; // by parameter index, from 1
};

bool exec(sqlite3 *db, const char *sql, QString *error = nullptr)
{
    char *msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK)
        return true;
    const QString text = QString::fromUtf8(msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    if (error)
        *error = text;
    qCWarning(lcStore) << "statement failed:" << text;
    return false;
}

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

JobInfo readJob(const Statement &s)
{
    JobInfo j;
    j.id = JobId(s.integer(0));
    j.parent = JobId(s.integer(1));
    j.linkedFrom = JobId(s.integer(2));
    j.method = s.text(3);
    j.path = s.text(4);
    j.route = s.text(5);
    j.params = jsonValue(s.text(6)).toObject();
    j.body = jsonValue(s.text(7));
    j.kind = s.text(8) == u"sync"_s ? HandlerKind::Sync : s.text(8) == u"streaming"_s ? HandlerKind::Streaming
                                                                                          : HandlerKind::Async;
    j.executor = s.text(9) == u"pool"_s ? Executor::Pool : Executor::Loop;
    j.state = jobStateFromString(s.text(10));
    j.cancelReason = cancelReasonFromString(s.text(11));
    j.cancelledBy = s.text(12);
    j.createdMs = s.integer(13);
    j.startedMs = s.integer(14);
    j.finishedMs = s.integer(15);
    j.queuedMs = s.integer(16);
    j.attempts = int(s.integer(17));
    j.progress = s.real(18);
    j.progressText = s.text(19);
    j.waitingOn = s.text(20);
    for (const auto &w : jsonValue(s.text(21)).toArray())
        j.warnings << w.toString();
    j.result = jsonValue(s.text(22));
    if (const auto e = jsonValue(s.text(23)); e.isObject())
        j.error = JobError::fromJson(e.toObject());
    return j;
}

SpanData readSpan(const Statement &s)
{
    SpanData sp;
    sp.spanId = SpanData::idFromHex(s.text(0));
    sp.traceId = TraceId::fromHex(s.text(1));
    sp.parentId = SpanData::idFromHex(s.text(2));
    sp.job = JobId(s.integer(3));
    sp.name = s.text(4);
    sp.startNs = s.integer(5);
    sp.endNs = s.integer(6);
    sp.status = spanStatusFromName(s.text(7));
    sp.statusMessage = s.text(8);
    sp.thread = s.text(9);
    sp.attributes = jsonValue(s.text(10)).toObject();
    for (const auto &e : jsonValue(s.text(11)).toArray())
        sp.events.append(SpanEvent::fromJson(e.toObject()));
    return sp;
}

constexpr const char *spanColumns =
    "span_id, trace_id, parent_id, job, name, start_ns, end_ns, status, status_message, thread, attributes, events";

constexpr const char *jobColumns =
    "id, parent, linked_from, method, path, route, params, body, kind, executor, state, cancel_reason, "
    "cancelled_by, created_ms, started_ms, finished_ms, queued_ms, attempts, progress, progress_text, "
    "waiting_on, warnings, result, error";

} // namespace

QJsonObject RunInfo::toJson() const
{
    QJsonObject o{{u"id"_s, id},           {u"name"_s, name},     {u"command"_s, command},
                  {u"started_ms"_s, startedMs}, {u"state"_s, state}, {u"pid"_s, pid},
                  {u"jobs"_s, jobs},       {u"failed"_s, failed}, {u"cancelled"_s, cancelled},
                  {u"interrupted"_s, interrupted}};
    if (finishedMs)
        o.insert(u"finished_ms"_s, finishedMs);
    return o;
}

class HistoryStore::Private
{
public:
    QString path;
    sqlite3 *readDb = nullptr;     // reads, beginRun, retention: guarded by readMutex
    mutable std::mutex readMutex;
    sqlite3 *writeDb = nullptr;    // the writer thread's own connection
    int interrupted = 0;

    struct Item
    {
        RunId run = 0;
        ChangeSet changes;
        QString endState; // non-empty: end of run
    };
    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable drained;
    std::deque<Item> queue;
    quint64 queued = 0;
    quint64 written = 0;
    qint64 pendingEntries = 0; // jobs + logs + spans queued or being written
    qint64 peakQueued = 0;
    qint64 throttledMs = 0;
    bool stopping = false;
    int flushing = 0; // callers blocked in flush(): like stopping, they bound the busy retries
    QString lastError;
    std::thread writer;
    HistoryStoreOptions options;

    enum class Outcome { Written, Busy };
    void writerLoop();
    Outcome writeBatch(std::deque<Item> &items);
    void setError(const QString &err);
};

static qint64 entriesOf(const ChangeSet &changes)
{
    return qint64(changes.jobs.size() + changes.logs.size() + changes.spans.size());
}

static sqlite3 *openConnection(const QString &path, QString *error, std::chrono::milliseconds busyTimeout)
{
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        *error = u"cannot open history %1: %2"_s.arg(path, QString::fromUtf8(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db);
        return nullptr;
    }
    sqlite3_busy_timeout(db, int(busyTimeout.count()));
    exec(db, "PRAGMA foreign_keys=ON");
    return db;
}

HistoryStore::HistoryStore() : d(std::make_unique<Private>()) {}

QString HistoryStore::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/history.sqlite"_s;
}

std::unique_ptr<HistoryStore> HistoryStore::open(const QString &path, QString *error, HistoryStoreOptions options)
{
    QString err;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        *error = u"cannot create the folder of %1"_s.arg(path);
        return nullptr;
    }
    std::unique_ptr<HistoryStore> store(new HistoryStore);
    auto &d = *store->d;
    d.path = info.absoluteFilePath();
    d.options = options;
    d.readDb = openConnection(d.path, &err, options.busyTimeout);
    if (!d.readDb) {
        *error = err;
        return nullptr;
    }
    if (!exec(d.readDb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", &err)) {
        *error = u"%1 is not a usable history database: %2"_s.arg(d.path, err);
        return nullptr;
    }
    // A damaged file is refused here, with SQLite's words, rather than failing later writes
    // one by one. quick_check reads every page once (no index cross-checks).
    {
        Statement check(d.readDb, "PRAGMA quick_check(5)");
        QStringList problems;
        int rc = check.isValid() ? check.step() : sqlite3_errcode(d.readDb);
        for (; rc == SQLITE_ROW; rc = check.step())
            problems << check.text(0);
        if (rc != SQLITE_DONE)
            problems << QString::fromUtf8(sqlite3_errmsg(d.readDb));
        if (problems != QStringList{u"ok"_s}) {
            *error = u"%1 is damaged (SQLite: %2); move it away to start a new history"_s.arg(
                d.path, problems.join(u"; "_s));
            return nullptr;
        }
    }
    // Migrate inside one transaction: a failed migration leaves the old schema intact. The
    // version is read again under the write lock: another process may have migrated first.
    const auto readVersion = [&d] {
        Statement s(d.readDb, "PRAGMA user_version");
        return s.step() == SQLITE_ROW ? int(s.integer(0)) : 0;
    };
    int version = readVersion();
    if (version < schemaVersion) {
        if (!exec(d.readDb, "BEGIN IMMEDIATE", &err)) {
            *error = u"cannot lock %1 to set up its schema: %2"_s.arg(d.path, err);
            return nullptr;
        }
        version = readVersion();
        for (int v = version; v < schemaVersion; ++v) {
            if (!exec(d.readDb, migrations[v], &err)) {
                exec(d.readDb, "ROLLBACK");
                *error = u"migrating %1 to schema %2 failed: %3"_s.arg(d.path).arg(v + 1).arg(err);
                return nullptr;
            }
        }
        exec(d.readDb, qPrintable(u"PRAGMA user_version=%1"_s.arg(schemaVersion)));
        if (!exec(d.readDb, "COMMIT", &err)) {
            *error = err;
            return nullptr;
        }
    }
    if (version > schemaVersion) {
        *error = u"%1 has schema version %2, newer than this coroute knows (%3)"_s.arg(d.path).arg(version).arg(schemaVersion);
        return nullptr;
    }
    // Jobs of runs whose process is gone never finished: mark them interrupted.
    {
        QList<RunId> dead;
        Statement s(d.readDb, "SELECT id, pid FROM runs WHERE state = 'running'");
        while (s.step() == SQLITE_ROW) {
            if (!processAlive(s.integer(1)) || s.integer(1) == qint64(::getpid()))
                dead << s.integer(0);
        }
        for (auto run : dead) {
            Statement j(d.readDb, "UPDATE jobs SET state = 'interrupted', waiting_on = NULL "
                                  "WHERE run_id = ? AND state IN ('pending', 'running', 'cancelling')");
            j.bind(1, run).step();
            d.interrupted += sqlite3_changes(d.readDb);
            Statement r(d.readDb, "UPDATE runs SET state = 'interrupted' WHERE id = ?");
            r.bind(1, run).step();
        }
    }
    d.writeDb = openConnection(d.path, &err, options.busyTimeout);
    if (!d.writeDb) {
        *error = err;
        return nullptr;
    }
    exec(d.writeDb, "PRAGMA synchronous=NORMAL");
    d.writer = std::thread([&d] { d.writerLoop(); });
    return store;
}

HistoryStore::~HistoryStore()
{
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    if (d->writer.joinable())
        d->writer.join();
    sqlite3_close(d->writeDb);
    sqlite3_close(d->readDb);
}

QString HistoryStore::path() const
{
    return d->path;
}

int HistoryStore::interruptedAtOpen() const
{
    return d->interrupted;
}

RunId HistoryStore::beginRun(const QString &name, const QString &command)
{
    std::lock_guard lock(d->readMutex);
    Statement s(d->readDb, "INSERT INTO runs (name, command, started_ms, state, pid) VALUES (?, ?, ?, 'running', ?)");
    // A command line may carry a URL with a password ("coroute call GET /http/get?url=...").
    s.bind(1, redactCredentials(name)).bind(2, redactCredentials(command));
    s.bind(3, QDateTime::currentMSecsSinceEpoch()).bind(4, qint64(::getpid()));
    int rc = s.step();
    // Locked by another connection past the busy timeout: try again for a bounded time.
    QElapsedTimer waited;
    waited.start();
    while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited.elapsed() < d->options.giveUpAfter.count()) {
        sqlite3_reset(s.handle());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        rc = s.step();
    }
    if (rc != SQLITE_DONE) {
        qCWarning(lcStore) << "cannot start a run:" << sqlite3_errmsg(d->readDb);
        return 0;
    }
    return sqlite3_last_insert_rowid(d->readDb);
}

void HistoryStore::record(RunId run, const ChangeSet &changes)
{
    if (!run || changes.isEmpty())
        return;
    const qint64 entries = entriesOf(changes);
    {
        std::unique_lock lock(d->mutex);
        // Back-pressure: a producer faster than the disk would grow the queue without bound.
        // Past the bound, the caller waits until the writer has caught up (never for a batch
        // that alone exceeds it: that one goes through once the queue is empty).
        if (d->pendingEntries > 0 && d->pendingEntries + entries > MaxPendingEntries) {
            QElapsedTimer waited;
            waited.start();
            d->drained.wait(lock, [&] {
                return d->stopping || d->pendingEntries == 0 || d->pendingEntries + entries <= MaxPendingEntries;
            });
            d->throttledMs += waited.elapsed();
        }
        d->queue.push_back({run, changes, {}});
        ++d->queued;
        d->pendingEntries += entries;
        d->peakQueued = std::max(d->peakQueued, d->pendingEntries);
    }
    d->wake.notify_one();
}

void HistoryStore::endRun(RunId run, const QString &state)
{
    if (!run)
        return;
    {
        std::lock_guard lock(d->mutex);
        d->queue.push_back({run, {}, state});
        ++d->queued;
    }
    d->wake.notify_one();
}

QString HistoryStore::flush()
{
    std::unique_lock lock(d->mutex);
    const auto target = d->queued;
    ++d->flushing;
    d->drained.wait(lock, [&] { return d->written >= target; });
    --d->flushing;
    return d->lastError;
}

quint64 HistoryStore::writeMark() const
{
    std::lock_guard lock(d->mutex);
    return d->queued;
}

bool HistoryStore::waitWritten(quint64 mark, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(d->mutex);
    return d->drained.wait_for(lock, timeout, [&] { return d->written >= mark; });
}

void HistoryStore::Private::writerLoop()
{
    std::unique_lock lock(mutex);
    for (;;) {
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty() && stopping)
            return;
        std::deque<Item> batch;
        batch.swap(queue);
        lock.unlock();
        // Another connection holds the lock beyond the busy timeout: keep the batch and try
        // again (the transaction was rolled back, so nothing is written twice or half).
        QElapsedTimer stoppingFor;
        int retries = 0;
        while (writeBatch(batch) == Outcome::Busy) {
            lock.lock();
            const bool closing = stopping || flushing > 0;
            lock.unlock();
            if (closing && !stoppingFor.isValid())
                stoppingFor.start();
            if (stoppingFor.isValid() && stoppingFor.elapsed() >= options.giveUpAfter.count()) {
                setError(u"history write failed: %1 stayed locked by another connection; %2 batches not written"_s
                             .arg(path)
                             .arg(batch.size()));
                break;
            }
            if (retries++ % 100 == 0) // about every 5 s + busy timeouts, not every attempt
                qCInfo(lcStore) << "history database locked; retrying" << batch.size() << "batches";
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        qint64 entries = 0;
        for (const auto &item : batch)
            entries += entriesOf(item.changes);
        lock.lock();
        written += batch.size();
        pendingEntries -= entries;
        drained.notify_all();
    }
}

void HistoryStore::Private::setError(const QString &err)
{
    qCWarning(lcStore).noquote() << err;
    std::lock_guard lock(mutex);
    if (lastError.isEmpty()) // the first error says what went wrong; later ones follow from it
        lastError = err;
}

HistoryStore::Private::Outcome HistoryStore::Private::writeBatch(std::deque<Item> &items)
{
    QString err;
    const auto busy = [this] {
        const int code = sqlite3_errcode(writeDb);
        return code == SQLITE_BUSY || code == SQLITE_LOCKED;
    };
    if (!exec(writeDb, "BEGIN IMMEDIATE", &err)) {
        if (busy())
            return Outcome::Busy;
        setError(u"history write failed: "_s + err);
        return Outcome::Written;
    }
    bool locked = false;
    Statement job(writeDb,
                  "INSERT INTO jobs (run_id, id, parent, linked_from, method, path, route, params, body, kind, "
                  "executor, state, cancel_reason, cancelled_by, created_ms, started_ms, finished_ms, queued_ms, "
                  "attempts, progress, progress_text, waiting_on, warnings, result, error) "
                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                  "ON CONFLICT (run_id, id) DO UPDATE SET state = excluded.state, "
                  "cancel_reason = excluded.cancel_reason, cancelled_by = excluded.cancelled_by, "
                  "started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, "
                  "queued_ms = excluded.queued_ms, attempts = excluded.attempts, progress = excluded.progress, "
                  "progress_text = excluded.progress_text, waiting_on = excluded.waiting_on, "
                  "warnings = excluded.warnings, result = excluded.result, error = excluded.error");
    Statement span(writeDb,
                   "INSERT OR REPLACE INTO spans (run_id, span_id, trace_id, parent_id, job, name, start_ns, end_ns, "
                   "status, status_message, thread, attributes, events) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Statement log(writeDb, "INSERT INTO logs (run_id, job, t_ms, level, message) VALUES (?,?,?,?,?)");
    Statement end(writeDb, "UPDATE runs SET state = ?, finished_ms = ? WHERE id = ?");
    for (const auto &item : items) {
        if (!item.endState.isEmpty()) {
            end.bind(1, item.endState).bind(2, QDateTime::currentMSecsSinceEpoch()).bind(3, item.run);
            if (end.step() != SQLITE_DONE) {
                err = QString::fromUtf8(sqlite3_errmsg(writeDb));
                locked = locked || busy();
            }
            end.reset();
            continue;
        }
        for (const auto &j : item.changes.jobs) {
            QJsonArray warnings;
            for (const auto &w : j.warnings)
                warnings.append(w);
            job.bind(1, item.run).bind(2, qint64(j.id)).bindOptional(3, qint64(j.parent)).bindOptional(4, qint64(j.linkedFrom));
            job.bind(5, j.method).bind(6, j.path).bind(7, j.route).bind(8, detail::jsonText(j.params)).bind(9, detail::jsonText(j.body));
            job.bind(10, nameOf(j.kind)).bind(11, nameOf(j.executor)).bind(12, nameOf(j.state));
            job.bind(13, j.cancelReason == CancelReason::None ? QString() : nameOf(j.cancelReason));
            job.bind(14, j.cancelledBy.isEmpty() ? QString() : j.cancelledBy);
            job.bind(15, j.createdMs).bindOptional(16, j.startedMs).bindOptional(17, j.finishedMs);
            job.bind(18, j.queuedMs).bind(19, qint64(j.attempts)).bind(20, j.progress);
            job.bind(21, j.progressText.isEmpty() ? QString() : j.progressText);
            job.bind(22, j.waitingOn.isEmpty() ? QString() : j.waitingOn);
            job.bind(23, warnings.isEmpty() ? QByteArray() : detail::jsonText(warnings));
            job.bind(24, j.state == JobState::Succeeded ? detail::jsonText(j.result.toJson()) : QByteArray());
            job.bind(25, j.error.isNull() ? QByteArray() : detail::jsonText(j.error.toJson()));
            if (job.step() != SQLITE_DONE) {
                err = QString::fromUtf8(sqlite3_errmsg(writeDb));
                locked = locked || busy();
            }
            job.reset();
        }
        for (const auto &s : item.changes.spans) {
            QJsonArray events;
            for (const auto &e : s.events)
                events.append(e.toJson());
            span.bind(1, item.run).bind(2, SpanData::idHex(s.spanId)).bind(3, s.traceIdHex());
            span.bind(4, s.parentId ? SpanData::idHex(s.parentId) : QString()).bind(5, qint64(s.job));
            span.bind(6, s.name).bind(7, s.startNs).bind(8, s.endNs).bind(9, nameOf(s.status));
            span.bind(10, s.statusMessage.isEmpty() ? QString() : s.statusMessage).bind(11, s.thread);
            span.bind(12, detail::spanAttributesText(s)).bind(13, events.isEmpty() ? QByteArray() : detail::jsonText(events));
            if (span.step() != SQLITE_DONE) {
                err = QString::fromUtf8(sqlite3_errmsg(writeDb));
                locked = locked || busy();
            }
            span.reset();
        }
        for (const auto &l : item.changes.logs) {
            log.bind(1, item.run).bind(2, qint64(l.job)).bind(3, l.timeMs).bind(4, nameOf(l.level)).bind(5, l.message);
            if (log.step() != SQLITE_DONE) {
                err = QString::fromUtf8(sqlite3_errmsg(writeDb));
                locked = locked || busy();
            }
            log.reset();
        }
    }
    if (locked) {
        exec(writeDb, "ROLLBACK");
        return Outcome::Busy;
    }
    if (!exec(writeDb, "COMMIT", &err)) {
        locked = busy();
        exec(writeDb, "ROLLBACK");
        if (locked)
            return Outcome::Busy;
    }
    if (!err.isEmpty())
        setError(u"history write failed: "_s + err);
    return Outcome::Written;
}

int HistoryStore::applyRetention(int keepRuns, int keepDays)
{
    flush();
    std::lock_guard lock(d->readMutex);
    int removed = 0;
    exec(d->readDb, "BEGIN IMMEDIATE");
    if (keepRuns > 0) {
        Statement s(d->readDb, "DELETE FROM runs WHERE state != 'running' AND id NOT IN "
                               "(SELECT id FROM runs ORDER BY started_ms DESC, id DESC LIMIT ?)");
        s.bind(1, qint64(keepRuns)).step();
        removed += sqlite3_changes(d->readDb);
    }
    if (keepDays > 0) {
        Statement s(d->readDb, "DELETE FROM runs WHERE state != 'running' AND started_ms < ?");
        s.bind(1, QDateTime::currentMSecsSinceEpoch() - qint64(keepDays) * 24 * 3600 * 1000).step();
        removed += sqlite3_changes(d->readDb);
    }
    exec(d->readDb, "COMMIT");
    return removed;
}

namespace {
// A run with its job counts; the caller appends the WHERE / ORDER / LIMIT part.
constexpr const char *runSelect =
    "SELECT r.id, r.name, r.command, r.started_ms, r.finished_ms, r.state, r.pid, "
    "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id), "
    "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id AND j.state IN ('failed', 'timed_out')), "
    "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id AND j.state = 'cancelled'), "
    "(SELECT count(*) FROM jobs j WHERE j.run_id = r.id AND j.state = 'interrupted') "
    "FROM runs r ";

RunInfo readRun(const Statement &s)
{
    return {s.integer(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.text(5), s.integer(6),
            int(s.integer(7)), int(s.integer(8)), int(s.integer(9)), int(s.integer(10))};
}
} // namespace

QList<RunInfo> HistoryStore::runs(int limit) const
{
    std::lock_guard lock(d->readMutex);
    QList<RunInfo> out;
    Statement s(d->readDb, (QByteArray(runSelect) + "ORDER BY r.id DESC LIMIT ?").constData());
    s.bind(1, qint64(limit));
    while (s.step() == SQLITE_ROW)
        out.append(readRun(s));
    return out;
}

std::optional<RunInfo> HistoryStore::run(RunId id) const
{
    // One row by its key: counting the jobs of every run to find one would grow with the history.
    std::lock_guard lock(d->readMutex);
    Statement s(d->readDb, (QByteArray(runSelect) + "WHERE r.id = ?").constData());
    s.bind(1, id);
    if (s.step() == SQLITE_ROW)
        return readRun(s);
    return std::nullopt;
}

std::optional<RunId> HistoryStore::latestRun() const
{
    std::lock_guard lock(d->readMutex);
    Statement s(d->readDb, "SELECT max(id) FROM runs");
    if (s.step() == SQLITE_ROW && s.integer(0))
        return s.integer(0);
    return std::nullopt;
}

QList<JobInfo> HistoryStore::jobs(RunId run) const
{
    std::lock_guard lock(d->readMutex);
    QList<JobInfo> out;
    Statement s(d->readDb, qPrintable(u"SELECT %1 FROM jobs WHERE run_id = ? ORDER BY id"_s.arg(QLatin1String(jobColumns))));
    s.bind(1, run);
    while (s.step() == SQLITE_ROW)
        out.append(readJob(s));
    return out;
}

ChangeSet HistoryStore::jobTrees(RunId run, JobId above, JobId below, int limit, Qt::SortOrder order) const
{
    // The page's top-level jobs (keyset paging through the jobs_parent index, whose keys end
    // with the id), then their descendants through the same index.
    const QString tree =
        u"WITH RECURSIVE tops(id) AS (SELECT id FROM jobs WHERE run_id = ?1 AND parent IS NULL AND id > ?2 "
        "AND id < ?3 ORDER BY id %1 LIMIT ?4), "
        "tree(id) AS (SELECT id FROM tops UNION ALL SELECT j.id FROM jobs j JOIN tree t ON j.run_id = ?1 "
        "AND j.parent = t.id) "_s.arg(order == Qt::DescendingOrder ? u"DESC"_s : u"ASC"_s);
    const auto bindPage = [&](Statement &s) {
        s.bind(1, run).bind(2, qint64(above)).bind(3, below ? qint64(below) : std::numeric_limits<qint64>::max());
        s.bind(4, qint64(qMax(0, limit)));
    };
    std::lock_guard lock(d->readMutex);
    // One read transaction: the three reads see the same snapshot while the writer goes on.
    exec(d->readDb, "BEGIN");
    ChangeSet page;
    {
        Statement s(d->readDb, (tree + u"SELECT %1 FROM jobs WHERE run_id = ?1 AND id IN tree ORDER BY id"_s.arg(
                                           QLatin1String(jobColumns))).toUtf8().constData());
        bindPage(s);
        while (s.step() == SQLITE_ROW)
            page.jobs.append(readJob(s));
    }
    {
        Statement s(d->readDb, (tree + u"SELECT %1 FROM spans WHERE run_id = ?1 AND job IN tree ORDER BY start_ns"_s.arg(
                                           QLatin1String(spanColumns))).toUtf8().constData());
        bindPage(s);
        while (s.step() == SQLITE_ROW)
            page.spans.append(readSpan(s));
    }
    {
        Statement s(d->readDb, (tree + u"SELECT job, t_ms, level, message FROM logs WHERE run_id = ?1 AND job IN tree "
                                       "ORDER BY rowid"_s).toUtf8().constData());
        bindPage(s);
        while (s.step() == SQLITE_ROW)
            page.logs.append({JobId(s.integer(0)), s.integer(1), logLevelFromString(s.text(2)), s.text(3)});
    }
    exec(d->readDb, "COMMIT");
    return page;
}

qint64 HistoryStore::jobCount(RunId run) const
{
    std::lock_guard lock(d->readMutex);
    Statement s(d->readDb, "SELECT count(*) FROM jobs WHERE run_id = ?");
    s.bind(1, run);
    return s.step() == SQLITE_ROW ? s.integer(0) : 0;
}

qint64 HistoryStore::peakQueued() const
{
    std::lock_guard lock(d->mutex);
    return d->peakQueued;
}

qint64 HistoryStore::throttledMs() const
{
    std::lock_guard lock(d->mutex);
    return d->throttledMs;
}

std::optional<JobInfo> HistoryStore::job(RunId run, JobId id) const
{
    std::lock_guard lock(d->readMutex);
    Statement s(d->readDb, qPrintable(u"SELECT %1 FROM jobs WHERE run_id = ? AND id = ?"_s.arg(QLatin1String(jobColumns))));
    s.bind(1, run).bind(2, qint64(id));
    if (s.step() == SQLITE_ROW)
        return readJob(s);
    return std::nullopt;
}

QList<SpanData> HistoryStore::spans(RunId run, std::optional<JobId> job) const
{
    std::lock_guard lock(d->readMutex);
    QList<SpanData> out;
    Statement s(d->readDb, job ? "SELECT span_id, trace_id, parent_id, job, name, start_ns, end_ns, status, "
                                 "status_message, thread, attributes, events FROM spans WHERE run_id = ? AND job = ? "
                                 "ORDER BY start_ns"
                               : "SELECT span_id, trace_id, parent_id, job, name, start_ns, end_ns, status, "
                                 "status_message, thread, attributes, events FROM spans WHERE run_id = ? "
                                 "ORDER BY start_ns");
    s.bind(1, run);
    if (job)
        s.bind(2, qint64(*job));
    while (s.step() == SQLITE_ROW)
        out.append(readSpan(s));
    return out;
}

QList<LogEntry> HistoryStore::logs(RunId run, JobId job) const
{
    std::lock_guard lock(d->readMutex);
    QList<LogEntry> out;
    Statement s(d->readDb, "SELECT job, t_ms, level, message FROM logs WHERE run_id = ? AND job = ? ORDER BY rowid");
    s.bind(1, run).bind(2, qint64(job));
    while (s.step() == SQLITE_ROW)
        out.append({JobId(s.integer(0)), s.integer(1), logLevelFromString(s.text(2)), s.text(3)});
    return out;
}

} // namespace coroute
