#include "router/router.h"
#include "runtime/callrequest.h"

#include <QJsonDocument>
#include <QTest>

#include <qcoro/qcoroasyncgenerator.h>
#include <qcoro/qcorotask.h>

// GCC 12 warns about members left out of a designated initializer, which is the style router.h
// documents for ParamSpec ({.name = ..., .type = ...}).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using coroute::CallRequest;
using coroute::canonicalMethod;
using coroute::DispatchError;
using coroute::InvalidRoute;
using coroute::ParamSpec;
using coroute::ParamType;
using coroute::Router;
using coroute::RouteMatch;

namespace {

// Handlers are registered, never invoked: the router only looks at their signatures.
QCoro::Task<QJsonValue> asyncHandler(coroute::Context &)
{
    co_return QJsonValue(1);
}

int syncHandler(coroute::Context &)
{
    return 1;
}

QCoro::AsyncGenerator<int> streamingHandler(coroute::Context &)
{
    co_yield 1;
}

// "{\"a\": 1}" → a JSON value; any JSON text, scalars included.
QJsonValue json(const QString &text)
{
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(QByteArray(QByteArray("[") + text.toUtf8() + QByteArray("]")), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in test: %s", qPrintable(text));
    return doc.array().at(0);
}

QString compact(const QJsonValue &value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

QString describe(const coroute::Resolution &r)
{
    if (const auto *e = std::get_if<DispatchError>(&r))
        return compact(e->toJson());
    const auto &m = std::get<RouteMatch>(r);
    return m.route->displayName() + u' ' + compact(m.pathParams) + u' ' + compact(m.query);
}

const RouteMatch *asMatch(const coroute::Resolution &r)
{
    return std::get_if<RouteMatch>(&r);
}

const DispatchError *asError(const coroute::Resolution &r)
{
    return std::get_if<DispatchError>(&r);
}

// The (loc, type) pairs of a 422 detail, as compact JSON for one QCOMPARE.
QString locsAndTypes(const QJsonArray &detail)
{
    QJsonArray out;
    for (const QJsonValue &entry : detail)
        out.append(QJsonArray{entry[u"loc"_s], entry[u"type"_s]});
    return compact(out);
}

} // namespace

class tst_Router : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handlerKinds();
    void segmentTypes_data();
    void segmentTypes();
    void segmentTypeMismatch_data();
    void segmentTypeMismatch();
    void priority_data();
    void priority();
    void malformedTemplates_data();
    void malformedTemplates();
    void conflicts();
    void builderErrors_data();
    void builderErrors();
    void notFound_data();
    void notFound();
    void methodNotAllowed();
    void canonicalMethods();
    void validationListsEveryField();
    void preferFullyValidMatch();
    void defaultsAndUndeclared();
    void queryValues_data();
    void queryValues();
    void queryStringParsing();
    void bodyShapes_data();
    void bodyShapes();
    void include();
    void includeErrors();
    void copyAndMove();
    void toJson();
    void openApi();
    void retryDelay_data();
    void retryDelay();
    void resolveBenchmark();
};

void tst_Router::handlerKinds()
{
    Router r;
    const auto &a = r.get(u"/a"_s, asyncHandler).route();
    const auto &s = r.get(u"/s"_s, syncHandler).route();
    const auto &g = r.get(u"/g"_s, streamingHandler).route();
    QVERIFY(a.handler.kind == coroute::HandlerKind::Async);
    QVERIFY(s.handler.kind == coroute::HandlerKind::Sync);
    QVERIFY(g.handler.kind == coroute::HandlerKind::Streaming);
    QVERIFY(a.policy.executor == coroute::Executor::Loop);
    QVERIFY(s.policy.executor == coroute::Executor::Pool);
    QVERIFY(g.policy.executor == coroute::Executor::Loop);
    QCOMPARE(nameOf(coroute::HandlerKind::Async), u"async"_s);
    QCOMPARE(nameOf(coroute::HandlerKind::Sync), u"sync"_s);
    QCOMPARE(nameOf(coroute::HandlerKind::Streaming), u"streaming"_s);
    QCOMPARE(nameOf(coroute::Executor::Pool), u"pool"_s);

    const auto &lower = r.add(u"post"_s, u"/p"_s, syncHandler).route();
    QCOMPARE(lower.method, u"POST"_s);
    QCOMPARE(lower.displayName(), u"POST /p"_s);
}

void tst_Router::segmentTypes_data()
{
    QTest::addColumn<QString>("pathTemplate");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected"); // compact JSON of pathParams

    QTest::newRow("root") << u"/"_s << u"/"_s << u"{}"_s;
    QTest::newRow("literal") << u"/a/b"_s << u"/a/b"_s << u"{}"_s;
    QTest::newRow("string") << u"/u/{name}"_s << u"/u/alice"_s << u"{\"name\":\"alice\"}"_s;
    QTest::newRow("string decoded") << u"/u/{name}"_s << u"/u/a%20b%2Fc"_s << u"{\"name\":\"a b/c\"}"_s;
    QTest::newRow("string plus kept") << u"/u/{name}"_s << u"/u/a+b"_s << u"{\"name\":\"a+b\"}"_s;
    QTest::newRow("string typed name") << u"/u/{name:string}"_s << u"/u/x"_s << u"{\"name\":\"x\"}"_s;
    QTest::newRow("int") << u"/i/{id:int}"_s << u"/i/42"_s << u"{\"id\":42}"_s;
    QTest::newRow("int negative") << u"/i/{id:int}"_s << u"/i/-7"_s << u"{\"id\":-7}"_s;
    QTest::newRow("int plus sign") << u"/i/{id:int}"_s << u"/i/+7"_s << u"{\"id\":7}"_s;
    QTest::newRow("double") << u"/d/{x:double}"_s << u"/d/2.5"_s << u"{\"x\":2.5}"_s;
    QTest::newRow("double exponent") << u"/d/{x:double}"_s << u"/d/-1e3"_s << u"{\"x\":-1000}"_s;
    QTest::newRow("bool true") << u"/b/{f:bool}"_s << u"/b/TRUE"_s << u"{\"f\":true}"_s;
    QTest::newRow("bool off") << u"/b/{f:bool}"_s << u"/b/off"_s << u"{\"f\":false}"_s;
    QTest::newRow("bool yes") << u"/b/{f:bool}"_s << u"/b/Yes"_s << u"{\"f\":true}"_s;
    QTest::newRow("bool 0") << u"/b/{f:bool}"_s << u"/b/0"_s << u"{\"f\":false}"_s;
    QTest::newRow("uuid") << u"/x/{id:uuid}"_s << u"/x/123E4567-E89B-12D3-A456-426614174000"_s
                          << u"{\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}"_s;
    QTest::newRow("uuid braces") << u"/x/{id:uuid}"_s << u"/x/%7B123e4567-e89b-12d3-a456-426614174000%7D"_s
                                 << u"{\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}"_s;
    QTest::newRow("uuid nil") << u"/x/{id:uuid}"_s << u"/x/00000000-0000-0000-0000-000000000000"_s
                              << u"{\"id\":\"00000000-0000-0000-0000-000000000000\"}"_s;
    QTest::newRow("path one") << u"/f/{p:path}"_s << u"/f/a.txt"_s << u"{\"p\":\"a.txt\"}"_s;
    QTest::newRow("path many") << u"/f/{p:path}"_s << u"/f/a/b%20c/d.txt"_s << u"{\"p\":\"a/b c/d.txt\"}"_s;
    QTest::newRow("mixed") << u"/m/{a:int}/x/{b}/{c:path}"_s << u"/m/1/x/y/z/w"_s
                           << u"{\"a\":1,\"b\":\"y\",\"c\":\"z/w\"}"_s;
}

void tst_Router::segmentTypes()
{
    QFETCH(QString, pathTemplate);
    QFETCH(QString, path);
    QFETCH(QString, expected);

    Router r;
    r.get(pathTemplate, asyncHandler);
    const auto res = r.resolve(u"GET"_s, path);
    const auto *m = asMatch(res);
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->route->pathTemplate, pathTemplate);
    QCOMPARE(compact(m->pathParams), expected);
    QVERIFY(m->query.isEmpty());
}

