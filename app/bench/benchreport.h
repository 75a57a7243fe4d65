#pragma once

#include <QJsonValue>
#include <QList>
#include <QString>

#include <utility>

namespace coroute::bench {

/// What a bench run was asked to do (from the command line).
struct BenchOptions
{
    QString workload;     ///< the canonical name: "W1", "W2", ...
    QString mode;         ///< W1: "routed" or "bare"
    qint64 n = 0;         ///< job count; 0 for the workload's own N
    bool store = true;    ///< record jobs in the history store (--no-store turns it off)
    QString url;          ///< W3: the URL to GET; empty for the in-process loopback server
    bool raw = false;     ///< W4: raw libsqlite3 on the calling thread (the in-process reference)
    QString dbPath;       ///< W4: the database file (recreated); empty for a temporary one
    QString manifest;     ///< W5: "<sha256 hex>\t<path>" lines; empty to make the files
    qint64 fileMb = 4;    ///< W5: size of each generated file in MiB
};

/// One run's figures, printed as one JSON line with keys in insertion order (QJsonObject
/// would sort them, and scripts diff these lines).
class BenchReport
{
public:
    void set(const QString &key, const QJsonValue &value);
    /// A figure rounded to `decimals` places, so the line stays readable.
    void setRounded(const QString &key, double value, int decimals);
    /// Marks the check failed; the first reason is kept.
    void fail(const QString &reason);
    bool passed() const { return m_failure.isEmpty(); }
    /// The JSON line (without the newline), ending with "check".
    QByteArray toJsonLine() const;

    /// Whether the run's jobs were recorded in a history store (BenchHistory sets it).
    bool storeOn = false;

private:
    QList<std::pair<QString, QJsonValue>> m_fields;
    QString m_failure;
};

/// Resident set size now and its peak so far, in KiB, from /proc/self/status (VmRSS, VmHWM);
/// 0 where unavailable. getrusage's ru_maxrss may carry a parent's peak across exec.
struct Memory
{
    qint64 rssKb = 0;
    qint64 peakKb = 0;
};
Memory readMemory();

/// Seconds from a steady clock, for the timed regions.
double nowSeconds();

} // namespace coroute::bench
