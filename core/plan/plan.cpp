#include "plan/plan.h"

#include "plan/reference_p.h"
#include "router/router.h"
#include "runtime/callrequest.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>

#include <cmath>
#include <functional>
#include <map>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcPlan, "coroute.plan", QtInfoMsg)

namespace coroute {

QJsonObject PlanError::toJson() const
{
    return {{u"loc"_s, loc}, {u"msg"_s, msg}, {u"type"_s, type}};
}

QString nameOf(FailurePolicy policy)
{
    return policy == FailurePolicy::FailFast ? u"fail_fast"_s : u"continue"_s;
}

QString PlanJob::instanceId(int index) const
{
    return foreach ? id + u'[' + QString::number(index) + u']' : id;
}

const PlanJob *Plan::job(const QString &id) const
{
    for (const auto &j : jobs) {
        if (j.id == id)
            return &j;
    }
    return nullptr;
}

QJsonObject Plan::errorsToJson(const QList<PlanError> &errors)
{
    QJsonArray list;
    for (const auto &e : errors)
        list.append(e.toJson());
    return {{u"valid"_s, errors.isEmpty()}, {u"errors"_s, list}};
}

namespace {

const QStringList planKeys{u"name"_s, u"description"_s, u"concurrency"_s, u"on_failure"_s, u"defaults"_s, u"jobs"_s};
const QStringList defaultsKeys{u"timeout_ms"_s, u"retries"_s};
const QStringList jobKeys{u"id"_s, u"description"_s, u"route"_s, u"query"_s, u"body"_s, u"after"_s,
                          u"timeout_ms"_s, u"retries"_s, u"foreach"_s};
const QStringList retryKeys{u"attempts"_s, u"backoff_ms"_s, u"max_backoff_ms"_s, u"multiplier"_s, u"jitter"_s};
const QStringList methods{u"GET"_s, u"POST"_s, u"PUT"_s, u"PATCH"_s, u"DELETE"_s};

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return u"null"_s;
    case QJsonValue::Bool: return u"a boolean"_s;
    case QJsonValue::Double: return u"a number"_s;
    case QJsonValue::String: return u"a string"_s;
    case QJsonValue::Array: return u"an array"_s;
    case QJsonValue::Object: return u"an object"_s;
    case QJsonValue::Undefined: break;
    }
    return u"nothing"_s;
}

std::optional<qint64> integer(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (std::trunc(d) != d || std::abs(d) > 9007199254740992.0)
        return std::nullopt;
    return qint64(d);
}

class Validator
{
public:
    Validator(const Router &router, QList<PlanError> *errors) : m_router(router), m_errors(errors) {}

    Plan run(const QByteArray &json);

private:
    void add(const QString &loc, const QString &msg, const QString &type) { m_errors->append({loc, msg, type}); }
    void checkKeys(const QJsonObject &o, const QStringList &allowed, const QString &at);
    std::optional<std::chrono::milliseconds> timeoutAt(const QJsonValue &v, const QString &at);
    std::optional<RetryPolicy> retryAt(const QJsonValue &v, const QString &at);
    void checkDependencies(QList<PlanJob> &jobs, const QList<bool> &afterValid);
    void checkReferences(PlanJob &job, const QSet<QString> &ancestors, const QSet<QString> &known);
    void checkRoute(const PlanJob &job);
    void mapDispatchError(const PlanJob &job, const DispatchError &error, QList<PlanError> *out);

    const Router &m_router;
    QList<PlanError> *m_errors;
};

void Validator::checkKeys(const QJsonObject &o, const QStringList &allowed, const QString &at)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!allowed.contains(it.key()))
            add(at + u'/' + detail::pointerToken(it.key()),
                u"unknown key '%1' (allowed: %2)"_s.arg(it.key(), allowed.join(u", "_s)), u"unknown_key"_s);
    }
}

std::optional<std::chrono::milliseconds> Validator::timeoutAt(const QJsonValue &v, const QString &at)
{
    const auto ms = integer(v);
    if (!ms || *ms <= 0) {
        add(at, u"timeout_ms must be a positive integer (milliseconds), got %1"_s.arg(
                    v.isDouble() ? QString::number(v.toDouble()) : typeName(v)),
            u"positive_int"_s);
        return std::nullopt;
    }
    return std::chrono::milliseconds(*ms);
}