void tst_Router::segmentTypeMismatch_data()
{
    QTest::addColumn<QString>("pathTemplate");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("input");

    QTest::newRow("int") << u"/i/{id:int}"_s << u"/i/abc"_s << u"int_parsing"_s << u"abc"_s;
    QTest::newRow("int fraction") << u"/i/{id:int}"_s << u"/i/1.5"_s << u"int_parsing"_s << u"1.5"_s;
    QTest::newRow("int overflow") << u"/i/{id:int}"_s << u"/i/99999999999999999999"_s << u"int_parsing"_s
                                  << u"99999999999999999999"_s;
    QTest::newRow("int sign only") << u"/i/{id:int}"_s << u"/i/-"_s << u"int_parsing"_s << u"-"_s;
    QTest::newRow("double") << u"/d/{id:double}"_s << u"/d/x1"_s << u"float_parsing"_s << u"x1"_s;
    QTest::newRow("double inf") << u"/d/{id:double}"_s << u"/d/inf"_s << u"float_parsing"_s << u"inf"_s;
    QTest::newRow("bool") << u"/b/{id:bool}"_s << u"/b/maybe"_s << u"bool_parsing"_s << u"maybe"_s;
    QTest::newRow("uuid") << u"/u/{id:uuid}"_s << u"/u/not-a-uuid"_s << u"uuid_parsing"_s << u"not-a-uuid"_s;
    QTest::newRow("uuid bad hex") << u"/u/{id:uuid}"_s << u"/u/123e4567-e89b-12d3-a456-42661417400g"_s
                                  << u"uuid_parsing"_s << u"123e4567-e89b-12d3-a456-42661417400g"_s;
}

void tst_Router::segmentTypeMismatch()
{
    QFETCH(QString, pathTemplate);
    QFETCH(QString, path);
    QFETCH(QString, type);
    QFETCH(QString, input);

    Router r;
    r.get(pathTemplate, asyncHandler);
    const auto res = r.resolve(u"GET"_s, path);
    const auto *e = asError(res);
    QVERIFY2(e, qPrintable(describe(res)));
    QCOMPARE(e->status, 422);
    QCOMPARE(e->detail.size(), 1);
    const QJsonObject entry = e->detail.at(0).toObject();
    QCOMPARE(entry[u"loc"_s], json(u"[\"path\",\"id\"]"_s));
    QCOMPARE(entry[u"type"_s].toString(), type);
    QCOMPARE(entry[u"input"_s].toString(), input);
    QVERIFY(entry[u"msg"_s].toString().startsWith(u"Input should be a valid "_s));
    QCOMPARE(e->toJson()[u"status"_s].toInt(), 422);
}

void tst_Router::priority_data()
{
    QTest::addColumn<QStringList>("templates");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");

    const QStringList items{u"/items/special"_s, u"/items/{id:int}"_s, u"/items/{name}"_s,
                            u"/items/{rest:path}"_s};
    QStringList reversed = items;
    std::reverse(reversed.begin(), reversed.end());
    for (const auto &[label, list] : {std::pair{"", items}, std::pair{" (reversed)", reversed}}) {
        const QByteArray suffix(label);
        QTest::newRow(QByteArray(QByteArray("literal beats params") + suffix).constData()) << list << u"/items/special"_s << u"/items/special"_s;
        QTest::newRow(QByteArray(QByteArray("int beats string") + suffix).constData()) << list << u"/items/5"_s << u"/items/{id:int}"_s;
        QTest::newRow(QByteArray(QByteArray("string when int fails") + suffix).constData()) << list << u"/items/abc"_s << u"/items/{name}"_s;
        QTest::newRow(QByteArray(QByteArray("path takes the rest") + suffix).constData()) << list << u"/items/a/b"_s << u"/items/{rest:path}"_s;
    }
    const QStringList typed{u"/t/{b:double}"_s, u"/t/{a:int}"_s, u"/t/{c:bool}"_s, u"/t/{d:uuid}"_s};
    QTest::newRow("int beats double and bool") << typed << u"/t/1"_s << u"/t/{a:int}"_s;
    QTest::newRow("double when not int") << typed << u"/t/1.5"_s << u"/t/{b:double}"_s;
    QTest::newRow("bool word") << typed << u"/t/yes"_s << u"/t/{c:bool}"_s;
    QTest::newRow("uuid") << typed << u"/t/123e4567-e89b-12d3-a456-426614174000"_s << u"/t/{d:uuid}"_s;
    const QStringList backtrack{u"/a/b/d"_s, u"/a/{x}/c"_s, u"/a/{y:path}"_s};
    QTest::newRow("backtrack from literal") << backtrack << u"/a/b/c"_s << u"/a/{x}/c"_s;
    QTest::newRow("backtrack to path") << backtrack << u"/a/b/e"_s << u"/a/{y:path}"_s;
    QTest::newRow("literal deep") << backtrack << u"/a/b/d"_s << u"/a/b/d"_s;
    QTest::newRow("string beats path") << QStringList{u"/s/{p:path}"_s, u"/s/{x}"_s} << u"/s/q"_s << u"/s/{x}"_s;
}

void tst_Router::priority()
{
    QFETCH(QStringList, templates);
    QFETCH(QString, path);
    QFETCH(QString, expected);

    Router r;
    for (const QString &t : templates)
        r.get(t, asyncHandler);
    const auto res = r.resolve(u"GET"_s, path);
    const auto *m = asMatch(res);
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->route->pathTemplate, expected);
}

