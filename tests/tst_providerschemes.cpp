#include "signatureheaders.h"
#include "signaturesigner.h"
#include "signatureverifier.h"
#include "storedverification.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QTest>

using TestSupport::opensslHmac;

// moc reads "//" inside a raw string literal as a comment, so JSON holding URLs is spelled
// with ordinary string literals below.

namespace {

Endpoint endpointFor(SignatureScheme scheme, const QByteArray &secret, int tolerance = 300)
{
    Endpoint endpoint;
    endpoint.name = QStringLiteral("ep");
    endpoint.scheme = scheme;
    endpoint.secrets = {{QStringLiteral("primary"), secret}};
    endpoint.toleranceSeconds = tolerance;
    return endpoint;
}

HeaderList headersOf(const QList<QPair<QByteArray, QByteArray>> &pairs)
{
    HeaderList headers;
    for (const auto &[name, value] : pairs)
        headers.append(name, value);
    return headers;
}

// SIGNATURES.md vectors.
const QByteArray StandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QByteArray StandardId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const QByteArray StandardBody = R"({"test": 2432232314})";
const QByteArray StandardSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
constexpr qint64 StandardTime = 1614265330;

const QByteArray StripeSecret = "whsec_test_secret";
const QByteArray StripeBody = R"({"id":"evt_test_webhook","object":"event"})";
const QByteArray StripeSignature =
    "88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a";
constexpr qint64 StripeTime = 1492774577;

const QByteArray GitHubSecret = "It's a Secret to Everybody";
const QByteArray GitHubBody = "Hello, World!";
const QByteArray GitHubSignature =
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const QByteArray ShopifySecret = "shop-secret";
const QByteArray ShopifyBody = R"({"id":1})";
const QByteArray ShopifySignature = "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=";

const QByteArray SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const QByteArray SlackBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%"
    "2F96rGlfmibIGl"
    "gcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const QByteArray SlackSignature =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
constexpr qint64 SlackTime = 1531420618;

} // namespace

class TestProviderSchemes : public QObject
{
    Q_OBJECT

private:
    void addVectorRows()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<QByteArray>("secret");
        QTest::addColumn<HeaderList>("headers");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("now");

        QTest::newRow("standard-webhooks")
            << int(SignatureScheme::StandardWebhooks) << StandardSecret
            << headersOf({{"webhook-id", StandardId},
                          {"webhook-timestamp", "1614265330"},
                          {"webhook-signature", StandardSignature}})
            << StandardBody << StandardTime;
        QTest::newRow("svix") << int(SignatureScheme::Svix) << StandardSecret
                              << headersOf({{"svix-id", StandardId},
                                            {"svix-timestamp", "1614265330"},
                                            {"svix-signature", StandardSignature}})
                              << StandardBody << StandardTime;
        QTest::newRow("stripe") << int(SignatureScheme::Stripe) << StripeSecret
                                << headersOf(
                                       {{"Stripe-Signature", "t=1492774577,v1=" + StripeSignature}})
                                << StripeBody << StripeTime;
        QTest::newRow("github") << int(SignatureScheme::GitHub) << GitHubSecret
                                << headersOf({{"X-Hub-Signature-256", "sha256=" + GitHubSignature}})
                                << GitHubBody << qint64(0);
        QTest::newRow("github legacy sha1")
            << int(SignatureScheme::GitHub) << GitHubSecret
            << headersOf(
                   {{"X-Hub-Signature",
                     "sha1=" +
                         opensslHmac(QStringLiteral("sha1"), GitHubSecret, GitHubBody).toHex()}})
            << GitHubBody << qint64(0);
        QTest::newRow("shopify") << int(SignatureScheme::Shopify) << ShopifySecret
                                 << headersOf({{"X-Shopify-Hmac-Sha256", ShopifySignature}})
                                 << ShopifyBody << qint64(0);
        QTest::newRow("slack") << int(SignatureScheme::Slack) << SlackSecret
                               << headersOf({{"X-Slack-Request-Timestamp", "1531420618"},
                                             {"X-Slack-Signature", SlackSignature}})
                               << SlackBody << SlackTime;
        QTest::newRow("hostedhooks")
            << int(SignatureScheme::HostedHooks) << QByteArray("hh_test_secret")
            << headersOf(
                   {{"HostedHooks-Signature",
                     "t=1700000000,s=" +
                         opensslHmac(
                             QStringLiteral("sha256"), "hh_test_secret",
                             R"(1700000000.{"event_type":"subscriber.created","event_id":"evt_1","data":{"id":"sub_1"}})")
                             .toHex()}})
            << QByteArray(
                   R"({"event_type":"subscriber.created","event_id":"evt_1","data":{"id":"sub_1"}})")
            << qint64(1700000000);
    }