std::optional<RetryPolicy> Validator::retryAt(const QJsonValue &v, const QString &at)
{
    if (!v.isObject()) {
        add(at, u"retries must be an object {attempts, backoff_ms, max_backoff_ms, multiplier, jitter}, got %1"_s.arg(typeName(v)),
            u"object_type"_s);
        return std::nullopt;
    }
    const auto o = v.toObject();
    checkKeys(o, retryKeys, at);
    RetryPolicy p;
    bool ok = true;
    const auto intField = [&](const QString &key, qint64 min, qint64 max, auto apply) {
        if (!o.contains(key))
            return;
        const auto n = integer(o.value(key));
        if (!n || *n < min || *n > max) {
            add(at + u'/' + key, u"%1 must be an integer from %2 to %3"_s.arg(key).arg(min).arg(max), u"int_range"_s);
            ok = false;
            return;
        }
        apply(*n);
    };
    const auto numberField = [&](const QString &key, double min, double max, auto apply) {
        if (!o.contains(key))
            return;
        const auto x = o.value(key);
        if (!x.isDouble() || x.toDouble() < min || x.toDouble() > max) {
            add(at + u'/' + key, u"%1 must be a number from %2 to %3"_s.arg(key).arg(min).arg(max), u"number_range"_s);
            ok = false;
            return;
        }
        apply(x.toDouble());
    };
    if (!o.contains(u"attempts"_s)) {
        add(at + u"/attempts"_s, u"retries needs attempts (total tries, 1 = no retry)"_s, u"missing"_s);
        ok = false;
    }
    intField(u"attempts"_s, 1, 100, [&](qint64 n) { p.attempts = int(n); });
    intField(u"backoff_ms"_s, 0, 3600000, [&](qint64 n) { p.initialBackoff = std::chrono::milliseconds(n); });
    intField(u"max_backoff_ms"_s, 0, 3600000, [&](qint64 n) { p.maxBackoff = std::chrono::milliseconds(n); });
    numberField(u"multiplier"_s, 1, 100, [&](double x) { p.multiplier = x; });
    numberField(u"jitter"_s, 0, 1, [&](double x) { p.jitter = x; });
    if (!ok)
        return std::nullopt;
    if (p.maxBackoff < p.initialBackoff)
        p.maxBackoff = p.initialBackoff;
    return p;
}