void tst_Router::malformedTemplates_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("pathTemplate");
    QTest::addColumn<QString>("problem");

    QTest::newRow("unknown type") << u"GET"_s << u"/items/{id:integer}"_s
                                  << u"unknown parameter type 'integer'"_s;
    QTest::newRow("unclosed") << u"GET"_s << u"/items/{id"_s << u"unbalanced braces in segment '{id'"_s;
    QTest::newRow("unopened") << u"GET"_s << u"/items/id}"_s << u"unbalanced braces in segment 'id}'"_s;
    QTest::newRow("nested") << u"GET"_s << u"/items/{{id}}"_s << u"unbalanced braces"_s;
    QTest::newRow("reversed") << u"GET"_s << u"/items/}id{"_s << u"unbalanced braces"_s;
    QTest::newRow("partial segment") << u"GET"_s << u"/items/a{id}"_s
                                     << u"parameter must span the whole segment 'a{id}'"_s;
    QTest::newRow("duplicate") << u"GET"_s << u"/a/{x}/b/{x:int}"_s << u"duplicate parameter name 'x'"_s;
    QTest::newRow("path not last") << u"GET"_s << u"/f/{p:path}/meta"_s
                                   << u"path parameter 'p' must be the last segment"_s;
    QTest::newRow("bad method") << u"FETCH"_s << u"/items"_s << u"unknown method 'FETCH'"_s;
    QTest::newRow("empty name") << u"GET"_s << u"/items/{}"_s << u"empty parameter name"_s;
    QTest::newRow("empty name typed") << u"GET"_s << u"/items/{:int}"_s << u"empty parameter name"_s;
    QTest::newRow("bad name") << u"GET"_s << u"/items/{1x}"_s << u"invalid parameter name '1x'"_s;
    QTest::newRow("dashed name") << u"GET"_s << u"/items/{a-b}"_s << u"invalid parameter name 'a-b'"_s;
    QTest::newRow("no slash") << u"GET"_s << u"items"_s << u"template must start with '/'"_s;
    QTest::newRow("empty") << u"GET"_s << QString() << u"template must start with '/'"_s;
    QTest::newRow("double slash") << u"GET"_s << u"/a//b"_s << u"empty segment"_s;
    QTest::newRow("trailing slash") << u"GET"_s << u"/a/"_s << u"empty segment"_s;
    QTest::newRow("query in template") << u"GET"_s << u"/a?x=1"_s << u"invalid character in segment 'a?x=1'"_s;
}

void tst_Router::malformedTemplates()
{
    QFETCH(QString, method);
    QFETCH(QString, pathTemplate);
    QFETCH(QString, problem);

    Router r;
    try {
        r.add(method, pathTemplate, asyncHandler);
        QFAIL("no InvalidRoute thrown");
    } catch (const InvalidRoute &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.startsWith(method + u' ' + pathTemplate + u": "_s), qPrintable(what));
        QVERIFY2(what.contains(problem), qPrintable(what));
    }
    QVERIFY(r.routes().isEmpty());
}

void tst_Router::conflicts()
{
    Router r;
    r.get(u"/items/{id:int}"_s, asyncHandler);
    r.get(u"/items/list"_s, asyncHandler);
    r.get(u"/files/{p:path}"_s, asyncHandler);

    const auto expectConflict = [&](const QString &method, const QString &t, const QString &existing) {
        try {
            r.add(method, t, asyncHandler);
        } catch (const InvalidRoute &e) {
            return QString::fromUtf8(e.what()) == method + u' ' + t + u": conflicts with "_s + existing;
        }
        return false;
    };
    QVERIFY(expectConflict(u"GET"_s, u"/items/{item:int}"_s, u"GET /items/{id:int}"_s));
    QVERIFY(expectConflict(u"GET"_s, u"/items/list"_s, u"GET /items/list"_s));
    QVERIFY(expectConflict(u"GET"_s, u"/files/{rest:path}"_s, u"GET /files/{p:path}"_s));
    QCOMPARE(r.routes().size(), 3);

    // Another method or another shape is not a conflict.
    r.add(u"delete"_s, u"/items/{item:int}"_s, asyncHandler);
    r.get(u"/items/{name}"_s, asyncHandler);
    r.get(u"/items/{x:double}"_s, asyncHandler);
    r.get(u"/files/{name}"_s, asyncHandler);
    QCOMPARE(r.routes().size(), 7);
    QVERIFY(r.find(u"DELETE"_s, u"/items/{item:int}"_s));
    QVERIFY(r.find(u"delete"_s, u"/items/{item:int}"_s));
    QVERIFY(!r.find(u"PUT"_s, u"/items/{item:int}"_s));
}

void tst_Router::builderErrors_data()
{
    QTest::addColumn<int>("step");
    QTest::addColumn<QString>("problem");

    QTest::newRow("unknown path param") << 0 << u"GET /i/{id:int}: unknown path parameter 'nope'"_s;
    QTest::newRow("duplicate query") << 1 << u"GET /i/{id:int}: duplicate query parameter 'q'"_s;
    QTest::newRow("path-typed query") << 2 << u"GET /i/{id:int}: query parameter 'p' cannot have type path"_s;
    QTest::newRow("bounds on string") << 3 << u"minimum and maximum apply to int and double only"_s;
    QTest::newRow("bad default") << 4 << u"invalid default for query parameter 'n'"_s;
    QTest::newRow("required with default") << 5 << u"query parameter 'r' is required and cannot have a default"_s;
    QTest::newRow("duplicate body field") << 6 << u"duplicate body field 'f'"_s;
    QTest::newRow("scalar body") << 7 << u"body type must be array, object or any, not int"_s;
    QTest::newRow("empty name") << 8 << u"empty query parameter name"_s;
}

void tst_Router::builderErrors()
{
    QFETCH(int, step);
    QFETCH(QString, problem);

    Router r;
    auto b = r.get(u"/i/{id:int}"_s, asyncHandler);
    b.query({.name = u"q"_s});
    b.bodyField({.name = u"f"_s});
    try {
        switch (step) {
        case 0: b.pathParam(u"nope"_s, u"x"_s); break;
        case 1: b.query({.name = u"q"_s, .type = ParamType::Int}); break;
        case 2: b.query({.name = u"p"_s, .type = ParamType::Path}); break;
        case 3: b.query({.name = u"s"_s, .minimum = 1}); break;
        case 4: b.query({.name = u"n"_s, .type = ParamType::Int, .defaultValue = u"x"_s}); break;
        case 5: b.query({.name = u"r"_s, .required = true, .defaultValue = 1}); break;
        case 6: b.bodyField({.name = u"f"_s}); break;
        case 7: b.body(ParamType::Int, true); break;
        case 8: b.query({}); break;
        }
        QFAIL("no InvalidRoute thrown");
    } catch (const InvalidRoute &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(problem), e.what());
    }
    b.pathParam(u"id"_s, u"The item"_s);
    QCOMPARE(b.route().pathParams.at(0).description, u"The item"_s);
}

void tst_Router::notFound_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("unknown") << u"/nothing"_s;
    QTest::newRow("trailing slash") << u"/items/"_s;
    QTest::newRow("too deep") << u"/items/5/extra"_s;
    QTest::newRow("prefix only") << u"/files"_s;
    QTest::newRow("double slash") << u"//items"_s;
    QTest::newRow("no leading slash") << u"items"_s;
    QTest::newRow("empty") << QString();
    QTest::newRow("root") << u"/"_s;
    QTest::newRow("with query") << u"/nothing?x=1"_s;
}

