#include "database.h"
#include "deliveryreader.h"
#include "deliverystore.h"
#include "endpointrepository.h"
#include "hmac.h"
#include "reverifier.h"
#include "signatureverifier.h"
#include "testsupport.h"

#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <atomic>

class TestReverifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reverifiesAfterASecretChange()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("reverify.db"));
        Database db;
        QString error;
        QVERIFY(db.open(path, &error));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("hh");
        endpoint.path = QStringLiteral("/hooks/hh");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("wrong"), "not-the-secret"}};
        QVERIFY(EndpointRepository(db).add(endpoint, &error));
        Endpoint other = endpoint;
        other.name = QStringLiteral("other");
        other.path = QStringLiteral("/other");
        QVERIFY(EndpointRepository(db).add(other, &error));

        DeliveryStore store;
        DeliveryStore::Options options;
        options.path = path;
        QVERIFY(store.open(options, &error));
        constexpr int Count = 1234; // more than two batches
        const qint64 now = 1700000000;
        std::atomic<int> done{0};
        for (int i = 0; i < Count; ++i) {
            Delivery d;
            d.receivedAtMs = now * 1000 + i;
            d.method = QStringLiteral("POST");
            d.path = QStringLiteral("/hooks/hh");
            d.httpVersion = QStringLiteral("1.1");
            d.body = "{\"n\":" + QByteArray::number(i) + "}";
            // The verifier's own tests check HMAC against openssl; here speed matters more.
            const QByteArray mac =
                Hmac::compute(Hmac::Algorithm::Sha256, i % 2 ? "right" : "neither",
                              QByteArray(QByteArray::number(now) + '.' + d.body));
            d.headers.append("HostedHooks-Signature",
                             "t=" + QByteArray::number(now) + ",s=" + mac.toHex());
            d.endpoint = i < 1000 ? endpoint.name : other.name;
            d.verification =
                SignatureVerifier::verify(i < 1000 ? &endpoint : &other, d.headers, d.body, now);
            QCOMPARE(d.verification.verdict, Verdict::Invalid);
            store.submit(std::move(d), DeliveryStore::Clock::now(),
                         [&done](qint64, int, const QString &) { ++done; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done.load(), Count, 30000);
        store.close();

        endpoint.secrets = {{QStringLiteral("old"), "neither"}, {QStringLiteral("new"), "right"}};
        QVERIFY(EndpointRepository(db).update(endpoint, &error));

        qint64 lastProgress = 0;
        int progressCalls = 0;
        const auto result =
            Reverifier::run(db, QStringLiteral("hh"), &error, [&](qint64 doneSoFar, qint64 total) {
                lastProgress = doneSoFar;
                ++progressCalls;
                return total == 1000;
            });
        QVERIFY2(result.has_value(), qPrintable(error));
        QCOMPARE(result->checked, 1000);
        QCOMPARE(result->changedVerdict, 1000);
        QCOMPARE(lastProgress, 1000);
        QCOMPARE(progressCalls, 2);

        QSqlQuery query(db.connection());
        QVERIFY(query.exec(QStringLiteral(
            "SELECT endpoint, verdict, count(*) FROM deliveries GROUP BY 1, 2 ORDER BY 1, 2")));
        QList<QStringList> rows;
        while (query.next())
            rows.append(
                {query.value(0).toString(), query.value(1).toString(), query.value(2).toString()});
        const QList<QStringList> expected{
            {QStringLiteral("hh"), QStringLiteral("valid"), QStringLiteral("1000")},
            {QStringLiteral("other"), QStringLiteral("invalid"), QStringLiteral("234")}};
        QCOMPARE(rows, expected);

        // Which secret matched is recorded, by label.
        const auto first = DeliveryReader(db).find(1, &error);
        QCOMPARE(first->verification.matchedSecret, QStringLiteral("old"));
        const auto second = DeliveryReader(db).find(2, &error);
        QCOMPARE(second->verification.matchedSecret, QStringLiteral("new"));

        // The other endpoint's deliveries stay invalid, but are now explained: they were signed
        // with secrets that hh holds now.
        const auto all = Reverifier::run(db, QString(), &error);
        QCOMPARE(all->checked, Count);
        QCOMPARE(all->changedVerdict, 0);
        QCOMPARE(all->updated, 234);
        const auto explained = DeliveryReader(db).find(1001, &error);
        QVERIFY2(explained->verification.diagnosis.contains(QStringLiteral("endpoint \"hh\"")),
                 qPrintable(explained->verification.diagnosis));

        // Nothing changes the next time.
        const auto again = Reverifier::run(db, QString(), &error);
        QCOMPARE(again->checked, Count);
        QCOMPARE(again->updated, 0);

        QVERIFY(!Reverifier::run(db, QStringLiteral("nope"), &error));
        QVERIFY(error.contains(QStringLiteral("no endpoint")));
    }
};

QTEST_GUILESS_MAIN(TestReverifier)
#include "tst_reverifier.moc"
