// The team store on a real PostgreSQL server, started by the test: `db init` and its roles,
// endpoints whose secrets stay on each machine, two `serve` processes on one database with
// retries crossing between them, the server going away and coming back, and SIGKILL mid-load.

#include "database.h"
#include "pgcluster.h"
#include "postgres.h"
#include "teamsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

using namespace TeamSupport;

class TeamStoreTest : public QObject
{
    Q_OBJECT

private:
    PostgresCluster m_cluster;
    int m_databases = 0;

    // A new database set up by `db init`, with endpoint hh added from machine `a`.
    QString newTeamDatabase(const QProcessEnvironment &a)
    {
        const QString name = QStringLiteral("team%1").arg(++m_databases);
        QString error;
        if (!m_cluster.createDatabase(name, &error)) {
            qWarning("%s", qPrintable(error));
            return {};
        }
        const QString admin = m_cluster.url(name);
        const Run init = hookscope({QStringLiteral("db"), QStringLiteral("init"), admin,
                                    QStringLiteral("--receiver"), QStringLiteral("receiver1"),
                                    QStringLiteral("--receiver"), QStringLiteral("receiver2"),
                                    QStringLiteral("--viewer"), QStringLiteral("qa")},
                                   a);
        if (init.exitCode != 0) {
            qWarning("db init: %s", qPrintable(init.err));
            return {};
        }
        const Run add = hookscope({QStringLiteral("endpoint"), QStringLiteral("add"),
                                   QStringLiteral("hh"), QStringLiteral("--path"),
                                   QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
                                   QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
                                   QStringLiteral("TEAM_SECRET"), QStringLiteral("--db"), admin},
                                  a);
        if (add.exitCode != 0) {
            qWarning("endpoint add: %s", qPrintable(add.err));
            return {};
        }
        return name;
    }