void tst_Router::notFound()
{
    QFETCH(QString, path);
    Router r;
    r.get(u"/items"_s, asyncHandler);
    r.get(u"/items/{id:int}"_s, asyncHandler);
    r.get(u"/files/{p:path}"_s, asyncHandler);

    const auto res = r.resolve(u"GET"_s, path);
    const auto *e = asError(res);
    QVERIFY2(e, qPrintable(describe(res)));
    QCOMPARE(e->status, 404);
    QCOMPARE(e->message, u"Not Found"_s);
    QCOMPARE(e->toJson(), json(u"{\"status\":404,\"detail\":\"Not Found\"}"_s).toObject());
}

void tst_Router::canonicalMethods()
{
    QCOMPARE(canonicalMethod(u"get"), u"GET"_s);
    QCOMPARE(canonicalMethod(u"Patch"), u"PATCH"_s);
    QCOMPARE(canonicalMethod(u"options"), u"OPTIONS"_s); // not a route method: upper-cased all the same
    QCOMPARE(canonicalMethod(u"brew"), u"BREW"_s);
    // The route methods share one literal: parsing a request allocates nothing for them.
    QCOMPARE(canonicalMethod(u"delete").constData(), canonicalMethod(u"DELETE").constData());
    QCOMPARE(CallRequest::parse(u"post /items"_s)->method.constData(), canonicalMethod(u"POST").constData());
    Router r;
    r.get(u"/a"_s, asyncHandler);
    QCOMPARE(r.find(u"get"_s, u"/a"_s)->method.constData(), canonicalMethod(u"GET").constData());
}

void tst_Router::methodNotAllowed()
{
    Router r;
    r.get(u"/items/{id:int}"_s, asyncHandler);
    r.del(u"/items/{id:int}"_s, asyncHandler);
    r.put(u"/items/{name}"_s, asyncHandler);
    r.post(u"/other"_s, asyncHandler);

    auto res = r.resolve(u"PATCH"_s, u"/items/5"_s);
    const auto *e = asError(res);
    QVERIFY2(e, qPrintable(describe(res)));
    QCOMPARE(e->status, 405);
    QCOMPARE(e->message, u"Method Not Allowed"_s);
    QCOMPARE(e->allowed, (QStringList{u"DELETE"_s, u"GET"_s, u"PUT"_s}));
    QCOMPARE(e->toJson(),
             json(u"{\"status\":405,\"detail\":\"Method Not Allowed\",\"allowed\":[\"DELETE\",\"GET\",\"PUT\"]}"_s)
                 .toObject());

    // "abc" is not an int, but the path still exists for those methods.
    res = r.resolve(u"POST"_s, u"/items/abc"_s);
    QVERIFY(asError(res));
    QCOMPARE(asError(res)->allowed, (QStringList{u"DELETE"_s, u"GET"_s, u"PUT"_s}));

    res = r.resolve(u"HEAD"_s, u"/other"_s);
    QVERIFY(asError(res));
    QCOMPARE(asError(res)->status, 405);
    QCOMPARE(asError(res)->allowed, QStringList{u"POST"_s});

    // Methods are case-insensitive.
    QVERIFY(asMatch(r.resolve(u"get"_s, u"/items/5"_s)));
}

void tst_Router::validationListsEveryField()
{
    Router r;
    r.post(u"/items/{id:int}"_s, asyncHandler)
        .query({.name = u"q"_s, .type = ParamType::Int, .required = true})
        .query({.name = u"limit"_s, .type = ParamType::Int, .minimum = 1, .maximum = 100})
        .query({.name = u"mode"_s, .choices = {u"fast"_s, u"slow"_s, u"auto"_s}})
        .query({.name = u"ratio"_s, .type = ParamType::Double, .minimum = 0.5})
        .query({.name = u"ok"_s, .type = ParamType::Bool})
        .bodyField({.name = u"name"_s, .required = true})
        .bodyField({.name = u"count"_s, .type = ParamType::Int})
        .bodyField({.name = u"label"_s});

    const auto res = r.resolve(u"POST"_s, u"/items/abc?limit=500&mode=x&ratio=0.1&ok=perhaps"_s, {},
                               json(u"{\"count\":\"z\",\"label\":3,\"extra\":1}"_s));
    const auto *e = asError(res);
    QVERIFY2(e, qPrintable(describe(res)));
    QCOMPARE(e->status, 422);
    QCOMPARE(e->message, u"Unprocessable Entity"_s);
    QCOMPARE(locsAndTypes(e->detail),
             u"[[[\"path\",\"id\"],\"int_parsing\"],"
             u"[[\"query\",\"q\"],\"missing\"],"
             u"[[\"query\",\"limit\"],\"less_than_equal\"],"
             u"[[\"query\",\"mode\"],\"literal_error\"],"
             u"[[\"query\",\"ratio\"],\"greater_than_equal\"],"
             u"[[\"query\",\"ok\"],\"bool_parsing\"],"
             u"[[\"body\",\"name\"],\"missing\"],"
             u"[[\"body\",\"count\"],\"int_parsing\"],"
             u"[[\"body\",\"label\"],\"string_type\"]]"_s);

    const auto msg = [&](int i) { return e->detail.at(i)[u"msg"_s].toString(); };
    QCOMPARE(msg(0), u"Input should be a valid integer, unable to parse string as an integer"_s);
    QCOMPARE(msg(1), u"Field required"_s);
    QCOMPARE(msg(2), u"Input should be less than or equal to 100"_s);
    QCOMPARE(msg(3), u"Input should be 'fast', 'slow' or 'auto'"_s);
    QCOMPARE(msg(4), u"Input should be greater than or equal to 0.5"_s);
    QCOMPARE(msg(8), u"Input should be a valid string"_s);
    QCOMPARE(e->detail.at(2)[u"input"_s].toString(), u"500"_s);

    const QJsonObject j = e->toJson();
    QCOMPARE(j[u"status"_s].toInt(), 422);
    QCOMPARE(j[u"detail"_s].toArray(), e->detail);
    QVERIFY(!j.contains(u"allowed"_s));

    // The same route, all valid: typed values, unknown body fields kept.
    const auto ok = r.resolve(u"POST"_s, u"/items/7?q=1&limit=100&mode=auto&ratio=0.5&ok=on&junk=1"_s, {},
                              json(u"{\"name\":\"n\",\"count\":\"3\",\"extra\":[1]}"_s));
    const auto *m = asMatch(ok);
    QVERIFY2(m, qPrintable(describe(ok)));
    QCOMPARE(m->pathParams, json(u"{\"id\":7}"_s).toObject());
    QCOMPARE(m->query, json(u"{\"q\":1,\"limit\":100,\"mode\":\"auto\",\"ratio\":0.5,\"ok\":true}"_s).toObject());
    QCOMPARE(m->body, json(u"{\"name\":\"n\",\"count\":3,\"extra\":[1]}"_s));
}

