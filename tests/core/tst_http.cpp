#include "async/combinators.h"
#include "async/sleep.h"
#include "jobs/builtins.h"
#include "jobs/http/httpclient.h"
#include "runtime/error.h"
#include "runtime/runtime.h"

#include "coroutinetest.h"
#include "eventloopchecker.h"
#include "testhttpserver.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace coroute;
using namespace coroute::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

HttpRequest get(const QUrl &url)
{
    HttpRequest r;
    r.url = url;
    return r;
}

RetryPolicy quickRetry(int attempts)
{
    RetryPolicy p;
    p.attempts = attempts;
    p.initialBackoff = 1ms;
    p.maxBackoff = 5ms; // also caps Retry-After, so the tests stay fast
    return p;
}

// Runs request and returns the Error it threw, or a null one (with the test failed).
QCoro::Task<JobError> sendExpectingError(HttpClient &client, HttpRequest request)
{
    try {
        auto r = co_await client.send(std::move(request));
        QTest::qFail(qPrintable(u"expected an error, got status %1"_s.arg(r.status)), __FILE__, __LINE__);
    } catch (const Error &e) {
        co_return JobError(e.error());
    }
    co_return JobError{};
}

// Waits up to ~10 s on the loop, without blocking it, until cond holds.
QCoro::Task<bool> waitFor(std::function<bool()> cond)
{
    for (int i = 0; i < 2000; ++i) {
        if (cond())
            co_return true;
        co_await sleep(5ms);
    }
    co_return cond();
}

CallRequest call(const QString &method, const QString &path, QJsonObject query = {},
                 QJsonValue body = QJsonValue(QJsonValue::Undefined))
{
    return {method, path, query, body};
}

// Braced lists stay out of coroutines (GCC 12 rejects them inside co_await expressions).
CallRequest httpGet(const QUrl &url)
{
    return call(u"GET"_s, u"/http/get"_s, QJsonObject{{u"url"_s, url.toString()}});
}

CallRequest httpPost(const QString &path, const QJsonObject &body)
{
    return call(u"POST"_s, path, {}, body);
}

} // namespace

