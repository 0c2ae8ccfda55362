#include "deliveryprocessor.h"
#include "providermetadata.h"
#include "signaturesigner.h"

#include <QFile>
#include <QTest>

using ProviderMetadata::identify;
using ProviderMetadata::providerFor;

namespace {

HeaderList headersOf(const QList<QPair<QByteArray, QByteArray>> &pairs)
{
    HeaderList headers;
    for (const auto &[name, value] : pairs)
        headers.append(name, value);
    return headers;
}

const QByteArray GitHubDelivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const QByteArray ShopifyWebhookId = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";
const QByteArray ShopifyEventId = "98880550-7158-44d4-b7cd-2c97c8a091b5";

// "found" details as "label=value" for comparison.
QStringList detailsOf(const ProviderMetadata::Identity &identity)
{
    QStringList out;
    for (const ProviderMetadata::Found &found : identity.details)
        out.append(found.label + u'=' + found.value);
    return out;
}

} // namespace

class TestProviderMetadata : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void providers_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<HeaderList>("headers");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("eventType");
        QTest::addColumn<QString>("eventId");
        QTest::addColumn<QString>("idSource");
        QTest::addColumn<QStringList>("details");

        QTest::newRow("github push")
            << int(SignatureScheme::GitHub)
            << headersOf({{"X-GitHub-Event", "push"},
                          {"X-GitHub-Delivery", GitHubDelivery},
                          {"X-GitHub-Hook-ID", "42"}})
            << QByteArray(R"({"ref":"refs/heads/main","id":7,"type":"x"})")
            << QStringLiteral("push") << QString::fromLatin1(GitHubDelivery)
            << QStringLiteral("header X-GitHub-Delivery")
            << QStringList{QStringLiteral("hook id=42")};
        QTest::newRow("github issues with an action")
            << int(SignatureScheme::GitHub)
            << headersOf({{"x-github-event", "issues"}, {"x-github-delivery", GitHubDelivery}})
            << QByteArray(R"({"action":"opened","issue":{"id":1}})") << QStringLiteral("issues")
            << QString::fromLatin1(GitHubDelivery) << QStringLiteral("header X-GitHub-Delivery")
            << QStringList{QStringLiteral("action=opened")};
        QTest::newRow("github without its headers names no event from the body")
            << int(SignatureScheme::GitHub) << HeaderList() << QByteArray(R"({"type":"x","id":7})")
            << QString() << QString() << QString() << QStringList();
        // The order's own id is not the event's.
        QTest::newRow("shopify order")
            << int(SignatureScheme::Shopify)
            << headersOf({{"X-Shopify-Topic", "orders/create"},
                          {"X-Shopify-Webhook-Id", ShopifyWebhookId},
                          {"X-Shopify-Event-Id", ShopifyEventId},
                          {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                          {"X-Shopify-Triggered-At", "2026-11-30T10:00:00.000Z"}})
            << QByteArray(R"({"id":820982911946154508,"email":"jon@example.com"})")
            << QStringLiteral("orders/create") << QString::fromLatin1(ShopifyWebhookId)
            << QStringLiteral("header X-Shopify-Webhook-Id")
            << QStringList{QStringLiteral("Shopify event=") + QString::fromLatin1(ShopifyEventId),
                           QStringLiteral("shop=example.myshopify.com"),
                           QStringLiteral("sent at=2026-11-30T10:00:00.000Z")};
        QTest::newRow("svix") << int(SignatureScheme::Svix)
                              << headersOf(
                                     {{"svix-id", "msg_2b"}, {"svix-timestamp", "1700000000"}})
                              << QByteArray(R"({"type":"invoice.paid","data":{"id":"in_1"}})")
                              << QStringLiteral("invoice.paid") << QStringLiteral("msg_2b")
                              << QStringLiteral("header svix-id")
                              << QStringList{QStringLiteral("sent at=1700000000")};
        QTest::newRow("svix endpoint, webhook-* headers")
            << int(SignatureScheme::Svix)
            << headersOf({{"webhook-id", "msg_3c"}, {"webhook-timestamp", "1700000001"}})
            << QByteArray(R"({"type":"invoice.paid"})") << QStringLiteral("invoice.paid")
            << QStringLiteral("msg_3c") << QStringLiteral("header webhook-id")
            << QStringList{QStringLiteral("sent at=1700000001")};
        QTest::newRow("standard webhooks")
            << int(SignatureScheme::StandardWebhooks)
            << headersOf({{"webhook-id", "msg_4d"}, {"webhook-timestamp", "1700000002"}})
            << QByteArray(R"({"type":"user.created","timestamp":"2026-11-30T10:00:00Z","id":"u"})")
            << QStringLiteral("user.created") << QStringLiteral("msg_4d")
            << QStringLiteral("header webhook-id")
            << QStringList{QStringLiteral("sent at=1700000002")};
        QTest::newRow("stripe")
            << int(SignatureScheme::Stripe) << HeaderList()
            << QByteArray(
                   R"({"id":"evt_1","object":"event","type":"invoice.paid","api_version":"2024-06-20","created":1700000003,"data":{"object":{"id":"in_1"}}})")
            << QStringLiteral("invoice.paid") << QStringLiteral("evt_1")
            << QStringLiteral("body field id")
            << QStringList{QStringLiteral("API version=2024-06-20"),
                           QStringLiteral("sent at=1700000003")};
        QTest::newRow("slack event callback, retried")
            << int(SignatureScheme::Slack)
            << headersOf({{"X-Slack-Retry-Num", "1"}, {"X-Slack-Retry-Reason", "http_timeout"}})
            << QByteArray(
                   R"({"type":"event_callback","team_id":"T1","event_id":"Ev08","event":{"type":"app_mention"},"event_time":1700000004})")
            << QStringLiteral("app_mention") << QStringLiteral("Ev08")
            << QStringLiteral("body field event_id")
            << QStringList{QStringLiteral("retry=1"), QStringLiteral("retry reason=http_timeout"),
                           QStringLiteral("team=T1"), QStringLiteral("sent at=1700000004")};
        QTest::newRow("slack slash command")
            << int(SignatureScheme::Slack)
            << headersOf({{"Content-Type", "application/x-www-form-urlencoded"}})
            << QByteArray("team_id=T1&command=%2Fdeploy&text=now") << QStringLiteral("/deploy")
            << QString() << QString() << QStringList{QStringLiteral("team=T1")};
        QTest::newRow("unknown sender") << int(SignatureScheme::Auto) << HeaderList()
                                        << QByteArray(R"({"type":"thing.happened","id":"t_1"})")
                                        << QStringLiteral("thing.happened") << QStringLiteral("t_1")
                                        << QStringLiteral("body field id") << QStringList();
    }

    void providers()
    {
        QFETCH(int, scheme);
        QFETCH(HeaderList, headers);
        QFETCH(QByteArray, body);
        QFETCH(QString, eventType);
        QFETCH(QString, eventId);
        QFETCH(QString, idSource);
        QFETCH(QStringList, details);
        const DecodedPayload payload = PayloadDecoder::decode(body, headers.value("Content-Type"));
        const auto identity = identify(static_cast<SignatureScheme>(scheme), headers, payload);
        QCOMPARE(identity.eventType, eventType);
        QCOMPARE(identity.eventId, eventId);
        if (!eventId.isEmpty())
            QCOMPARE(identity.eventIdSource.describe(), idSource);
        QCOMPARE(detailsOf(identity), details);
    }

    void hostedHooksIdentifiers_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("eventType");
        QTest::addColumn<QString>("eventId");
        QTest::addColumn<QString>("subscriberId");
        QTest::newRow("message envelope")
            << QByteArray(
                   R"({"version":"1.0","event_type":"subscriber.created","event_id":"evt_1","data":{"id":"sub_1"}})")
            << QStringLiteral("subscriber.created") << QStringLiteral("evt_1")
            << QStringLiteral("sub_1");
        QTest::newRow("attempt envelope")
            << QByteArray(
                   R"({"type":"subscriber.created","id":"evt_2","version":"1.0","created":"2026-01-01","data":{"subscriber_id":"sub_2"}})")
            << QStringLiteral("subscriber.created") << QStringLiteral("evt_2")
            << QStringLiteral("sub_2");
        QTest::newRow("nested subscriber")
            << QByteArray(
                   R"({"event_type":"subscriber.created","event_id":"evt_3","data":{"subscriber":{"id":"sub_3","name":"Acme"}}})")
            << QStringLiteral("subscriber.created") << QStringLiteral("evt_3")
            << QStringLiteral("sub_3");
        QTest::newRow("numeric subscriber id")
            << QByteArray(
                   R"({"event_type":"subscriber.created","event_id":"evt_4","data":{"id":98765432109876543210}})")
            << QStringLiteral("subscriber.created") << QStringLiteral("evt_4")
            << QStringLiteral("98765432109876543210");
        QTest::newRow("other event has no subscriber")
            << QByteArray(R"({"event_type":"user.created","event_id":"evt_5","data":{"id":"u_1"}})")
            << QStringLiteral("user.created") << QStringLiteral("evt_5") << QString();
        QTest::newRow("event_type wins over type")
            << QByteArray(R"({"type":"a","event_type":"b","id":"x"})") << QStringLiteral("b")
            << QStringLiteral("x") << QString();
        QTest::newRow("a repeated key counts as written last")
            << QByteArray(
                   R"({"event_type":"a","event_type":"subscriber.created","id":"x","data":{"id":"s"}})")
            << QStringLiteral("subscriber.created") << QStringLiteral("x") << QStringLiteral("s");
        QTest::newRow("empty or container values are passed over")
            << QByteArray(R"({"event_type":"","type":"t","event_id":{"a":1},"id":"x"})")
            << QStringLiteral("t") << QStringLiteral("x") << QString();
    }

    // HostedHooks' envelopes, and the same paths for a sender of no known provider.
    void hostedHooksIdentifiers()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, eventType);
        QFETCH(QString, eventId);
        QFETCH(QString, subscriberId);
        const DecodedPayload payload = PayloadDecoder::decode(body);
        for (const SignatureScheme scheme : {SignatureScheme::HostedHooks, SignatureScheme::Auto}) {
            const auto identity = identify(scheme, {}, payload);
            QCOMPARE(identity.eventType, eventType);
            QCOMPARE(identity.eventId, eventId);
            QCOMPARE(identity.subscriberId, subscriberId);
        }
    }

    void whichProviderApplies_data()
    {
        QTest::addColumn<int>("endpointScheme");
        QTest::addColumn<QString>("verifiedScheme");
        QTest::addColumn<HeaderList>("headers");
        QTest::addColumn<int>("provider");
        const HeaderList github = headersOf({{"X-GitHub-Event", "push"}});
        QTest::newRow("the endpoint's scheme") << int(SignatureScheme::Shopify) << QString()
                                               << github << int(SignatureScheme::Shopify);
        QTest::newRow("the scheme auto picked")
            << int(SignatureScheme::Auto) << QStringLiteral("stripe") << github
            << int(SignatureScheme::Stripe);
        QTest::newRow("no scheme: event headers")
            << int(SignatureScheme::None) << QStringLiteral("none") << github
            << int(SignatureScheme::GitHub);
        QTest::newRow("auto without a signature: event headers")
            << int(SignatureScheme::Auto) << QStringLiteral("auto")
            << headersOf({{"X-Shopify-Topic", "orders/create"}}) << int(SignatureScheme::Shopify);
        QTest::newRow("generic-hmac: event headers")
            << int(SignatureScheme::GenericHmac) << QStringLiteral("generic-hmac")
            << headersOf({{"svix-id", "msg_1"}}) << int(SignatureScheme::Svix);
        QTest::newRow("signature headers before event headers")
            << int(SignatureScheme::None) << QString()
            << headersOf({{"webhook-id", "m"}, {"Stripe-Signature", "t=1,v1=a"}})
            << int(SignatureScheme::Stripe);
        QTest::newRow("nothing known")
            << int(SignatureScheme::None) << QString() << headersOf({{"X-Other", "1"}})
            << int(SignatureScheme::Auto);
    }

    void whichProviderApplies()
    {
        QFETCH(int, endpointScheme);
        QFETCH(QString, verifiedScheme);
        QFETCH(HeaderList, headers);
        QFETCH(int, provider);
        QCOMPARE(
            int(providerFor(static_cast<SignatureScheme>(endpointScheme), verifiedScheme, headers)),
            provider);
    }

    void genericIdHeaderComesFirst()
    {
        const auto identity =
            identify(SignatureScheme::Auto, headersOf({{"X-Request-Id", "req_9"}}),
                     PayloadDecoder::decode(R"({"id":"body_id","type":"t"})"), "X-Request-Id");
        QCOMPARE(identity.eventId, QStringLiteral("req_9"));
        QCOMPARE(identity.eventType, QStringLiteral("t"));
    }

    // The whole path a received request takes: a signed GitHub delivery to an auto endpoint, to
    // a github one, and to no endpoint at all.
    void receivedDeliveriesCarryTheProvidersIds()
    {
        const QByteArray body = R"({"ref":"refs/heads/main","id":12345})";
        const auto signature = SignatureSigner::sign(SignatureScheme::GitHub, "gh-secret", body,
                                                     1700000000, {}, {}, nullptr);
        QVERIFY(signature);
        RequestHead head;
        head.method = QStringLiteral("POST");
        head.target = QStringLiteral("/gh");
        head.httpVersion = QStringLiteral("1.1");
        head.headers = headersOf({{"Content-Type", "application/json"},
                                  {"X-GitHub-Event", "push"},
                                  {"X-GitHub-Delivery", GitHubDelivery}});
        for (const auto &[name, value] : signature->entries())
            head.headers.append(name, value);

        for (const SignatureScheme scheme : {SignatureScheme::Auto, SignatureScheme::GitHub}) {
            Endpoint endpoint;
            endpoint.name = QStringLiteral("gh");
            endpoint.path = QStringLiteral("/gh");
            endpoint.scheme = scheme;
            endpoint.secrets = {{QStringLiteral("primary"), "gh-secret"}};
            endpoint.toleranceSeconds = 0;
            const Delivery d = DeliveryProcessor::process(head, body, QStringLiteral("127.0.0.1"),
                                                          1700000000000, {endpoint});
            QCOMPARE(d.verification.verdict, Verdict::Valid);
            QCOMPARE(d.eventType, QStringLiteral("push"));
            QCOMPARE(d.eventId, QString::fromLatin1(GitHubDelivery));
        }
        const Delivery stray =
            DeliveryProcessor::process(head, body, QStringLiteral("127.0.0.1"), 1700000000000, {});
        QCOMPARE(stray.responseStatus, 404);
        QCOMPARE(stray.eventType, QStringLiteral("push"));
        QCOMPARE(stray.eventId, QString::fromLatin1(GitHubDelivery));
    }

    // A GitHub event can never be taken for HostedHooks' subscriber.created, whatever its body.
    void onlyHostedHooksShapedEventsNameASubscriber()
    {
        const auto identity = identify(
            SignatureScheme::GitHub, headersOf({{"X-GitHub-Event", "push"}}),
            PayloadDecoder::decode(R"({"event_type":"subscriber.created","data":{"id":"s"}})"));
        QCOMPARE(identity.eventType, QStringLiteral("push"));
        QVERIFY(identity.subscriberId.isEmpty());
    }

    // The README's table and the code's are one table: every source the code reads is named
    // in the README's table, on the row of its provider.
    void readmeTableMatchesTheCode()
    {
        QFile readme(QStringLiteral(HOOKSCOPE_SOURCE_DIR "/README.md"));
        QVERIFY(readme.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(readme.readAll());
        const qsizetype start = text.indexOf(QStringLiteral("| Provider | Event type |"));
        QVERIFY2(start >= 0, "README.md has no provider metadata table");
        const QStringList rows = text.mid(start).section(QStringLiteral("\n\n"), 0, 0).split(u'\n');
        for (const ProviderMetadata::Provider &provider : ProviderMetadata::table()) {
            const QString name = provider.scheme == SignatureScheme::Auto
                                     ? QStringLiteral("any other")
                                     : schemeName(provider.scheme);
            const auto row = std::find_if(rows.cbegin(), rows.cend(), [&name](const QString &r) {
                return r.startsWith(QStringLiteral("| ") + name + QStringLiteral(" |"));
            });
            QVERIFY2(row != rows.cend(), qPrintable(QStringLiteral("no row for ") + name));
            QList<ProviderMetadata::Source> sources =
                provider.eventType + provider.eventId + provider.sentAt;
            for (const ProviderMetadata::Detail &detail : provider.details)
                sources.append(detail.source);
            for (const ProviderMetadata::Source &source : sources) {
                const QString spelled = u'`' + source.name + u'`';
                QVERIFY2(row->contains(spelled),
                         qPrintable(name + QStringLiteral(": README lacks ") + spelled));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestProviderMetadata)
#include "tst_providermetadata.moc"
