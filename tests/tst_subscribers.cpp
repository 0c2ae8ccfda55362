#include "csvcodec.h"
#include "database.h"
#include "deliveryprocessor.h"
#include "deliverystore.h"
#include "hmac.h"
#include "subscriberrepository.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTest>

#include <atomic>

namespace {

const QByteArray Secret = "hh_test_secret";

Endpoint endpoint(const QString &name, bool withSecret = true)
{
    Endpoint e;
    e.name = name;
    e.path = QStringLiteral("/hooks/") + name;
    e.scheme = SignatureScheme::HostedHooks;
    if (withSecret)
        e.secrets = {{QStringLiteral("main"), Secret}};
    return e;
}

QByteArray createdBody(const QByteArray &eventId, const QByteArray &subscriberId,
                       const QByteArray &name)
{
    return R"({"event_type":"subscriber.created","event_id":")" + eventId + R"(","data":{"id":")" +
           subscriberId + R"(","name":")" + name +
           R"(","email":"ops@acme.test","seats":12345678901234567890}})";
}

RequestHead head(const QString &path, const QByteArray &signature)
{
    RequestHead h;
    h.method = QStringLiteral("POST");
    h.target = path;
    h.httpVersion = QStringLiteral("1.1");
    h.headers.append("Content-Type", "application/json");
    if (!signature.isEmpty())
        h.headers.append("HostedHooks-Signature", signature);
    return h;
}

QByteArray sign(const QByteArray &secret, qint64 t, const QByteArray &body)
{
    const QByteArray ts = QByteArray::number(t);
    return "t=" + ts + ",s=" +
           Hmac::compute(Hmac::Algorithm::Sha256, secret, QByteArray(ts + '.' + body)).toHex();
}

} // namespace

class TestSubscribers : public QObject
{
    Q_OBJECT

private:
    QString m_path;
    std::unique_ptr<DeliveryStore> m_store;
    std::unique_ptr<Database> m_db;
    QList<Endpoint> m_endpoints;
    int m_run = 0;

    // Processes and stores one request as the listener would.
    void deliver(const QString &path, const QByteArray &body, const QByteArray &signature,
                 qint64 atSeconds)
    {
        const Delivery d =
            DeliveryProcessor::process(head(path, signature), body, QStringLiteral("127.0.0.1"),
                                       atSeconds * 1000, m_endpoints);
        std::atomic<qint64> id{-1};
        m_store->submit(d, DeliveryStore::Clock::now(),
                        [&id](qint64 newId, int, const QString &) { id = newId; });
        QTRY_VERIFY(id.load() > 0);
    }

    QList<Subscriber> subscribers()
    {
        return SubscriberRepository(*m_db).list(nullptr).value_or(QList<Subscriber>());
    }

private Q_SLOTS:
    void init()
    {
        m_path = TestSupport::temporaryPath(QStringLiteral("subscribers-%1.db").arg(++m_run));
        m_endpoints = {endpoint(QStringLiteral("hh")), endpoint(QStringLiteral("open"), false),
                       endpoint(QStringLiteral("other"))};
        m_store = std::make_unique<DeliveryStore>();
        DeliveryStore::Options options;
        options.path = m_path;
        QVERIFY(m_store->open(options, nullptr));
        m_db = std::make_unique<Database>();
        QVERIFY(m_db->open(m_path, nullptr));
    }

    void cleanup()
    {
        m_db.reset();
        m_store.reset();
    }