Plan Validator::run(const QByteArray &json)
{
    Plan plan;
    QJsonParseError pe;
    const auto doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // Line and column (1-based) of the offset where the parser gave up.
        const qsizetype offset = qBound(qsizetype(0), qsizetype(pe.offset), json.size());
        const QByteArray before = json.left(offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype column = offset - (before.lastIndexOf('\n') + 1) + 1;
        add(QString(), u"malformed JSON: %1 at line %2, column %3"_s.arg(pe.errorString()).arg(line).arg(column),
            u"json_invalid"_s);
        return plan;
    }
    if (!doc.isObject()) {
        add(QString(), u"a plan must be a JSON object {\"jobs\": [...]}"_s, u"object_type"_s);
        return plan;
    }
    const QJsonObject root = doc.object();
    checkKeys(root, planKeys, QString());

    if (root.contains(u"name"_s)) {
        if (root.value(u"name"_s).isString())
            plan.name = root.value(u"name"_s).toString();
        else
            add(u"/name"_s, u"name must be a string, got %1"_s.arg(typeName(root.value(u"name"_s))), u"string_type"_s);
    }
    if (root.contains(u"description"_s) && !root.value(u"description"_s).isString())
        add(u"/description"_s, u"description must be a string"_s, u"string_type"_s);
    if (root.contains(u"concurrency"_s)) {
        const auto n = integer(root.value(u"concurrency"_s));
        if (!n || *n < 1 || *n > 100000)
            add(u"/concurrency"_s, u"concurrency must be a positive integer, got %1"_s.arg(
                                        root.value(u"concurrency"_s).isDouble()
                                            ? QString::number(root.value(u"concurrency"_s).toDouble())
                                            : typeName(root.value(u"concurrency"_s))),
                u"positive_int"_s);
        else
            plan.concurrency = int(*n);
    }
    if (root.contains(u"on_failure"_s)) {
        const auto v = root.value(u"on_failure"_s);
        if (v == u"continue"_s)
            plan.onFailure = FailurePolicy::Continue;
        else if (v == u"fail_fast"_s)
            plan.onFailure = FailurePolicy::FailFast;
        else
            add(u"/on_failure"_s, u"on_failure must be \"continue\" or \"fail_fast\", got %1"_s.arg(
                                       v.isString() ? u'"' + v.toString() + u'"' : typeName(v)),
                u"literal_error"_s);
    }
    std::optional<std::chrono::milliseconds> defaultTimeout;
    std::optional<RetryPolicy> defaultRetry;
    if (root.contains(u"defaults"_s)) {
        const auto v = root.value(u"defaults"_s);
        if (!v.isObject()) {
            add(u"/defaults"_s, u"defaults must be an object {timeout_ms, retries}, got %1"_s.arg(typeName(v)),
                u"object_type"_s);
        } else {
            const auto o = v.toObject();
            checkKeys(o, defaultsKeys, u"/defaults"_s);
            if (o.contains(u"timeout_ms"_s))
                defaultTimeout = timeoutAt(o.value(u"timeout_ms"_s), u"/defaults/timeout_ms"_s);
            if (o.contains(u"retries"_s))
                defaultRetry = retryAt(o.value(u"retries"_s), u"/defaults/retries"_s);
        }
    }

    const auto jobsValue = root.value(u"jobs"_s);
    if (jobsValue.isUndefined()) {
        add(u"/jobs"_s, u"a plan needs \"jobs\": an array of jobs"_s, u"missing"_s);
        return plan;
    }
    if (!jobsValue.isArray()) {
        add(u"/jobs"_s, u"jobs must be an array, got %1"_s.arg(typeName(jobsValue)), u"list_type"_s);
        return plan;
    }
    const QJsonArray jobs = jobsValue.toArray();
    if (jobs.isEmpty())
        add(u"/jobs"_s, u"a plan needs at least one job"_s, u"too_short"_s);

    static const QRegularExpression idPattern(u"^[A-Za-z0-9_-]+$"_s);
    QHash<QString, int> firstAt;
    QList<bool> routeValid;
    QList<bool> afterValid;
    QList<QJsonObject> sources;
    for (qsizetype i = 0; i < jobs.size(); ++i) {
        const QString at = u"/jobs/"_s + QString::number(i);
        PlanJob job;
        job.position = int(i);
        bool routeOk = false;
        bool afterOk = true;
        const auto jv = jobs.at(i);
        QJsonObject o;
        if (!jv.isObject()) {
            add(at, u"a job must be an object {id, route, ...}, got %1"_s.arg(typeName(jv)), u"object_type"_s);
        } else {
            o = jv.toObject();
            checkKeys(o, jobKeys, at);
            // id
            const auto id = o.value(u"id"_s);
            if (id.isUndefined()) {
                add(at + u"/id"_s, u"a job needs an id"_s, u"missing"_s);
            } else if (!id.isString()) {
                add(at + u"/id"_s, u"id must be a string, got %1"_s.arg(typeName(id)), u"string_type"_s);
            } else if (!idPattern.match(id.toString()).hasMatch() || id.toString() == u"item"_s) {
                add(at + u"/id"_s, u"invalid id '%1': use letters, digits, '_' and '-' (and not 'item')"_s.arg(id.toString()),
                    u"invalid_id"_s);
            } else {
                job.id = id.toString();
                if (const auto first = firstAt.find(job.id); first != firstAt.end())
                    add(at + u"/id"_s, u"duplicate id '%1' (first used by /jobs/%2)"_s.arg(job.id).arg(*first),
                        u"duplicate_id"_s);
                else
                    firstAt.insert(job.id, int(i));
            }
            // route
            const auto route = o.value(u"route"_s);
            if (route.isUndefined()) {
                add(at + u"/route"_s, u"a job needs a route: \"METHOD /path\""_s, u"missing"_s);
            } else if (!route.isString()) {
                add(at + u"/route"_s, u"route must be a string \"METHOD /path\", got %1"_s.arg(typeName(route)),
                    u"string_type"_s);
            } else if (const auto req = CallRequest::parse(route.toString()); !req) {
                add(at + u"/route"_s, u"route must be \"METHOD /path\", got \"%1\""_s.arg(route.toString()),
                    u"invalid_route"_s);
            } else if (!methods.contains(req->method)) {
                add(at + u"/route"_s, u"unknown method '%1' (allowed: %2)"_s.arg(req->method, methods.join(u", "_s)),
                    u"invalid_route"_s);
            } else {
                job.method = req->method;
                job.path = req->path;
                routeOk = true;
            }
            // query, body
            if (o.contains(u"query"_s)) {
                if (o.value(u"query"_s).isObject()) {
                    job.query = o.value(u"query"_s).toObject();
                } else {
                    add(at + u"/query"_s, u"query must be an object, got %1"_s.arg(typeName(o.value(u"query"_s))),
                        u"object_type"_s);
                    routeOk = false;
                }
            }
            if (o.contains(u"body"_s))
                job.body = o.value(u"body"_s);
            // after
            if (o.contains(u"after"_s)) {
                const auto after = o.value(u"after"_s);
                if (!after.isArray()) {
                    add(at + u"/after"_s, u"after must be an array of job ids, got %1"_s.arg(typeName(after)),
                        u"list_type"_s);
                    afterOk = false;
                } else {
                    const auto list = after.toArray();
                    for (qsizetype k = 0; k < list.size(); ++k) {
                        if (!list.at(k).isString()) {
                            add(at + u"/after/"_s + QString::number(k),
                                u"after must hold job ids (strings), got %1"_s.arg(typeName(list.at(k))), u"string_type"_s);
                            afterOk = false;
                        } else {
                            job.after.append(list.at(k).toString());
                        }
                    }
                }
            }
            // timeout, retries
            job.timeout = defaultTimeout;
            job.retry = defaultRetry;
            if (o.contains(u"timeout_ms"_s))
                job.timeout = timeoutAt(o.value(u"timeout_ms"_s), at + u"/timeout_ms"_s);
            if (o.contains(u"retries"_s))
                job.retry = retryAt(o.value(u"retries"_s), at + u"/retries"_s);
            // foreach
            if (o.contains(u"foreach"_s)) {
                const auto items = o.value(u"foreach"_s);
                if (items.isArray()) {
                    job.foreach = items.toArray();
                } else {
                    add(at + u"/foreach"_s, u"foreach must be an array of items, got %1"_s.arg(typeName(items)),
                        u"list_type"_s);
                    routeOk = false;
                }
            }
        }
        plan.jobs.append(std::move(job));
        routeValid.append(routeOk);
        afterValid.append(afterOk);
        sources.append(o);
    }

    checkDependencies(plan.jobs, afterValid);

    // Ancestors (transitive dependencies) of each job, for the reference check.
    QHash<QString, const PlanJob *> byId;
    for (const auto &j : std::as_const(plan.jobs)) {
        if (!j.id.isEmpty() && !byId.contains(j.id))
            byId.insert(j.id, &j);
    }
    QSet<QString> known;
    for (auto it = byId.begin(); it != byId.end(); ++it)
        known.insert(it.key());
    for (qsizetype i = 0; i < plan.jobs.size(); ++i) {
        QSet<QString> ancestors;
        QList<QString> stack = plan.jobs[i].after;
        while (!stack.isEmpty()) {
            const QString id = stack.takeLast();
            if (ancestors.contains(id) || !byId.contains(id))
                continue;
            ancestors.insert(id);
            stack.append(byId.value(id)->after);
        }
        checkReferences(plan.jobs[i], ancestors, known);
        if (routeValid[i])
            checkRoute(plan.jobs[i]);
    }
    return plan;
}

