#include "deliverylistmodel.h"
#include "deliverystore.h"
#include "queryservice.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <atomic>

namespace {

Delivery make(int n)
{
    Delivery d;
    d.receivedAtMs = 1800000000000 + n * 1000;
    d.method = QStringLiteral("POST");
    d.path = QStringLiteral("/hooks/hh");
    d.httpVersion = QStringLiteral("1.1");
    d.endpoint = QStringLiteral("hh");
    d.eventType =
        n % 3 == 0 ? QStringLiteral("invoice.paid") : QStringLiteral("subscriber.created");
    d.eventId = QStringLiteral("evt_%1").arg(n);
    d.body = "{\"n\":" + QByteArray::number(n) + (n % 10 == 7 ? ",\"note\":\"needle\"}" : "}");
    d.verification.verdict = n % 4 == 0 ? Verdict::Invalid : Verdict::Valid;
    d.responseStatus = 200;
    return d;
}

void storeAll(DeliveryStore &store, int from, int to)
{
    std::atomic<int> done{0};
    for (int n = from; n < to; ++n)
        store.submit(make(n), DeliveryStore::Clock::now(),
                     [&done](qint64, int, const QString &) { ++done; });
    QTRY_COMPARE_WITH_TIMEOUT(done.load(), to - from, 30000);
}

} // namespace

class TestDeliveryListModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<DeliveryStore> m_store;
    std::unique_ptr<QueryService> m_queries;
    int m_run = 0;
    static constexpr int Stored = 1000; // about four pages