    QString sql(const QString &statement, const QString &database)
    {
        QString error;
        const std::optional<QString> out = m_cluster.psql(statement, &error, database);
        if (!out)
            qWarning("psql: %s", qPrintable(error));
        return out.value_or(QStringLiteral("<error>"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo(Binary).isExecutable());
        const QByteArray body = subscriberCreated(1);
        QCOMPARE(signature(1700000000, body).mid(QByteArray("t=1700000000,s=").size()),
                 TestSupport::opensslHmacSha256Hex(Secret, "1700000000." + body));
        QString error;
        QVERIFY2(m_cluster.start(&error), qPrintable(error));
    }

    void initIsSafeToRepeatAndNamesWhatItDid()
    {
        const QProcessEnvironment a = machine(QStringLiteral("init-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        const Run again =
            hookscope({QStringLiteral("db"), QStringLiteral("init"), m_cluster.url(name)}, a);
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.out.contains(u"ready for HookScope"), qPrintable(again.out));
        QCOMPARE(sql(QStringLiteral("SELECT value FROM hookscope_meta"), name),
                 QString::number(Postgres::SchemaVersion));
        QCOMPARE(sql(QStringLiteral("SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) FROM "
                                    "pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN "
                                    "pg_roles u ON u.oid = m.member WHERE u.rolname = 'qa'"),
                     name),
                 QStringLiteral("hookscope_viewer"));

        // Not a PostgreSQL location; a database without the schema.
        const Run wrong =
            hookscope({QStringLiteral("db"), QStringLiteral("init"), QStringLiteral("x.db")}, a);
        QCOMPARE(wrong.exitCode, 2);
        QVERIFY2(wrong.err.contains(u"not a PostgreSQL location"), qPrintable(wrong.err));
        QString error;
        QVERIFY(m_cluster.createDatabase(QStringLiteral("bare"), &error));
        const Run bare = hookscope({QStringLiteral("endpoint"), QStringLiteral("list"),
                                    QStringLiteral("--db"), m_cluster.url(QStringLiteral("bare"))},
                                   a);
        QCOMPARE(bare.exitCode, 2);
        QVERIFY2(bare.err.contains(u"hookscope db init"), qPrintable(bare.err));
        // An unreachable server is said plainly.
        const Run away =
            hookscope({QStringLiteral("endpoint"), QStringLiteral("list"), QStringLiteral("--db"),
                       QStringLiteral("postgresql://x@127.0.0.1:1/none")},
                      a);
        QCOMPARE(away.exitCode, 2);
        QVERIFY2(away.err.contains(u"cannot connect to postgresql://x@127.0.0.1:1/none"),
                 qPrintable(away.err));
    }

    void secretsStayOnEachMachine()
    {
        const QProcessEnvironment a = machine(QStringLiteral("secret-a"));
        const QProcessEnvironment b = machine(QStringLiteral("secret-b"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        // The secret's value is nowhere in the team database.
        const QString dump =
            sql(QStringLiteral("SELECT string_agg(e::text, '') FROM endpoints e"), name);
        QVERIFY(!dump.contains(QString::fromLatin1(Secret)));
        QVERIFY(!dump.contains(QString::fromLatin1(Secret.toHex())));
        const QString print =
            sql(QStringLiteral("SELECT secret_fingerprints FROM endpoints"), name);
        QVERIFY2(print.contains(u"\"fingerprint\""), qPrintable(print));

        // Machine b has no secret yet: said, and its deliveries stay unverified.
        const QString url = m_cluster.url(name, QStringLiteral("receiver2"));
        const Run list =
            hookscope({QStringLiteral("endpoint"), QStringLiteral("list"), QStringLiteral("--json"),
                       QStringLiteral("--db"), m_cluster.url(name)},
                      b);
        QCOMPARE(list.exitCode, 0);
        const QJsonArray listed = QJsonDocument::fromJson(list.out.toUtf8()).array();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.at(0)[u"secrets"].toInt(), 0);
        QVERIFY2(list.err.contains(u"this machine has no secret"), qPrintable(list.err));

        // With a receiver's login, b gives its own secret, not the team's: kept on b, said to
        // differ, and the team's endpoint unchanged. A receiver changes nothing else.
        const QString receiver = m_cluster.url(name, QStringLiteral("receiver2"));
        const Run own = hookscope({QStringLiteral("endpoint"), QStringLiteral("update"),
                                   QStringLiteral("hh"), QStringLiteral("--secret-env"),
                                   QStringLiteral("TEAM_SECRET"), QStringLiteral("--db"), receiver},
                                  b, "another-secret");
        QVERIFY2(own.exitCode == 0, qPrintable(own.err));
        QVERIFY2(own.out.contains(u"the team's endpoint is unchanged"), qPrintable(own.out));
        QVERIFY2(own.err.contains(u"this machine's secret differs from the team's"),
                 qPrintable(own.err));
        QCOMPARE(sql(QStringLiteral("SELECT secret_fingerprints FROM endpoints"), name), print);
        const Run move = hookscope({QStringLiteral("endpoint"), QStringLiteral("update"),
                                    QStringLiteral("hh"), QStringLiteral("--path"),
                                    QStringLiteral("/elsewhere"), QStringLiteral("--db"), receiver},
                                   b);
        QCOMPARE(move.exitCode, 2);
        QVERIFY2(move.err.contains(u"may not change the team's endpoints"), qPrintable(move.err));
        const Run create = hookscope({QStringLiteral("endpoint"), QStringLiteral("add"),
                                      QStringLiteral("x"), QStringLiteral("--path"),
                                      QStringLiteral("/x"), QStringLiteral("--db"), receiver},
                                     b);
        QCOMPARE(create.exitCode, 2);
        QVERIFY2(create.err.contains(u"may not add endpoints"), qPrintable(create.err));

        // The owner gives b's secret to the team: both `endpoint list` and `serve` on a say it
        // differs.
        const Run add =
            hookscope({QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                       QStringLiteral("--path"), QStringLiteral("/hooks/hh"),
                       QStringLiteral("--db"), m_cluster.url(name)},
                      b);
        QCOMPARE(add.exitCode, 2);
        QVERIFY2(add.err.contains(u"already exists"), qPrintable(add.err));
        const Run update =
            hookscope({QStringLiteral("endpoint"), QStringLiteral("update"), QStringLiteral("hh"),
                       QStringLiteral("--secret-env"), QStringLiteral("TEAM_SECRET"),
                       QStringLiteral("--db"), m_cluster.url(name)},
                      b, "another-secret");
        QCOMPARE(update.exitCode, 0);
        QVERIFY2(update.out.contains(u"holds only its fingerprint"), qPrintable(update.out));
        // Giving it from b made b's secret the team's: a's copy now differs.
        Serve serveA;
        QVERIFY(serveA.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
        QVERIFY(QTest::qWaitFor([&] { return serveA.errors().contains(u"differs"); }, 10000));
        QVERIFY2(serveA.errors().contains(u"this machine's secret differs from the team's"),
                 qPrintable(serveA.errors()));
        // What a's secret signs is invalid on b, and the other way round.
        Serve serveB;
        QVERIFY(serveB.start(url, b));
        const TestSupport::HttpResponse signedByA =
            TestSupport::sendRaw(serveB.port(), signedRequest(subscriberCreated(1)));
        QCOMPARE(signedByA.status, 200);
        const TestSupport::HttpResponse signedByB = TestSupport::sendRaw(
            serveB.port(), signedRequest(subscriberCreated(2), "another-secret"));
        QCOMPARE(signedByB.status, 200);
        QCOMPARE(sql(QStringLiteral("SELECT string_agg(event_id || '=' || verdict, ',' ORDER BY "
                                    "id) FROM deliveries"),
                     name),
                 QStringLiteral("evt_1=invalid,evt_2=valid"));
        // The invalid one made no subscriber.
        QCOMPARE(
            sql(QStringLiteral("SELECT string_agg(subscriber_id, ',') FROM subscribers"), name),
            QStringLiteral("sub_2"));
    }

    void viewersAndReceiversCanDoOnlyTheirPart()
    {
        const QProcessEnvironment a = machine(QStringLiteral("roles-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        Serve serve;
        QVERIFY(serve.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
        QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(7))).status,
                 200);
        QVERIFY(serve.stop());

        const auto attempt = [&](const QString &user, const QString &statement) {
            QString error;
            return m_cluster.psql(statement, &error, name, user).has_value();
        };
        const QStringList changes{
            QStringLiteral("INSERT INTO deliveries (received_at, remote_address, method, path, "
                           "http_version, headers, body, body_size, verdict, verification, "
                           "response_status, handling_us, search) VALUES (1, '', 'POST', '/', "
                           "'1.1', '', '', 0, 'valid', '{}', 200, 0, '')"),
            QStringLiteral("UPDATE deliveries SET verdict = 'valid'"),
            QStringLiteral("DELETE FROM deliveries"),
            QStringLiteral("INSERT INTO endpoints (name, path, scheme, created_at) VALUES ('x', "
                           "'/x', 'none', 0)"),
            QStringLiteral("UPDATE endpoints SET path = '/elsewhere'"),
            QStringLiteral("DELETE FROM endpoints"),
            QStringLiteral("UPDATE subscribers SET verified = false"),
            QStringLiteral("DELETE FROM subscribers"),
            QStringLiteral("DELETE FROM subscriber_events"),
        };
        for (const QString &change : changes) {
            QVERIFY2(!attempt(QStringLiteral("qa"), change), qPrintable(change));
            // A receiver stores deliveries and keeps the mapping, nothing more.
            if (!change.startsWith(u"INSERT INTO deliveries") &&
                !change.startsWith(u"UPDATE subscribers"))
                QVERIFY2(!attempt(QStringLiteral("receiver2"), change), qPrintable(change));
        }
        QVERIFY(!attempt(QStringLiteral("receiver2"),
                         QStringLiteral("UPDATE subscribers SET notes = 'x'")));
        // Receivers learn the event schemas; a viewer reads what they learned.
        for (const char *learning : {"DELETE FROM schema_queue", "DELETE FROM drift",
                                     "UPDATE schema_state SET "
                                     "learned_up_to = 0",
                                     "INSERT INTO event_schemas VALUES ('hh', 'x', 1, 0, 0, 0, 1)"})
            QVERIFY2(!attempt(QStringLiteral("qa"), QString::fromLatin1(learning)), learning);
        const QString viewer = m_cluster.url(name, QStringLiteral("qa"));
        const Run events =
            hookscope({QStringLiteral("events"), QStringLiteral("--json"), QStringLiteral("--db"),
                       m_cluster.url(name, QStringLiteral("receiver2"))},
                      a);
        QCOMPARE(events.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(events.out.toUtf8()).array().size(), 1);
        QCOMPARE(hookscope({QStringLiteral("events"), QStringLiteral("--json"),
                            QStringLiteral("--db"), viewer},
                           a)
                     .out,
                 events.out);
        const Run rebuild = hookscope(
            {QStringLiteral("events"), QStringLiteral("--rebuild"), QStringLiteral("--db"), viewer},
            a);
        QCOMPARE(rebuild.exitCode, 2);
        QVERIFY2(rebuild.err.contains(u"this login may only read the team database"),
                 qPrintable(rebuild.err));
        // A viewer reads everything, and keeps the subscribers' own fields.
        QVERIFY(attempt(QStringLiteral("qa"), QStringLiteral("SELECT count(*) FROM deliveries")));
        QVERIFY(attempt(QStringLiteral("qa"),
                        QStringLiteral("UPDATE subscribers SET notes = 'called them', "
                                       "local_reference = 'CRM-7'")));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) || ' ' || max(notes) FROM subscribers"), name),
                 QStringLiteral("1 called them"));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM deliveries"), name), QStringLiteral("1"));
    }

    void twoReceiversRetriesCrossingOver()
    {
        const QProcessEnvironment a = machine(QStringLiteral("cross-a"));
        const QProcessEnvironment b = machine(QStringLiteral("cross-b"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        // b's receiver gives its copy of the team's secret.
        const Run addB =
            hookscope({QStringLiteral("endpoint"), QStringLiteral("update"), QStringLiteral("hh"),
                       QStringLiteral("--secret-env"), QStringLiteral("TEAM_SECRET"),
                       QStringLiteral("--db"), m_cluster.url(name, QStringLiteral("receiver2"))},
                      b);
        QCOMPARE(addB.exitCode, 0);
        Serve serveA;
        Serve serveB;
        QVERIFY(serveA.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
        QVERIFY(serveB.start(m_cluster.url(name, QStringLiteral("receiver2")), b));
        QVERIFY2(!serveA.errors().contains(u"warning"), qPrintable(serveA.errors()));

        // 5,000 events, each sent twice: first to one receiver, then (a retry, signed anew) to
        // the other, the two attempts racing each other. 10,000 deliveries, half each.
        constexpr int Events = 5000;
        Senders senders;
        QVERIFY(senders.run(crossingRetries(Events, serveA.port(), serveB.port()), 8));
        QCOMPARE(acknowledged(senders), 2 * Events);
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM deliveries"), name),
                 QString::number(2 * Events));
        QCOMPARE(sql(QStringLiteral("SELECT count(DISTINCT receiver) FROM deliveries"), name),
                 QStringLiteral("2"));
        // Every event created its subscriber once, from the attempt committed first (with two
        // writers that need not be the one with the lower id).
        QCOMPARE(sql(QStringLiteral("SELECT count(*) || ' ' || count(DISTINCT subscriber_id) FROM "
                                    "subscribers"),
                     name),
                 QStringLiteral("%1 %1").arg(Events));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM subscriber_events"), name),
                 QString::number(Events));
        QCOMPARE(
            sql(QStringLiteral("SELECT count(*) FROM subscribers s JOIN subscriber_events e "
                               "ON e.event_id = s.created_event_id JOIN deliveries d ON d.id = "
                               "s.created_delivery_id WHERE e.delivery_id = d.id AND "
                               "d.event_id = s.created_event_id AND d.verdict = 'valid' AND "
                               "d.subscriber_id = s.subscriber_id"),
                name),
            QString::number(Events));
        QCOMPARE(
            sql(QStringLiteral("SELECT count(*) FROM deliveries WHERE verdict <> 'valid'"), name),
            QStringLiteral("0"));
        // Both receivers learned the event schemas from the queue, one at a time: each delivery
        // once.
        QTRY_COMPARE_WITH_TIMEOUT(sql(QStringLiteral("SELECT count(*) FROM schema_queue"), name),
                                  QStringLiteral("0"), 60000);
        QCOMPARE(
            sql(QStringLiteral("SELECT event_type || ' ' || deliveries FROM event_schemas"), name),
            QStringLiteral("subscriber.created %1").arg(2 * Events));
        QCOMPARE(sql(QStringLiteral("SELECT deliveries FROM schema_fields WHERE path = "
                                    "'data.plan'"),
                     name),
                 QString::number(2 * Events));
        QVERIFY(serveA.stop());
        QVERIFY(serveB.stop());
    }

    // A database set up by an earlier HookScope (schema 1, before event schemas were learned
    // there): refused with what to do, upgraded by `db init`, and its deliveries learned then.
    void schemaOneIsUpgradedByInit()
    {
        const QProcessEnvironment a = machine(QStringLiteral("upgrade-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        const QString receiver = m_cluster.url(name, QStringLiteral("receiver1"));
        {
            Serve serve;
            QVERIFY(serve.start(receiver, a));
            for (int i = 1; i <= 3; ++i)
                QCOMPARE(
                    TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(i))).status,
                    200);
            QVERIFY(serve.stop());
        }
        // As schema 1 was.
        QVERIFY(
            sql(QStringLiteral("DROP TRIGGER deliveries_queue_schemas ON deliveries; DROP "
                               "FUNCTION hookscope_queue_schemas(); DROP TABLE schema_queue; "
                               "ALTER TABLE drift DROP COLUMN position; DELETE FROM "
                               "event_schemas; DELETE FROM schema_fields; UPDATE hookscope_meta "
                               "SET value = '1' WHERE name = 'schema_version'"),
                name) != u"<error>");
        const Run refused =
            hookscope({QStringLiteral("events"), QStringLiteral("--db"), receiver}, a);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains(u"schema 1 is older than this HookScope's (2); its owner "
                                      u"upgrades it with: hookscope db init"),
                 qPrintable(refused.err));
        const Run init =
            hookscope({QStringLiteral("db"), QStringLiteral("init"), m_cluster.url(name)}, a);
        QVERIFY2(init.exitCode == 0, qPrintable(init.err));
        QCOMPARE(sql(QStringLiteral("SELECT value FROM hookscope_meta WHERE name = "
                                    "'schema_version'"),
                     name),
                 QStringLiteral("2"));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM schema_queue"), name),
                 QStringLiteral("3"));
        const Run events = hookscope(
            {QStringLiteral("events"), QStringLiteral("--json"), QStringLiteral("--db"), receiver},
            a);
        QCOMPARE(events.exitCode, 0);
        const QJsonArray types = QJsonDocument::fromJson(events.out.toUtf8()).array();
        QCOMPARE(types.size(), 1);
        QCOMPARE(types[0][u"deliveries"].toInteger(), 3);
        // Run again, init changes nothing.
        QCOMPARE(hookscope({QStringLiteral("db"), QStringLiteral("init"), m_cluster.url(name)}, a)
                     .exitCode,
                 0);
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM schema_queue"), name),
                 QStringLiteral("0"));
    }

