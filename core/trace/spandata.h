#pragma once

#include "runtime/jobstate.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>

namespace coroute {

/// A trace's 128-bit id, held inline: every top-level job starts a trace, and a QByteArray
/// would be one more allocation per job. The null id (all zero) means "no trace".
class TraceId
{
public:
    TraceId() = default;
    /// A random non-null id.
    static TraceId random();
    /// From 16 bytes (big-endian, as on the wire); null for any other size.
    static TraceId fromBytes(QByteArrayView bytes);
    /// From 32 hex digits; null for anything else.
    static TraceId fromHex(QStringView hex);

    bool isNull() const { return m_high == 0 && m_low == 0; }
    QByteArray toBytes() const;
    /// 32 lower-case hex digits; empty for the null id.
    QString toHex() const;

    friend bool operator==(const TraceId &, const TraceId &) = default;

private:
    quint64 m_high = 0;
    quint64 m_low = 0;
};

/// How a span ended. Cancelled spans carry the reason and requester as attributes.
enum class SpanStatus { Unset, Ok, Error, Cancelled };
QString nameOf(SpanStatus status);
SpanStatus spanStatusFromName(QStringView name);

/// Something that happened at one instant inside a span (a log line, a cancellation).
struct SpanEvent
{
    qint64 timeNs = 0; ///< Unix epoch nanoseconds
    QString name;
    QJsonObject attributes;

    QJsonObject toJson() const;
    static SpanEvent fromJson(const QJsonObject &o);
};

/// What a job's root span says about its job. It stays typed on the runtime's thread (a few
/// shared strings per job) and becomes the attributes "coroute.*", "cancel.*" and "error.*"
/// only where they are read: building a QJsonObject per job cost more than the job itself.
struct JobSpanFacts
{
    JobId job = 0;
    QString route;
    QString method;
    QString path;
    QString state;             ///< a JobState name
    QString executor;          ///< "loop" or "pool"
    int attempts = 0;
    qint64 queuedMs = 0;       ///< omitted when 0
    QString cancelReason;      ///< empty unless a cancel was requested
    QString cancelRequestedBy; ///< with cancelReason
    bool hasError = false;     ///< the job ended with an error (failed, cancelled, timed out)
    QString errorType;         ///< with hasError
    int errorStatus = 0;       ///< with hasError

    /// Inserts the facts as attributes, replacing attributes of the same names.
    void addTo(QJsonObject &attributes) const;
    /// One fact by its attribute name; undefined when it is not one of the facts or not set.
    QJsonValue value(QStringView key) const;
    /// Calls f(name, value) for every fact that is set, value a QString or a qint64: the one
    /// list of the facts' attribute names, for writers that skip building a QJsonObject.
    template<typename F>
    void forEach(F &&f) const
    {
        f(QStringView(u"coroute.job_id"), qint64(job));
        f(QStringView(u"coroute.route"), route);
        f(QStringView(u"coroute.method"), method);
        f(QStringView(u"coroute.path"), path);
        f(QStringView(u"coroute.state"), state);
        f(QStringView(u"coroute.executor"), executor);
        f(QStringView(u"coroute.attempts"), qint64(attempts));
        if (queuedMs)
            f(QStringView(u"coroute.queued_ms"), qint64(queuedMs));
        if (!cancelReason.isEmpty()) {
            f(QStringView(u"cancel.reason"), cancelReason);
            f(QStringView(u"cancel.requested_by"), cancelRequestedBy);
        }
        if (hasError) {
            f(QStringView(u"error.type"), errorType);
            f(QStringView(u"error.status"), qint64(errorStatus));
        }
    }
};

/// A finished (or, while live, open) span: one timed piece of a job's work.
struct SpanData
{
    TraceId traceId;        ///< shared by a job tree
    quint64 spanId = 0;     ///< 8 random bytes, never 0
    quint64 parentId = 0;   ///< 0 for the root span of a top-level job
    JobId job = 0;
    QString name;
    qint64 startNs = 0;     ///< Unix epoch ns: monotonic time anchored to the wall clock
    qint64 endNs = 0;       ///< 0 while open
    QJsonObject attributes;  ///< set on the span itself; read allAttributes() for all of them
    /// On a job's root span once it ended, as the runtime delivers it; JSON and the store carry
    /// the facts as plain attributes instead.
    std::shared_ptr<const JobSpanFacts> jobFacts;
    QList<SpanEvent> events;
    SpanStatus status = SpanStatus::Unset;
    QString statusMessage;
    QString thread;         ///< "loop", "pool" or a thread name

    /// The span's attributes with, on a job's root span, the job's own ones.
    QJsonObject allAttributes() const;
    /// One attribute of allAttributes(), without building them all.
    QJsonValue attribute(QStringView key) const;
    /// 32 lower-case hex digits.
    QString traceIdHex() const { return traceId.toHex(); }
    /// 16 lower-case hex digits; empty for 0.
    static QString idHex(quint64 id);
    static quint64 idFromHex(QStringView hex);

    QJsonObject toJson() const;
    static SpanData fromJson(const QJsonObject &o);
};

namespace trace {
/// Now, in Unix epoch nanoseconds, from the steady clock anchored once to the wall clock,
/// so spans never go backwards when the system time is adjusted.
qint64 nowNs();
/// A random non-zero 64-bit id.
quint64 newSpanId();
} // namespace trace

} // namespace coroute

// Qt and standard members with no self-references: lists of them grow by realloc, without
// moving each element (the registry's batch holds one span per finished job).
Q_DECLARE_TYPEINFO(coroute::SpanEvent, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(coroute::SpanData, Q_RELOCATABLE_TYPE);