void Validator::checkDependencies(QList<PlanJob> &jobs, const QList<bool> &afterValid)
{
    QHash<QString, int> index;
    for (const auto &j : std::as_const(jobs)) {
        if (!j.id.isEmpty() && !index.contains(j.id))
            index.insert(j.id, j.position);
    }
    // Edges job -> dependency, only between known jobs.
    for (const auto &j : std::as_const(jobs)) {
        if (!afterValid[j.position])
            continue;
        for (qsizetype k = 0; k < j.after.size(); ++k) {
            const QString at = u"/jobs/%1/after/%2"_s.arg(j.position).arg(k);
            const QString &dep = j.after[k];
            if (!index.contains(dep)) {
                add(at, u"unknown dependency '%1'"_s.arg(dep), u"unknown_dependency"_s);
            } else if (dep == j.id) {
                add(at, u"job '%1' depends on itself"_s.arg(dep), u"dependency_cycle"_s);
            } else if (j.after.indexOf(dep) != k) {
                add(at, u"dependency '%1' is listed twice"_s.arg(dep), u"duplicate_dependency"_s);
            }
        }
    }
    // Cycles: a depth-first search over the dependency edges; each back edge closes a cycle,
    // reported once (at the edge of the cycle's first job in document order).
    enum Color { White, Grey, Black };
    QList<Color> color(jobs.size(), White);
    QList<int> stack;
    QSet<QString> reported;
    std::function<void(int)> visit = [&](int v) {
        color[v] = Grey;
        stack.append(v);
        const auto &job = jobs[v];
        for (const auto &dep : std::as_const(job.after)) {
            const auto it = index.find(dep);
            if (it == index.end() || *it == v || jobs[*it].id != dep)
                continue;
            const int w = *it;
            if (color[w] == Grey) {
                QList<int> cycle = stack.mid(stack.indexOf(w));
                // Canonical form: rotate to the job first in the document.
                const auto first = std::min_element(cycle.begin(), cycle.end()) - cycle.begin();
                std::rotate(cycle.begin(), cycle.begin() + first, cycle.end());
                QStringList names;
                for (int c : cycle)
                    names << jobs[c].id;
                QStringList key = names;
                key.sort();
                if (reported.contains(key.join(u','))) // the same cycle found from another start
                    continue;
                reported.insert(key.join(u','));
                // Walking stack order follows "depends on" edges: a -> b means a waits for b.
                const int from = cycle.first();
                const int to = cycle.size() > 1 ? cycle[1] : cycle.first();
                const int k = int(jobs[from].after.indexOf(jobs[to].id));
                add(u"/jobs/%1/after/%2"_s.arg(jobs[from].position).arg(qMax(0, k)),
                    u"dependency cycle: %1 -> %2 (each waits for the next)"_s.arg(names.join(u" -> "_s), names.first()),
                    u"dependency_cycle"_s);
            } else if (color[w] == White) {
                visit(w);
            }
        }
        stack.removeLast();
        color[v] = Black;
    };
    for (qsizetype v = 0; v < jobs.size(); ++v) {
        if (color[v] == White && !jobs[v].id.isEmpty() && afterValid[v])
            visit(int(v));
    }
}

