#include "hmac.h"
#include "signatureverifier.h"
#include "testsupport.h"

#include <QMessageAuthenticationCode>
#include <QTest>

using TestSupport::hostedHooksSignature;
using TestSupport::opensslHmacSha256Hex;

namespace {

const QByteArray Secret = "hh_test_secret";
const QByteArray Body =
    R"({"event_type":"subscriber.created","event_id":"evt_1","data":{"id":"sub_1"}})";
constexpr qint64 Now = 1700000000;

Endpoint hostedHooksEndpoint(QList<EndpointSecret> secrets = {{QStringLiteral("main"), Secret}})
{
    Endpoint endpoint;
    endpoint.name = QStringLiteral("hh");
    endpoint.path = QStringLiteral("/hooks/hh");
    endpoint.scheme = SignatureScheme::HostedHooks;
    endpoint.secrets = std::move(secrets);
    return endpoint;
}

HeaderList signedHeaders(const QByteArray &headerName, const QByteArray &value)
{
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append(headerName, value);
    return headers;
}

} // namespace

class TestSignatureVerifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hmacAgreesWithQtsOwnAcrossKeysAndAlgorithms()
    {
        // Hmac keeps each thread's last few keyed contexts; keys and algorithms taken in turns,
        // more of them than it keeps, must each give what Qt's own HMAC gives.
        const std::pair<Hmac::Algorithm, QCryptographicHash::Algorithm> algorithms[] = {
            {Hmac::Algorithm::Sha1, QCryptographicHash::Sha1},
            {Hmac::Algorithm::Sha256, QCryptographicHash::Sha256},
            {Hmac::Algorithm::Sha512, QCryptographicHash::Sha512}};
        QList<QByteArray> keys{QByteArray(), QByteArray(200, 'k')};
        for (int i = 0; i < 12; ++i)
            keys.append("whsec_" + QByteArray::number(i));
        const QList<QByteArray> messages{QByteArray(), "1700000000.{\"a\":1}",
                                         QByteArray(5000, 'x')};
        for (int round = 0; round < 3; ++round) {
            for (const QByteArray &key : keys) {
                for (const auto &[ours, qts] : algorithms) {
                    for (const QByteArray &message : messages) {
                        QCOMPARE(Hmac::compute(ours, key, message),
                                 QMessageAuthenticationCode::hash(message, key, qts));
                    }
                }
            }
        }
    }

    void documentedVectorIsValid()
    {
        // SIGNATURES.md: t 1700000000, signed string "1700000000." + body.
        const QByteArray expected = opensslHmacSha256Hex(Secret, "1700000000." + Body);
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders("HostedHooks-Signature", "t=1700000000,s=" + expected), Body,
            Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QCOMPARE(v.scheme, QStringLiteral("hostedhooks"));
        QCOMPARE(v.expected, QString::fromLatin1(expected));
        QCOMPARE(v.received, QString::fromLatin1(expected));
        QCOMPARE(v.timestamp, std::optional<qint64>(1700000000));
        QCOMPARE(v.skewSeconds, std::optional<qint64>(0));
        QCOMPARE(v.matchedSecret, QStringLiteral("main"));
        QCOMPARE(v.signedString, QString::fromUtf8("1700000000." + Body));
    }

    void headerNameCapitalisation_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("documented") << QByteArray("HostedHooks-Signature");
        QTest::newRow("lower") << QByteArray("hostedhooks-signature");
        QTest::newRow("upper") << QByteArray("HOSTEDHOOKS-SIGNATURE");
        QTest::newRow("underscore") << QByteArray("HostedHooks_Signature");
        QTest::newRow("rack") << QByteArray("HOSTEDHOOKS_SIGNATURE");
    }

    void headerNameCapitalisation()
    {
        QFETCH(QByteArray, name);
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders(name, hostedHooksSignature(Secret, Now, Body)), Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
    }

    void upperCaseHexIsValid()
    {
        const QByteArray hex = opensslHmacSha256Hex(Secret, "1700000000." + Body).toUpper();
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders("HostedHooks-Signature", "t=1700000000,s=" + hex), Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
    }

    void base64SignatureIsValidAndSaysSo()
    {
        const QByteArray mac =
            QByteArray::fromHex(opensslHmacSha256Hex(Secret, "1700000000." + Body));
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders("HostedHooks-Signature", "t=1700000000,s=" + mac.toBase64()),
            Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QVERIFY2(v.reason.contains(QStringLiteral("base64")), qPrintable(v.reason));
    }

    void spacesAroundPartsAreAccepted()
    {
        const QByteArray hex = opensslHmacSha256Hex(Secret, "1700000000." + Body);
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders("HostedHooks-Signature", " t=1700000000 , s=" + hex + " "),
            Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
    }

    void tamperedBodyIsInvalid()
    {
        const Endpoint endpoint = hostedHooksEndpoint();
        QByteArray tampered = Body;
        tampered.replace("sub_1", "sub_2");
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now, Body)),
            tampered, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
        QVERIFY(!v.reason.isEmpty());
        QVERIFY(v.expected != v.received);
        QCOMPARE(v.expected,
                 QString::fromLatin1(opensslHmacSha256Hex(Secret, "1700000000." + tampered)));
        QVERIFY(v.matchedSecret.isEmpty());
    }

    void wrongSecretIsInvalid()
    {
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature("other", Now, Body)), Body,
            Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
        QVERIFY(v.reason.contains(QStringLiteral("does not match")));
    }

    void trailingNewlineInBodyIsInvalid()
    {
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now, Body)),
            Body + '\n', Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("invalid"));
    }

    void staleAndFutureTimestamps_data()
    {
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<QString>("verdict");
        QTest::newRow("just inside past") << qint64(-300) << QStringLiteral("valid");
        QTest::newRow("just inside future") << qint64(300) << QStringLiteral("valid");
        QTest::newRow("stale past") << qint64(-301) << QStringLiteral("stale");
        QTest::newRow("stale future") << qint64(3600) << QStringLiteral("stale");
        QTest::newRow("a day old") << qint64(-86400) << QStringLiteral("stale");
    }

    void staleAndFutureTimestamps()
    {
        QFETCH(qint64, offset);
        QFETCH(QString, verdict);
        const qint64 timestamp = Now + offset;
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, timestamp, Body)),
            Body, Now);
        QCOMPARE(verdictName(v.verdict), verdict);
        QCOMPARE(v.skewSeconds, std::optional<qint64>(-offset));
        if (verdict == u"stale") {
            QVERIFY2(v.reason.contains(QString::number(std::abs(offset))), qPrintable(v.reason));
            QVERIFY(
                v.reason.contains(offset > 0 ? QStringLiteral("future") : QStringLiteral("old")));
            QCOMPARE(v.matchedSecret, QStringLiteral("main"));
        }
    }

    void toleranceIsPerEndpoint()
    {
        Endpoint endpoint = hostedHooksEndpoint();
        endpoint.toleranceSeconds = 10;
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now - 11, Body)),
            Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("stale"));
    }

    void missingHeader()
    {
        const Endpoint endpoint = hostedHooksEndpoint();
        HeaderList headers;
        headers.append("X-Hub-Signature-256", "sha256=00");
        const Verification v = SignatureVerifier::verify(&endpoint, headers, Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("missing"));
        QVERIFY(v.reason.contains(QStringLiteral("HostedHooks-Signature")));
    }

    void malformedHeader_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("reasonContains");
        QTest::newRow("empty") << QByteArray("") << QStringLiteral("neither");
        QTest::newRow("garbage") << QByteArray("garbage") << QStringLiteral("neither");
        QTest::newRow("no signature") << QByteArray("t=1700000000") << QStringLiteral("\"s=\"");
        QTest::newRow("no timestamp") << QByteArray("s=abcdef") << QStringLiteral("\"t=\"");
        QTest::newRow("timestamp not a number")
            << QByteArray("t=yesterday,s=abcdef") << QStringLiteral("yesterday");
        QTest::newRow("timestamp overflows")
            << QByteArray("t=99999999999999999999999,s=abcdef") << QStringLiteral("too large");
    }

    void malformedHeader()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, reasonContains);
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint, signedHeaders("HostedHooks-Signature", value), Body, Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("malformed"));
        QVERIFY2(v.reason.contains(reasonContains), qPrintable(v.reason));
    }

    void endpointWithoutSecretIsUnverified()
    {
        const Endpoint endpoint = hostedHooksEndpoint({});
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now, Body)), Body,
            Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("unverified"));
        QVERIFY(v.reason.contains(QStringLiteral("no secret")));
    }

    void schemeNoneAndNoEndpointAreUnverified()
    {
        Endpoint endpoint = hostedHooksEndpoint();
        endpoint.scheme = SignatureScheme::None;
        QCOMPARE(SignatureVerifier::verify(&endpoint, {}, Body, Now).verdict, Verdict::Unverified);
        const Verification none = SignatureVerifier::verify(nullptr, {}, Body, Now);
        QCOMPARE(none.verdict, Verdict::Unverified);
        QVERIFY(none.reason.contains(QStringLiteral("No endpoint")));
    }

    void rotatedSecretsNameTheOneThatMatched()
    {
        const Endpoint endpoint = hostedHooksEndpoint(
            {{QStringLiteral("old"), "previous-secret"}, {QStringLiteral("new"), Secret}});
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now, Body)), Body,
            Now);
        QCOMPARE(verdictName(v.verdict), QStringLiteral("valid"));
        QCOMPARE(v.matchedSecret, QStringLiteral("new"));
    }

    void verificationSurvivesJson()
    {
        const Endpoint endpoint = hostedHooksEndpoint();
        const Verification v = SignatureVerifier::verify(
            &endpoint,
            signedHeaders("HostedHooks-Signature", hostedHooksSignature(Secret, Now - 999, Body)),
            Body, Now);
        QCOMPARE(Verification::fromJson(v.toJson()), v);
    }

    void signedStringEscapesControlBytes()
    {
        QCOMPARE(Verification::displayBytes("a\nb\r\x01\xff"),
                 QStringLiteral("a\\nb\\r\\x01\\xff"));
        QCOMPARE(Verification::displayBytes("caf\xc3\xa9"), QStringLiteral("café"));
        const QString cut = Verification::displayBytes(QByteArray(2000, 'x'), 10);
        QVERIFY(cut.startsWith(QStringLiteral("xxxxxxxxxx…")));
        QVERIFY(cut.contains(QStringLiteral("2000 bytes")));
    }
};

QTEST_GUILESS_MAIN(TestSignatureVerifier)
#include "tst_signatureverifier.moc"
