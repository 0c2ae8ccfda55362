#include "ngrokagent.h"
#include "testsupport.h"

#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

namespace {

const QByteArray Secret = "ngrok-test-secret";

QByteArray tunnels(const QList<QPair<QString, QString>> &list)
{
    QJsonArray array;
    for (const auto &[url, addr] : list) {
        array.append(QJsonObject{
            {QStringLiteral("name"), QStringLiteral("t")},
            {QStringLiteral("public_url"), url},
            {QStringLiteral("proto"),
             url.startsWith(u"https") ? QStringLiteral("https") : QStringLiteral("http")},
            {QStringLiteral("config"),
             QJsonObject{{QStringLiteral("addr"), addr}, {QStringLiteral("inspect"), true}}}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("tunnels"), array}}).toJson();
}

NgrokAgent::Status askStatus(quint16 apiPort, quint16 listenerPort)
{
    NgrokAgent agent(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(apiPort)));
    QEventLoop loop;
    NgrokAgent::Status result;
    agent.status(listenerPort, [&](const NgrokAgent::Status &status) {
        result = status;
        loop.quit();
    });
    loop.exec();
    return result;
}

struct Result
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Result run(const QStringList &arguments,
           const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    // The fake agent lives in this process: its event loop must run while hookscope asks it.
    QProcess process;
    process.setProcessEnvironment(environment);
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    process.start(QStringLiteral(HOOKSCOPE_BINARY), arguments);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    loop.exec();
    return {process.exitCode(), process.readAllStandardOutput(), process.readAllStandardError()};
}

} // namespace

