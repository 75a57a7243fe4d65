#include "models/jobtreemodel.h"
#include "runtime/runtime.h"
#include "runtimehost.h"
#include "widgets/routeform.h"
#include "widgets/routespanel.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace coroute;

class tst_RouteForm : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refusesBadInput_data();
    void refusesBadInput();
    void buildsTypedRequests();
    void runsGoodInput();
    void runsManyTimes();

private:
    std::unique_ptr<RuntimeHost> m_host;
};

void tst_RouteForm::initTestCase()
{
    m_host = std::make_unique<RuntimeHost>(RuntimeHost::Options{});
}

void tst_RouteForm::refusesBadInput_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("field"); // "body" for the body editor
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("text in an int") << u"GET"_s << u"/demo/dashboard"_s << u"ms"_s << u"abc"_s << u"not an integer"_s;
    QTest::newRow("above maximum") << u"GET"_s << u"/demo/dashboard"_s << u"ms"_s << u"999999"_s << u"must be"_s;
    QTest::newRow("missing path param") << u"GET"_s << u"/demo/items/{item_id:int}"_s << u"item_id"_s << QString()
                                        << u"required"_s;
    QTest::newRow("invalid JSON body") << u"POST"_s << u"/demo/batch"_s << u"body"_s << u"{\"items\": [1, 2"_s
                                       << u"invalid JSON"_s;
    QTest::newRow("missing body field") << u"POST"_s << u"/demo/batch"_s << u"body"_s << u"{\"concurrency\": 2}"_s
                                        << u"'items' is required"_s;
    QTest::newRow("wrong body field type") << u"POST"_s << u"/demo/batch"_s << u"body"_s
                                           << u"{\"items\": [1], \"concurrency\": \"two\"}"_s << u"must be of type int"_s;
}

void tst_RouteForm::refusesBadInput()
{
    QFETCH(QString, method);
    QFETCH(QString, path);
    QFETCH(QString, field);
    QFETCH(QString, text);
    QFETCH(QString, error);
    RoutesPanel panel(m_host.get(), m_host->routes());
    panel.show();
    QVERIFY(panel.selectRoute(method, path));
    QVERIFY(panel.form());
    QSignalSpy submitted(m_host.get(), &RuntimeHost::submitted);
    if (field == u"body"_s) {
        auto *body = panel.form()->findChild<QPlainTextEdit *>(u"bodyEditor"_s);
        QVERIFY(body);
        body->setPlainText(text);
        QVERIFY(panel.form()->findChild<QLabel *>(u"bodyError"_s)->text().contains(error));
    } else {
        auto *edit = panel.form()->findChild<QLineEdit *>(u"field_"_s + field);
        QVERIFY(edit);
        edit->setText(text);
    }
    QVERIFY(!panel.form()->isValid());
    QVERIFY2(panel.form()->errors().join(u'\n').contains(error), qPrintable(panel.form()->errors().join(u'\n')));
    QVERIFY(!panel.form()->request());
    QVERIFY(!panel.runButton()->isEnabled());
    QVERIFY(!panel.runManyButton()->isEnabled());
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    // A probe of 3 jobs goes through the same queue: had the click submitted, its answer
    // would come first.
    m_host->submit({u"GET"_s, u"/sys/health"_s, {}, QJsonValue(QJsonValue::Undefined)}, 3);
    QTRY_COMPARE_WITH_TIMEOUT(submitted.count(), 1, 10000);
    QCOMPARE(submitted[0][0].value<QList<JobId>>().size(), 3);
}

void tst_RouteForm::buildsTypedRequests()
{
    const auto routes = m_host->routes();
    QJsonObject source;
    for (const auto &r : routes) {
        if (r.toObject().value(u"path"_s).toString() == u"/demo/source/{name}"_s)
            source = r.toObject();
    }
    QVERIFY(!source.isEmpty());
    RouteForm form(source);
    QVERIFY(!form.isValid()); // name is required
    form.findChild<QLineEdit *>(u"field_name"_s)->setText(u"a b/c"_s);
    form.findChild<QLineEdit *>(u"field_ms"_s)->setText(u"15"_s);
    form.findChild<QCheckBox *>(u"field_fail"_s)->setChecked(true);
    QVERIFY(form.isValid());
    const auto request = form.request();
    QVERIFY(request);
    QCOMPARE(request->method, u"GET"_s);
    QCOMPARE(request->path, u"/demo/source/a%20b%2Fc"_s);
    QCOMPARE(request->query.value(u"ms"_s), QJsonValue(15));
    QCOMPARE(request->query.value(u"fail"_s), QJsonValue(true));
}

void tst_RouteForm::runsGoodInput()
{
    JobTreeModel model;
    QAbstractItemModelTester tester(&model);
    connect(m_host.get(), &RuntimeHost::changed, &model, &JobTreeModel::apply);
    RoutesPanel panel(m_host.get(), m_host->routes());
    panel.show();
    QVERIFY(panel.selectRoute(u"POST"_s, u"/demo/batch"_s));
    auto *body = panel.form()->findChild<QPlainTextEdit *>(u"bodyEditor"_s);
    body->setPlainText(u"{\"items\": [\"a\", \"b\", \"c\"], \"concurrency\": 2, \"item_ms\": 1}"_s);
    QVERIFY2(panel.form()->isValid(), qPrintable(panel.form()->errors().join(u'\n')));
    QVERIFY(panel.runButton()->isEnabled());
    QSignalSpy submitted(m_host.get(), &RuntimeHost::submitted);
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(submitted.count(), 1, 10000);
    const JobId id = submitted[0][0].value<QList<JobId>>().first();
    QTRY_VERIFY_WITH_TIMEOUT(model.job(id) && model.job(id)->state == JobState::Succeeded, 10000);
    const JobInfo *j = model.job(id);
    QCOMPARE(j->path, u"/demo/batch"_s);
    QCOMPARE(j->body.toObject().value(u"concurrency"_s), QJsonValue(2));
    QCOMPARE(j->result.toJson().toObject().value(u"processed"_s).toArray().size(), 3);
    QCOMPARE(j->result.toJson().toObject().value(u"max_in_flight"_s), QJsonValue(2));

    QVERIFY(panel.selectRoute(u"GET"_s, u"/demo/dashboard"_s));
    panel.form()->findChild<QLineEdit *>(u"field_ms"_s)->setText(u"7"_s);
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(submitted.count(), 2, 10000);
    const JobId dash = submitted[1][0].value<QList<JobId>>().first();
    QTRY_VERIFY_WITH_TIMEOUT(model.job(dash) && model.job(dash)->state == JobState::Succeeded, 10000);
    QCOMPARE(model.job(dash)->params.value(u"ms"_s), QJsonValue(7));
    QCOMPARE(model.rowCount(model.indexOf(dash)), 3); // its three sources
}

void tst_RouteForm::runsManyTimes()
{
    JobTreeModel model;
    connect(m_host.get(), &RuntimeHost::changed, &model, &JobTreeModel::apply);
    RoutesPanel panel(m_host.get(), m_host->routes());
    QVERIFY(panel.selectRoute(u"GET"_s, u"/sys/health"_s));
    panel.timesBox()->setValue(25);
    QSignalSpy submitted(m_host.get(), &RuntimeHost::submitted);
    QTest::mouseClick(panel.runManyButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(submitted.count(), 1, 10000);
    QCOMPARE(submitted[0][0].value<QList<JobId>>().size(), 25);
    QTRY_COMPARE_WITH_TIMEOUT(model.countIn(JobState::Succeeded), 25, 10000);
}

QTEST_MAIN(tst_RouteForm)
#include "tst_routeform.moc"