    void valuesAreKeptExactly()
    {
        const QProcessEnvironment a = machine(QStringLiteral("exact-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        Serve serve;
        QVERIFY(serve.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
        // Numbers as sent, a U+0000 in a JSON string, and bytes that are not UTF-8.
        const QByteArray json = "{\"event_type\":\"invoice.paid\",\"event_id\":\"evt_\\u0000x\","
                                "\"data\":{\"amount\":1.10,\"big\":12345678901234567890}}";
        const QByteArray binary("\xff\xfe\x00raw\x80", 8);
        QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(json)).status, 200);
        QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(binary)).status, 200);
        QCOMPARE(sql(QStringLiteral("SELECT string_agg(encode(body, 'hex'), ',' ORDER BY id) FROM "
                                    "deliveries"),
                     name),
                 QString::fromLatin1(json.toHex() + ',' + binary.toHex()));
        QCOMPARE(sql(QStringLiteral("SELECT string_agg(verdict, ',' ORDER BY id) FROM deliveries"),
                     name),
                 QStringLiteral("valid,valid"));
        // The column read from the body shows U+0000 as U+FFFD; the body keeps the byte.
        QCOMPARE(sql(QStringLiteral("SELECT event_id FROM deliveries ORDER BY id LIMIT 1"), name),
                 QStringLiteral("evt_\uFFFDx"));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM deliveries WHERE search @@ "
                                    "to_tsquery('simple', 'invoice')"),
                     name),
                 QStringLiteral("1"));
    }

    // The commands mean the same on a team database as on a file: the same
    // deliveries, copied from one to the other, give the same answers to every filter, show
    // and subscribers.
    void commandsAnswerAlikeOnAFileAndATeamDatabase()
    {
        const QProcessEnvironment a = machine(QStringLiteral("filters-a"));
        const QString file = TestSupport::temporaryPath(QStringLiteral("filters.db"));
        const Run add = hookscope({QStringLiteral("endpoint"), QStringLiteral("add"),
                                   QStringLiteral("hh"), QStringLiteral("--path"),
                                   QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
                                   QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
                                   QStringLiteral("TEAM_SECRET"), QStringLiteral("--db"), file},
                                  a);
        QCOMPARE(add.exitCode, 0);
        Serve serve;
        QVERIFY(serve.start(file, a));
        const QList<QByteArray> bodies{
            "{\"event_type\":\"invoice.paid\",\"event_id\":\"evt_1\",\"data\":{\"amount\":"
            "1.10,\"items\":[{\"sku\":\"A-1\"},{\"qty\":2}]}}",
            "{\"event_type\":\"invoice.paid\",\"event_id\":\"evt_2\",\"data\":{\"items\":{"
            "\"sku\":\"not in an array\"}}}",
            "{\"event_type\":\"subscriber.created\",\"event_id\":\"evt_3\",\"data\":{\"id\":"
            "\"sub_12\",\"name\":\"Zo\u00eb Kr\u00fcger\",\"email\":\"zoe@example.test\"}}",
            "{\"event_type\":\"subscriber.created\",\"event_id\":\"evt_4\",\"data\":{\"id\":"
            "\"sub_120\",\"name\":\"Zoe Kruger\",\"tags\":[[\"vip\"],[]]}}",
            "{\"event_type\":\"order.shipped\",\"event_id\":\"evt_5\",\"data\":{\"items\":[]"
            ",\"odd key\":true,\"quo\\\"te\":1}}",
            "event_type=form.sent&event_id=evt_6&note=hello+world",
            QByteArray("\xff\xfe binary evt_7 \x00 payload", 26),
            "{\"event_type\":\"ping\",\"event_id\":\"evt_8\",\"text\":\"!!! 100% sure_thing "
            "a.b.c\"}",
        };
        for (const QByteArray &body : bodies)
            QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(body)).status, 200);
        // Signed with another secret: invalid.
        QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(bodies.at(0), "wrong")).status,
                 200);
        QVERIFY(serve.stop());

        // As a file is when serve stopped before its mapping caught up with its deliveries.
        {
            Database stopped;
            QVERIFY(stopped.open(file, nullptr));
            for (const char *statement :
                 {"DELETE FROM subscribers", "DELETE FROM subscriber_events",
                  "UPDATE mapping_state SET mapped_up_to = 0"})
                QVERIFY(stopped.run(QString::fromLatin1(statement), {}, nullptr));
        }

        const QString name = QStringLiteral("filters");
        QString error;
        QVERIFY2(m_cluster.createDatabase(name, &error), qPrintable(error));
        const QString team = m_cluster.url(name);
        QCOMPARE(hookscope({QStringLiteral("db"), QStringLiteral("init"), team}, a).exitCode, 0);
        const Run copy = hookscope({QStringLiteral("db"), QStringLiteral("copy"),
                                    QStringLiteral("--from"), file, QStringLiteral("--to"), team},
                                   a);
        QVERIFY2(copy.exitCode == 0, qPrintable(copy.err));

        const auto found = [&](const QString &db, const QString &filter) {
            const Run run =
                hookscope({QStringLiteral("deliveries"), QStringLiteral("--json"),
                           QStringLiteral("--limit"), QStringLiteral("100"),
                           QStringLiteral("--filter"), filter, QStringLiteral("--db"), db},
                          a);
            QStringList ids;
            for (const QJsonValue &row : QJsonDocument::fromJson(run.out.toUtf8()).array())
                ids.append(QString::number(row[u"id"].toInteger()));
            return run.exitCode == 0 ? ids.join(u',')
                                     : QStringLiteral("exit %1: %2").arg(run.exitCode).arg(run.err);
        };
        const QStringList filters{
            QStringLiteral("invoice"),
            QStringLiteral("invoice paid"),
            QStringLiteral("zoe"),
            QStringLiteral("kruger"),
            QStringLiteral("sub_12"),
            QStringLiteral("sub"),
            QStringLiteral("zoe@example"),
            QStringLiteral("hello world"),
            QStringLiteral("binary"),
            QStringLiteral("evt_7"),
            QStringLiteral("1.10"),
            QStringLiteral("a.b"),
            QStringLiteral("nothing-like-this"),
            QStringLiteral("has:data.items[].sku"),
            QStringLiteral("has:data.items.sku"),
            QStringLiteral("has:data.items[]"),
            QStringLiteral("has:data.id"),
            QStringLiteral("has:data.tags[][]"),
            QStringLiteral("has:\"data.odd key\""),
            QStringLiteral("event:invoice.paid verdict:valid"),
            QStringLiteral("verdict:invalid"),
            QStringLiteral("verdict:failed"),
            QStringLiteral("status:2xx sample:no"),
            QStringLiteral("endpoint:hh event:subscriber.created zoe"),
            QStringLiteral("since:1h"),
            QStringLiteral("drift:yes"),
            QStringLiteral("drift:no"),
            QStringLiteral("drift:new-field"),
            QStringLiteral("drift:missing"),
            QStringLiteral("drift:type-changed"),
            QStringLiteral("drift:yes event:subscriber.created"),
        };
        // The copied deliveries were queued in id order and are learned so: the drift found is
        // the file's. Commands bring what is learned up to date before they answer.
        QCOMPARE(hookscope({QStringLiteral("events"), QStringLiteral("--db"), team}, a).exitCode,
                 0);
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM schema_queue"), name),
                 QStringLiteral("0"));
        for (const QString &filter : filters) {
            const QString inFile = found(file, filter);
            QVERIFY2(!inFile.startsWith(u"exit"), qPrintable(filter + u": " + inFile));
            const QString inTeam = found(team, filter);
            QVERIFY2(inTeam == inFile,
                     qPrintable(QStringLiteral("%1: %2 in the team database, %3 in the file")
                                    .arg(filter, inTeam, inFile)));
        }
        // Not every filter is empty, and not every one finds everything.
        QCOMPARE(found(team, QStringLiteral("zoe")).count(u',') + 1, 2);
        QCOMPARE(found(team, QStringLiteral("has:data.items[].sku")).count(u',') + 1, 2);
        QCOMPARE(found(team, QStringLiteral("drift:yes")).count(u',') + 1, 2);

        // The copy keeps the ids: each delivery reads the same in both, fields, verdict, why
        // and drift, and so do the subscribers and what was learned of each event type.
        const auto output = [&](const QString &db, const QStringList &arguments) {
            const Run run = hookscope(arguments + QStringList{QStringLiteral("--db"), db}, a);
            return QStringLiteral("exit %1\n%2\n%3").arg(run.exitCode).arg(run.out, run.err);
        };
        for (int id = 1; id <= bodies.size() + 1; ++id) {
            const QStringList show{QStringLiteral("show"), QString::number(id),
                                   QStringLiteral("--json")};
            const QString inFile = output(file, show);
            QVERIFY2(inFile.startsWith(u"exit 0"), qPrintable(inFile));
            QCOMPARE(output(team, show), inFile);
        }
        const QStringList subscribers{QStringLiteral("subscribers"), QStringLiteral("--json")};
        QCOMPARE(output(team, subscribers), output(file, subscribers));
        const QList<QStringList> learned{
            {QStringLiteral("events"), QStringLiteral("--json")},
            {QStringLiteral("events")},
            {QStringLiteral("schema"), QStringLiteral("invoice.paid")},
            {QStringLiteral("schema"), QStringLiteral("subscriber.created"),
             QStringLiteral("--json-schema")},
            {QStringLiteral("schema"), QStringLiteral("order.shipped")},
            {QStringLiteral("diff"), QStringLiteral("2"), QStringLiteral("--json")},
        };
        for (const QStringList &command : learned) {
            const QString inFile = output(file, command);
            QVERIFY2(inFile.startsWith(u"exit 0"), qPrintable(inFile));
            QCOMPARE(output(team, command), inFile);
        }
        QVERIFY(output(team, learned.at(0)).contains(u"\"drifted\": 1"));
    }

    void unreachableDatabaseAnswers503AndRecovers()
    {
        const QProcessEnvironment a = machine(QStringLiteral("away-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        Serve serve;
        QVERIFY(serve.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
        QCOMPARE(TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(1))).status,
                 200);
        m_cluster.stop();
        const TestSupport::HttpResponse refused =
            TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(2)));
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.headers.value("Retry-After"), QByteArray("5"));
        const TestSupport::HttpResponse stillRefused =
            TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(3)));
        QCOMPARE(stillRefused.status, 503);
        QVERIFY2(serve.errors().contains(u"answering 503"), qPrintable(serve.errors()));
        QString error;
        QVERIFY2(m_cluster.startAgain(&error), qPrintable(error));
        // The receiver connects again by itself: the sender's retry is stored.
        int status = 0;
        QVERIFY(QTest::qWaitFor(
            [&] {
                status =
                    TestSupport::sendRaw(serve.port(), signedRequest(subscriberCreated(2))).status;
                return status == 200;
            },
            20000));
        QVERIFY2(serve.errors().contains(u"storage recovered"), qPrintable(serve.errors()));
        QCOMPARE(sql(QStringLiteral("SELECT string_agg(event_id, ',' ORDER BY id) FROM "
                                    "deliveries"),
                     name),
                 QStringLiteral("evt_1,evt_2"));
    }

    void killedReceiversLoseNothingAcknowledged()
    {
        const QProcessEnvironment a = machine(QStringLiteral("kill-a"));
        const QString name = newTeamDatabase(a);
        QVERIFY(!name.isEmpty());
        QSet<int> acknowledged;
        int next = 0;
        for (int round = 0; round < 4; ++round) {
            Serve serve;
            QVERIFY(serve.start(m_cluster.url(name, QStringLiteral("receiver1")), a));
            std::deque<Senders::Job> jobs;
            for (int i = 0; i < 3000; ++i, ++next) {
                const QByteArray body = subscriberCreated(next);
                jobs.push_back({serve.port(), next, [body] {
                                    return signedRequest(body);
                                }});
            }
            Senders senders;
            int answered = 0;
            const int killAfter = 200 + round * 150;
            senders.onAnswer = [&](int key, int status) {
                if (status == 200)
                    acknowledged.insert(key);
                if (++answered == killAfter)
                    serve.signal(SIGKILL);
            };
            QVERIFY(senders.run(std::move(jobs), 8, 60000));
            QVERIFY(QTest::qWaitFor([&] { return !serve.running(); }, 10000));
        }
        QVERIFY(acknowledged.size() > 500);
        const QString stored = sql(
            QStringLiteral("SELECT string_agg(substr(event_id, 5), ',') FROM deliveries"), name);
        QSet<int> rows;
        for (const QString &n : stored.split(u','))
            rows.insert(n.toInt());
        QSet<int> lost = acknowledged;
        lost.subtract(rows);
        QVERIFY2(lost.isEmpty(),
                 qPrintable(QStringLiteral("%1 acknowledged deliveries lost").arg(lost.size())));
        // The mapping is exact for what was stored.
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM subscribers"), name),
                 sql(QStringLiteral("SELECT count(DISTINCT event_id) FROM deliveries"), name));
    }
};

QTEST_GUILESS_MAIN(TeamStoreTest)
#include "tst_teamstore.moc"
