#include "database.h"
#include "deliveryreader.h"
#include "deliverystore.h"
#include "endpointrepository.h"
#include "listener.h"
#include "listenerlimits.h"
#include "pgcluster.h"
#include "replayrepository.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>

using TestSupport::buildRequest;
using TestSupport::HttpResponse;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "hh_test_secret";

QByteArray subscriberCreated(const QByteArray &eventId)
{
    return R"({"event_type":"subscriber.created","event_id":")" + eventId +
           R"(","data":{"id":"sub_)" + eventId + R"(","amount":12345678901234567890}})";
}

QByteArray signedRequest(const QByteArray &body, const QByteArray &path = "/hooks/hh")
{
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                Secret, QDateTime::currentSecsSinceEpoch(), body));
    return buildRequest("POST", path, headers, body);
}

} // namespace

class TestListener : public QObject
{
    Q_OBJECT

private:
    QString m_path;
    std::unique_ptr<DeliveryStore> m_store;
    std::unique_ptr<Listener> m_listener;
    std::unique_ptr<Database> m_reader;
    int m_run = 0;
    // Every test runs on a file and on a team database (a real PostgreSQL server started for
    // them, see PostgresCluster): what the listener promises does not depend on the store.
    std::unique_ptr<PostgresCluster> m_cluster;

    QString newStore(bool team)
    {
        if (!team)
            return TestSupport::temporaryPath(QStringLiteral("listener-%1.db").arg(++m_run));
        QString error;
        PostgresCluster *cluster = PostgresCluster::started(m_cluster, &error);
        const QString location =
            cluster ? cluster->createTeamDatabase(QStringLiteral("listener%1").arg(++m_run), &error)
                    : QString();
        if (location.isEmpty())
            qWarning("%s", qPrintable(error));
        return location;
    }

    std::optional<Delivery> stored(qint64 id)
    {
        QString error;
        auto delivery = DeliveryReader(*m_reader).find(id, &error);
        if (!error.isEmpty())
            qWarning() << error;
        return delivery;
    }

    qint64 count() { return DeliveryReader(*m_reader).count(nullptr).value_or(-1); }

private Q_SLOTS:
    void initTestCase_data()
    {
        QTest::addColumn<bool>("team");
        QTest::newRow("file") << false;
        QTest::newRow("team database") << true;
    }

    void initTestCase()
    {
        // A team database's endpoints keep their secrets in this machine's own file: the
        // test's, in a home of its own.
        const QString home = TestSupport::temporaryPath(QStringLiteral("home"));
        QDir().mkpath(home);
        qputenv("HOME", QFile::encodeName(home));
        QStandardPaths::setTestModeEnabled(true);
    }