    void retriesMakeOneRow()
    {
        QSignalSpy changed(m_store.get(), &DeliveryStore::subscribersChanged);
        const QByteArray body = createdBody("evt_1", "sub_1", "Acme");
        // HostedHooks retries until it gets a 200, each attempt with a new t and s.
        for (int attempt = 0; attempt < 3; ++attempt)
            deliver(QStringLiteral("/hooks/hh"), body,
                    sign(Secret, 1700000000 + attempt * 60, body), 1700000000 + attempt * 60);
        const QList<Subscriber> rows = subscribers();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].subscriberId, QStringLiteral("sub_1"));
        QCOMPARE(rows[0].endpoint, QStringLiteral("hh"));
        QVERIFY(rows[0].verified);
        QCOMPARE(rows[0].createdEventId, QStringLiteral("evt_1"));
        QCOMPARE(rows[0].firstSeenMs, 1700000000000);
        QCOMPARE(rows[0].lastSeenMs, 1700000000000);
        QCOMPARE(rows[0].field(QStringLiteral("name")), QStringLiteral("Acme"));
        // The data member is kept exactly as sent, big numbers included.
        QVERIFY(rows[0].data.contains("\"seats\":12345678901234567890"));
        QCOMPARE(QJsonDocument::fromJson(rows[0].fields)
                     .object()
                     .value(QStringLiteral("seats"))
                     .toString(),
                 QStringLiteral("12345678901234567890"));
        QTRY_COMPARE(changed.size(), 1);
    }

    void failedVerificationsNeverTouchTheMapping()
    {
        const QByteArray body = createdBody("evt_2", "sub_2", "Bad");
        deliver(QStringLiteral("/hooks/hh"), body, sign("wrong-secret", 1700000000, body),
                1700000000); // invalid
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000000, body),
                1700009999);                                                  // stale
        deliver(QStringLiteral("/hooks/hh"), body, QByteArray(), 1700000000); // missing
        deliver(QStringLiteral("/hooks/hh"), body, "t=oops", 1700000000);     // malformed
        QVERIFY(subscribers().isEmpty());
        // A valid retry of the same event still creates it: the failures did not use up the event
        // id.
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000100, body), 1700000100);
        QCOMPARE(subscribers().size(), 1);
    }

    void unverifiedEndpointsMarkTheRow()
    {
        const QByteArray body = createdBody("evt_3", "sub_3", "Open");
        deliver(QStringLiteral("/hooks/open"), body, sign(Secret, 1700000000, body), 1700000000);
        QList<Subscriber> rows = subscribers();
        QCOMPARE(rows.size(), 1);
        QVERIFY(!rows[0].verified);
    }

    void userFieldsSurviveLaterEvents()
    {
        QByteArray body = createdBody("evt_4", "sub_4", "Old name");
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000000, body), 1700000000);
        const Subscriber row = subscribers().constFirst();
        QVERIFY(SubscriberRepository(*m_db).setUserFields(row.id, QStringLiteral("acct-42"),
                                                          QStringLiteral("VIP"), nullptr));
        body = createdBody("evt_5", "sub_4", "New name");
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000500, body), 1700000500);
        const QList<Subscriber> rows = subscribers();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].field(QStringLiteral("name")), QStringLiteral("New name"));
        QCOMPARE(rows[0].localReference, QStringLiteral("acct-42"));
        QCOMPARE(rows[0].notes, QStringLiteral("VIP"));
        QCOMPARE(rows[0].firstSeenMs, 1700000000000);
        QCOMPARE(rows[0].lastSeenMs, 1700000500000);
        QCOMPARE(rows[0].createdEventId, QStringLiteral("evt_4"));
        // Only one field changed when only one was given.
        QVERIFY(SubscriberRepository(*m_db).setUserFields(row.id, QString(), QStringLiteral(""),
                                                          nullptr));
        QCOMPARE(subscribers().constFirst().localReference, QStringLiteral("acct-42"));
        QCOMPARE(subscribers().constFirst().notes, QString());
    }

    void subscriberPathIsConfigurable()
    {
        m_endpoints[0].subscriberPath = QStringLiteral("data.account.uuid");
        const QByteArray body =
            R"({"event_type":"subscriber.created","event_id":"evt_6","data":{"id":"not-this","account":{"uuid":"acc_9"}}})";
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000000, body), 1700000000);
        QCOMPARE(subscribers().constFirst().subscriberId, QStringLiteral("acc_9"));
    }

    void csvRoundTrip()
    {
        const QStringList fields{
            QStringLiteral("sub_1"), QStringLiteral("comma, inside"),
            QStringLiteral("a \"quoted\" word\nand a second line\r\nand a third"),
            QStringLiteral("ünïcødé 日本 😀"), QString()};
        const QByteArray csv = CsvCodec::row(fields) + CsvCodec::row({QStringLiteral("x")});
        QString error;
        const auto records = CsvCodec::parse(csv, &error);
        QVERIFY2(records.has_value(), qPrintable(error));
        QCOMPARE(records->size(), 2);
        QCOMPARE(records->at(0).fields, fields);
        QCOMPARE(records->at(0).line, 1);
        QCOMPARE(records->at(1).line, 4);
        QVERIFY(!CsvCodec::parse("a,\"unterminated\n", &error).has_value());
        QVERIFY(!error.isEmpty());
    }

    // A spreadsheet runs fields that start with = + - @ tab or CR as formulas; exported, they
    // start with an apostrophe, and read back they are what they were.
    void csvFieldsNeverRunAsFormulas()
    {
        const QStringList fields{QStringLiteral("=HYPERLINK(\"http://evil.example\",\"x\")"),
                                 QStringLiteral("+1"),
                                 QStringLiteral("-2"),
                                 QStringLiteral("@SUM(A1)"),
                                 QStringLiteral("\tcmd"),
                                 QStringLiteral("\rcmd"),
                                 QStringLiteral("'already quoted"),
                                 QStringLiteral("plain")};
        const QByteArray csv = CsvCodec::row(fields);
        QVERIFY2(csv.startsWith("\"'=HYPERLINK"), csv.constData());
        for (const char *escaped :
             {"\"'+1\"", "\"'-2\"", "\"'@SUM", "\"'\tcmd", "\"'\rcmd", "\"''already", "\"plain\""})
            QVERIFY2(csv.contains(escaped), escaped);
        QString error;
        const auto records = CsvCodec::parse(csv, &error);
        QVERIFY2(records.has_value(), qPrintable(error));
        QCOMPARE(records->at(0).fields, fields);
    }

    void exportThenImportKeepsEverything()
    {
        // The name is JSON-escaped in the body: Zoë, "Z".
        const QByteArray body = createdBody("evt_7", "sub_7", "Zo\u00eb, \\\"Z\\\"");
        deliver(QStringLiteral("/hooks/hh"), body, sign(Secret, 1700000000, body), 1700000000);
        const Subscriber row = subscribers().constFirst();
        const QString notes = QStringLiteral("line one, with comma\n\"line two\" — ünïcødé");
        QVERIFY(SubscriberRepository(*m_db).setUserFields(row.id, QStringLiteral("acct,7"), notes,
                                                          nullptr));
        const QByteArray csv = SubscriberRepository::toCsv(subscribers());
        QVERIFY(SubscriberRepository(*m_db).setUserFields(row.id, QStringLiteral(""),
                                                          QStringLiteral(""), nullptr));
        QString error;
        const auto report = SubscriberRepository(*m_db).importCsv(csv, &error);
        QVERIFY2(report.has_value(), qPrintable(error));
        QCOMPARE(report->applied, 1);
        QVERIFY2(report->problems.isEmpty(), qPrintable(report->problems.join(u'\n')));
        QCOMPARE(subscribers().constFirst().localReference, QStringLiteral("acct,7"));
        QCOMPARE(subscribers().constFirst().notes, notes);
        const QJsonDocument json =
            QJsonDocument::fromJson(SubscriberRepository::toJson(subscribers()));
        QCOMPARE(json.array().at(0)[QStringLiteral("fields")][QStringLiteral("name")].toString(),
                 QStringLiteral("Zoë, \"Z\""));
    }

    void importReportsWhatItCannotApply()
    {
        for (const auto &[event, id, ep] :
             {std::tuple{"evt_a", "sub_a", "/hooks/hh"}, std::tuple{"evt_b", "sub_b", "/hooks/hh"},
              std::tuple{"evt_c", "sub_c", "/hooks/hh"},
              std::tuple{"evt_d", "sub_c", "/hooks/other"}}) {
            const QByteArray body = createdBody(event, id, "N");
            deliver(QString::fromLatin1(ep), body, sign(Secret, 1700000000, body), 1700000000);
        }
        const auto rows =
            SubscriberRepository(*m_db).find(QStringLiteral("sub_b"), QString(), nullptr);
        QVERIFY(SubscriberRepository(*m_db).setUserFields(
            rows->constFirst().id, QStringLiteral("acct-b"), QString(), nullptr));
        const QByteArray csv = "subscriber_id,local_reference,notes\n"
                               "sub_a,acct-a,first\n"
                               "sub_unknown,acct-x\n"
                               "sub_b,acct-other\n"
                               "sub_b,acct-b\n"
                               "sub_c,acct-c\n"
                               "sub_a,acct-a2\n"
                               "sub_a\n";
        QString error;
        const auto report = SubscriberRepository(*m_db).importCsv(csv, &error);
        QVERIFY2(report.has_value(), qPrintable(error));
        QCOMPARE(report->applied, 1);
        QCOMPARE(report->unchanged, 1);
        const QString problems = report->problems.join(u'\n');
        QCOMPARE(report->problems.size(), 5);
        QVERIFY2(problems.contains(QStringLiteral("line 3: sub_unknown: no such subscriber")),
                 qPrintable(problems));
        QVERIFY2(problems.contains(QStringLiteral("line 4: sub_b: already mapped to \"acct-b\"")),
                 qPrintable(problems));
        QVERIFY2(problems.contains(QStringLiteral("line 6: sub_c: known under 2 endpoints")),
                 qPrintable(problems));
        QVERIFY2(problems.contains(
                     QStringLiteral("line 7: sub_a: the file gives it two local references")),
                 qPrintable(problems));
        QVERIFY2(problems.contains(QStringLiteral("line 8: sub_a: no local reference column")),
                 qPrintable(problems));
        QCOMPARE(SubscriberRepository(*m_db)
                     .find(QStringLiteral("sub_a"), QString(), nullptr)
                     ->constFirst()
                     .localReference,
                 QStringLiteral("acct-a"));
        QVERIFY(!SubscriberRepository(*m_db).importCsv("a,\"b", &error).has_value());
    }
};

QTEST_GUILESS_MAIN(TestSubscribers)
#include "tst_subscribers.moc"