void tst_Router::preferFullyValidMatch()
{
    Router r;
    r.get(u"/items/{id:int}"_s, asyncHandler).query({.name = u"q"_s, .required = true});
    r.get(u"/items/{name}"_s, asyncHandler);

    auto res = r.resolve(u"GET"_s, u"/items/5"_s);
    QVERIFY2(asMatch(res), qPrintable(describe(res)));
    QCOMPARE(asMatch(res)->route->pathTemplate, u"/items/{name}"_s);
    QCOMPARE(asMatch(res)->pathParams[u"name"_s].toString(), u"5"_s);

    res = r.resolve(u"GET"_s, u"/items/5?q=x"_s);
    QVERIFY2(asMatch(res), qPrintable(describe(res)));
    QCOMPARE(asMatch(res)->route->pathTemplate, u"/items/{id:int}"_s);

    // With no valid candidate, the errors of the highest-priority match are reported.
    Router only;
    only.get(u"/items/{id:int}"_s, asyncHandler).query({.name = u"q"_s, .required = true});
    res = only.resolve(u"GET"_s, u"/items/5"_s);
    QVERIFY(asError(res));
    QCOMPARE(locsAndTypes(asError(res)->detail), u"[[[\"query\",\"q\"],\"missing\"]]"_s);
}

void tst_Router::defaultsAndUndeclared()
{
    Router r;
    r.post(u"/run"_s, syncHandler)
        .query({.name = u"verbose"_s, .type = ParamType::Bool, .defaultValue = false})
        .query({.name = u"n"_s, .type = ParamType::Int, .defaultValue = 10})
        .query({.name = u"id"_s, .type = ParamType::Uuid,
                .defaultValue = u"{123E4567-E89B-12D3-A456-426614174000}"_s})
        .query({.name = u"opt"_s})
        .bodyField({.name = u"size"_s, .type = ParamType::Int, .defaultValue = 3})
        .bodyField({.name = u"tag"_s});

    auto res = r.resolve(u"POST"_s, u"/run?undeclared=1"_s, QJsonObject{{u"other"_s, 2}});
    auto *m = asMatch(res);
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->query, json(u"{\"verbose\":false,\"n\":10,\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}"_s)
                           .toObject());
    QCOMPARE(m->body, json(u"{\"size\":3}"_s));

    res = r.resolve(u"POST"_s, u"/run"_s, QJsonObject{{u"n"_s, 4}, {u"opt"_s, QJsonValue::Null}},
                    json(u"{\"tag\":\"t\",\"keep\":true}"_s));
    m = asMatch(res);
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->query[u"n"_s], QJsonValue(4));
    QVERIFY(!m->query.contains(u"opt"_s));
    QCOMPARE(m->body, json(u"{\"size\":3,\"tag\":\"t\",\"keep\":true}"_s));

    // Typed input passes through as given; an integral double for an int parameter becomes
    // an integer (QJsonValue's == calls them equal); strings are converted.
    const QJsonObject typed{{u"verbose"_s, true}, {u"n"_s, 4}, {u"id"_s, u"123e4567-e89b-12d3-a456-426614174000"_s},
                            {u"opt"_s, u"x"_s}};
    m = asMatch(res = r.resolve(u"POST"_s, u"/run"_s, typed));
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->query, typed);
    m = asMatch(res = r.resolve(u"POST"_s, u"/run"_s, QJsonObject{{u"n"_s, 3.0}, {u"verbose"_s, u"yes"_s}}));
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->query[u"n"_s].toVariant().typeId(), QMetaType::LongLong);
    QCOMPARE(m->query[u"verbose"_s], QJsonValue(true));
    QCOMPARE(m->query.keys(), (QStringList{u"id"_s, u"n"_s, u"verbose"_s}));
}

void tst_Router::queryValues_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("input");    // JSON text of the value given in the query object
    QTest::addColumn<QString>("expected"); // JSON text of the typed value, or the error type

    const auto row = [](const char *name, ParamType t, const QString &in, const QString &out) {
        QTest::newRow(name) << int(t) << in << out;
    };
    row("int string", ParamType::Int, u"\"12\""_s, u"12"_s);
    row("int negative string", ParamType::Int, u"\"-3\""_s, u"-3"_s);
    row("int spaces", ParamType::Int, u"\" 3\""_s, u"int_parsing"_s);
    row("int fraction string", ParamType::Int, u"\"1.5\""_s, u"int_parsing"_s);
    row("int json integral", ParamType::Int, u"3.0"_s, u"3"_s);
    row("int json fraction", ParamType::Int, u"3.5"_s, u"int_from_float"_s);
    row("int json bool", ParamType::Int, u"true"_s, u"int_type"_s);
    row("int json array", ParamType::Int, u"[1]"_s, u"int_type"_s);
    row("double string", ParamType::Double, u"\"2.5\""_s, u"2.5"_s);
    row("double json", ParamType::Double, u"7"_s, u"7"_s);
    row("double bad", ParamType::Double, u"\"abc\""_s, u"float_parsing"_s);
    row("double nan", ParamType::Double, u"\"nan\""_s, u"float_parsing"_s);
    row("double json string type", ParamType::Double, u"false"_s, u"float_type"_s);
    row("bool on", ParamType::Bool, u"\"on\""_s, u"true"_s);
    row("bool No", ParamType::Bool, u"\"No\""_s, u"false"_s);
    row("bool 2", ParamType::Bool, u"\"2\""_s, u"bool_parsing"_s);
    row("bool json", ParamType::Bool, u"true"_s, u"true"_s);
    row("bool json number", ParamType::Bool, u"1"_s, u"bool_type"_s);
    row("uuid braces", ParamType::Uuid, u"\"{123E4567-E89B-12D3-A456-426614174000}\""_s,
        u"\"123e4567-e89b-12d3-a456-426614174000\""_s);
    row("uuid bad", ParamType::Uuid, u"\"123\""_s, u"uuid_parsing"_s);
    row("uuid json number", ParamType::Uuid, u"5"_s, u"uuid_type"_s);
    row("string", ParamType::String, u"\"x y\""_s, u"\"x y\""_s);
    row("string json number", ParamType::String, u"5"_s, u"string_type"_s);
    row("array json", ParamType::Array, u"[1,\"a\"]"_s, u"[1,\"a\"]"_s);
    row("array string", ParamType::Array, u"\"[1,2]\""_s, u"[1,2]"_s);
    row("array invalid json", ParamType::Array, u"\"[1,\""_s, u"json_invalid"_s);
    row("array wrong json", ParamType::Array, u"\"{}\""_s, u"list_type"_s);
    row("array json object", ParamType::Array, u"{}"_s, u"list_type"_s);
    row("object string", ParamType::Object, u"\"{\\\"a\\\":1}\""_s, u"{\"a\":1}"_s);
    row("object json", ParamType::Object, u"{\"b\":[]}"_s, u"{\"b\":[]}"_s);
    row("object wrong", ParamType::Object, u"[]"_s, u"dict_type"_s);
    row("any", ParamType::Any, u"{\"b\":[]}"_s, u"{\"b\":[]}"_s);
}

void tst_Router::queryValues()
{
    QFETCH(int, type);
    QFETCH(QString, input);
    QFETCH(QString, expected);

    Router r;
    r.get(u"/q"_s, asyncHandler).query({.name = u"v"_s, .type = ParamType(type)});
    const auto res = r.resolve(u"GET"_s, u"/q"_s, QJsonObject{{u"v"_s, json(input)}});
    if (const auto *m = asMatch(res)) {
        QCOMPARE(compact(m->query[u"v"_s]), expected);
    } else {
        const auto *e = asError(res);
        QCOMPARE(e->status, 422);
        QCOMPARE(e->detail.size(), 1);
        QCOMPARE(e->detail.at(0)[u"type"_s].toString(), expected);
        QCOMPARE(e->detail.at(0)[u"loc"_s], json(u"[\"query\",\"v\"]"_s));
        QCOMPARE(e->detail.at(0)[u"input"_s], json(input));
    }
}