    void init()
    {
        QFETCH_GLOBAL(bool, team);
        m_path = newStore(team);
        QVERIFY(!m_path.isEmpty());
        m_reader = std::make_unique<Database>();
        QString error;
        QVERIFY2(m_reader->open(m_path, &error), qPrintable(error));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("hh");
        endpoint.path = QStringLiteral("/hooks/hh");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("main"), Secret}};
        QVERIFY(EndpointRepository(*m_reader).add(endpoint, &error));

        m_store = std::make_unique<DeliveryStore>();
        DeliveryStore::Options options;
        options.path = m_path;
        options.busyTimeoutMs = 300;
        if (team)
            options.secretsPath = Database::defaultPath();
        QVERIFY2(m_store->open(options, &error), qPrintable(error));
        m_listener = std::make_unique<Listener>(*m_store);
        QVERIFY2(m_listener->start(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        QVERIFY(m_listener->port() != 0);
    }

    void cleanup()
    {
        m_listener.reset();
        m_store.reset();
        m_reader.reset();
    }

    void validDeliveryIsStoredThenAnswered200()
    {
        const QByteArray body = subscriberCreated("evt_valid");
        const HttpResponse response = sendRaw(m_listener->port(), signedRequest(body));
        QCOMPARE(response.status, 200);
        const qint64 id = response.headers.value("X-HookScope-Delivery").toLongLong();
        QVERIFY(id > 0);
        // The answer came after the commit: the row is there now.
        const auto delivery = stored(id);
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->verification.verdict, Verdict::Valid);
        QCOMPARE(delivery->endpoint, QStringLiteral("hh"));
        QCOMPARE(delivery->body, body);
        QCOMPARE(delivery->eventType, QStringLiteral("subscriber.created"));
        QCOMPARE(delivery->eventId, QStringLiteral("evt_valid"));
        QCOMPARE(delivery->subscriberId, QStringLiteral("sub_evt_valid"));
        QCOMPARE(delivery->responseStatus, 200);
        QCOMPARE(delivery->remoteAddress, QStringLiteral("127.0.0.1"));
        // The answer's body says the same, as JSON.
        QCOMPARE(response.headers.value("Content-Type"), QByteArray("application/json"));
        const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
        QCOMPARE(answer, (QJsonObject{{QStringLiteral("stored"), true},
                                      {QStringLiteral("delivery"), id},
                                      {QStringLiteral("verdict"), QStringLiteral("valid")}}));
    }

    void tamperedDeliveryIsStoredInvalidWithAReason()
    {
        QByteArray request = signedRequest(subscriberCreated("evt_tampered"));
        request.replace("sub_evt_tampered", "sub_evt_tampereD");
        const HttpResponse response = sendRaw(m_listener->port(), request);
        QCOMPARE(response.status, 200);
        const auto delivery = stored(response.headers.value("X-HookScope-Delivery").toLongLong());
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->verification.verdict, Verdict::Invalid);
        QVERIFY(!delivery->verification.reason.isEmpty());
        QVERIFY(delivery->verification.expected != delivery->verification.received);
    }

    void unmatchedPathIsStoredAndAnswered404()
    {
        const HttpResponse response =
            sendRaw(m_listener->port(), buildRequest("POST", "/elsewhere?x=1", {}, "hello"));
        QCOMPARE(response.status, 404);
        const auto delivery = stored(response.headers.value("X-HookScope-Delivery").toLongLong());
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->endpoint, QString());
        QCOMPARE(delivery->path, QStringLiteral("/elsewhere?x=1"));
        QCOMPARE(delivery->responseStatus, 404);
        QCOMPARE(delivery->verification.verdict, Verdict::Unverified);
        const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
        QCOMPARE(answer, (QJsonObject{{QStringLiteral("stored"), true},
                                      {QStringLiteral("delivery"), delivery->id},
                                      {QStringLiteral("error"),
                                       QStringLiteral("no endpoint covers this path")}}));
    }

    void anyMethodOnAnyPath_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("status");
        QTest::newRow("GET") << QByteArray("GET") << QByteArray("/hooks/hh/ping?x=%20y") << 200;
        QTest::newRow("PUT") << QByteArray("PUT") << QByteArray("/hooks/hh") << 200;
        QTest::newRow("DELETE") << QByteArray("DELETE") << QByteArray("/a/b/c") << 404;
        QTest::newRow("PATCH") << QByteArray("PATCH") << QByteArray("/hooks/hh/") << 200;
        QTest::newRow("OPTIONS") << QByteArray("OPTIONS") << QByteArray("/") << 404;
        QTest::newRow("REPORT") << QByteArray("REPORT") << QByteArray("/hooks/hh") << 200;
    }

    void anyMethodOnAnyPath()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(int, status);
        const HttpResponse response =
            sendRaw(m_listener->port(), buildRequest(method, path, {}, "{}"));
        QCOMPARE(response.status, status);
        const auto delivery = stored(response.headers.value("X-HookScope-Delivery").toLongLong());
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->method, QString::fromLatin1(method));
        QCOMPARE(delivery->path, QString::fromLatin1(path));
    }

    void headersAreKeptInOrderWithDuplicates()
    {
        const QByteArray request = "POST /hooks/hh HTTP/1.0\r\n"
                                   "X-Zulu: 1\r\n"
                                   "host: 127.0.0.1\r\n"
                                   "X-Alpha: first\r\n"
                                   "x-alpha: second\r\n"
                                   "X-Mixed-CASE: Value With  Spaces\r\n"
                                   "Content-Length: 2\r\n"
                                   "\r\n"
                                   "{}";
        const HttpResponse response = sendRaw(m_listener->port(), request);
        QCOMPARE(response.status, 200);
        const auto delivery = stored(response.headers.value("X-HookScope-Delivery").toLongLong());
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->httpVersion, QStringLiteral("1.0"));
        const QList<HeaderList::Entry> expected{{"X-Zulu", "1"},
                                                {"host", "127.0.0.1"},
                                                {"X-Alpha", "first"},
                                                {"x-alpha", "second"},
                                                {"X-Mixed-CASE", "Value With  Spaces"},
                                                {"Content-Length", "2"}};
        QCOMPARE(delivery->headers.entries(), expected);
        QCOMPARE(delivery->verification.verdict, Verdict::Missing);
    }

    void binaryBodyIsKeptByteForByte()
    {
        QByteArray body(70000, '\0');
        for (int i = 0; i < body.size(); ++i)
            body[i] = static_cast<char>(i * 7 % 256);
        HeaderList binaryHeaders;
        binaryHeaders.append("Content-Type", "application/octet-stream");
        const HttpResponse response =
            sendRaw(m_listener->port(), buildRequest("POST", "/hooks/hh", binaryHeaders, body));
        QCOMPARE(response.status, 200);
        const auto delivery = stored(response.headers.value("X-HookScope-Delivery").toLongLong());
        QVERIFY(delivery.has_value());
        QCOMPARE(delivery->body, body);
    }

    void concurrentDeliveriesAreAllStoredExactlyOnce()
    {
        constexpr int Count = 200;
        QList<QByteArray> requests;
        for (int i = 0; i < Count; ++i)
            requests.append(signedRequest(subscriberCreated("evt_c" + QByteArray::number(i))));
        const QList<HttpResponse> responses = sendRaw(m_listener->port(), requests, 60000);
        QSet<qint64> ids;
        for (const HttpResponse &response : responses) {
            QCOMPARE(response.status, 200);
            ids.insert(response.headers.value("X-HookScope-Delivery").toLongLong());
        }
        QCOMPARE(ids.size(), Count);
        QCOMPARE(count(), Count);
        QSqlQuery query(m_reader->connection());
        QVERIFY(
            query.exec(QStringLiteral("SELECT count(DISTINCT event_id), count(*) FROM deliveries "
                                      "WHERE verdict = 'valid'")));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), Count);
        QCOMPARE(query.value(1).toInt(), Count);
    }

    void unwritableStoreAnswers503AndClaimsNothing()
    {
        QFETCH_GLOBAL(bool, team);
        QSqlQuery lock(m_reader->connection());
        if (team) {
            // Held longer than the writer waits for a lock (busyTimeoutMs).
            QVERIFY(lock.exec(QStringLiteral("BEGIN")));
            QVERIFY(lock.exec(QStringLiteral("LOCK TABLE deliveries IN EXCLUSIVE MODE")));
        } else {
            QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        }
        const HttpResponse refused =
            sendRaw(m_listener->port(), signedRequest(subscriberCreated("evt_locked")));
        QCOMPARE(refused.status, 503);
        QVERIFY(!refused.headers.value("Retry-After").isEmpty());
        QVERIFY(refused.headers.value("X-HookScope-Delivery").isNull());
        QVERIFY(refused.body.contains("\"stored\":false"));
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
        QCOMPARE(count(), 0);

        // The sender's retry succeeds once the fault has cleared.
        const HttpResponse retried =
            sendRaw(m_listener->port(), signedRequest(subscriberCreated("evt_locked")));
        QCOMPARE(retried.status, 200);
        QCOMPARE(count(), 1);
    }

    void garbageGets400()
    {
        const HttpResponse response = sendRaw(m_listener->port(), "THIS IS NOT HTTP\r\n\r\n", 5000);
        QCOMPARE(response.status, 400);
        QCOMPARE(count(), 0);
    }

    void keepAliveCarriesSeveralDeliveries()
    {
        QByteArray pipeline;
        for (int i = 0; i < 3; ++i)
            pipeline += signedRequest(subscriberCreated("evt_k" + QByteArray::number(i)));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_listener->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write(pipeline);
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).count("HTTP/1.1 200") == 3, 10000);
        QCOMPARE(count(), 3);
    }

    // A client that sends "Expect: 100-continue" is told to go on at once, not left to wait
    // for its own timeout before it sends the body.
    void expectContinueIsAnswered()
    {
        const QByteArray body = subscriberCreated("evt_expect");
        HeaderList headers;
        headers.append("Content-Type", "application/json");
        headers.append("Expect", "100-continue");
        headers.append(
            "HostedHooks-Signature",
            TestSupport::hostedHooksSignature(Secret, QDateTime::currentSecsSinceEpoch(), body));
        const QByteArray request = buildRequest("POST", "/hooks/hh", headers, body);
        const qsizetype headEnd = request.indexOf("\r\n\r\n") + 4;
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_listener->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write(request.left(headEnd));
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).contains("\r\n\r\n"), 5000);
        QVERIFY2(received.startsWith("HTTP/1.1 100 Continue\r\n\r\n"), received.constData());
        socket.write(request.mid(headEnd));
        QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).contains("HTTP/1.1 200"), 10000);
        QCOMPARE(count(), 1);
    }

    void answeredSignalReportsEachDelivery()
    {
        QSignalSpy answered(m_listener.get(), &Listener::answered);
        const HttpResponse response =
            sendRaw(m_listener->port(), signedRequest(subscriberCreated("evt_signal")));
        QCOMPARE(response.status, 200);
        QTRY_COMPARE(answered.size(), 1);
        const auto summary = answered.at(0).at(0).value<DeliverySummary>();
        QCOMPARE(summary.eventId, QStringLiteral("evt_signal"));
        QCOMPARE(summary.verdict, Verdict::Valid);
        QCOMPARE(answered.at(0).at(1).toString(), QString());
    }

    void responsePolicies()
    {
        Endpoint custom;
        custom.name = QStringLiteral("custom");
        custom.path = QStringLiteral("/custom");
        custom.response.status = 202;
        custom.response.body = "thanks";
        custom.response.headers = {{"X-Receiver", "test app"}, {"Content-Type", "text/plain"}};
        Endpoint slow = custom;
        slow.name = QStringLiteral("slow");
        slow.path = QStringLiteral("/slow");
        slow.response = ResponsePolicy();
        slow.response.delayMs = 300;
        Endpoint flaky;
        flaky.name = QStringLiteral("flaky");
        flaky.path = QStringLiteral("/flaky");
        flaky.response.failFirstAttempts = 2;
        flaky.response.failStatus = 502;
        Endpoint strict;
        strict.name = QStringLiteral("strict");
        strict.path = QStringLiteral("/strict");
        strict.scheme = SignatureScheme::HostedHooks;
        strict.secrets = {{QStringLiteral("main"), Secret}};
        strict.response.rejectInvalid = true;
        for (Endpoint *endpoint : {&custom, &slow, &flaky, &strict})
            QVERIFY(EndpointRepository(*m_reader).add(*endpoint, nullptr));
        m_listener->setEndpoints(EndpointRepository(*m_reader).list(nullptr).value());

        const HttpResponse customAnswer =
            sendRaw(m_listener->port(), buildRequest("POST", "/custom", {}, "{}"));
        QCOMPARE(customAnswer.status, 202);
        QCOMPARE(customAnswer.body, QByteArray("thanks"));
        QCOMPARE(customAnswer.headers.value("X-Receiver"), QByteArray("test app"));
        QCOMPARE(customAnswer.headers.value("Content-Type"), QByteArray("text/plain"));
        QCOMPARE(
            stored(customAnswer.headers.value("X-HookScope-Delivery").toLongLong())->responseStatus,
            202);

        QElapsedTimer timer;
        timer.start();
        const HttpResponse slowAnswer =
            sendRaw(m_listener->port(), buildRequest("POST", "/slow", {}, "{}"));
        QCOMPARE(slowAnswer.status, 200);
        QVERIFY2(timer.elapsed() >= 300, qPrintable(QString::number(timer.elapsed())));

        // The first two attempts of an event fail; the third, and another event's first, do not.
        const QByteArray event = R"({"event_type":"ping","event_id":"evt_retry"})";
        QCOMPARE(sendRaw(m_listener->port(), buildRequest("POST", "/flaky", {}, event)).status,
                 502);
        QCOMPARE(sendRaw(m_listener->port(), buildRequest("POST", "/flaky", {}, event)).status,
                 502);
        const HttpResponse third =
            sendRaw(m_listener->port(), buildRequest("POST", "/flaky", {}, event));
        QCOMPARE(third.status, 200);
        QCOMPARE(stored(third.headers.value("X-HookScope-Delivery").toLongLong())->responseStatus,
                 200);
        QCOMPARE(sendRaw(m_listener->port(),
                         buildRequest("POST", "/flaky", {}, R"({"event_id":"evt_other"})"))
                     .status,
                 502);

        QByteArray tampered = signedRequest(subscriberCreated("evt_strict"), "/strict");
        tampered.replace("sub_evt_strict", "sub_evt_strikt");
        const HttpResponse rejected = sendRaw(m_listener->port(), tampered);
        QCOMPARE(rejected.status, 401);
        const auto delivery = stored(rejected.headers.value("X-HookScope-Delivery").toLongLong());
        QCOMPARE(delivery->verification.verdict, Verdict::Invalid);
        QCOMPARE(delivery->responseStatus, 401);
        QCOMPARE(
            sendRaw(m_listener->port(), signedRequest(subscriberCreated("evt_strict2"), "/strict"))
                .status,
            200);
    }

    void forwardsToTheApp()
    {
        TestSupport::FakeHttpServer app;
        app.setResponse("/webhooks", 201, "{\"ok\":true}");
        Endpoint passOn;
        passOn.name = QStringLiteral("pass-on");
        passOn.path = QStringLiteral("/pass");
        passOn.forwardUrl = QStringLiteral("http://127.0.0.1:%1/webhooks").arg(app.port());
        Endpoint proxy = passOn;
        proxy.name = QStringLiteral("proxy");
        proxy.path = QStringLiteral("/proxy");
        proxy.answerWithApp = true;
        Endpoint dead = proxy;
        dead.name = QStringLiteral("dead");
        dead.path = QStringLiteral("/dead");
        QTcpServer reserved;
        QVERIFY(reserved.listen(QHostAddress::LocalHost, 0));
        dead.forwardUrl = QStringLiteral("http://127.0.0.1:%1/webhooks").arg(reserved.serverPort());
        reserved.close();
        for (Endpoint *endpoint : {&passOn, &proxy, &dead})
            QVERIFY(EndpointRepository(*m_reader).add(*endpoint, nullptr));
        m_listener->setEndpoints(EndpointRepository(*m_reader).list(nullptr).value());

        // Passed on, answered by the policy at once; the app's answer is kept.
        HeaderList headers;
        headers.append("X-Signature", "abc");
        headers.append("Content-Type", "application/json");
        const QByteArray body = "{\"exact\": 1.10}";
        const HttpResponse passed =
            sendRaw(m_listener->port(), buildRequest("POST", "/pass?q=1", headers, body));
        QCOMPARE(passed.status, 200);
        QTRY_COMPARE(app.requests().size(), 1);
        const QByteArray forwarded = app.requests().constFirst();
        QVERIFY2(forwarded.startsWith("POST /webhooks?q=1 HTTP/1.1\r\n"), forwarded.constData());
        QVERIFY(forwarded.contains("X-Signature: abc\r\n"));
        // Nothing added on the way: no client library's User-Agent or Accept-Encoding.
        QVERIFY(!forwarded.contains("User-Agent"));
        QVERIFY(!forwarded.contains("Accept-Encoding"));
        const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(app.port());
        QVERIFY(forwarded.contains(host));
        const QByteArray tail = "\r\n\r\n" + body;
        QVERIFY(forwarded.endsWith(tail));
        const qint64 passedId = passed.headers.value("X-HookScope-Delivery").toLongLong();
        QTRY_COMPARE(ReplayRepository(*m_reader).ofDelivery(passedId, nullptr)->size(), 1);
        const Replay record =
            ReplayRepository(*m_reader).ofDelivery(passedId, nullptr)->constFirst();
        QCOMPARE(record.kind, QStringLiteral("forward"));
        QCOMPARE(record.status, 201);
        QCOMPARE(record.responseBody, QByteArray("{\"ok\":true}"));
        QCOMPARE(stored(passedId)->responseStatus, 200);

        // Answered with the app's answer, even a slow one.
        app.setDelay(300);
        QElapsedTimer timer;
        timer.start();
        const HttpResponse proxied =
            sendRaw(m_listener->port(), buildRequest("POST", "/proxy", headers, body));
        QCOMPARE(proxied.status, 201);
        QVERIFY(timer.elapsed() >= 300);
        QCOMPARE(proxied.body, QByteArray("{\"ok\":true}"));
        QCOMPARE(proxied.headers.value("X-App"), QByteArray("fake"));
        const qint64 proxiedId = proxied.headers.value("X-HookScope-Delivery").toLongLong();
        QTRY_COMPARE(stored(proxiedId)->responseStatus, 201);

        // A dead app: the sender hears 502, the delivery is kept, the failure recorded.
        const HttpResponse refused =
            sendRaw(m_listener->port(), buildRequest("POST", "/dead", headers, body));
        QCOMPARE(refused.status, 502);
        QVERIFY(refused.body.startsWith("The app did not answer"));
        const qint64 deadId = refused.headers.value("X-HookScope-Delivery").toLongLong();
        QVERIFY(stored(deadId).has_value());
        QTRY_COMPARE(ReplayRepository(*m_reader).ofDelivery(deadId, nullptr)->size(), 1);
        QVERIFY(
            !ReplayRepository(*m_reader).ofDelivery(deadId, nullptr)->constFirst().error.isEmpty());
        QTRY_COMPARE(stored(deadId)->responseStatus, 502);
    }

    void limits()
    {
        ListenerLimits limits;
        limits.maxBodyBytes = 100 * 1024;
        limits.maxHeaderCount = 20;
        limits.maxHeaderBytes = 4096;
        limits.idleTimeoutMs = 500;
        limits.maxConnections = 3;
        Listener guarded(*m_store);
        QString error;
        QVERIFY2(guarded.start(QHostAddress::LocalHost, 0, &error, limits), qPrintable(error));
        const quint16 port = guarded.port();

        // 413 as soon as the size is known; the head and the first 64 KiB are kept.
        const QByteArray big(2 * 1024 * 1024, 'x');
        const HttpResponse tooLarge = sendRaw(port, buildRequest("POST", "/hooks/hh", {}, big));
        QCOMPARE(tooLarge.status, 413);
        QVERIFY(tooLarge.body.contains("2097152 bytes"));
        QSqlQuery truncated(m_reader->connection());
        QTRY_VERIFY(
            truncated.exec(QStringLiteral("SELECT id FROM deliveries WHERE truncated = 1")) &&
            truncated.next());
        const auto kept = stored(truncated.value(0).toLongLong());
        QCOMPARE(kept->responseStatus, 413);
        QCOMPARE(kept->body.size(), ListenerLimits::KeptBodyBytes);
        QVERIFY(kept->truncated);

        // 431: too many headers, and too large ones.
        HeaderList many;
        for (int i = 0; i < 30; ++i)
            many.append("X-H" + QByteArray::number(i), "v");
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", many, "{}")).status, 431);
        HeaderList large;
        large.append("X-Large", QByteArray(5000, 'a'));
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", large, "{}")).status, 431);

        // 400: bad framing.
        QCOMPARE(sendRaw(port,
                         "POST /hooks/hh HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
                         5000)
                     .status,
                 400);
        QCOMPARE(
            sendRaw(port, "POST /hooks/hh HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 5000)
                .status,
            400);

        // HTTP/1.0 without keep-alive: answered, then closed.
        {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket.waitForConnected(5000));
            socket.write("POST /hooks/hh HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
            QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, 5000);
            QVERIFY(socket.readAll().startsWith("HTTP/1.1 200"));
        }

        // A client that stops mid-request is cut off (408) while another is served.
        QTcpSocket slow;
        slow.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(slow.waitForConnected(5000));
        slow.write("POST /hooks/hh HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a");
        QCOMPARE(sendRaw(port, signedRequest(subscriberCreated("evt_during_slowloris"))).status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(slow.state(), QAbstractSocket::UnconnectedState, 5000);
        QVERIFY(slow.readAll().startsWith("HTTP/1.1 408"));

        // At most three connections: a fourth is refused with 503 while the three stay served.
        // (A listener of its own, whose idle timeout cannot close the three meanwhile.)
        ListenerLimits crowdedLimits;
        crowdedLimits.maxConnections = 3;
        Listener crowded(*m_store);
        QVERIFY2(crowded.start(QHostAddress::LocalHost, 0, &error, crowdedLimits),
                 qPrintable(error));
        const quint16 crowdedPort = crowded.port();
        std::vector<std::unique_ptr<QTcpSocket>> open;
        for (int i = 0; i < 3; ++i) {
            open.push_back(std::make_unique<QTcpSocket>());
            QTcpSocket *socket = open.back().get();
            // Three peers: no one of them holds more than its share.
            QVERIFY(socket->bind(QHostAddress(QStringLiteral("127.0.0.%1").arg(i + 1))));
            socket->connectToHost(QHostAddress::LocalHost, crowdedPort);
            QVERIFY(socket->waitForConnected(5000));
            // An answer on a kept-alive connection: the server holds it open now.
            socket->write(buildRequest("POST", "/hooks/hh", {}, "{}"));
            QByteArray answer;
            QTRY_VERIFY_WITH_TIMEOUT((answer += socket->readAll()).contains("\r\n\r\n"), 5000);
            QVERIFY(answer.startsWith("HTTP/1.1 200"));
        }
        const HttpResponse refused = sendRaw(crowdedPort, buildRequest("GET", "/", {}, {}), 5000);
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.headers.value("Retry-After"), QByteArray("1"));
        open.front()->write(buildRequest("POST", "/hooks/hh", {}, "{}"));
        QByteArray still;
        QTRY_VERIFY_WITH_TIMEOUT((still += open.front()->readAll()).contains("\r\n\r\n"), 5000);
        QVERIFY(still.startsWith("HTTP/1.1 200"));
        open.clear();
        QTRY_COMPARE(sendRaw(crowdedPort, buildRequest("POST", "/hooks/hh", {}, "{}"), 5000).status,
                     200);
    }

    void portInUseIsReported()
    {
        Listener second(*m_store);
        QString error;
        QVERIFY(!second.start(QHostAddress::LocalHost, m_listener->port(), &error));
        QVERIFY2(error.contains(QString::number(m_listener->port())), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestListener)
#include "tst_listener.moc"
