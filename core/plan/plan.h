#pragma once

#include "router/route.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace coroute {

class Router;

/// One problem found in a plan, located by a JSON pointer into the document.
struct PlanError
{
    QString loc;  ///< "/jobs/2/after/0"; "" for the document as a whole
    QString msg;  ///< for people: "unknown dependency 'fetch'"
    QString type; ///< for scripts: "json_invalid", "unknown_route", "dependency_cycle", ...

    /// {"loc", "msg", "type"}
    QJsonObject toJson() const;
    bool operator==(const PlanError &) const = default;
};

/// What a plan does when one of its jobs fails.
enum class FailurePolicy {
    Continue, ///< jobs that do not depend on the failed one go on
    FailFast, ///< everything still pending or running is cancelled (reason sibling_failed)
};
/// "continue", "fail_fast".
QString nameOf(FailurePolicy policy);

/// A job of a plan as written: before fan-out and before references are substituted.
struct PlanJob
{
    QString id;
    int position = 0;       ///< index in the document's "jobs" array
    QString method;         ///< "GET"
    QString path;           ///< "/fs/stat?path=${item}": may hold a query string and references
    QJsonObject query;
    QJsonValue body = QJsonValue(QJsonValue::Undefined);
    QStringList after;      ///< ids of the jobs that must succeed first
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<RetryPolicy> retry;
    std::optional<QJsonArray> foreach; ///< fan out: one instance per item, "<id>[<index>]"
    QStringList uses;       ///< ids of the jobs whose results this one references

    /// "<id>" or "<id>[<index>]" for a foreach instance.
    QString instanceId(int index) const;
};

/// A validated job plan: a DAG of route calls with a concurrency bound and a failure policy.
///
///     QList<PlanError> errors;
///     const Plan plan = Plan::parse(json, runtime.router(), &errors);
///     if (!errors.isEmpty()) { print(Plan::errorsToJson(errors)); return 2; }
struct Plan
{
    QString name;
    int concurrency = 4;    ///< most plan jobs in flight at once
    FailurePolicy onFailure = FailurePolicy::Continue;
    QList<PlanJob> jobs;    ///< in document order

    /// The job with this id, or null.
    const PlanJob *job(const QString &id) const;

    /// Parses and validates a plan against router without running anything. Appends every
    /// problem found (all at once, each with its location) to *errors; the returned plan is
    /// only usable when none was found. Checks JSON syntax (with line and column), types and
    /// unknown keys, ids, dependencies (unknown, cyclic), references (syntax, unknown jobs,
    /// jobs that are not transitive dependencies) and every route call (404, 405 and the 422
    /// details, with referenced values standing in as placeholders).
    static Plan parse(const QByteArray &json, const Router &router, QList<PlanError> *errors);

    /// {"valid": false, "errors": [...]}
    static QJsonObject errorsToJson(const QList<PlanError> &errors);
};

} // namespace coroute