void tst_Router::queryStringParsing()
{
    Router r;
    r.get(u"/search/{term}"_s, asyncHandler)
        .query({.name = u"q"_s})
        .query({.name = u"tag"_s})
        .query({.name = u"n"_s, .type = ParamType::Int})
        .query({.name = u"flag"_s})
        .query({.name = u"ids"_s, .type = ParamType::Array})
        .query({.name = u"\u00e9t\u00e9"_s});

    const auto res = r.resolve(u"GET"_s,
                               u"/search/caf%C3%A9?q=hello+world&tag=a%26b%3Dc&n=1&n=5&flag&&ids=%5B1%2C2%5D"
                               u"&%C3%A9t%C3%A9=%E2%82%AC"_s);
    const auto *m = asMatch(res);
    QVERIFY2(m, qPrintable(describe(res)));
    QCOMPARE(m->pathParams[u"term"_s].toString(), u"caf\u00e9"_s);
    QCOMPARE(m->query[u"q"_s].toString(), u"hello world"_s);
    QCOMPARE(m->query[u"tag"_s].toString(), u"a&b=c"_s);
    QCOMPARE(m->query[u"n"_s], QJsonValue(5)); // the last repeat wins
    QCOMPARE(m->query[u"flag"_s].toString(), QString());
    QCOMPARE(m->query[u"ids"_s], json(u"[1,2]"_s));
    QCOMPARE(m->query[u"\u00e9t\u00e9"_s].toString(), u"\u20ac"_s);

    // Values of the query object win over the query string.
    const auto both = r.resolve(u"GET"_s, u"/search/x?n=1&q=s"_s, QJsonObject{{u"n"_s, 9}});
    QVERIFY(asMatch(both));
    QCOMPARE(asMatch(both)->query, json(u"{\"n\":9,\"q\":\"s\"}"_s).toObject());
}

void tst_Router::bodyShapes_data()
{
    QTest::addColumn<int>("bodyType");   // -1: fields declared
    QTest::addColumn<bool>("required");
    QTest::addColumn<QString>("body");   // JSON text, empty for none
    QTest::addColumn<QString>("expected"); // error "loc|type", or "ok"

    QTest::newRow("array ok") << int(ParamType::Array) << true << u"[1]"_s << u"ok"_s;
    QTest::newRow("array missing") << int(ParamType::Array) << true << QString() << u"[\"body\"]|missing"_s;
    QTest::newRow("array optional missing") << int(ParamType::Array) << false << QString() << u"ok"_s;
    QTest::newRow("array got object") << int(ParamType::Array) << true << u"{}"_s << u"[\"body\"]|list_type"_s;
    QTest::newRow("object got array") << int(ParamType::Object) << true << u"[]"_s << u"[\"body\"]|dict_type"_s;
    QTest::newRow("any") << int(ParamType::Any) << true << u"3"_s << u"ok"_s;
    QTest::newRow("fields got array") << -1 << false << u"[1]"_s << u"[\"body\"]|model_attributes_type"_s;
    QTest::newRow("fields missing") << -1 << false << QString() << u"[\"body\"]|missing"_s;
    QTest::newRow("fields ok") << -1 << false << u"{\"a\":1}"_s << u"ok"_s;
}

void tst_Router::bodyShapes()
{
    QFETCH(int, bodyType);
    QFETCH(bool, required);
    QFETCH(QString, body);
    QFETCH(QString, expected);

    Router r;
    auto b = r.post(u"/b"_s, asyncHandler);
    if (bodyType < 0)
        b.bodyField({.name = u"a"_s, .type = ParamType::Int, .required = true});
    else
        b.body(ParamType(bodyType), required);
    const auto res = r.resolve(u"POST"_s, u"/b"_s, {}, body.isEmpty() ? QJsonValue(QJsonValue::Undefined) : json(body));
    if (expected == u"ok"_s) {
        QVERIFY2(asMatch(res), qPrintable(describe(res)));
        return;
    }
    const auto *e = asError(res);
    QVERIFY(e);
    QCOMPARE(e->detail.size(), 1);
    QCOMPARE(compact(e->detail.at(0)[u"loc"_s]) + u'|' + e->detail.at(0)[u"type"_s].toString(), expected);
}

void tst_Router::include()
{
    Router fs;
    fs.get(u"/hash"_s, asyncHandler).summary(u"Hash a file"_s).query({.name = u"path"_s, .required = true});
    fs.get(u"/"_s, asyncHandler);
    fs.get(u"/items/{id:int}"_s, syncHandler).pathParam(u"id"_s, u"Item id"_s);

    Router app;
    app.include(fs, u"/fs"_s);
    app.include(fs, u"/users/{uid:int}"_s);
    app.include(fs, {});

    QStringList names;
    for (const auto &route : app.routes())
        names.append(route->displayName());
    QCOMPARE(names, (QStringList{u"GET /fs/hash"_s, u"GET /fs"_s, u"GET /fs/items/{id:int}"_s,
                                 u"GET /users/{uid:int}/hash"_s, u"GET /users/{uid:int}"_s,
                                 u"GET /users/{uid:int}/items/{id:int}"_s, u"GET /hash"_s, u"GET /"_s,
                                 u"GET /items/{id:int}"_s}));

    const auto hash = app.find(u"GET"_s, u"/fs/hash"_s);
    QVERIFY(hash);
    QCOMPARE(hash->summary, u"Hash a file"_s);
    QCOMPARE(hash->queryParams.size(), 1);

    auto res = app.resolve(u"GET"_s, u"/users/3/items/4"_s);
    QVERIFY2(asMatch(res), qPrintable(describe(res)));
    QCOMPARE(asMatch(res)->pathParams, json(u"{\"uid\":3,\"id\":4}"_s).toObject());
    const auto nested = asMatch(res)->route;
    QCOMPARE(nested->pathParams.size(), 2);
    QCOMPARE(nested->pathParams.at(1).description, u"Item id"_s);
    QVERIFY(nested->policy.executor == coroute::Executor::Pool);

    res = app.resolve(u"GET"_s, u"/fs"_s);
    QVERIFY(asMatch(res));
    QCOMPARE(asMatch(res)->route->pathTemplate, u"/fs"_s);

    // "/" as prefix is the same as none.
    Router root;
    root.include(fs, u"/"_s);
    QVERIFY(root.find(u"GET"_s, u"/hash"_s));
}