private Q_SLOTS:
    void documentedVectorsAreValid_data() { addVectorRows(); }

    void documentedVectorsAreValid()
    {
        QFETCH(int, scheme);
        QFETCH(QByteArray, secret);
        QFETCH(HeaderList, headers);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        const Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), secret);
        const Verification v = SignatureVerifier::verify(&endpoint, headers, body, now);
        QVERIFY2(v.verdict == Verdict::Valid, qPrintable(verdictName(v.verdict) + u' ' + v.reason));
        QCOMPARE(v.matchedSecret, QStringLiteral("primary"));
        QCOMPARE(v.scheme, schemeName(static_cast<SignatureScheme>(scheme)));
        // Kept in a row without its signed string, read back with it.
        QVERIFY(!v.signedString.isEmpty());
        QCOMPARE(StoredVerification::decode(StoredVerification::encode(v, headers, false), headers,
                                            body),
                 v);
    }

    void tamperedVectorsAreInvalid_data() { addVectorRows(); }

    void tamperedVectorsAreInvalid()
    {
        QFETCH(int, scheme);
        QFETCH(QByteArray, secret);
        QFETCH(HeaderList, headers);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        const Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), secret);
        QByteArray tampered = body;
        tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'x' ? 'y' : 'x';
        const Verification v = SignatureVerifier::verify(&endpoint, headers, tampered, now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
        QVERIFY(v.reason.contains(QStringLiteral("does not match")));
    }

    void autoDetectsEveryScheme_data() { addVectorRows(); }

    void autoDetectsEveryScheme()
    {
        QFETCH(int, scheme);
        QFETCH(QByteArray, secret);
        QFETCH(HeaderList, headers);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        const Endpoint endpoint = endpointFor(SignatureScheme::Auto, secret);
        const Verification v = SignatureVerifier::verify(&endpoint, headers, body, now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QCOMPARE(v.scheme, schemeName(static_cast<SignatureScheme>(scheme)));
        QVERIFY2(v.reason.contains(QStringLiteral("picked automatically")), qPrintable(v.reason));
        QCOMPARE(StoredVerification::decode(StoredVerification::encode(v, headers, false), headers,
                                            body),
                 v);
    }

    void autoWithoutAnyKnownHeaderIsMissing()
    {
        const Endpoint endpoint = endpointFor(SignatureScheme::Auto, "s");
        const Verification v =
            SignatureVerifier::verify(&endpoint, headersOf({{"X-Other", "1"}}), "{}", 0);
        QCOMPARE(v.verdict, Verdict::Missing);
        QVERIFY(v.reason.contains(QStringLiteral("Stripe-Signature")));
    }

    void toleranceInBothDirections_data()
    {
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<QString>("verdict");
        QTest::newRow("-300") << qint64(-300) << QStringLiteral("valid");
        QTest::newRow("+300") << qint64(300) << QStringLiteral("valid");
        QTest::newRow("-301") << qint64(-301) << QStringLiteral("stale");
        QTest::newRow("+301") << qint64(301) << QStringLiteral("stale");
    }

    void toleranceInBothDirections()
    {
        QFETCH(qint64, offset);
        QFETCH(QString, verdict);
        const HeaderList standard = headersOf({{"webhook-id", StandardId},
                                               {"webhook-timestamp", "1614265330"},
                                               {"webhook-signature", StandardSignature}});
        const Endpoint standardEndpoint =
            endpointFor(SignatureScheme::StandardWebhooks, StandardSecret);
        const Verification s = SignatureVerifier::verify(&standardEndpoint, standard, StandardBody,
                                                         StandardTime + offset);
        QCOMPARE(verdictName(s.verdict), verdict);
        QCOMPARE(s.skewSeconds, std::optional<qint64>(offset));

        const Endpoint slackEndpoint = endpointFor(SignatureScheme::Slack, SlackSecret);
        const Verification slack =
            SignatureVerifier::verify(&slackEndpoint,
                                      headersOf({{"X-Slack-Request-Timestamp", "1531420618"},
                                                 {"X-Slack-Signature", SlackSignature}}),
                                      SlackBody, SlackTime + offset);
        QCOMPARE(verdictName(slack.verdict), verdict);
        if (verdict == u"stale")
            QVERIFY(slack.reason.contains(QStringLiteral("301 s")));
    }

    void severalSignaturesInOneHeader()
    {
        const Endpoint standardEndpoint =
            endpointFor(SignatureScheme::StandardWebhooks, StandardSecret);
        const Verification s = SignatureVerifier::verify(
            &standardEndpoint,
            headersOf({{"webhook-id", StandardId},
                       {"webhook-timestamp", "1614265330"},
                       {"webhook-signature",
                        "v1a,ignored v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " +
                            StandardSignature}}),
            StandardBody, StandardTime);
        QCOMPARE(verdictName(s.verdict), QStringLiteral("valid"));

        const Endpoint stripeEndpoint = endpointFor(SignatureScheme::Stripe, StripeSecret);
        const Verification stripe = SignatureVerifier::verify(
            &stripeEndpoint,
            headersOf({{"Stripe-Signature", "t=1492774577,v1=" + QByteArray(64, '0') + ",v1=" +
                                                StripeSignature + ",v0=" + QByteArray(64, '1')}}),
            StripeBody, StripeTime);
        QCOMPARE(verdictName(stripe.verdict), QStringLiteral("valid"));
    }

    void rotatedSecretsNameTheMatch()
    {
        Endpoint endpoint = endpointFor(SignatureScheme::Stripe, "whsec_old");
        endpoint.secrets.append({QStringLiteral("$NEW_SECRET"), StripeSecret});
        const Verification v = SignatureVerifier::verify(
            &endpoint, headersOf({{"Stripe-Signature", "t=1492774577,v1=" + StripeSignature}}),
            StripeBody, StripeTime);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QCOMPARE(v.matchedSecret, QStringLiteral("$NEW_SECRET"));
        QVERIFY(!QString::fromUtf8(QJsonDocument(v.toJson()).toJson())
                     .contains(QString::fromLatin1(StripeSecret)));
    }

    void genericHmac()
    {
        Endpoint endpoint = endpointFor(SignatureScheme::GenericHmac, "generic-secret");
        endpoint.generic.header = "X-Acme-Signature";
        endpoint.generic.prefix = "sha512=";
        endpoint.generic.algorithm = Hmac::Algorithm::Sha512;
        endpoint.generic.encoding = SignatureEncoding::Base64;
        endpoint.generic.signedTemplate = "{id}:{timestamp}:{body}";
        endpoint.generic.timestampHeader = "X-Acme-Time";
        endpoint.generic.idHeader = "X-Acme-Id";
        const QByteArray body = R"({"a":"{id}"})";
        const QByteArray mac =
            opensslHmac(QStringLiteral("sha512"), "generic-secret", "42:1700000000:" + body);
        const HeaderList headers = headersOf({{"X-Acme-Id", "42"},
                                              {"X-Acme-Time", "1700000000"},
                                              {"X-Acme-Signature", "sha512=" + mac.toBase64()}});
        Verification v = SignatureVerifier::verify(&endpoint, headers, body, 1700000000);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QCOMPARE(v.signedString, QStringLiteral("42:1700000000:{\"a\":\"{id}\"}"));

        v = SignatureVerifier::verify(&endpoint, headersOf({{"X-Acme-Signature", "sha512=abc"}}),
                                      body, 0);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("malformed"));
        QVERIFY(v.reason.contains(QStringLiteral("X-Acme-Time")));
        v = SignatureVerifier::verify(&endpoint, headersOf({{"X-Acme-Signature", "md5=abc"}}), body,
                                      0);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("malformed"));
        v = SignatureVerifier::verify(&endpoint, {}, body, 0);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("missing"));
    }

    void malformedHeaders_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<HeaderList>("headers");
        QTest::addColumn<QString>("reasonContains");
        QTest::newRow("stripe without v1")
            << int(SignatureScheme::Stripe) << headersOf({{"Stripe-Signature", "t=1,v0=abc"}})
            << QStringLiteral("v0");
        QTest::newRow("stripe without t")
            << int(SignatureScheme::Stripe) << headersOf({{"Stripe-Signature", "v1=abc"}})
            << QStringLiteral("\"t=\"");
        QTest::newRow("standard without id")
            << int(SignatureScheme::StandardWebhooks)
            << headersOf({{"webhook-timestamp", "1"}, {"webhook-signature", "v1,abc"}})
            << QStringLiteral("webhook-id");
        QTest::newRow("standard with only v2") << int(SignatureScheme::StandardWebhooks)
                                               << headersOf({{"webhook-id", "m"},
                                                             {"webhook-timestamp", "1"},
                                                             {"webhook-signature", "v2,abc"}})
                                               << QStringLiteral("only v2");
        QTest::newRow("standard bad entry") << int(SignatureScheme::StandardWebhooks)
                                            << headersOf({{"webhook-id", "m"},
                                                          {"webhook-timestamp", "1"},
                                                          {"webhook-signature", "garbage"}})
                                            << QStringLiteral("<version>,<signature>");
        QTest::newRow("svix bad timestamp")
            << int(SignatureScheme::Svix)
            << headersOf(
                   {{"svix-id", "m"}, {"svix-timestamp", "soon"}, {"svix-signature", "v1,abc"}})
            << QStringLiteral("soon");
        QTest::newRow("github without prefix")
            << int(SignatureScheme::GitHub) << headersOf({{"X-Hub-Signature-256", "757107ea"}})
            << QStringLiteral("sha256=");
        QTest::newRow("slack without timestamp")
            << int(SignatureScheme::Slack) << headersOf({{"X-Slack-Signature", "v0=abc"}})
            << QStringLiteral("X-Slack-Request-Timestamp");
        QTest::newRow("slack wrong version")
            << int(SignatureScheme::Slack)
            << headersOf({{"X-Slack-Signature", "v1=abc"}, {"X-Slack-Request-Timestamp", "1"}})
            << QStringLiteral("v0=");
        QTest::newRow("shopify empty")
            << int(SignatureScheme::Shopify) << headersOf({{"X-Shopify-Hmac-Sha256", " "}})
            << QStringLiteral("empty");
    }

    void malformedHeaders()
    {
        QFETCH(int, scheme);
        QFETCH(HeaderList, headers);
        QFETCH(QString, reasonContains);
        const Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), "secret");
        const Verification v = SignatureVerifier::verify(&endpoint, headers, "{}", 1);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("malformed"));
        QVERIFY2(v.reason.contains(reasonContains), qPrintable(v.reason));
    }

    // Each row is a delivery that exhibits one mistake; the diagnosis must name it.
    void forensics_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<HeaderList>("headers");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<QString>("diagnosisContains");

        const QByteArray json =
            "{\"event\": \"user.created\", \"name\": \"Zoë\", \"url\": \"https://x.test/a\"}";
        auto stripe = [](const QByteArray &signedPayload, const QByteArray &key = StripeSecret) {
            return headersOf(
                {{"Stripe-Signature",
                  "t=1492774577,v1=" +
                      opensslHmac(QStringLiteral("sha256"), key, signedPayload).toHex()}});
        };

        QTest::newRow("trailing newline added after signing")
            << int(SignatureScheme::Stripe) << stripe("1492774577." + StripeBody)
            << StripeBody + '\n'
            << StripeTime << QStringLiteral("trailing newline was added");
        QTest::newRow("trailing newline lost on the way")
            << int(SignatureScheme::Stripe) << stripe("1492774577." + StripeBody + '\n')
            << StripeBody << StripeTime << QStringLiteral("did not arrive");
        QTest::newRow("trailing CRLF added after signing")
            << int(SignatureScheme::Stripe) << stripe("1492774577." + StripeBody)
            << StripeBody + "\r\n"
            << StripeTime << QStringLiteral("\\r\\n was added");
        QTest::newRow("stripe key decoded instead of verbatim")
            << int(SignatureScheme::Stripe)
            << stripe("1492774577." + StripeBody,
                      *SignatureHeaders::whsecDecoded("whsec_dGVzdF9zZWNyZXQ="))
            << StripeBody << StripeTime << QStringLiteral("whole secret string");
        QTest::newRow("standard webhooks key used verbatim")
            << int(SignatureScheme::StandardWebhooks)
            << headersOf({{"webhook-id", StandardId},
                          {"webhook-timestamp", "1614265330"},
                          {"webhook-signature",
                           "v1," + opensslHmac(QStringLiteral("sha256"), StandardSecret,
                                               StandardId + ".1614265330." + StandardBody)
                                       .toBase64()}})
            << StandardBody << StandardTime << QStringLiteral("secret string itself");
        QTest::newRow("base64 where hex is expected")
            << int(SignatureScheme::GitHub)
            << headersOf({{"X-Hub-Signature-256",
                           "sha256=" + QByteArray::fromHex(GitHubSignature).toBase64()}})
            << GitHubBody << qint64(0) << QStringLiteral("base64-encoded where github expects hex");
        QTest::newRow("hex where base64 is expected")
            << int(SignatureScheme::Shopify)
            << headersOf(
                   {{"X-Shopify-Hmac-Sha256", QByteArray::fromBase64(ShopifySignature).toHex()}})
            << ShopifyBody << qint64(0)
            << QStringLiteral("hex-encoded where shopify expects base64");
        QTest::newRow("compact JSON signed")
            << int(SignatureScheme::GitHub)
            << headersOf({{"X-Hub-Signature-256",
                           "sha256=" + opensslHmac(QStringLiteral("sha256"), GitHubSecret,
                                                   "{\"event\":\"user.created\",\"name\":\"Zoë\","
                                                   "\"url\":\"https://x.test/a\"}")
                                           .toHex()}})
            << json << qint64(0) << QStringLiteral("re-serialised JSON");
        QTest::newRow("PHP-escaped JSON signed")
            << int(SignatureScheme::GitHub)
            << headersOf(
                   {{"X-Hub-Signature-256",
                     "sha256=" + opensslHmac(QStringLiteral("sha256"), GitHubSecret,
                                             "{\"event\":\"user.created\",\"name\":\"Zo\\u00eb\","
                                             "\"url\":\"https:\\/\\/x.test\\/a\"}")
                                     .toHex()}})
            << json << qint64(0) << QStringLiteral("PHP");
        QTest::newRow("Python json.dumps signed")
            << int(SignatureScheme::GitHub)
            << headersOf({{"X-Hub-Signature-256",
                           "sha256=" + opensslHmac(QStringLiteral("sha256"), GitHubSecret,
                                                   "{\"a\": 1, \"b\": \"Zo\\u00eb\"}")
                                           .toHex()}})
            << QByteArray(R"({"a":1,"b":"Zoë"})") << qint64(0) << QStringLiteral("Python");
        QTest::newRow("timestamp signed in milliseconds")
            << int(SignatureScheme::Slack)
            << headersOf(
                   {{"X-Slack-Request-Timestamp", "1531420618"},
                    {"X-Slack-Signature", "v0=" + opensslHmac(QStringLiteral("sha256"), SlackSecret,
                                                              "v0:1531420618000:" + SlackBody)
                                                      .toHex()}})
            << SlackBody << SlackTime << QStringLiteral("milliseconds");
        QTest::newRow("timestamp taken from another header")
            << int(SignatureScheme::StandardWebhooks)
            << headersOf({{"webhook-id", StandardId},
                          {"webhook-timestamp", "1614265330"},
                          {"X-Request-Time", "1614265299"},
                          {"webhook-signature",
                           "v1," + opensslHmac(QStringLiteral("sha256"),
                                               *SignatureHeaders::whsecDecoded(StandardSecret),
                                               StandardId + ".1614265299." + StandardBody)
                                       .toBase64()}})
            << StandardBody << StandardTime << QStringLiteral("X-Request-Time");
    }

    void forensics()
    {
        QFETCH(int, scheme);
        QFETCH(HeaderList, headers);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        QFETCH(QString, diagnosisContains);
        QByteArray secret;
        switch (static_cast<SignatureScheme>(scheme)) {
        case SignatureScheme::Stripe:
            secret = QTest::currentDataTag() == QByteArray("stripe key decoded instead of verbatim")
                         ? QByteArray("whsec_dGVzdF9zZWNyZXQ=")
                         : StripeSecret;
            break;
        case SignatureScheme::StandardWebhooks:
            secret = StandardSecret;
            break;
        case SignatureScheme::GitHub:
            secret = GitHubSecret;
            break;
        case SignatureScheme::Shopify:
            secret = ShopifySecret;
            break;
        case SignatureScheme::Slack:
            secret = SlackSecret;
            break;
        default:
            QFAIL("no secret for scheme");
        }
        const Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), secret);
        const Verification v = SignatureVerifier::verify(&endpoint, headers, body, now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
        QVERIFY2(v.diagnosis.contains(diagnosisContains), qPrintable(v.diagnosis));
    }

    void signedWithAnotherEndpointsSecret()
    {
        Endpoint mine = endpointFor(SignatureScheme::Stripe, "whsec_mine");
        mine.name = QStringLiteral("staging");
        Endpoint theirs = endpointFor(SignatureScheme::Stripe, StripeSecret);
        theirs.name = QStringLiteral("production");
        const Verification v = SignatureVerifier::verify(
            &mine, headersOf({{"Stripe-Signature", "t=1492774577,v1=" + StripeSignature}}),
            StripeBody, StripeTime, {mine, theirs});
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
        QVERIFY2(v.diagnosis.contains(QStringLiteral("endpoint \"production\"")),
                 qPrintable(v.diagnosis));
        QVERIFY(!v.diagnosis.contains(QString::fromLatin1(StripeSecret)));
    }

    void unexplainedFailureSaysSo()
    {
        const Endpoint endpoint = endpointFor(SignatureScheme::Stripe, "whsec_unrelated");
        const Verification v = SignatureVerifier::verify(
            &endpoint, headersOf({{"Stripe-Signature", "t=1492774577,v1=" + StripeSignature}}),
            StripeBody, StripeTime);
        QCOMPARE(v.verdict, Verdict::Invalid);
        QVERIFY(v.diagnosis.isEmpty());
        QVERIFY(v.reason.contains(QStringLiteral("No common mistake")));
    }

    void eitherHeaderFamilyIsAccepted_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<QByteArray>("prefix");
        QTest::addColumn<QString>("remark");
        QTest::newRow("svix endpoint, svix headers")
            << int(SignatureScheme::Svix) << QByteArray("svix-") << QString();
        QTest::newRow("svix endpoint, webhook headers")
            << int(SignatureScheme::Svix) << QByteArray("webhook-")
            << QStringLiteral("webhook-* headers");
        QTest::newRow("standard-webhooks endpoint, webhook headers")
            << int(SignatureScheme::StandardWebhooks) << QByteArray("webhook-") << QString();
        QTest::newRow("standard-webhooks endpoint, svix headers")
            << int(SignatureScheme::StandardWebhooks) << QByteArray("svix-")
            << QStringLiteral("would refuse it");
    }

    // Both libraries read the other family's headers when their own are absent (svix's
    // Webhook.verify and standardwebhooks' Webhook.verify alike).
    void eitherHeaderFamilyIsAccepted()
    {
        QFETCH(int, scheme);
        QFETCH(QByteArray, prefix);
        QFETCH(QString, remark);
        const Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), StandardSecret);
        const HeaderList headers = headersOf({{prefix + "id", StandardId},
                                              {prefix + "timestamp", "1614265330"},
                                              {prefix + "signature", StandardSignature}});
        const Verification v =
            SignatureVerifier::verify(&endpoint, headers, StandardBody, StandardTime);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        if (remark.isEmpty())
            QVERIFY2(v.reason.isEmpty(), qPrintable(v.reason));
        else
            QVERIFY2(v.reason.contains(remark), qPrintable(v.reason));

        // A failure says which family it read too.
        const Verification tampered =
            SignatureVerifier::verify(&endpoint, headers, StandardBody + " ", StandardTime);
        QCOMPARE(verdictName(tampered.verdict), QStringLiteral("invalid"));
        QCOMPARE(tampered.reason.contains(remark), true);
    }

    void neitherHeaderFamilyIsMissingNamingBoth()
    {
        const Endpoint endpoint = endpointFor(SignatureScheme::Svix, StandardSecret);
        const Verification v =
            SignatureVerifier::verify(&endpoint, headersOf({{"Content-Type", "application/json"}}),
                                      StandardBody, StandardTime);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("missing"));
        QVERIFY2(v.reason.contains(QStringLiteral("svix-signature")) &&
                     v.reason.contains(QStringLiteral("webhook-signature")),
                 qPrintable(v.reason));
    }

    void whsecSecretUsedWithoutDecodingIsDiagnosed_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QString>("diagnosis");
        QTest::newRow("whole string as the key")
            << StandardSecret << QStringLiteral("secret string itself as the key");
        QTest::newRow("base64 text as the key")
            << StandardSecret.mid(6) << QStringLiteral("without base64-decoding it");
    }

    void whsecSecretUsedWithoutDecodingIsDiagnosed()
    {
        QFETCH(QByteArray, key);
        QFETCH(QString, diagnosis);
        const QByteArray mac =
            opensslHmac(QStringLiteral("sha256"), key,
                        StandardId + '.' + QByteArray::number(StandardTime) + '.' + StandardBody);
        for (const SignatureScheme scheme :
             {SignatureScheme::Svix, SignatureScheme::StandardWebhooks}) {
            const Endpoint endpoint = endpointFor(scheme, StandardSecret);
            const Verification v =
                SignatureVerifier::verify(&endpoint,
                                          headersOf({{"svix-id", StandardId},
                                                     {"svix-timestamp", "1614265330"},
                                                     {"svix-signature", "v1," + mac.toBase64()}}),
                                          StandardBody, StandardTime);
            QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
            QVERIFY2(v.diagnosis.contains(diagnosis), qPrintable(v.diagnosis));
        }
    }

    void upperCaseHexIsValidWithARemark()
    {
        const Endpoint endpoint = endpointFor(SignatureScheme::GitHub, GitHubSecret);
        const Verification v = SignatureVerifier::verify(
            &endpoint, headersOf({{"X-Hub-Signature-256", "sha256=" + GitHubSignature.toUpper()}}),
            GitHubBody, 0);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QVERIFY(v.reason.contains(QStringLiteral("upper-case")));
    }

    void signerAndVerifierAgree_data()
    {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<QByteArray>("secret");
        QTest::newRow("hostedhooks") << int(SignatureScheme::HostedHooks) << QByteArray("hh");
        QTest::newRow("standard-webhooks")
            << int(SignatureScheme::StandardWebhooks) << StandardSecret;
        QTest::newRow("svix") << int(SignatureScheme::Svix) << StandardSecret;
        QTest::newRow("stripe") << int(SignatureScheme::Stripe) << StripeSecret;
        QTest::newRow("github") << int(SignatureScheme::GitHub) << GitHubSecret;
        QTest::newRow("shopify") << int(SignatureScheme::Shopify) << ShopifySecret;
        QTest::newRow("slack") << int(SignatureScheme::Slack) << SlackSecret;
        QTest::newRow("generic-hmac") << int(SignatureScheme::GenericHmac) << QByteArray("g");
    }

    void signerAndVerifierAgree()
    {
        QFETCH(int, scheme);
        QFETCH(QByteArray, secret);
        Endpoint endpoint = endpointFor(static_cast<SignatureScheme>(scheme), secret);
        endpoint.generic.header = "X-Sig";
        endpoint.generic.signedTemplate = "{id}|{timestamp}|{body}";
        endpoint.generic.timestampHeader = "X-Time";
        endpoint.generic.idHeader = "X-Id";
        endpoint.generic.encoding = SignatureEncoding::Base64;
        const QByteArray body = R"({"event_type":"subscriber.created","data":{"id":"sub_1"}})";
        QString error;
        const auto headers = SignatureSigner::sign(endpoint.scheme, secret, body, 1700000000,
                                                   "msg_1", endpoint.generic, &error);
        QVERIFY2(headers.has_value(), qPrintable(error));
        QCOMPARE(
            verdictName(SignatureVerifier::verify(&endpoint, *headers, body, 1700000000).verdict),
            QStringLiteral("valid"));
        QCOMPARE(
            verdictName(
                SignatureVerifier::verify(&endpoint, *headers, body + ' ', 1700000000).verdict),
            QStringLiteral("invalid"));
        if (endpoint.scheme != SignatureScheme::GenericHmac) {
            const Endpoint automatic = endpointFor(SignatureScheme::Auto, secret);
            QCOMPARE(SignatureVerifier::verify(&automatic, *headers, body, 1700000000).verdict,
                     Verdict::Valid);
        }
        QVERIFY(!SignatureSigner::sign(SignatureScheme::None, secret, body, 0, {}, {}, &error)
                     .has_value());
    }

    void staleMillisecondTimestampIsDiagnosed()
    {
        const QByteArray body = "{}";
        const QByteArray ts = "1700000000000";
        const Endpoint endpoint = endpointFor(SignatureScheme::HostedHooks, "k");
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            headersOf({{"HostedHooks-Signature",
                        "t=" + ts + ",s=" +
                            opensslHmac(QStringLiteral("sha256"), "k", ts + '.' + body).toHex()}}),
            body, 1700000000);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("stale"));
        QVERIFY2(v.diagnosis.contains(QStringLiteral("milliseconds")), qPrintable(v.diagnosis));
    }
};

QTEST_GUILESS_MAIN(TestProviderSchemes)
#include "tst_providerschemes.moc"
