// The registry's record table: lookups by id through a deque with a side table for records
// that outlive many newer ones. Checked against std::map under random inserts and removals.
#include "runtime/detail/jobrecord_p.h"
#include "runtime/detail/recordtable_p.h"

#include <QRandomGenerator>
#include <QTest>

#include <map>

using namespace coroute;
using namespace coroute::detail;

namespace {

std::shared_ptr<JobRecord> recordFor(JobId id)
{
    auto r = std::make_shared<JobRecord>();
    r->info.id = id;
    return r;
}

} // namespace

class tst_RecordTable : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Ids increase with gaps; removals mostly take the oldest, sometimes any, sometimes all
    // but the oldest (which then lives long). After every step the table equals the map.
    void randomInsertsAndRemovalsMatchAMap()
    {
        for (quint32 seed = 1; seed <= 100; ++seed) {
            QRandomGenerator rng(seed);
            RecordTable table;
            std::map<JobId, std::shared_ptr<JobRecord>> expected;
            JobId next = 1 + rng.bounded(5);
            for (int step = 0; step < 2000; ++step) {
                if (rng.bounded(10) < 5) {
                    auto r = recordFor(next);
                    table.insert(next, r);
                    expected[next] = r;
                    next += 1 + (rng.bounded(20) == 0 ? rng.bounded(100) : 0);
                } else if (!expected.empty()) {
                    auto it = expected.begin();
                    if (rng.bounded(3) == 0)
                        std::advance(it, rng.bounded(int(expected.size())));
                    else if (expected.size() > 2 && rng.bounded(4) == 0)
                        ++it;
                    QVERIFY(table.remove(it->first));
                    expected.erase(it);
                }
                QVERIFY(!table.remove(next + 5));
                QCOMPARE(table.size(), qsizetype(expected.size()));
                QVERIFY2(table.slotCount() <= 2 * qsizetype(expected.size()) + 64,
                         qPrintable(QString::number(table.slotCount())));
            }
            for (JobId id = 0; id < next + 10; ++id) {
                const auto it = expected.find(id);
                JobRecord *const want = it == expected.end() ? nullptr : it->second.get();
                QCOMPARE(table.find(id), want);
                QCOMPARE(table.share(id).get(), want);
            }
            qsizetype seen = 0;
            table.forEach([&](const std::shared_ptr<JobRecord> &r) {
                ++seen;
                QVERIFY(expected.count(r->info.id) == 1);
            });
            QCOMPARE(seen, qsizetype(expected.size()));
        }
    }

    // One job runs while 100,000 later ones come and go: its id must not pin their slots.
    void longLivedRecordDoesNotPinSlots()
    {
        RecordTable table;
        auto first = recordFor(1);
        table.insert(1, first);
        for (JobId id = 2; id <= 100'000; ++id) {
            table.insert(id, recordFor(id));
            if (id > 11)
                QVERIFY(table.remove(id - 10)); // ten finished jobs stay, as in a window
        }
        QCOMPARE(table.size(), 11);
        QVERIFY2(table.slotCount() <= 2 * 11 + 64, qPrintable(QString::number(table.slotCount())));
        QCOMPARE(table.find(1), first.get());
        QVERIFY(table.remove(1));
        QVERIFY(!table.find(1));
        QCOMPARE(table.size(), 10);
    }
};

QTEST_GUILESS_MAIN(tst_RecordTable)
#include "tst_recordtable.moc"