void Validator::checkReferences(PlanJob &job, const QSet<QString> &ancestors, const QSet<QString> &known)
{
    const QString at = u"/jobs/"_s + QString::number(job.position);
    const auto checkString = [&](const QString &s, const QString &loc) {
        if (!s.contains(u'$'))
            return;
        QList<detail::Piece> pieces;
        QString error;
        if (!detail::scanReferences(s, &pieces, &error)) {
            add(loc, error, u"bad_reference"_s);
            return;
        }
        for (const auto &p : std::as_const(pieces)) {
            if (!p.ref)
                continue;
            const auto &ref = *p.ref;
            if (ref.isItem()) {
                if (!job.foreach) {
                    add(loc, u"%1 is only defined in a job with foreach"_s.arg(ref.text), u"bad_reference"_s);
                    continue;
                }
                for (qsizetype k = 0; k < job.foreach->size(); ++k) {
                    QString navError;
                    if (!detail::navigate(job.foreach->at(k), ref.path, &navError)) {
                        add(loc, u"%1 for foreach item %2: %3"_s.arg(ref.text).arg(k).arg(navError), u"bad_reference"_s);
                        break;
                    }
                }
            } else if (!known.contains(ref.job)) {
                add(loc, u"%1 refers to unknown job '%2'"_s.arg(ref.text, ref.job), u"unknown_reference"_s);
            } else if (!ancestors.contains(ref.job)) {
                add(loc,
                    ref.job == job.id
                        ? u"%1: a job cannot use its own result"_s.arg(ref.text)
                        : u"%1 uses the result of '%2', which is not among the (transitive) dependencies of '%3': add it to \"after\""_s
                              .arg(ref.text, ref.job, job.id),
                    u"reference_not_dependency"_s);
            } else if (!job.uses.contains(ref.job)) {
                job.uses.append(ref.job);
            }
        }
    };
    std::function<void(const QJsonValue &, const QString &)> walk = [&](const QJsonValue &v, const QString &loc) {
        if (v.isString()) {
            checkString(v.toString(), loc);
        } else if (v.isObject()) {
            const auto o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it)
                walk(it.value(), loc + u'/' + detail::pointerToken(it.key()));
        } else if (v.isArray()) {
            const auto a = v.toArray();
            for (qsizetype k = 0; k < a.size(); ++k)
                walk(a.at(k), loc + u'/' + QString::number(k));
        }
    };
    checkString(job.path, at + u"/route"_s);
    walk(job.query, at + u"/query"_s);
    walk(job.body, at + u"/body"_s);
}