class TestNgrok : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void findsTheTunnelToOurPort()
    {
        TestSupport::FakeHttpServer agent;
        agent.setResponse("/api/tunnels", 200,
                          tunnels({{QStringLiteral("http://abc.ngrok-free.app"),
                                    QStringLiteral("http://localhost:8484")},
                                   {QStringLiteral("https://abc.ngrok-free.app"),
                                    QStringLiteral("http://localhost:8484")},
                                   {QStringLiteral("https://other.ngrok-free.app"),
                                    QStringLiteral("localhost:3000")}}));
        const NgrokAgent::Status status = askStatus(agent.port(), 8484);
        QVERIFY(status.agentRunning);
        QCOMPARE(status.tunnels.size(), 3);
        QVERIFY(status.ours.has_value());
        QCOMPARE(status.ours->publicUrl.toString(), QStringLiteral("https://abc.ngrok-free.app"));
        QCOMPARE(status.tunnels[2].port, 3000);
    }

    void saysWhenTheTunnelGoesElsewhere()
    {
        TestSupport::FakeHttpServer agent;
        agent.setResponse(
            "/api/tunnels", 200,
            tunnels({{QStringLiteral("https://x.ngrok.app"), QStringLiteral("3000")}}));
        const NgrokAgent::Status status = askStatus(agent.port(), 8484);
        QVERIFY(!status.ours);
        QVERIFY2(status.advice.contains(QStringLiteral("no tunnel forwards to port 8484")),
                 qPrintable(status.advice));
        QVERIFY(status.advice.contains(QStringLiteral("ngrok http 8484")));

        agent.setResponse("/api/tunnels", 200, tunnels({}));
        QVERIFY(askStatus(agent.port(), 8484).advice.contains(QStringLiteral("without tunnels")));
    }

    void saysWhenNoAgentRuns()
    {
        QTcpServer reserved;
        QVERIFY(reserved.listen(QHostAddress::LocalHost, 0));
        const quint16 port = reserved.serverPort();
        reserved.close(); // nothing listens there now
        const NgrokAgent::Status status = askStatus(port, 9000);
        QVERIFY(!status.agentRunning);
        QVERIFY(!status.error.isEmpty());
        QCOMPARE(
            status.advice,
            QStringLiteral("No ngrok agent answers. To expose the listener, run: ngrok http 9000"));
    }

    void importsRecordedRequestsOnce()
    {
        const qint64 started = QDateTime::currentSecsSinceEpoch() - 600;
        const QByteArray body = "{\"event_type\":\"subscriber.created\",\"event_id\":\"evt_ngrok\","
                                "\"data\":{\"id\":\"sub_ngrok\"}}";
        const QByteArray raw = "POST /hooks/hh HTTP/1.1\r\nHost: "
                               "abc.ngrok-free.app\r\nContent-Type: application/json\r\n"
                               "HostedHooks-Signature: " +
                               TestSupport::hostedHooksSignature(Secret, started, body) +
                               "\r\nContent-Length: " + QByteArray::number(body.size()) +
                               "\r\n\r\n" + body;
        const QString startText =
            QDateTime::fromSecsSinceEpoch(started, Qt::UTC).toString(Qt::ISODateWithMs);
        const QJsonArray requests{
            QJsonObject{{QStringLiteral("id"), QStringLiteral("airt_2")},
                        {QStringLiteral("start"), startText},
                        {QStringLiteral("remote_addr"), QStringLiteral("203.0.113.9:51234")},
                        {QStringLiteral("request"),
                         QJsonObject{{QStringLiteral("raw"),
                                      QString::fromLatin1(QByteArray("garbage").toBase64())}}}},
            QJsonObject{
                {QStringLiteral("id"), QStringLiteral("airt_1")},
                {QStringLiteral("start"), startText},
                {QStringLiteral("remote_addr"), QStringLiteral("203.0.113.9:51234")},
                {QStringLiteral("request"),
                 QJsonObject{{QStringLiteral("raw"), QString::fromLatin1(raw.toBase64())}}},
                {QStringLiteral("response"), QJsonObject{{QStringLiteral("status_code"), 502}}}},
        };
        TestSupport::FakeHttpServer agent;
        agent.setResponse(
            "/api/requests/http", 200,
            QJsonDocument(QJsonObject{{QStringLiteral("requests"), requests}}).toJson());

        const QString db = TestSupport::temporaryPath(QStringLiteral("ngrok.db"));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("NGROK_TEST_SECRET"), QString::fromLatin1(Secret));
        QCOMPARE(
            run({QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                 QStringLiteral("--path"), QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
                 QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
                 QStringLiteral("NGROK_TEST_SECRET"), QStringLiteral("--db"), db},
                environment)
                .exitCode,
            0);
        const QString api = QStringLiteral("http://127.0.0.1:%1").arg(agent.port());
        const Result first = run({QStringLiteral("ngrok"), QStringLiteral("import"),
                                  QStringLiteral("--api"), api, QStringLiteral("--db"), db});
        QVERIFY2(first.exitCode == 0, QByteArray(first.err + first.out).constData());
        QVERIFY2(
            first.out.contains("imported 1 requests from ngrok, 0 stored before, 1 unreadable"),
            first.out.constData());
        const Result second = run({QStringLiteral("ngrok"), QStringLiteral("import"),
                                   QStringLiteral("--api"), api, QStringLiteral("--db"), db});
        QVERIFY2(second.out.contains("imported 0 requests from ngrok, 1 stored before"),
                 second.out.constData());

        const QJsonObject delivery =
            QJsonDocument::fromJson(run({QStringLiteral("show"), QStringLiteral("1"),
                                         QStringLiteral("--json"), QStringLiteral("--db"), db})
                                        .out)
                .object();
        QCOMPARE(delivery[QStringLiteral("source")].toString(), QStringLiteral("ngrok"));
        QCOMPARE(delivery[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(delivery[QStringLiteral("response_status")].toInt(), 502);
        QCOMPARE(delivery[QStringLiteral("remote_address")].toString(),
                 QStringLiteral("203.0.113.9"));
        QCOMPARE(delivery[QStringLiteral("received_at")].toString(),
                 QDateTime::fromSecsSinceEpoch(started, Qt::UTC).toString(Qt::ISODateWithMs));
        // A valid subscriber.created from the history fills the mapping like any other.
        QVERIFY(run({QStringLiteral("subscribers"), QStringLiteral("--db"), db})
                    .out.contains("sub_ngrok"));

        const Result status = run({QStringLiteral("ngrok"), QStringLiteral("--api"), api});
        QCOMPARE(status.exitCode, 1); // the fake has no /api/tunnels
    }
};

QTEST_GUILESS_MAIN(TestNgrok)
#include "tst_ngrok.moc"
