#include "signatureverifier.h"

#include "hmac.h"
#include "jsonreserializer.h"
#include "payloaddecoder.h"
#include "signatureheaders.h"

#include <QDateTime>
#include <QList>

namespace {

enum class Match
{
    None,
    Exact,
    UpperCaseHex,  // hex in capitals where the provider sends lower case
    OtherEncoding, // base64 where hex was expected, or the reverse
};

QString describeSkew(qint64 skew)
{
    if (skew >= 0)
        return QStringLiteral("%1 s old").arg(skew);
    return QStringLiteral("%1 s in the future").arg(-skew);
}

QByteArray encode(const QByteArray &mac, SignatureEncoding encoding)
{
    return encoding == SignatureEncoding::Hex ? mac.toHex() : mac.toBase64();
}

std::optional<QByteArray> decodeBase64(const QByteArray &text)
{
    auto decoded = QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        decoded = QByteArray::fromBase64Encoding(text, QByteArray::Base64UrlEncoding |
                                                           QByteArray::AbortOnBase64DecodingErrors);
    }
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

bool isHex(QByteArrayView text)
{
    return !text.isEmpty() && text.size() % 2 == 0 &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

// Compares in the scheme's own encoding.
Match compare(const QByteArray &mac, const QList<QByteArray> &signatures,
              SignatureEncoding encoding)
{
    const QByteArray hex = mac.toHex();
    for (const QByteArray &signature : signatures) {
        if (encoding == SignatureEncoding::Hex) {
            if (Hmac::equalConstantTime(signature, hex))
                return Match::Exact;
            if (Hmac::equalConstantTime(signature.toLower(), hex))
                return Match::UpperCaseHex;
        } else {
            const auto decoded = decodeBase64(signature);
            if (decoded && Hmac::equalConstantTime(*decoded, mac))
                return Match::Exact;
        }
    }
    return Match::None;
}

// Compares in the other encoding: base64 where hex was expected, hex where base64 was.
Match compareOtherEncoding(const QByteArray &mac, const QList<QByteArray> &signatures,
                           SignatureEncoding encoding)
{
    for (const QByteArray &signature : signatures) {
        if (encoding == SignatureEncoding::Hex) {
            if (isHex(signature))
                continue;
            const auto decoded = decodeBase64(signature);
            if (decoded && Hmac::equalConstantTime(*decoded, mac))
                return Match::OtherEncoding;
        } else if (isHex(signature) &&
                   Hmac::equalConstantTime(QByteArray::fromHex(signature), mac)) {
            return Match::OtherEncoding;
        }
    }
    return Match::None;
}

QString algorithmLabel(Hmac::Algorithm algorithm)
{
    return QStringLiteral("HMAC-") + algorithmName(algorithm).toUpper();
}

// Unix seconds of an HTTP date (RFC 9110 IMF-fixdate), or nothing.
std::optional<qint64> httpDateSeconds(const QByteArray &value)
{
    QDateTime date = QDateTime::fromString(QString::fromLatin1(value.trimmed()), Qt::RFC2822Date);
    if (!date.isValid())
        return std::nullopt;
    return date.toSecsSinceEpoch();
}

bool looksLikeUnixTime(QByteArrayView text)
{
    return (text.size() == 10 || text.size() == 13) &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Svix's libraries accept Standard Webhooks' header names as their own; HookScope accepts
// either family for both schemes and says so when the delivery used the other scheme's.
QString otherHeaderFamily(SignatureScheme scheme, const SignatureClaim &claim)
{
    if (scheme == SignatureScheme::Svix && claim.headerName.startsWith("webhook-"))
        return QStringLiteral("Signed with the webhook-* headers of Standard Webhooks, which "
                              "svix accepts as its own.");
    if (scheme == SignatureScheme::StandardWebhooks && claim.headerName.startsWith("svix-"))
        return QStringLiteral("Signed with Svix's svix-* headers; the standardwebhooks "
                              "libraries read only webhook-*, so a receiver built on them "
                              "would refuse it.");
    return {};
}

} // namespace

Verification SignatureVerifier::verify(const Endpoint *endpoint, const HeaderList &headers,
                                       const QByteArray &body, qint64 nowSeconds,
                                       const QList<Endpoint> &allEndpoints)
{
    Verification v;
    if (!endpoint) {
        v.reason = QStringLiteral("No endpoint covers this path, so there is nothing to verify "
                                  "against.");
        return v;
    }
    SignatureScheme scheme = endpoint->scheme;
    if (scheme == SignatureScheme::None) {
        v.scheme = schemeName(scheme);
        v.reason = QStringLiteral("Endpoint \"%1\" uses no signature scheme.").arg(endpoint->name);
        return v;
    }
    QString autoNote;
    if (scheme == SignatureScheme::Auto) {
        const auto detected = SignatureHeaders::detect(headers);
        if (!detected) {
            v.scheme = schemeName(scheme);
            v.verdict = Verdict::Missing;
            v.reason = QStringLiteral("No signature header of a known scheme is present (looked "
                                      "for HostedHooks-Signature, Stripe-Signature, "
                                      "webhook-signature, svix-signature, X-Hub-Signature-256, "
                                      "X-Hub-Signature, X-Shopify-Hmac-Sha256 and "
                                      "X-Slack-Signature).");
            return v;
        }
        scheme = *detected;
        autoNote = QStringLiteral(" (Scheme %1 picked automatically from the headers.)")
                       .arg(schemeName(scheme));
    }
    v.scheme = schemeName(scheme);

    const SignatureClaim claim = SignatureHeaders::read(scheme, headers, endpoint->generic);
    v.received = claim.signatures.isEmpty() ? QString::fromLatin1(claim.headerValue)
                                            : QString::fromLatin1(claim.signatures.join(' '));
    if (!claim.usable()) {
        v.verdict = claim.problem;
        v.reason = claim.reason + autoNote;
        if (claim.problem == Verdict::Missing && !endpoint->hasSecret())
            v.reason += QStringLiteral(" The endpoint has no secret either.");
        return v;
    }
    v.timestamp = claim.timestamp;
    if (claim.timestamp)
        v.skewSeconds = nowSeconds - *claim.timestamp;

    const QByteArray signedBytes = SignatureHeaders::signedBytes(scheme, body, claim.timestampText,
                                                                 claim.id, endpoint->generic);
    v.signedString = Verification::displayBytes(signedBytes);

    if (!endpoint->hasSecret()) {
        v.verdict = Verdict::Unverified;
        v.reason = endpoint->secretProblem.isEmpty()
                       ? QStringLiteral("Endpoint \"%1\" has no secret, so the signature was "
                                        "not checked.")
                             .arg(endpoint->name)
                       : QStringLiteral("The signature was not checked: for endpoint \"%1\", "
                                        "%2.")
                             .arg(endpoint->name, endpoint->secretProblem);
        v.reason += autoNote;
        return v;
    }

    Match match = Match::None;
    for (const EndpointSecret &secret : endpoint->secrets) {
        const QByteArray mac = Hmac::compute(
            claim.algorithm, SignatureHeaders::keyFor(scheme, secret.value), signedBytes);
        if (v.expected.isEmpty())
            v.expected = QString::fromLatin1(encode(mac, claim.encoding));
        match = compare(mac, claim.signatures, claim.encoding);
        // HostedHooks documents hex; a base64 signature that matches is accepted and remarked.
        if (match == Match::None && scheme == SignatureScheme::HostedHooks)
            match = compareOtherEncoding(mac, claim.signatures, claim.encoding);
        if (match != Match::None) {
            v.expected = QString::fromLatin1(encode(mac, claim.encoding));
            v.matchedSecret = secret.label;
            break;
        }
    }

    const bool withinTolerance = !v.skewSeconds || endpoint->toleranceSeconds <= 0 ||
                                 (*v.skewSeconds <= endpoint->toleranceSeconds &&
                                  -*v.skewSeconds <= endpoint->toleranceSeconds);

    if (match == Match::None) {
        v.verdict = Verdict::Invalid;
        v.reason =
            QStringLiteral("The signature does not match: %1 of %2 (a body of %3 bytes) with "
                           "%4 gives a different value.")
                .arg(algorithmLabel(claim.algorithm),
                     SignatureHeaders::signedDescription(scheme, endpoint->generic))
                .arg(body.size())
                .arg(endpoint->secrets.size() == 1
                         ? QStringLiteral("the endpoint's secret")
                         : QStringLiteral("each of the endpoint's %1 secrets")
                               .arg(endpoint->secrets.size()));
        if (const QString family = otherHeaderFamily(scheme, claim); !family.isEmpty())
            v.reason += u' ' + family;
        v.diagnosis = diagnose(scheme, claim, *endpoint, headers, body, allEndpoints);
        if (v.diagnosis.isEmpty())
            v.reason += QStringLiteral(" No common mistake explains it: check that the secret is "
                                       "the endpoint's current signing secret.");
        if (!endpoint->secretProblem.isEmpty())
            v.reason += QStringLiteral(" Not tried: %1.").arg(endpoint->secretProblem);
        if (!withinTolerance)
            v.reason +=
                QStringLiteral(" The timestamp is also %1.").arg(describeSkew(*v.skewSeconds));
        v.reason += autoNote;
        return v;
    }
    if (!withinTolerance) {
        v.verdict = Verdict::Stale;
        v.reason = QStringLiteral("The signature matches, but the timestamp is %1 (tolerance %2 "
                                  "s): a replay, a delayed retry or a wrong clock.")
                       .arg(describeSkew(*v.skewSeconds))
                       .arg(endpoint->toleranceSeconds) +
                   autoNote;
        if (claim.timestampText.size() == 13)
            v.diagnosis = QStringLiteral("The timestamp has 13 digits: it is in milliseconds, "
                                         "where %1 uses seconds.")
                              .arg(schemeName(scheme));
        return v;
    }
    v.verdict = Verdict::Valid;
    if (const QString family = otherHeaderFamily(scheme, claim); !family.isEmpty())
        v.reason = family + u' ';
    if (match == Match::UpperCaseHex)
        v.reason += QStringLiteral("The signature matches, written in upper-case hex.");
    else if (match == Match::OtherEncoding)
        v.reason += QStringLiteral("The signature matches, but it is base64-encoded; %1 documents "
                                   "hex.")
                        .arg(schemeName(scheme));
    v.reason += autoNote;
    v.reason = v.reason.trimmed();
    return v;
}

QString SignatureVerifier::diagnose(SignatureScheme scheme, const SignatureClaim &claim,
                                    const Endpoint &endpoint, const HeaderList &headers,
                                    const QByteArray &body, const QList<Endpoint> &allEndpoints)
{
    const GenericHmacOptions &generic = endpoint.generic;
    auto macMatches = [&](const QByteArray &key, const QByteArray &signedBytes) {
        return compare(Hmac::compute(claim.algorithm, key, signedBytes), claim.signatures,
                       claim.encoding) != Match::None;
    };
    // The label of the endpoint secret under which `signedBytes` matches, or a null QString.
    auto anySecret = [&](const QByteArray &signedBytes) {
        for (const EndpointSecret &secret : endpoint.secrets) {
            if (macMatches(SignatureHeaders::keyFor(scheme, secret.value), signedBytes))
                return secret.label;
        }
        return QString();
    };
    auto signedWith = [&](const QByteArray &differentBody, const QByteArray &timestamp) {
        return SignatureHeaders::signedBytes(scheme, differentBody, timestamp, claim.id, generic);
    };
    const QByteArray asSigned = signedWith(body, claim.timestampText);

    // 1. Another endpoint's secret.
    for (const Endpoint &other : allEndpoints) {
        if (other.name == endpoint.name)
            continue;
        for (const EndpointSecret &secret : other.secrets) {
            if (macMatches(SignatureHeaders::keyFor(scheme, secret.value), asSigned))
                return QStringLiteral("The signature was made with the secret of endpoint \"%1\" "
                                      "(%2), not with this endpoint's.")
                    .arg(other.name, secret.label);
        }
    }

    // 2. The body gained or lost a trailing newline between signing and arrival.
    QList<QPair<QByteArray, QString>> bodyVariants{
        {body + '\n', QStringLiteral("The sender signed the body with a trailing newline that did "
                                     "not arrive: something between them removed it.")},
        {body + "\r\n", QStringLiteral("The sender signed the body with a trailing \\r\\n that "
                                       "did not arrive: something between them removed it.")},
    };
    if (body.endsWith("\r\n"))
        bodyVariants.append(
            {body.chopped(2), QStringLiteral("A trailing \\r\\n was added to the body after it was "
                                             "signed (by a proxy or a test tool).")});
    if (body.endsWith('\n'))
        bodyVariants.append({body.chopped(1),
                             QStringLiteral("A trailing newline was added to the body after it was "
                                            "signed (by a proxy, an editor or a test tool such as "
                                            "curl --data @file).")});
    for (const auto &[variant, diagnosis] : bodyVariants) {
        if (!anySecret(signedWith(variant, claim.timestampText)).isNull())
            return diagnosis;
    }

    // 3. The secret used verbatim where it should be decoded, or the reverse.
    const bool decodesSecret =
        scheme == SignatureScheme::StandardWebhooks || scheme == SignatureScheme::Svix;
    for (const EndpointSecret &secret : endpoint.secrets) {
        if (decodesSecret) {
            if (macMatches(secret.value, asSigned))
                return QStringLiteral(
                           "The signature was made with the secret string itself as the "
                           "key; %1 uses the base64 decoding of what follows \"whsec_\".")
                    .arg(schemeName(scheme));
            if (secret.value.startsWith("whsec_") && macMatches(secret.value.mid(6), asSigned))
                return QStringLiteral(
                           "The signature was made with the text after \"whsec_\" as the key, "
                           "without base64-decoding it; %1 uses its base64 decoding.")
                    .arg(schemeName(scheme));
        } else if (const auto decoded = SignatureHeaders::whsecDecoded(secret.value)) {
            if (macMatches(*decoded, asSigned))
                return QStringLiteral("The signature was made with the base64 decoding of the "
                                      "secret after \"whsec_\"; %1 uses the whole secret string, "
                                      "prefix included, as the key.")
                    .arg(schemeName(scheme));
        }
    }

    // 4. Hex where base64 was expected, or the reverse.
    for (const EndpointSecret &secret : endpoint.secrets) {
        const QByteArray mac = Hmac::compute(
            claim.algorithm, SignatureHeaders::keyFor(scheme, secret.value), asSigned);
        if (compareOtherEncoding(mac, claim.signatures, claim.encoding) != Match::None)
            return claim.encoding == SignatureEncoding::Hex
                       ? QStringLiteral("The signature is base64-encoded where %1 expects hex.")
                             .arg(schemeName(scheme))
                       : QStringLiteral("The signature is hex-encoded where %1 expects base64.")
                             .arg(schemeName(scheme));
    }

    // 5. The payload was re-serialised before signing.
    if (body.size() <= MaxReserializedBody) {
        QString jsonError;
        PayloadDecoder::decodeJson(body, &jsonError);
        if (jsonError.isEmpty()) {
            for (const JsonReserializer::Style &style : JsonReserializer::commonStyles()) {
                const QByteArray variant = JsonReserializer::rewrite(body, style);
                if (variant != body &&
                    !anySecret(signedWith(variant, claim.timestampText)).isNull())
                    return QStringLiteral(
                               "The signature was made over re-serialised JSON (%1) "
                               "instead of the raw bytes that were sent: sign and verify "
                               "the exact request body.")
                        .arg(style.description);
            }
        }
    }

    // 6. The timestamp signed is not the one in the header: milliseconds, or another header.
    if (!claim.timestampText.isEmpty()) {
        QList<QPair<QByteArray, QString>> timestamps;
        if (claim.timestamp) {
            timestamps.append({QByteArray::number(*claim.timestamp * 1000),
                               QStringLiteral("The signature was made with the timestamp in "
                                              "milliseconds; %1 carries seconds.")
                                   .arg(QString::fromLatin1(claim.timestampHeader))});
            if (claim.timestampText.size() == 13)
                timestamps.append(
                    {QByteArray::number(*claim.timestamp / 1000),
                     QStringLiteral("%1 carries the timestamp in milliseconds, but the "
                                    "signature was made with seconds.")
                         .arg(QString::fromLatin1(claim.timestampHeader))});
        }
        for (const auto &[name, value] : headers.entries()) {
            if (HeaderList::namesMatch(name, "Content-Length") ||
                value.trimmed() == claim.timestampText)
                continue;
            if (looksLikeUnixTime(value.trimmed()))
                timestamps.append(
                    {value.trimmed(),
                     QStringLiteral("The signature was made with the timestamp from the "
                                    "%1 header (%2) instead of %3.")
                         .arg(QString::fromLatin1(name), QString::fromLatin1(value.trimmed()),
                              QString::fromLatin1(claim.timestampHeader))});
            if (HeaderList::namesMatch(name, "Date")) {
                if (const auto seconds = httpDateSeconds(value))
                    timestamps.append(
                        {QByteArray::number(*seconds),
                         QStringLiteral("The signature was made with the time of the Date "
                                        "header instead of %1.")
                             .arg(QString::fromLatin1(claim.timestampHeader))});
            }
        }
        for (const auto &[timestamp, diagnosis] : timestamps) {
            if (!anySecret(signedWith(body, timestamp)).isNull())
                return diagnosis;
        }
    }
    return {};
}
