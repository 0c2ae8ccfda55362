#include "signatureverifier.h"

#include "hmac.h"

#include <QList>

namespace {

bool isHex(QByteArrayView text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

bool isDigits(QByteArrayView text)
{
    return !text.isEmpty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

QString describeSkew(qint64 skew)
{
    if (skew >= 0)
        return QStringLiteral("%1 s old").arg(skew);
    return QStringLiteral("%1 s in the future").arg(-skew);
}

struct HostedHooksHeaderValue
{
    QByteArray timestamp;
    QByteArray signature;
};

} // namespace

Verification SignatureVerifier::verify(const Endpoint *endpoint, const HeaderList &headers,
                                       const QByteArray &body, qint64 nowSeconds)
{
    Verification v;
    if (!endpoint) {
        v.reason = QStringLiteral("No endpoint covers this path, so there is nothing to verify "
                                  "against.");
        return v;
    }
    v.scheme = schemeName(endpoint->scheme);
    switch (endpoint->scheme) {
    case SignatureScheme::None:
        v.reason = QStringLiteral("Endpoint \"%1\" uses no signature scheme.").arg(endpoint->name);
        return v;
    case SignatureScheme::HostedHooks:
        return verifyHostedHooks(*endpoint, headers, body, nowSeconds);
    }
    return v;
}

Verification SignatureVerifier::verifyHostedHooks(const Endpoint &endpoint,
                                                  const HeaderList &headers, const QByteArray &body,
                                                  qint64 nowSeconds)
{
    Verification v;
    v.scheme = schemeName(SignatureScheme::HostedHooks);

    if (!headers.contains(HostedHooksHeader)) {
        v.verdict = Verdict::Missing;
        v.reason = QStringLiteral("The request has no HostedHooks-Signature header.");
        if (!endpoint.hasSecret())
            v.reason += QStringLiteral(" The endpoint has no secret either.");
        return v;
    }
    const QByteArray raw = headers.value(HostedHooksHeader);
    v.received = QString::fromLatin1(raw);

    // "t=<unix seconds>,s=<signature>": split on ',' and then on the first '='.
    HostedHooksHeaderValue parsed;
    QStringList unknown;
    for (const QByteArray &part : raw.split(',')) {
        const QByteArray item = part.trimmed();
        if (item.isEmpty())
            continue;
        const qsizetype equals = item.indexOf('=');
        if (equals <= 0) {
            unknown.append(QString::fromLatin1(item));
            continue;
        }
        const QByteArray key = item.left(equals).trimmed();
        const QByteArray value = item.mid(equals + 1).trimmed();
        if (key == "t")
            parsed.timestamp = value;
        else if (key == "s")
            parsed.signature = value;
    }
    if (parsed.timestamp.isEmpty() || parsed.signature.isEmpty() || !isDigits(parsed.timestamp)) {
        v.verdict = Verdict::Malformed;
        if (parsed.timestamp.isEmpty() && parsed.signature.isEmpty())
            v.reason = QStringLiteral("The HostedHooks-Signature header has neither \"t=\" nor "
                                      "\"s=\"; expected \"t=<unix seconds>,s=<hex signature>\".");
        else if (parsed.timestamp.isEmpty())
            v.reason = QStringLiteral("The HostedHooks-Signature header has no \"t=\" timestamp.");
        else if (parsed.signature.isEmpty())
            v.reason = QStringLiteral("The HostedHooks-Signature header has no \"s=\" signature.");
        else
            v.reason = QStringLiteral("The timestamp \"%1\" in the HostedHooks-Signature header "
                                      "is not a whole number of seconds.")
                           .arg(QString::fromLatin1(parsed.timestamp));
        return v;
    }

    bool timestampOk = false;
    const qint64 timestamp = parsed.timestamp.toLongLong(&timestampOk);
    if (!timestampOk) {
        v.verdict = Verdict::Malformed;
        v.reason = QStringLiteral("The timestamp \"%1\" is too large to be a Unix time.")
                       .arg(QString::fromLatin1(parsed.timestamp));
        return v;
    }
    v.timestamp = timestamp;
    v.skewSeconds = nowSeconds - timestamp;
    v.received = QString::fromLatin1(parsed.signature);

    const QByteArray signedBytes = parsed.timestamp + '.' + body;
    v.signedString = Verification::displayBytes(signedBytes);

    if (!endpoint.hasSecret()) {
        v.verdict = Verdict::Unverified;
        v.reason = QStringLiteral("Endpoint \"%1\" has no secret, so the signature was not "
                                  "checked.")
                       .arg(endpoint.name);
        return v;
    }

    const bool receivedIsHex = parsed.signature.size() == 64 && isHex(parsed.signature);
    const QByteArray receivedLower = parsed.signature.toLower();
    bool matched = false;
    bool matchedAsBase64 = false;
    for (const EndpointSecret &secret : endpoint.secrets) {
        const QByteArray mac = Hmac::compute(Hmac::Algorithm::Sha256, secret.value, signedBytes);
        const QByteArray hex = mac.toHex();
        if (v.expected.isEmpty())
            v.expected = QString::fromLatin1(hex);
        if (receivedIsHex && Hmac::equalConstantTime(hex, receivedLower)) {
            matched = true;
        } else if (!receivedIsHex) {
            const auto decoded = QByteArray::fromBase64Encoding(
                parsed.signature, QByteArray::AbortOnBase64DecodingErrors);
            if (decoded && Hmac::equalConstantTime(*decoded, mac)) {
                matched = true;
                matchedAsBase64 = true;
            }
        }
        if (matched) {
            v.expected = QString::fromLatin1(hex);
            v.matchedSecret = secret.label;
            break;
        }
    }

    const qint64 skew = *v.skewSeconds;
    const bool withinTolerance =
        endpoint.toleranceSeconds <= 0 ||
        (skew <= endpoint.toleranceSeconds && -skew <= endpoint.toleranceSeconds);
    if (!matched) {
        v.verdict = Verdict::Invalid;
        v.reason = QStringLiteral("The signature does not match: HMAC-SHA256 of the timestamp, "
                                  "\".\" and the raw body (%1 bytes) with %2 gives a different "
                                  "value.")
                       .arg(body.size())
                       .arg(endpoint.secrets.size() == 1
                                ? QStringLiteral("the endpoint's secret")
                                : QStringLiteral("each of the endpoint's %1 secrets")
                                      .arg(endpoint.secrets.size()));
        if (!receivedIsHex && parsed.signature.size() != 44)
            v.reason += QStringLiteral(" The received signature is %1 characters long; "
                                       "HostedHooks sends 64 hex characters.")
                            .arg(parsed.signature.size());
        if (!withinTolerance)
            v.reason += QStringLiteral(" The timestamp is also %1.").arg(describeSkew(skew));
        return v;
    }
    if (!withinTolerance) {
        v.verdict = Verdict::Stale;
        v.reason = QStringLiteral("The signature matches, but the timestamp is %1 (tolerance "
                                  "%2 s): a replay, a delayed retry or a wrong clock.")
                       .arg(describeSkew(skew))
                       .arg(endpoint.toleranceSeconds);
        return v;
    }
    v.verdict = Verdict::Valid;
    if (matchedAsBase64)
        v.reason = QStringLiteral("The signature matches, but it is base64-encoded; HostedHooks "
                                  "documents hex.");
    return v;
}
