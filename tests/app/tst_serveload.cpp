// Load on `coroute serve`: 100 concurrent keep-alive clients on loopback against a real server
// process for a bounded time, mixing route calls and /_jobs submissions, while a probe asks
// GET /sys/health every 100 ms. No request may fail, no submitted job may be lost (each ends
// succeeded, and the history --db holds every job the requests started), and every probe is
// answered. The probes' worst latency is printed, not asserted.

#include "store/historystore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

constexpr int Bound = 30000;      // every wait ends within this many ms
constexpr int Clients = 100;
constexpr int ClientsPerManager = 5; // QNetworkAccessManager opens up to 6 connections per host
constexpr int LoadMs = 8000;      // how long the clients keep sending
constexpr int ProbeEveryMs = 100;

} // namespace

class tst_ServeLoad : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    QString m_base;

    QNetworkRequest request(const QString &pathAndQuery) const
    {
        QNetworkRequest req(QUrl(m_base + pathAndQuery));
        req.setRawHeader("Authorization", "Bearer secret");
        req.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        return req;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString bin = qEnvironmentVariable("COROUTE_BIN");
        QVERIFY2(QFile::exists(bin), "COROUTE_BIN must name the coroute binary");
        QVERIFY(m_dir.isValid());
        m_server.start(bin, {u"serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--token"_s, u"secret"_s, u"--root"_s,
                             m_dir.path(), u"--db"_s, m_dir.filePath(u"h.sqlite"_s)});
        QVERIFY(m_server.waitForStarted(Bound));
        QVERIFY(QTest::qWaitFor([&] { return m_server.canReadLine() || m_server.state() != QProcess::Running; },
                                Bound));
        m_base = QJsonDocument::fromJson(m_server.readLine()).object().value(u"listening"_s).toString();
        QVERIFY2(m_base.startsWith(u"http://127.0.0.1:"_s), qPrintable(m_base));
    }

    void hundredClients()
    {
        std::vector<std::unique_ptr<QNetworkAccessManager>> managers;
        for (int i = 0; i < Clients / ClientsPerManager; ++i)
            managers.push_back(std::make_unique<QNetworkAccessManager>());

        QElapsedTimer clock;
        clock.start();
        int inFlight = 0;
        int requests = 0;
        int jobRequests = 0; // requests that start a job (route calls and submissions)
        QStringList errors;
        QList<qint64> submitted;

        // One client: the next request as soon as the previous one is answered, until LoadMs.
        std::function<void(int, int)> next = [&](int client, int seq) {
            if (clock.elapsed() >= LoadMs)
                return;
            auto &nam = *managers[size_t(client / ClientsPerManager)];
            const int kind = (client + seq) % 4;
            const int n = client * 100000 + seq;
            QNetworkReply *reply = nullptr;
            switch (kind) {
            case 0: reply = nam.get(request(u"/sys/health"_s)); break;
            case 1: reply = nam.get(request(u"/demo/items/%1"_s.arg(n))); break;
            case 2: reply = nam.get(request(u"/sys/sleep?ms=5"_s)); break;
            default: {
                // (No raw strings with unbalanced braces here: moc would lose track of the class.)
                const QByteArray route = seq % 2 ? QByteArray("GET /sys/sleep?ms=5")
                                                 : "GET /demo/items/" + QByteArray::number(n);
                const QByteArray body = "{\"route\": \"" + route + "\"}";
                reply = nam.post(request(u"/_jobs"_s), body);
            }
            }
            ++inFlight;
            ++requests;
            ++jobRequests;
            connect(reply, &QNetworkReply::finished, this, [&, reply, client, seq, kind] {
                --inFlight;
                const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QByteArray body = reply->readAll();
                const int expected = kind == 3 ? 202 : 200;
                if (reply->error() != QNetworkReply::NoError || status != expected)
                    errors << u"client %1 #%2: %3 %4 %5"_s.arg(client).arg(seq).arg(status).arg(reply->errorString(),
                                                                                             QString::fromUtf8(body));
                else if (kind == 3)
                    submitted << QJsonDocument::fromJson(body).object().value(u"id"_s).toInteger();
                reply->deleteLater();
                next(client, seq + 1);
            });
        };

        // The probe: its own manager (its own connection), a GET /sys/health every 100 ms.
        QNetworkAccessManager probeNam;
        int probes = 0;
        int probesAnswered = 0;
        qint64 maxLatencyMs = 0;
        QStringList probeErrors;
        QTimer probeTimer;
        probeTimer.setInterval(ProbeEveryMs);
        connect(&probeTimer, &QTimer::timeout, this, [&] {
            if (clock.elapsed() >= LoadMs) {
                probeTimer.stop();
                return;
            }
            ++probes;
            ++jobRequests;
            auto sent = std::make_shared<QElapsedTimer>();
            sent->start();
            QNetworkReply *reply = probeNam.get(request(u"/sys/health"_s));
            connect(reply, &QNetworkReply::finished, this, [&, reply, sent] {
                maxLatencyMs = std::max(maxLatencyMs, sent->elapsed());
                const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (status == 200)
                    ++probesAnswered;
                else
                    probeErrors << u"probe: %1 %2"_s.arg(status).arg(reply->errorString());
                reply->deleteLater();
            });
        });

        for (int c = 0; c < Clients; ++c)
            next(c, 0);
        probeTimer.start();
        QVERIFY(QTest::qWaitFor([&] { return clock.elapsed() >= LoadMs && inFlight == 0 && !probeTimer.isActive()
                                             && probesAnswered + probeErrors.size() == probes; },
                                LoadMs + Bound));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.mid(0, 5).join(u'\n')));
        QVERIFY2(probeErrors.isEmpty(), qPrintable(probeErrors.mid(0, 5).join(u'\n')));
        QVERIFY(probes > 0);
        QCOMPARE(probesAnswered, probes);
        QVERIFY(!submitted.isEmpty());
        QCOMPARE(QSet<qint64>(submitted.begin(), submitted.end()).size(), submitted.size());

        // Every submitted job reaches a terminal state, and it is `succeeded`.
        QNetworkAccessManager nam;
        int notSucceeded = 0;
        for (const qint64 id : std::as_const(submitted)) {
            QString state;
            QVERIFY(QTest::qWaitFor([&] {
                QNetworkReply *reply = nam.get(request(u"/_jobs/"_s + QString::number(id)));
                if (!QTest::qWaitFor([&] { return reply->isFinished(); }, Bound))
                    return false;
                state = QJsonDocument::fromJson(reply->readAll()).object().value(u"state"_s).toString();
                reply->deleteLater();
                return state == u"succeeded"_s || state == u"failed"_s || state == u"cancelled"_s
                       || state == u"timed_out"_s;
            }, Bound));
            if (state != u"succeeded"_s)
                ++notSucceeded;
        }
        QCOMPARE(notSucceeded, 0);

        // The server shuts down cleanly, and its history has every job the requests started.
        m_server.terminate();
        QVERIFY(m_server.waitForFinished(Bound));
        QCOMPARE(m_server.exitCode(), 130);
        QString error;
        auto store = coroute::HistoryStore::open(m_dir.filePath(u"h.sqlite"_s), &error);
        QVERIFY2(store, qPrintable(error));
        const auto run = store->latestRun();
        QVERIFY(run);
        QCOMPARE(store->jobCount(*run), qint64(jobRequests));
        QSet<qint64> stored;
        for (const auto &job : store->jobs(*run)) {
            stored.insert(qint64(job.id));
            QVERIFY2(job.state == coroute::JobState::Succeeded, qPrintable(QString::number(job.id)));
        }
        for (const qint64 id : std::as_const(submitted))
            QVERIFY2(stored.contains(id), qPrintable(u"job %1 missing from the history"_s.arg(id)));

        qInfo("%d clients, %d requests (%lld jobs submitted) in %d ms; %d health probes, max latency %lld ms",
              Clients, requests, qint64(submitted.size()), LoadMs, probes, maxLatencyMs);
    }

    void cleanupTestCase()
    {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.kill();
            m_server.waitForFinished(Bound);
        }
    }
};

QTEST_GUILESS_MAIN(tst_ServeLoad)
#include "tst_serveload.moc"
