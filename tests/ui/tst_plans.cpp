#include "models/jobtreemodel.h"
#include "runtimehost.h"
#include "uitestutil.h"
#include "widgets/mainwindow.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_Plans : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void validPlanRunsThroughTheHost()
    {
        RuntimeHost::Options options;
        options.builtins = false;
        options.setup = test::addTestRoutes;
        RuntimeHost host(options);
        JobTreeModel model;
        QAbstractItemModelTester tester(&model);
        connect(&host, &RuntimeHost::changed, &model, &JobTreeModel::apply);
        QSignalSpy started(&host, &RuntimeHost::planStarted);
        QSignalSpy finished(&host, &RuntimeHost::planFinished);
        host.runPlan(R"({"name": "p", "concurrency": 2, "jobs": [
            {"id": "a", "route": "GET /leaf", "query": {"ms": 5}},
            {"id": "b", "route": "GET /tree", "query": {"n": 2}, "after": ["a"]},
            {"id": "c", "route": "GET /leaf", "foreach": [1, 2, 3], "query": {"ms": "${item}"}}]})",
                     u"p.json"_s);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().at(1).toInt(), 3);
        const auto summary = finished.first().at(1).toJsonObject();
        QCOMPARE(summary.value(u"outcome"_s).toString(), u"succeeded"_s);
        QVERIFY(test::waitIdle(host));
        host.shutdown();
        // a, b with its 2 children, and 3 instances of c
        QCOMPARE(model.jobCount(), 7);
    }

    void invalidPlanIsRejectedWithEveryProblem()
    {
        RuntimeHost::Options options;
        options.builtins = false;
        options.setup = test::addTestRoutes;
        RuntimeHost host(options);
        QSignalSpy rejected(&host, &RuntimeHost::planRejected);
        QSignalSpy submitted(&host, &RuntimeHost::submitted);
        host.runPlan(R"({"jobs": [{"id": "a", "route": "GET /nope"}, {"id": "a", "route": "GET /leaf", "after": ["x"]}]})",
                     u"bad.json"_s);
        QTRY_COMPARE_WITH_TIMEOUT(rejected.size(), 1, 30000);
        const auto errors = rejected.first().at(1).toJsonObject().value(u"errors"_s).toArray();
        QVERIFY2(errors.size() >= 3, qPrintable(QString::number(errors.size()))); // unknown route, duplicate id, unknown dependency
        QVERIFY(test::waitIdle(host));
        auto counts = test::readCounts(host);
        QVERIFY(QTest::qWaitFor([&] { return counts->ready.load(); }, 10000));
        int total = 0;
        for (const auto &c : counts->counts)
            total += c;
        QCOMPARE(total, 0); // nothing ran
    }

    void openPlanActionIsEnabled()
    {
        RuntimeHost::Options options;
        options.builtins = false;
        RuntimeHost host(options);
        MainWindow window(&host, nullptr);
        auto *action = window.findChild<QAction *>(u"openPlan"_s);
        QVERIFY(action);
        QVERIFY(action->isEnabled());
        QString error;
        QVERIFY(!window.openPlanFile(u"/nonexistent/plan.json"_s, &error));
        QVERIFY(error.contains(u"/nonexistent/plan.json"_s));
    }
};

QTEST_MAIN(tst_Plans)
#include "tst_plans.moc"
