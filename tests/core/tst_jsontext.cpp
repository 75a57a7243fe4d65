// The history writer's JSON text: written without QJsonDocument, it must read back (with
// QJsonDocument, as the store's readers do) as exactly the value written.
#include "store/jsontext_p.h"
#include "trace/spandata.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <limits>

using namespace Qt::StringLiterals;
using namespace coroute;

namespace {

QJsonValue readBack(const QByteArray &text)
{
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError) {
        qWarning() << "not JSON:" << text << error.errorString();
        return QJsonValue(QJsonValue::Undefined);
    }
    return doc.array().first();
}

} // namespace

class tst_JsonText : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrips_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::newRow("null") << QJsonValue();
        QTest::newRow("true") << QJsonValue(true);
        QTest::newRow("false") << QJsonValue(false);
        QTest::newRow("zero") << QJsonValue(0);
        QTest::newRow("negative") << QJsonValue(-42);
        QTest::newRow("int64 max") << QJsonValue(std::numeric_limits<qint64>::max());
        QTest::newRow("int64 min") << QJsonValue(std::numeric_limits<qint64>::min());
        QTest::newRow("2^53 + 1") << QJsonValue(qint64(9007199254740993));
        QTest::newRow("fraction") << QJsonValue(0.1);
        QTest::newRow("negative fraction") << QJsonValue(-1234.5678);
        QTest::newRow("tiny") << QJsonValue(5e-324);
        QTest::newRow("huge") << QJsonValue(1.7976931348623157e308);
        QTest::newRow("whole double") << QJsonValue(3.0);
        QTest::newRow("empty string") << QJsonValue(u""_s);
        QTest::newRow("quotes and backslashes") << QJsonValue(u"a\"b\\c/d"_s);
        QTest::newRow("control characters") << QJsonValue(u"\n\r\t\b\f\x01\x1f\x7f end"_s);
        QTest::newRow("latin-1 and BMP") << QJsonValue(u"café ünïcode — 中文"_s);
        QTest::newRow("astral plane") << QJsonValue(u"emoji 😀 and 𝄞"_s);
        QTest::newRow("empty object") << QJsonValue(QJsonObject());
        QTest::newRow("empty array") << QJsonValue(QJsonArray());
        QTest::newRow("nested") << QJsonValue(QJsonObject{
                                       {u"id"_s, 7},
                                       {u"name"_s, u"item \"7\""_s},
                                       {u"tags"_s, QJsonArray{u"a"_s, 1, 2.5, true, QJsonValue(), QJsonObject{{u"k"_s, u"v"_s}}}},
                                       {u"ключ"_s, QJsonObject{{u"deeper"_s, QJsonArray{QJsonArray{}}}}},
                                   });
    }

    void roundTrips()
    {
        QFETCH(QJsonValue, value);
        const QByteArray text = detail::jsonText(value);
        QVERIFY(!text.isEmpty());
        QCOMPARE(readBack(text), value);
        // Numbers keep their kind: an integer stays one (no "7.0"), a fraction keeps every digit.
        if (value.isDouble()) {
            QCOMPARE(readBack(text).toDouble(), value.toDouble());
            // QJsonValue compares numbers as doubles: int64 limits need their own check.
            QCOMPARE(readBack(text).toInteger(), value.toInteger());
        }
    }

    void undefinedIsNoText()
    {
        QVERIFY(detail::jsonText(QJsonValue(QJsonValue::Undefined)).isNull());
    }

    // Lone surrogates are not valid UTF-16; they become U+FFFD instead of invalid UTF-8.
    void loneSurrogatesBecomeReplacementCharacters()
    {
        const QString broken = u"a"_s + QChar(0xd800) + u"b"_s + QChar(0xdc00);
        const QJsonValue back = readBack(detail::jsonText(broken));
        QCOMPARE(back.toString(), u"a\ufffdb\ufffd"_s);
    }

    // A root span's attributes: its own, then its job's facts (which win on a name clash),
    // read back equal to allAttributes().
    void spanAttributesEqualAllAttributes_data()
    {
        QTest::addColumn<bool>("failed");
        QTest::addColumn<QJsonObject>("own");
        QTest::newRow("succeeded, no own attributes") << false << QJsonObject();
        QTest::newRow("failed, own attributes") << true << QJsonObject{{u"http.status"_s, 503}, {u"note"_s, u"x\ny"_s}};
        QTest::newRow("own attribute named like a fact") << true << QJsonObject{{u"coroute.state"_s, u"mine"_s}};
    }

    void spanAttributesEqualAllAttributes()
    {
        QFETCH(bool, failed);
        QFETCH(QJsonObject, own);
        SpanData span;
        span.attributes = own;
        auto facts = std::make_shared<JobSpanFacts>();
        facts->job = 42;
        facts->route = u"/items/{id:int}"_s;
        facts->method = u"GET"_s;
        facts->path = u"/items/\"42\""_s;
        facts->state = failed ? u"failed"_s : u"succeeded"_s;
        facts->executor = u"loop"_s;
        facts->attempts = 2;
        facts->queuedMs = failed ? 15 : 0;
        if (failed) {
            facts->cancelReason = u"user"_s;
            facts->cancelRequestedBy = u"job:7"_s;
            facts->hasError = true;
            facts->errorType = u"exception"_s;
            facts->errorStatus = 500;
        }
        span.jobFacts = facts;
        const QJsonValue back = readBack(detail::spanAttributesText(span));
        QCOMPARE(back.toObject(), span.allAttributes());
        QCOMPARE(back.toObject().value(u"coroute.path"_s).toString(), u"/items/\"42\""_s);
        QCOMPARE(back.toObject().value(u"coroute.state"_s).toString(), facts->state);

        span.jobFacts.reset(); // a child span: just its own attributes
        QCOMPARE(readBack(detail::spanAttributesText(span)).toObject(), own);
    }
};

QTEST_GUILESS_MAIN(tst_JsonText)
#include "tst_jsontext.moc"