private Q_SLOTS:
    void init()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("model-%1.db").arg(++m_run));
        m_store = std::make_unique<DeliveryStore>();
        DeliveryStore::Options options;
        options.path = path;
        QVERIFY(m_store->open(options, nullptr));
        storeAll(*m_store, 0, Stored);
        m_queries = std::make_unique<QueryService>();
        QSignalSpy opened(m_queries.get(), &QueryService::opened);
        m_queries->start(path);
        QTRY_COMPARE(opened.size(), 1);
        QVERIFY(opened.at(0).at(0).toBool());
    }

    void cleanup()
    {
        m_queries.reset();
        m_store.reset();
    }

    void passesTheModelTester()
    {
        DeliveryListModel model(*m_queries);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter({});
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(model.rowCount(), Stored);
        // Newest first.
        QCOMPARE(model.index(0, DeliveryListModel::EventIdColumn).data().toString(),
                 QStringLiteral("evt_999"));
        // A row far down is loading at first, then arrives.
        const QModelIndex deep = model.index(Stored - 1, DeliveryListModel::EventIdColumn);
        QTRY_VERIFY(deep.data(DeliveryListModel::LoadedRole).toBool());
        QCOMPARE(deep.data().toString(), QStringLiteral("evt_0"));
        // Paging on, in order, from the page above.
        for (int row = 0; row < Stored; row += 100)
            QTRY_COMPARE(model.index(row, DeliveryListModel::EventIdColumn).data().toString(),
                         QStringLiteral("evt_%1").arg(Stored - 1 - row));
    }

    void filters_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<int>("rows");
        QTest::newRow("event type") << QStringLiteral("event:invoice.paid") << 334;
        QTest::newRow("verdict") << QStringLiteral("verdict:invalid") << 250;
        QTest::newRow("body text") << QStringLiteral("needle") << 100;
        QTest::newRow("combined") << QStringLiteral("needle verdict:valid") << 100;
        QTest::newRow("none") << QStringLiteral("event:nothing") << 0;
    }

    void filters()
    {
        QFETCH(QString, filter);
        QFETCH(int, rows);
        DeliveryListModel model(*m_queries);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter(DeliveryFilter::parse(filter));
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(model.rowCount(), rows);
        for (int row = 0; row < rows; row += 37) {
            const QModelIndex index = model.index(row, DeliveryListModel::TimeColumn);
            QTRY_VERIFY(index.data(DeliveryListModel::LoadedRole).toBool());
        }
    }

    void liveRowsArriveAtTheTopOncePerBatch()
    {
        DeliveryListModel model(*m_queries);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter({});
        QTRY_COMPARE(ready.size(), 1);
        connect(m_store.get(), &DeliveryStore::stored, &model, &DeliveryListModel::addStored);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        storeAll(*m_store, Stored, Stored + 300);
        QTRY_COMPARE(model.rowCount(), Stored + 300);
        QCOMPARE(model.index(0, DeliveryListModel::EventIdColumn).data().toString(),
                 QStringLiteral("evt_1299"));
        QCOMPARE(model.index(300, DeliveryListModel::EventIdColumn).data().toString(),
                 QStringLiteral("evt_999"));
        // Coalesced: fewer inserts than deliveries.
        QVERIFY2(inserted.size() < 300, qPrintable(QString::number(inserted.size())));
    }

    // Many arrivals while the list is open: memory stays bounded by the page cache (live rows
    // are folded into pages), and every row still reads back in order, paged in from the
    // database as it is scrolled to. Filtered lists fold the same way.
    void arrivalsAreFoldedIntoPagesAndStayInOrder_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<int>("expected"); // rows listed after the arrivals
        QTest::newRow("everything") << QString() << Stored + 6000;
        QTest::newRow("verdict:invalid")
            << QStringLiteral("verdict:invalid") << (Stored + 6000) / 4;
    }

    void arrivalsAreFoldedIntoPagesAndStayInOrder()
    {
        QFETCH(QString, filter);
        QFETCH(int, expected);
        DeliveryListModel model(*m_queries);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter(DeliveryFilter::parse(filter));
        QTRY_COMPARE(ready.size(), 1);
        connect(m_store.get(), &DeliveryStore::stored, &model, &DeliveryListModel::addStored);
        qsizetype mostLive = 0;
        for (int from = Stored; from < Stored + 6000; from += 500) {
            storeAll(*m_store, from, from + 500);
            mostLive = std::max(mostLive, model.liveRowCount());
        }
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), expected, 10000);
        // Arrivals do not pile up outside the pages.
        QVERIFY2(mostLive < DeliveryListModel::FoldLiveRows + DeliveryListModel::PageSize,
                 qPrintable(QString::number(mostLive)));
        QVERIFY2(model.rowsInMemory() <=
                     qsizetype(DeliveryListModel::MaxCachedPages) * DeliveryListModel::PageSize +
                         DeliveryListModel::FoldLiveRows + DeliveryListModel::PageSize,
                 qPrintable(QString::number(model.rowsInMemory())));
        // Every row, top to bottom, newest first with no gap or repeat.
        const int step = filter.isEmpty() ? 1 : 4;
        int previous = Stored + 6000;
        for (int row = 0; row < model.rowCount(); ++row) {
            const QModelIndex index = model.index(row, DeliveryListModel::EventIdColumn);
            QTRY_VERIFY(index.data(DeliveryListModel::LoadedRole).toBool());
            const int n = index.data().toString().mid(4).toInt();
            QVERIFY2(
                previous - n == step || (row == 0 && previous - n <= step),
                qPrintable(
                    QStringLiteral("row %1: evt_%2 after evt_%3").arg(row).arg(n).arg(previous)));
            previous = n;
        }
    }

    void liveRowsHonourTheFilter()
    {
        DeliveryListModel model(*m_queries);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter(DeliveryFilter::parse(QStringLiteral("needle")));
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(model.rowCount(), 100);
        connect(m_store.get(), &DeliveryStore::stored, &model, &DeliveryListModel::addStored);
        storeAll(*m_store, Stored, Stored + 100);
        QTRY_COMPARE(model.rowCount(), 110);
        QCOMPARE(model.index(0, DeliveryListModel::EventIdColumn).data().toString(),
                 QStringLiteral("evt_1097"));
    }

    void headerAndDecoration()
    {
        DeliveryListModel model(*m_queries);
        QSignalSpy ready(&model, &DeliveryListModel::snapshotReady);
        model.setFilter({});
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(model.headerData(DeliveryListModel::VerdictColumn, Qt::Horizontal, Qt::DisplayRole)
                     .toString(),
                 QStringLiteral("Verdict"));
        const QModelIndex verdict = model.index(0, DeliveryListModel::VerdictColumn);
        QCOMPARE(verdict.data().toString(), QStringLiteral("valid"));
        QVERIFY(!verdict.data(Qt::DecorationRole).value<QIcon>().isNull());
        QCOMPARE(model.index(3, DeliveryListModel::VerdictColumn).data().toString(),
                 QStringLiteral("invalid"));
    }
};

QTEST_MAIN(TestDeliveryListModel)
#include "tst_deliverylistmodel.moc"