void tst_Router::includeErrors()
{
    Router fs;
    fs.get(u"/hash"_s, asyncHandler);
    fs.get(u"/items/{id:int}"_s, asyncHandler);

    Router app;
    app.get(u"/fs/items/{other:int}"_s, asyncHandler);
    try {
        app.include(fs, u"/fs"_s);
        QFAIL("no conflict reported");
    } catch (const InvalidRoute &e) {
        QCOMPARE(QString::fromUtf8(e.what()),
                 u"GET /fs/items/{id:int}: conflicts with GET /fs/items/{other:int}"_s);
    }
    QCOMPARE(app.routes().size(), 1); // nothing half-included

    for (const QString &prefix : {u"fs"_s, u"/fs/"_s}) {
        try {
            app.include(fs, prefix);
            QFAIL("bad prefix accepted");
        } catch (const InvalidRoute &e) {
            QVERIFY2(QString::fromUtf8(e.what()).startsWith(u"include prefix '"_s + prefix + u"'"_s), e.what());
        }
    }
    try {
        app.include(fs, u"/{id}"_s);
        QFAIL("duplicate name accepted");
    } catch (const InvalidRoute &e) {
        QCOMPARE(QString::fromUtf8(e.what()), u"GET /{id}/items/{id:int}: duplicate parameter name 'id'"_s);
    }
    QCOMPARE(app.routes().size(), 1);

    // Including a router into itself without a prefix conflicts with every route.
    QVERIFY_THROWS_EXCEPTION(InvalidRoute, fs.include(fs));
    fs.include(fs, u"/v2"_s);
    QCOMPARE(fs.routes().size(), 4);
}

void tst_Router::copyAndMove()
{
    Router a;
    a.get(u"/x/{id:int}"_s, asyncHandler);

    Router b = a;
    b.get(u"/y"_s, asyncHandler);
    QCOMPARE(a.routes().size(), 1);
    QCOMPARE(b.routes().size(), 2);
    QCOMPARE(a.routes().at(0), b.routes().at(0)); // routes are shared, not copied
    QVERIFY(asError(a.resolve(u"GET"_s, u"/y"_s)));
    QVERIFY(asMatch(b.resolve(u"GET"_s, u"/x/1"_s)));

    Router c;
    c = b;
    QVERIFY(asMatch(c.resolve(u"GET"_s, u"/y"_s)));

    Router d = std::move(c);
    QVERIFY(asMatch(d.resolve(u"GET"_s, u"/y"_s)));
    QVERIFY(asMatch(d.resolve(u"GET"_s, u"/x/2"_s)));
    // A moved-from router is empty but usable.
    QCOMPARE(asError(c.resolve(u"GET"_s, u"/y"_s))->status, 404); // NOLINT(bugprone-use-after-move)
    QVERIFY(c.routes().isEmpty());
    QVERIFY(c.toJson().isEmpty());
    c.get(u"/z"_s, asyncHandler);
    QVERIFY(asMatch(c.resolve(u"GET"_s, u"/z"_s)));

    Router e;
    e = std::move(d);
    QCOMPARE(e.routes().size(), 2);
}

void tst_Router::toJson()
{
    Router r;
    r.get(u"/items/{item_id:int}"_s, asyncHandler)
        .summary(u"Read one item"_s)
        .description(u"Long text"_s)
        .pathParam(u"item_id"_s, u"The id"_s)
        .query({.name = u"verbose"_s, .type = ParamType::Bool, .description = u"More"_s, .defaultValue = false})
        .query({.name = u"mode"_s, .required = true, .choices = {u"a"_s, u"b"_s}})
        .query({.name = u"n"_s, .type = ParamType::Int, .minimum = 1, .maximum = 9});
    coroute::RetryPolicy retry;
    retry.attempts = 3;
    retry.initialBackoff = 50ms;
    r.post(u"/jobs"_s, syncHandler)
        .bodyField({.name = u"size"_s, .type = ParamType::Int, .required = true})
        .timeout(1500ms)
        .retry(retry)
        .limit(u"disk"_s);

    const QJsonArray list = r.toJson();
    QCOMPARE(list.size(), 2);
    QJsonObject item = list.at(0).toObject();
    QCOMPARE(item[u"method"_s].toString(), u"GET"_s);
    QCOMPARE(item[u"path"_s].toString(), u"/items/{item_id:int}"_s);
    QCOMPARE(item[u"kind"_s].toString(), u"async"_s);
    QCOMPARE(item[u"summary"_s].toString(), u"Read one item"_s);
    QCOMPARE(item[u"description"_s].toString(), u"Long text"_s);
    QCOMPARE(item[u"body"_s], QJsonValue(QJsonValue::Null));
    QCOMPARE(item[u"params"_s],
             json(u"[{\"name\":\"item_id\",\"in\":\"path\",\"type\":\"int\",\"required\":true,\"description\":\"The id\"},"
                  u"{\"name\":\"verbose\",\"in\":\"query\",\"type\":\"bool\",\"required\":false,\"default\":false,"
                  u"\"description\":\"More\"},"
                  u"{\"name\":\"mode\",\"in\":\"query\",\"type\":\"string\",\"required\":true,\"description\":\"\","
                  u"\"choices\":[\"a\",\"b\"]},"
                  u"{\"name\":\"n\",\"in\":\"query\",\"type\":\"int\",\"required\":false,\"description\":\"\","
                  u"\"minimum\":1,\"maximum\":9}]"_s));
    QCOMPARE(item[u"policy"_s],
             json(u"{\"executor\":\"loop\",\"retry\":{\"attempts\":1,\"initial_backoff_ms\":100,"
                  u"\"max_backoff_ms\":5000,\"multiplier\":2,\"jitter\":0.2}}"_s));

    const QJsonObject jobs = list.at(1).toObject();
    QCOMPARE(jobs[u"kind"_s].toString(), u"sync"_s);
    QCOMPARE(jobs[u"body"_s],
             json(u"{\"type\":\"object\",\"required\":false,\"description\":\"\",\"fields\":["
                  u"{\"name\":\"size\",\"type\":\"int\",\"required\":true,\"description\":\"\"}]}"_s));
    QCOMPARE(jobs[u"policy"_s],
             json(u"{\"executor\":\"pool\",\"timeout_ms\":1500,\"limit\":\"disk\",\"retry\":{\"attempts\":3,"
                  u"\"initial_backoff_ms\":50,\"max_backoff_ms\":5000,\"multiplier\":2,\"jitter\":0.2}}"_s));
}

