#include "models/changethrottle.h"
#include "models/jobfilterproxymodel.h"
#include "models/jobtreemodel.h"
#include "uitestutil.h"
#include "widgets/jobspanel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_JobsPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void contextMenuCancelsJobAndChildren();
    void rerunAndCopyResult();
};

namespace {

struct Fixture
{
    Fixture()
        : host([] {
              RuntimeHost::Options o;
              o.builtins = false;
              o.setup = test::addTestRoutes;
              return o;
          }())
    {
        QObject::connect(&host, &RuntimeHost::changed, &model, &JobTreeModel::apply);
    }
    RuntimeHost host;
    JobTreeModel model;
};

} // namespace

void tst_JobsPanel::contextMenuCancelsJobAndChildren()
{
    Fixture f;
    QAbstractItemModelTester tester(&f.model);
    JobsPanel panel(&f.model, &f.host);
    panel.show();
    QVERIFY(panel.view()->actions().contains(panel.cancelAction())); // in the context menu
    QCOMPARE(panel.cancelAction()->shortcut(), QKeySequence(Qt::Key_Delete));

    f.host.submit({u"GET"_s, u"/tree"_s, {{u"n"_s, 4}, {u"ms"_s, 60000}}, QJsonValue(QJsonValue::Undefined)});
    f.host.submit({u"GET"_s, u"/tree"_s, {{u"n"_s, 2}, {u"ms"_s, 60000}}, QJsonValue(QJsonValue::Undefined)});
    QTRY_COMPARE_WITH_TIMEOUT(f.model.countIn(JobState::Running), 8, 10000);

    const JobId target = f.model.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>();
    const JobId other = f.model.index(1, 0).data(JobTreeModel::JobIdRole).value<JobId>();
    panel.selectJob(target);
    QCOMPARE(panel.selectedJobs(), QList<JobId>{target});
    QVERIFY(panel.cancelAction()->isEnabled());
    panel.cancelAction()->trigger();

    QTRY_COMPARE_WITH_TIMEOUT(f.model.job(target)->state, JobState::Cancelled, 10000);
    QCOMPARE(f.model.job(target)->cancelReason, CancelReason::User);
    const auto tree = f.model.subtree(target);
    QCOMPARE(tree.size(), 5);
    for (const auto id : tree.mid(1)) {
        QTRY_COMPARE_WITH_TIMEOUT(f.model.job(id)->state, JobState::Cancelled, 10000);
        QCOMPARE(f.model.job(id)->cancelReason, CancelReason::Parent);
    }
    // The other tree is untouched.
    QCOMPARE(f.model.job(other)->state, JobState::Running);

    // Cancel all (window shortcut) ends the rest.
    QVERIFY(panel.cancelAllAction()->isEnabled());
    panel.cancelAllAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(f.model.job(other)->state, JobState::Cancelled, 10000);
    QVERIFY(test::waitIdle(f.host));
}

void tst_JobsPanel::rerunAndCopyResult()
{
    Fixture f;
    JobsPanel panel(&f.model, &f.host);
    panel.show();
    f.host.submit({u"GET"_s, u"/tree"_s, {{u"n"_s, 2}, {u"ms"_s, 1}}, QJsonValue(QJsonValue::Undefined)});
    QTRY_COMPARE_WITH_TIMEOUT(f.model.countIn(JobState::Succeeded), 3, 10000);
    const JobId first = f.model.index(0, 0).data(JobTreeModel::JobIdRole).value<JobId>();
    panel.selectJob(first);
    QVERIFY(panel.copyResultAction()->isEnabled());
    panel.copyResultAction()->trigger();
    QCOMPARE(QApplication::clipboard()->text(), u"2"_s);

    panel.rerunAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(f.model.rowCount(), 2, 10000);
    const JobId second = f.model.index(1, 0).data(JobTreeModel::JobIdRole).value<JobId>();
    QTRY_COMPARE_WITH_TIMEOUT(f.model.job(second)->state, JobState::Succeeded, 10000);
    QCOMPARE(f.model.job(second)->params, f.model.job(first)->params);
    QCOMPARE(f.model.job(second)->path, u"/tree"_s);
}

QTEST_MAIN(tst_JobsPanel)
#include "tst_jobspanel.moc"