class tst_Http : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestHttpServer>();
        QVERIFY(m_server->start());
    }
    void cleanup() { m_server.reset(); }

    void getReturnsBody()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto r = co_await client.send(get(m_server->url(u"/body?size=1024"_s)));
            CO_COMPARE(r.status, 200);
            CO_COMPARE(r.body, QByteArray(1024, 'x'));
            CO_COMPARE(r.bytes, qint64(1024));
            CO_COMPARE(r.attempts, 1);
            CO_COMPARE(r.header("content-length"), QByteArray("1024"));
            CO_COMPARE(r.finalUrl, m_server->url(u"/body?size=1024"_s));
            // A second request reuses the kept-alive connection.
            auto again = co_await client.send(get(m_server->url(u"/body?size=10"_s)));
            CO_COMPARE(again.status, 200);
            CO_COMPARE(m_server->connectionsAccepted(), 1);
        }());
    }

    void serverErrorIsRetried_data()
    {
        QTest::addColumn<int>("attempts");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("hits");
        QTest::newRow("no retry") << 1 << 500 << 1;
        QTest::newRow("two retries") << 3 << 200 << 3;
        QTest::newRow("too few") << 2 << 500 << 2;
    }
    void serverErrorIsRetried()
    {
        QFETCH(int, attempts);
        QFETCH(int, status);
        QFETCH(int, hits);
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto request = get(m_server->url(u"/fail?times=2"_s));
            request.retry = quickRetry(attempts);
            auto r = co_await client.send(request);
            CO_COMPARE(r.status, status);
            CO_COMPARE(r.attempts, hits);
            CO_COMPARE(m_server->hits(u"/fail"_s), hits);
        }());
    }

    void retryAfterIsHonoured()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto request = get(m_server->url(u"/busy?times=1"_s));
            request.retry = quickRetry(2);
            auto r = co_await client.send(request);
            CO_COMPARE(r.status, 200);
            CO_COMPARE(r.attempts, 2);
            CO_COMPARE(m_server->hits(u"/busy"_s), 2);
        }());
    }

    void stallTimesOut()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto request = get(m_server->url(u"/stall"_s));
            request.timeout = 200ms;
            const auto e = co_await sendExpectingError(client, request);
            CO_COMPARE(e.status, 504);
            CO_COMPARE(e.type, u"timeout"_s);
        }());
    }

    void cancelAbortsTheRequest()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            std::stop_source stop;
            auto task = client.send(get(m_server->url(u"/stall"_s)), stop.get_token());
            const bool arrived = co_await waitFor([&] { return m_server->inFlight() == 1; });
            CO_VERIFY(arrived);
            stop.request_stop();
            bool cancelled = false;
            try {
                co_await task;
            } catch (const Cancelled &) {
                cancelled = true;
            }
            CO_VERIFY(cancelled);
            const bool closed = co_await waitFor([&] { return m_server->abandonedByClient() == 1; });
            CO_VERIFY(closed);
            CO_COMPARE(m_server->openConnections(), 0);
        }());
    }

    void droppedConnection()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            const auto e = co_await sendExpectingError(client, get(m_server->url(u"/drop?times=1"_s)));
            CO_COMPARE(e.status, 502);
            CO_COMPARE(e.type, u"connection_closed"_s);
            m_server->resetCounters();
            auto request = get(m_server->url(u"/drop?times=1"_s));
            request.retry = quickRetry(2);
            auto r = co_await client.send(request);
            CO_COMPARE(r.status, 200);
            CO_COMPARE(r.body.size(), qsizetype(4096));
            CO_COMPARE(r.attempts, 2);
        }());
    }

    void oversizeIsRefused_data()
    {
        QTest::addColumn<bool>("contentLength");
        QTest::newRow("Content-Length") << true;
        QTest::newRow("chunked") << false;
    }
    void oversizeIsRefused()
    {
        QFETCH(bool, contentLength);
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto request = get(m_server->url(u"/big?size=100000&cl=%1"_s.arg(contentLength ? 1 : 0)));
            request.maxBytes = 1000;
            const auto e = co_await sendExpectingError(client, request);
            CO_COMPARE(e.status, 413);
            CO_COMPARE(e.type, u"response_too_large"_s);
            request.maxBytes = 100000; // exactly the size: accepted
            auto r = co_await client.send(request);
            CO_COMPARE(r.body.size(), qsizetype(100000));
        }());
    }

    void redirects()
    {
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            auto r = co_await client.send(get(m_server->url(u"/redirect?n=3"_s)));
            CO_COMPARE(r.status, 200);
            CO_COMPARE(r.body, QByteArray("done"));
            CO_COMPARE(r.finalUrl, m_server->url(u"/redirect?n=0"_s));
            const auto e = co_await sendExpectingError(client, get(m_server->url(u"/loop"_s)));
            CO_COMPARE(e.status, 502);
            CO_COMPARE(e.type, u"too_many_redirects"_s);
            CO_COMPARE(m_server->hits(u"/loop"_s), 6); // the first request and five redirects
        }());
    }

    void badUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("type");
        QTest::newRow("ftp") << u"ftp://example.com/file"_s << u"unsupported_scheme"_s;
        QTest::newRow("file") << u"file:///etc/passwd"_s << u"unsupported_scheme"_s;
        QTest::newRow("no scheme") << u"example.com/x"_s << u"invalid_url"_s;
        QTest::newRow("no host") << u"http:///x"_s << u"invalid_url"_s;
        QTest::newRow("empty") << QString() << u"invalid_url"_s;
        QTest::newRow("bad port") << u"http://host:99999/"_s << u"invalid_url"_s;
    }
    void badUrls()
    {
        QFETCH(QString, url);
        QFETCH(QString, type);
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            const auto e = co_await sendExpectingError(client, get(QUrl(url)));
            CO_COMPARE(e.status, 400);
            CO_COMPARE(e.type, type);
            CO_VERIFY(!e.message.isEmpty());
        }());
    }

    void credentialsAreRedacted_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("refused") << u"http://alice:s3cret@127.0.0.1:1/x"_s;
        QTest::newRow("scheme") << u"ftp://alice:s3cret@127.0.0.1/x"_s;
        QTest::newRow("invalid") << u"http://alice:s3cret@bad host/"_s;
    }
    void credentialsAreRedacted()
    {
        QFETCH(QString, url);
        HttpClient client;
        runCoroutine([&]() -> QCoro::Task<void> {
            const auto e = co_await sendExpectingError(client, get(QUrl(url)));
            CO_VERIFY(!e.message.isEmpty());
            CO_VERIFY2(!e.message.contains(u"s3cret"_s), qPrintable(e.message));
            CO_VERIFY2(!QJsonDocument(e.toJson()).toJson().contains("s3cret"), qPrintable(e.message));
        }());
        QCOMPARE(redactedUrl(QUrl(u"http://alice:s3cret@h/p"_s)), u"http://***@h/p"_s);
    }

    void perHostLimitHolds_data()
    {
        QTest::addColumn<int>("limit");
        QTest::addColumn<int>("requests");
        QTest::newRow("4") << 4 << 24;
        QTest::newRow("default 64") << 0 << 100;
    }
    void perHostLimitHolds()
    {
        QFETCH(int, limit);
        QFETCH(int, requests);
        HttpClientOptions options;
        if (limit > 0)
            options.perHostLimit = limit;
        HttpClient client(options);
        const int expected = limit > 0 ? limit : 64;
        runCoroutine([&]() -> QCoro::Task<void> {
            std::vector<Work<int>> work;
            for (int i = 0; i < requests; ++i) {
                work.push_back([&](std::stop_token token) -> QCoro::Task<int> {
                    auto r = co_await client.send(get(m_server->url(u"/slow?ms=30"_s)), token);
                    co_return r.status;
                });
            }
            const auto statuses = co_await gather<int>(std::move(work));
            CO_COMPARE(int(std::count(statuses.begin(), statuses.end(), 200)), requests);
            CO_VERIFY2(m_server->maxInFlight() <= expected, qPrintable(QString::number(m_server->maxInFlight())));
            CO_VERIFY(m_server->maxInFlight() > 1); // requests did overlap
        }(), 30000);
    }

    void downloadKeepsTheLoopTurning()
    {
        HttpClient client;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString target = dir.filePath(u"big.bin"_s);
        const qint64 size = 32 * 1024 * 1024;
        EventLoopChecker checker(1);
        runCoroutine([&]() -> QCoro::Task<void> {
            auto request = get(m_server->url(u"/big?size=%1"_s.arg(size)));
            request.maxBytes = size;
            qint64 lastReceived = 0;
            int calls = 0;
            const int ticksBefore = checker.ticks();
            HttpClient::Progress progress = [&](qint64 received, qint64 total) {
                lastReceived = received;
                ++calls;
                Q_UNUSED(total);
            };
            const auto bytes = co_await client.download(request, target, progress);
            CO_COMPARE(bytes, size);
            CO_COMPARE(lastReceived, size);
            CO_VERIFY(calls > 1);
            CO_VERIFY(checker.ticks() > ticksBefore);
            CO_COMPARE(QFileInfo(target).size(), size);
        }(), 60000);
    }

    void cancelledDownloadLeavesNoFile()
    {
        HttpClient client;
        QTemporaryDir dir;
        const QString target = dir.filePath(u"never.bin"_s);
        runCoroutine([&]() -> QCoro::Task<void> {
            std::stop_source stop;
            auto task = client.download(get(m_server->url(u"/stall"_s)), target, {}, stop.get_token());
            const bool arrived = co_await waitFor([&] { return m_server->inFlight() == 1; });
            CO_VERIFY(arrived);
            stop.request_stop();
            bool cancelled = false;
            try {
                co_await task;
            } catch (const Cancelled &) {
                cancelled = true;
            }
            CO_VERIFY(cancelled);
        }());
        QVERIFY(!QFile::exists(target));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0);
    }

    void routesThroughTheRuntime()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        Runtime rt;
        registerBuiltins(rt, {.roots = {QFileInfo(dir.path()).canonicalFilePath()}});
        runCoroutine([&]() -> QCoro::Task<void> {
            // GET: the body and its size
            auto ok = co_await rt.call(httpGet(m_server->url(u"/body?size=16"_s)));
            CO_VERIFY(ok.succeeded());
            const auto result = ok.job->result.toJson().toObject();
            CO_COMPARE(result.value(u"status"_s).toInt(), 200);
            CO_COMPARE(result.value(u"body"_s).toString(), QString(16, u'x'));
            CO_COMPARE(result.value(u"bytes"_s).toInteger(), qint64(16));
            CO_VERIFY(result.contains(u"elapsed_ms"_s));

            // A 404 fails the job, with the response in the error detail.
            auto missing = co_await rt.call(httpGet(m_server->url(u"/nothing"_s)));
            CO_COMPARE(missing.job->state, JobState::Failed);
            CO_COMPARE(missing.job->error.status, 502);
            CO_COMPARE(missing.job->error.type, u"http_status"_s);
            CO_VERIFY(missing.job->error.message.contains(u"answered 404"_s));
            CO_COMPARE(missing.job->error.detail.toObject().value(u"status"_s).toInt(), 404);
            CO_COMPARE(missing.job->error.detail.toObject().value(u"body"_s).toString(), u"not found"_s);

            // A refused scheme is bad input.
            auto ftp = co_await rt.call(httpGet(QUrl(u"ftp://h/x"_s)));
            CO_COMPARE(ftp.job->error.status, 400);
            CO_COMPARE(ftp.job->error.type, u"unsupported_scheme"_s);

            // POST /http/request: method, headers and body reach the server.
            const QJsonObject body{{u"method"_s, u"PUT"_s},
                                   {u"url"_s, m_server->url(u"/echo"_s).toString()},
                                   {u"headers"_s, QJsonObject{{u"X-Test"_s, u"yes"_s}}},
                                   {u"body"_s, u"hello"_s}};
            auto echoed = co_await rt.call(httpPost(u"/http/request"_s, body));
            CO_VERIFY(echoed.succeeded());
            const auto echo = QJsonDocument::fromJson(
                echoed.job->result.toJson().toObject().value(u"body"_s).toString().toUtf8()).object();
            CO_COMPARE(echo.value(u"method"_s).toString(), u"PUT"_s);
            CO_COMPARE(echo.value(u"body"_s).toString(), u"hello"_s);
            CO_COMPARE(echo.value(u"headers"_s).toObject().value(u"x-test"_s).toString(), u"yes"_s);

            // Binary bodies come back as base64.
            m_server->setHandler([](const TestHttpRequest &) {
                TestHttpResponse r;
                r.body = QByteArray("\xff\xfe\x00\x01", 4);
                return r;
            });
            auto binary = co_await rt.call(httpGet(m_server->url(u"/bin"_s)));
            CO_VERIFY(binary.succeeded());
            CO_COMPARE(binary.job->result.toJson().toObject().value(u"base64"_s).toString(), u"//4AAQ=="_s);
            CO_VERIFY(!binary.job->result.toJson().toObject().contains(u"body"_s));
            m_server->setHandler({});

            // POST /http/download into the root, with progress.
            const QJsonObject dl{{u"url"_s, m_server->url(u"/body?size=5000"_s).toString()},
                                 {u"to"_s, u"file.bin"_s}};
            auto downloaded = co_await rt.call(httpPost(u"/http/download"_s, dl));
            CO_VERIFY(downloaded.succeeded());
            const auto d = downloaded.job->result.toJson().toObject();
            CO_COMPARE(d.value(u"bytes"_s).toInteger(), qint64(5000));
            CO_COMPARE(d.value(u"status"_s).toInt(), 200);
            CO_COMPARE(QFileInfo(dir.filePath(u"file.bin"_s)).size(), qint64(5000));
            CO_COMPARE(downloaded.job->progress, 1.0);

            // Outside the root: refused, nothing written.
            const QJsonObject escape{{u"url"_s, m_server->url(u"/body"_s).toString()}, {u"to"_s, u"../evil.bin"_s}};
            auto refused = co_await rt.call(httpPost(u"/http/download"_s, escape));
            CO_COMPARE(refused.job->error.status, 403);
            const QJsonObject absolute{{u"url"_s, m_server->url(u"/body"_s).toString()},
                                       {u"to"_s, QDir::tempPath() + u"/coroute-evil.bin"_s}};
            auto outside = co_await rt.call(httpPost(u"/http/download"_s, absolute));
            CO_COMPARE(outside.job->error.status, 403);
            CO_VERIFY(!QFile::exists(QDir::tempPath() + u"/coroute-evil.bin"_s));

            // A failed download writes no file.
            const QJsonObject notFound{{u"url"_s, m_server->url(u"/nothing"_s).toString()}, {u"to"_s, u"no.bin"_s}};
            auto failed = co_await rt.call(httpPost(u"/http/download"_s, notFound));
            CO_COMPARE(failed.job->error.type, u"http_status"_s);
            CO_VERIFY(!QFile::exists(dir.filePath(u"no.bin"_s)));
        }(), 30000);
    }

    void cancellingTheJobAbortsTheRequest()
    {
        Runtime rt;
        registerBuiltins(rt);
        runCoroutine([&]() -> QCoro::Task<void> {
            auto submission = rt.submit(httpGet(m_server->url(u"/stall"_s)));
            CO_VERIFY(submission.accepted());
            const bool arrived = co_await waitFor([&] { return m_server->inFlight() == 1; });
            CO_VERIFY(arrived);
            rt.cancel(submission.id);
            const auto info = co_await rt.wait(submission.id);
            CO_COMPARE(info.state, JobState::Cancelled);
            const bool closed = co_await waitFor([&] { return m_server->abandonedByClient() == 1; });
            CO_VERIFY(closed);
        }());
    }

private:
    std::unique_ptr<TestHttpServer> m_server;
};

QTEST_GUILESS_MAIN(tst_Http)
#include "tst_http.moc"