void tst_Router::openApi()
{
    Router r;
    r.get(u"/items/{item_id:int}"_s, asyncHandler)
        .summary(u"Read"_s)
        .pathParam(u"item_id"_s, u"The id"_s)
        .query({.name = u"n"_s, .type = ParamType::Int, .defaultValue = 2, .choices = {u"1"_s, u"2"_s},
                .minimum = 1, .maximum = 5})
        .query({.name = u"id"_s, .type = ParamType::Uuid, .required = true});
    r.del(u"/items/{item_id:int}"_s, syncHandler).timeout(2s);
    r.post(u"/jobs"_s, asyncHandler)
        .bodyField({.name = u"size"_s, .type = ParamType::Int, .description = u"Bytes"_s, .required = true})
        .bodyField({.name = u"tags"_s, .type = ParamType::Array});
    r.put(u"/raw"_s, streamingHandler).body(ParamType::Array, false, u"Anything listy"_s);
    r.get(u"/"_s, asyncHandler);

    const QJsonObject doc = r.openApi(u"Demo"_s, u"1.2"_s);
    QCOMPARE(doc[u"openapi"_s].toString(), u"3.1.0"_s);
    QCOMPARE(doc[u"info"_s], json(u"{\"title\":\"Demo\",\"version\":\"1.2\"}"_s));
    const QJsonObject paths = doc[u"paths"_s].toObject();
    QCOMPARE(paths.keys(), (QStringList{u"/"_s, u"/items/{item_id}"_s, u"/jobs"_s, u"/raw"_s}));

    const QJsonObject item = paths[u"/items/{item_id}"_s].toObject();
    QCOMPARE(item.keys(), (QStringList{u"delete"_s, u"get"_s}));
    const QJsonObject get = item[u"get"_s].toObject();
    QCOMPARE(get[u"operationId"_s].toString(), u"get_items_item_id"_s);
    QCOMPARE(get[u"summary"_s].toString(), u"Read"_s);
    QCOMPARE(get[u"x-coroute-kind"_s].toString(), u"async"_s);
    QCOMPARE(get[u"parameters"_s],
             json(u"[{\"name\":\"item_id\",\"in\":\"path\",\"required\":true,\"description\":\"The id\","
                  u"\"schema\":{\"type\":\"integer\"}},"
                  u"{\"name\":\"n\",\"in\":\"query\",\"required\":false,"
                  u"\"schema\":{\"type\":\"integer\",\"default\":2,\"enum\":[1,2],\"minimum\":1,\"maximum\":5}},"
                  u"{\"name\":\"id\",\"in\":\"query\",\"required\":true,"
                  u"\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}}]"_s));
    const QJsonObject responses = get[u"responses"_s].toObject();
    QCOMPARE(responses.keys(), (QStringList{u"200"_s, u"404"_s, u"422"_s}));
    QCOMPARE(responses[u"422"_s][u"content"_s][u"application/json"_s][u"schema"_s][u"$ref"_s].toString(),
             u"#/components/schemas/HTTPValidationError"_s);
    QVERIFY(!get.contains(u"requestBody"_s));

    const QJsonObject del = item[u"delete"_s].toObject();
    QCOMPARE(del[u"operationId"_s].toString(), u"delete_items_item_id"_s);
    QCOMPARE(del[u"x-coroute-kind"_s].toString(), u"sync"_s);
    QCOMPARE(del[u"x-coroute-policy"_s][u"executor"_s].toString(), u"pool"_s);
    QCOMPARE(del[u"x-coroute-policy"_s][u"timeout_ms"_s].toInt(), 2000);

    const QJsonObject post = paths[u"/jobs"_s][u"post"_s].toObject();
    QCOMPARE(post[u"operationId"_s].toString(), u"post_jobs"_s);
    QVERIFY(!post.contains(u"parameters"_s));
    QCOMPARE(post[u"requestBody"_s],
             json(u"{\"required\":true,\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\","
                  u"\"properties\":{\"size\":{\"type\":\"integer\",\"description\":\"Bytes\"},"
                  u"\"tags\":{\"type\":\"array\"}},\"required\":[\"size\"]}}}}"_s));
    QCOMPARE(post[u"responses"_s].toObject().keys(), (QStringList{u"200"_s, u"422"_s}));

    const QJsonObject put = paths[u"/raw"_s][u"put"_s].toObject();
    QCOMPARE(put[u"x-coroute-kind"_s].toString(), u"streaming"_s);
    QCOMPARE(put[u"requestBody"_s][u"required"_s], QJsonValue(false));
    QCOMPARE(put[u"requestBody"_s][u"description"_s].toString(), u"Anything listy"_s);
    QCOMPARE(put[u"requestBody"_s][u"content"_s][u"application/json"_s][u"schema"_s], json(u"{\"type\":\"array\"}"_s));

    const QJsonObject root = paths[u"/"_s][u"get"_s].toObject();
    QCOMPARE(root[u"operationId"_s].toString(), u"get_root"_s);
    QCOMPARE(root[u"responses"_s].toObject().keys(), QStringList{u"200"_s});

    const QJsonObject schemas = doc[u"components"_s][u"schemas"_s].toObject();
    QCOMPARE(schemas.keys(), (QStringList{u"HTTPValidationError"_s, u"ValidationError"_s}));
    QCOMPARE(schemas[u"ValidationError"_s][u"required"_s], json(u"[\"loc\",\"msg\",\"type\"]"_s));
    QCOMPARE(schemas[u"HTTPValidationError"_s][u"properties"_s][u"detail"_s][u"items"_s][u"$ref"_s].toString(),
             u"#/components/schemas/ValidationError"_s);
}

void tst_Router::retryDelay_data()
{
    QTest::addColumn<int>("retry");
    QTest::addColumn<double>("random");
    QTest::addColumn<double>("jitter");
    QTest::addColumn<qint64>("expected");

    QTest::newRow("first, no jitter") << 1 << 0.5 << 0.2 << qint64(100);
    QTest::newRow("second") << 2 << 0.5 << 0.2 << qint64(200);
    QTest::newRow("third") << 3 << 0.5 << 0.0 << qint64(400);
    QTest::newRow("capped") << 10 << 0.5 << 0.2 << qint64(5000);
    QTest::newRow("huge retry capped") << 100000 << 0.5 << 0.0 << qint64(5000);
    QTest::newRow("jitter low") << 1 << 0.0 << 0.2 << qint64(80);
    QTest::newRow("jitter high") << 1 << 0.999999 << 0.2 << qint64(120);
    QTest::newRow("jitter above cap") << 10 << 0.999999 << 0.2 << qint64(6000);
    QTest::newRow("never negative") << 1 << 0.0 << 1.5 << qint64(0);
    QTest::newRow("random clamped") << 1 << -3.0 << 0.2 << qint64(80);
    QTest::newRow("no retry zero") << 0 << 0.5 << 0.2 << qint64(0);
}

void tst_Router::retryDelay()
{
    QFETCH(int, retry);
    QFETCH(double, random);
    QFETCH(double, jitter);
    QFETCH(qint64, expected);

    coroute::RetryPolicy policy;
    policy.jitter = jitter;
    QCOMPARE(qint64(policy.delayFor(retry, random).count()), expected);

    // Bounds for any random value: within the jitter band around the capped delay.
    for (double r = 0.0; r < 1.0; r += 0.125) {
        const auto d = policy.delayFor(retry, r).count();
        QVERIFY(d >= 0);
        QVERIFY(d <= qint64(5000 * (1 + std::max(jitter, 0.0))) + 1);
    }
}

void tst_Router::resolveBenchmark()
{
    Router r;
    for (int i = 0; i < 50; ++i)
        r.get(u"/route%1/{x}"_s.arg(i), asyncHandler);
    r.get(u"/items/{i:int}"_s, asyncHandler);
    r.get(u"/items/{name}"_s, asyncHandler);
    const QString path = u"/items/12345"_s;
    QBENCHMARK {
        const auto res = r.resolve(u"GET"_s, path);
        QVERIFY(asMatch(res));
    }
}

QTEST_GUILESS_MAIN(tst_Router)
#include "tst_router.moc"