void Validator::mapDispatchError(const PlanJob &job, const DispatchError &error, QList<PlanError> *out)
{
    const QString at = u"/jobs/"_s + QString::number(job.position);
    const QString request = job.method + u' ' + job.path;
    if (error.status == 404) {
        out->append({at + u"/route"_s, u"unknown route: %1 (404 Not Found; see 'coroute routes')"_s.arg(request),
                     u"unknown_route"_s});
        return;
    }
    if (error.status == 405) {
        out->append({at + u"/route"_s,
                     u"%1: method not allowed (405); the path accepts %2"_s.arg(request, error.allowed.join(u", "_s)),
                     u"method_not_allowed"_s});
        return;
    }
    for (const auto &entry : error.detail) {
        const auto e = entry.toObject();
        const auto input = e.value(u"input"_s);
        // A value that is (or holds) a reference is only known when the plan runs.
        if (input.isString() && detail::hasReference(input.toString()))
            continue;
        const auto loc = e.value(u"loc"_s).toArray();
        const QString where = loc.at(0).toString();
        QString pointer;
        if (where == u"path"_s) {
            pointer = at + u"/route"_s;
        } else if (where == u"query"_s) {
            const QString name = loc.at(1).toString();
            const bool inRouteOnly = !job.query.contains(name) && job.path.contains(u'?');
            pointer = inRouteOnly ? at + u"/route"_s : at + u"/query/"_s + detail::pointerToken(name);
        } else {
            pointer = at + u"/body"_s;
            for (qsizetype k = 1; k < loc.size(); ++k)
                pointer += u'/' + (loc.at(k).isString() ? detail::pointerToken(loc.at(k).toString())
                                                        : QString::number(loc.at(k).toInteger()));
        }
        QString msg = e.value(u"msg"_s).toString();
        if (where == u"query"_s || (where == u"body"_s && loc.size() > 1))
            msg = u"%1: %2"_s.arg(loc.last().toString(), msg);
        out->append({pointer, msg, e.value(u"type"_s).toString()});
    }
}

void Validator::checkRoute(const PlanJob &job)
{
    const int instances = job.foreach ? int(job.foreach->size()) : 0;
    // Each problem with the instances (0 stands for "no foreach" or an empty one) where it occurs.
    std::map<std::tuple<QString, QString, QString>, QList<int>> found;
    QList<std::tuple<QString, QString, QString>> order;
    for (int k = 0; k < qMax(1, instances); ++k) {
        const bool withItem = k < instances;
        detail::ReferenceLookup lookup = [&](const detail::Reference &ref, QString *) -> std::optional<QJsonValue> {
            if (!ref.isItem() || !withItem)
                return std::nullopt; // a placeholder: checked when the plan runs
            QString ignored;
            return detail::navigate(job.foreach->at(k), ref.path, &ignored);
        };
        QString error;
        const QString path = detail::substituteText(job.path, lookup, true, &error);
        const QJsonObject query = detail::substitute(job.query, lookup, &error).toObject();
        const QJsonValue body = detail::substitute(job.body, lookup, &error);
        if (!error.isEmpty())
            return; // already reported by checkReferences
        const auto resolution = m_router.resolve(job.method, path, query, body);
        const auto *dispatchError = std::get_if<DispatchError>(&resolution);
        if (!dispatchError)
            continue;
        QList<PlanError> mapped;
        mapDispatchError(job, *dispatchError, &mapped);
        for (const auto &e : std::as_const(mapped)) {
            const auto key = std::make_tuple(e.loc, e.msg, e.type);
            auto &where = found[key];
            if (where.isEmpty())
                order.append(key);
            where.append(k);
        }
    }
    for (const auto &key : std::as_const(order)) {
        const auto &where = found[key];
        QString msg = std::get<1>(key);
        if (instances > 0 && where.size() < instances) {
            QStringList items;
            for (int k : where)
                items << QString::number(k);
            msg = u"foreach item%1 %2: %3"_s.arg(where.size() > 1 ? u"s"_s : QString(), items.join(u", "_s), msg);
        }
        add(std::get<0>(key), msg, std::get<2>(key));
    }
}

} // namespace

Plan Plan::parse(const QByteArray &json, const Router &router, QList<PlanError> *errors)
{
    QList<PlanError> local;
    Validator validator(router, errors ? errors : &local);
    Plan plan = validator.run(json);
    qCDebug(lcPlan) << "parsed plan" << plan.name << "with" << plan.jobs.size() << "jobs";
    return plan;
}

} // namespace coroute
