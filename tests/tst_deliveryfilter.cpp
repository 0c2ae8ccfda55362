#include "database.h"
#include "deliveryfilter.h"
#include "deliveryreader.h"
#include "deliverystore.h"
#include "testsupport.h"

#include <QSqlQuery>
#include <QTest>

#include <QThread>
#include <limits>

#include <atomic>

namespace {

constexpr qint64 Now = 1800000000000; // ms

Delivery make(const QString &eventType, const QString &eventId, Verdict verdict, int status,
              const QByteArray &body, qint64 receivedAtMs,
              const QString &endpoint = QStringLiteral("hh"), const QString &subscriber = {})
{
    Delivery d;
    d.receivedAtMs = receivedAtMs;
    d.method = QStringLiteral("POST");
    d.path = QStringLiteral("/hooks/") + endpoint;
    d.httpVersion = QStringLiteral("1.1");
    d.body = body;
    d.endpoint = endpoint;
    d.eventType = eventType;
    d.eventId = eventId;
    d.subscriberId = subscriber;
    d.verification.verdict = verdict;
    d.responseStatus = status;
    return d;
}

} // namespace

class TestDeliveryFilter : public QObject
{
    Q_OBJECT

private:
    QString m_path;

    QList<QString> eventIds(const QString &filterText, bool fullText)
    {
        Database db;
        if (!db.open(m_path, nullptr))
            return {QStringLiteral("cannot open")};
        QString error;
        const DeliveryFilter filter = DeliveryFilter::parse(filterText, &error, Now);
        std::optional<TextSearchScope> scope;
        if (fullText && !filter.text.isEmpty()) {
            scope = db.prepareTextSearch(0, &error);
            if (!scope)
                return {error};
        }
        QVariantList bindings;
        QSqlQuery query(db.connection());
        query.prepare(QStringLiteral("SELECT event_id FROM deliveries WHERE ") +
                      filter.whereClause(bindings, scope ? &*scope : nullptr) +
                      QStringLiteral(" ORDER BY id"));
        for (const QVariant &value : std::as_const(bindings))
            query.addBindValue(value);
        if (!query.exec())
            return {QStringLiteral("query failed")};
        QList<QString> ids;
        while (query.next())
            ids.append(query.value(0).toString());
        return ids;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_path = TestSupport::temporaryPath(QStringLiteral("filter.db"));
        DeliveryStore store;
        DeliveryStore::Options options;
        options.path = m_path;
        QVERIFY(store.open(options, nullptr));
        const QList<Delivery> deliveries{
            make(QStringLiteral("subscriber.created"), QStringLiteral("evt_1"), Verdict::Valid, 200,
                 R"({"data":{"id":"sub_alpha","email":"ops@acme.test"}})", Now - 3600'000,
                 QStringLiteral("hh"), QStringLiteral("sub_alpha")),
            make(QStringLiteral("subscriber.created"), QStringLiteral("evt_2"), Verdict::Invalid,
                 200, R"({"data":{"id":"sub_beta"}})", Now - 120'000, QStringLiteral("hh"),
                 QStringLiteral("sub_beta")),
            make(QStringLiteral("invoice.paid"), QStringLiteral("evt_3"), Verdict::Stale, 200,
                 R"({"amount":"100%_off"})", Now - 30'000, QStringLiteral("stripe")),
            make(QString(), QString(), Verdict::Unverified, 404, "favicon please", Now - 10'000,
                 QString()),
            make(QStringLiteral("ping"), QStringLiteral("evt_5"), Verdict::Missing, 503, "{}",
                 Now - 1000),
        };
        std::atomic<int> done{0};
        for (const Delivery &d : deliveries)
            store.submit(d, DeliveryStore::Clock::now(),
                         [&done](qint64, int, const QString &) { ++done; });
        QTRY_COMPARE(done.load(), deliveries.size());
    }

    void parsesTokens()
    {
        QString error;
        const DeliveryFilter f = DeliveryFilter::parse(
            QStringLiteral("event:subscriber.created verdict:INVALID endpoint:hh status:4xx "
                           "subscriber:sub_1 since:10m until:2026-01-31T14:05 \"two words\" acme"),
            &error, Now);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(f.eventType, QStringLiteral("subscriber.created"));
        QCOMPARE(f.verdict, std::optional<Verdict>(Verdict::Invalid));
        QCOMPARE(f.endpoint, QStringLiteral("hh"));
        QCOMPARE(f.status, 4);
        QVERIFY(f.statusIsClass);
        QCOMPARE(f.subscriberId, QStringLiteral("sub_1"));
        QCOMPARE(f.sinceMs, std::optional<qint64>(Now - 600'000));
        QCOMPARE(f.untilMs,
                 std::optional<qint64>(
                     QDateTime(QDate(2026, 1, 31), QTime(14, 5), Qt::UTC).toMSecsSinceEpoch()));
        QCOMPARE(f.text, QStringLiteral("two words acme"));
        QVERIFY(DeliveryFilter::parse(QString()).isEmpty());

        // A field path keeps a quoted key with spaces in its word.
        const DeliveryFilter has = DeliveryFilter::parse(
            QStringLiteral("has:data[\"with space\"].x drift:missing acme"), &error, Now);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(has.hasPath, QStringLiteral("data[\"with space\"].x"));
        QCOMPARE(has.drift, QStringLiteral("missing"));
        QCOMPARE(has.text, QStringLiteral("acme"));
        QCOMPARE(DeliveryFilter::parse(QStringLiteral("has:items[].sku"), &error, Now).hasPath,
                 QStringLiteral("items[].sku"));
    }

    void reportsTokensItCannotRead()
    {
        QString error;
        const DeliveryFilter f = DeliveryFilter::parse(
            QStringLiteral("verdict:maybe status:abc since:yesterday acme"), &error, Now);
        QVERIFY(error.contains(QStringLiteral("unknown verdict \"maybe\"")));
        QVERIFY(error.contains(QStringLiteral("status wants")));
        QVERIFY(error.contains(QStringLiteral("since wants")));
        QCOMPARE(f.text, QStringLiteral("acme"));
    }

    void selects_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("everything")
            << QString()
            << QStringList{QStringLiteral("evt_1"), QStringLiteral("evt_2"),
                           QStringLiteral("evt_3"), QString(), QStringLiteral("evt_5")};
        QTest::newRow("event type")
            << QStringLiteral("event:subscriber.created")
            << QStringList{QStringLiteral("evt_1"), QStringLiteral("evt_2")};
        QTest::newRow("verdict") << QStringLiteral("verdict:stale")
                                 << QStringList{QStringLiteral("evt_3")};
        QTest::newRow("failed") << QStringLiteral("verdict:failed")
                                << QStringList{QStringLiteral("evt_2"), QStringLiteral("evt_3"),
                                               QStringLiteral("evt_5")};
        // A blank quoted word searches for nothing (it used to be an fts5 syntax error).
        QTest::newRow("blank quoted word")
            << QStringLiteral("\" \"")
            << QStringList{QStringLiteral("evt_1"), QStringLiteral("evt_2"),
                           QStringLiteral("evt_3"), QString(), QStringLiteral("evt_5")};
        QTest::newRow("endpoint") << QStringLiteral("endpoint:stripe")
                                  << QStringList{QStringLiteral("evt_3")};
        QTest::newRow("status class")
            << QStringLiteral("status:5xx") << QStringList{QStringLiteral("evt_5")};
        QTest::newRow("status") << QStringLiteral("status:404") << QStringList{QString()};
        QTest::newRow("subscriber")
            << QStringLiteral("subscriber:sub_beta") << QStringList{QStringLiteral("evt_2")};
        QTest::newRow("since") << QStringLiteral("since:1m")
                               << QStringList{QStringLiteral("evt_3"), QString(),
                                              QStringLiteral("evt_5")};
        QTest::newRow("since and until")
            << QStringLiteral("since:5m until:20s")
            << QStringList{QStringLiteral("evt_2"), QStringLiteral("evt_3")};
        QTest::newRow("body text")
            << QStringLiteral("ops@acme.test") << QStringList{QStringLiteral("evt_1")};
        QTest::newRow("body prefix")
            << QStringLiteral("sub_be") << QStringList{QStringLiteral("evt_2")};
        QTest::newRow("event id text")
            << QStringLiteral("evt_5") << QStringList{QStringLiteral("evt_5")};
        QTest::newRow("path text")
            << QStringLiteral("stripe") << QStringList{QStringLiteral("evt_3")};
        QTest::newRow("text and token")
            << QStringLiteral("sub verdict:valid") << QStringList{QStringLiteral("evt_1")};
        QTest::newRow("nothing") << QStringLiteral("no-such-thing-anywhere") << QStringList{};
    }

    void selects()
    {
        QFETCH(QString, filter);
        QFETCH(QStringList, expected);
        QCOMPARE(eventIds(filter, true), expected);
        // Without FTS5 the same filters scan with LIKE.
        QCOMPARE(eventIds(filter, false), expected);
    }

    void likeEscapesWildcards()
    {
        QCOMPARE(eventIds(QStringLiteral("100%_off"), false), QStringList{QStringLiteral("evt_3")});
        QCOMPARE(eventIds(QStringLiteral("1_0"), false), QStringList{});
    }

    // Each filter token is answered through its index, not by walking the table: the plans
    // SQLite chooses, as EXPLAIN QUERY PLAN says.
    void filtersUseTheirIndexes_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("index");
        QTest::newRow("event") << u"event:invoice.paid"_qs << u"deliveries_event_type"_qs;
        QTest::newRow("verdict") << u"verdict:invalid"_qs << u"deliveries_verdict"_qs;
        QTest::newRow("endpoint") << u"endpoint:hh"_qs << u"deliveries_endpoint"_qs;
        QTest::newRow("subscriber") << u"subscriber:sub_beta"_qs << u"deliveries_subscriber"_qs;
        QTest::newRow("drift kind") << u"drift:missing"_qs << u"drift_kind"_qs;
    }

    void filtersUseTheirIndexes()
    {
        QFETCH(QString, filter);
        QFETCH(QString, index);
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        QVariantList bindings;
        const QString where =
            DeliveryFilter::parse(filter, nullptr, Now).whereClause(bindings, nullptr);
        bindings.append(std::numeric_limits<qint64>::max());
        auto plan = db.run(u"EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE "_qs + where +
                               u" AND id <= ? ORDER BY id DESC LIMIT 100"_qs,
                           bindings, nullptr);
        QVERIFY(plan);
        QString steps;
        while (plan->next())
            steps += plan->value(3).toString() + u'\n';
        QVERIFY2(steps.contains(index), qPrintable(steps));
        // And the attempts of one event, through the index on event ids.
        auto attempts = db.run(u"EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE "
                               u"event_id = ? AND event_id <> '' ORDER BY id"_qs,
                               {u"evt_1"_qs}, nullptr);
        QVERIFY(attempts && attempts->next());
        QVERIFY2(attempts->value(3).toString().contains(u"deliveries_event_id"_qs),
                 qPrintable(attempts->value(3).toString()));
    }

    void readerCountsAndPages()
    {
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        QVERIFY(db.hasFullText());
        DeliveryReader reader(db);
        const DeliveryFilter failed =
            DeliveryFilter::parse(QStringLiteral("verdict:failed"), nullptr, Now);
        QCOMPARE(reader.count(failed, 0, nullptr), std::optional<qint64>(3));
        QCOMPARE(reader.count(DeliveryFilter(), 0, nullptr), std::optional<qint64>(5));
        QCOMPARE(reader.count(DeliveryFilter(), 3, nullptr), std::optional<qint64>(3));
        const auto page = reader.page(failed, 0, 1, 1, nullptr);
        QCOMPARE(page->size(), 1);
        QCOMPARE(page->constFirst().eventId, QStringLiteral("evt_3"));
        // The same rows read from the oldest end, as for a page in the older half.
        const auto fromOldest = reader.page(failed, 0, 2, 1, nullptr, 3);
        QCOMPARE(fromOldest->size(), 1);
        QCOMPARE(fromOldest->constFirst().eventId, QStringLiteral("evt_2"));
        const auto middle = reader.page(failed, 0, 1, 2, nullptr, 3);
        QCOMPARE(middle->size(), 2);
        QCOMPARE(middle->at(0).eventId, QStringLiteral("evt_3"));
        QCOMPARE(middle->at(1).eventId, QStringLiteral("evt_2"));
        const auto before = reader.pageBefore(failed, 5, 10, nullptr);
        QCOMPARE(before->size(), 2);
        const auto matching = reader.matching(failed, 2, 5, nullptr);
        QCOMPARE(matching->size(), 3);
        QCOMPARE(matching->constFirst().id, 5);
        const auto attempts = reader.attempts(QStringLiteral("evt_2"), nullptr);
        QCOMPARE(attempts->size(), 1);
        const auto minutes = reader.perMinute(Now - 7200'000, nullptr);
        int total = 0;
        int failedCount = 0;
        for (const auto &minute : *minutes) {
            total += minute.total;
            failedCount += minute.failed;
        }
        QCOMPARE(total, 5);
        QCOMPARE(failedCount, 3);
    }
};

QTEST_GUILESS_MAIN(TestDeliveryFilter)
#include "tst_deliveryfilter.moc"
