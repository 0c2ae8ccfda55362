#include "signaturesigner.h"

#include "hmac.h"
#include "signatureheaders.h"

std::optional<HeaderList> SignatureSigner::sign(SignatureScheme scheme, const QByteArray &secret,
                                                const QByteArray &body, qint64 timestamp,
                                                const QByteArray &messageId,
                                                const GenericHmacOptions &generic, QString *error)
{
    const QByteArray t = QByteArray::number(timestamp);
    auto mac = [&](Hmac::Algorithm algorithm, const QByteArray &signedBytes) {
        return Hmac::compute(algorithm, SignatureHeaders::keyFor(scheme, secret), signedBytes);
    };
    const QByteArray signedBytes =
        SignatureHeaders::signedBytes(scheme, body, t, messageId, generic);
    HeaderList headers;
    switch (scheme) {
    case SignatureScheme::HostedHooks:
        headers.append("HostedHooks-Signature",
                       "t=" + t + ",s=" + mac(Hmac::Algorithm::Sha256, signedBytes).toHex());
        return headers;
    case SignatureScheme::Stripe:
        headers.append("Stripe-Signature",
                       "t=" + t + ",v1=" + mac(Hmac::Algorithm::Sha256, signedBytes).toHex());
        return headers;
    case SignatureScheme::StandardWebhooks:
    case SignatureScheme::Svix: {
        const QByteArray prefix = scheme == SignatureScheme::Svix ? "svix-" : "webhook-";
        headers.append(prefix + "id", messageId);
        headers.append(prefix + "timestamp", t);
        headers.append(prefix + "signature",
                       "v1," + mac(Hmac::Algorithm::Sha256, signedBytes).toBase64());
        return headers;
    }
    case SignatureScheme::GitHub:
        headers.append("X-Hub-Signature-256",
                       "sha256=" + mac(Hmac::Algorithm::Sha256, signedBytes).toHex());
        return headers;
    case SignatureScheme::Shopify:
        headers.append("X-Shopify-Hmac-Sha256",
                       mac(Hmac::Algorithm::Sha256, signedBytes).toBase64());
        return headers;
    case SignatureScheme::Slack:
        headers.append("X-Slack-Request-Timestamp", t);
        headers.append("X-Slack-Signature",
                       "v0=" + mac(Hmac::Algorithm::Sha256, signedBytes).toHex());
        return headers;
    case SignatureScheme::GenericHmac: {
        if (generic.signedTemplate.contains("{timestamp}") && !generic.timestampHeader.isEmpty())
            headers.append(generic.timestampHeader, t);
        if (generic.signedTemplate.contains("{id}") && !generic.idHeader.isEmpty())
            headers.append(generic.idHeader, messageId);
        const QByteArray digest = mac(generic.algorithm, signedBytes);
        headers.append(generic.header, generic.prefix + (generic.encoding == SignatureEncoding::Hex
                                                             ? digest.toHex()
                                                             : digest.toBase64()));
        return headers;
    }
    case SignatureScheme::None:
    case SignatureScheme::Auto:
        break;
    }
    if (error)
        *error = QStringLiteral("the %1 scheme has no signature to make").arg(schemeName(scheme));
    return std::nullopt;
}

QList<QByteArray> SignatureSigner::signatureHeaders(SignatureScheme scheme,
                                                    const GenericHmacOptions &generic)
{
    switch (scheme) {
    case SignatureScheme::HostedHooks:
        return {"HostedHooks-Signature"};
    case SignatureScheme::Stripe:
        return {"Stripe-Signature"};
    case SignatureScheme::StandardWebhooks:
        return {"webhook-id", "webhook-timestamp", "webhook-signature"};
    case SignatureScheme::Svix:
        return {"svix-id", "svix-timestamp", "svix-signature"};
    case SignatureScheme::GitHub:
        return {"X-Hub-Signature-256", "X-Hub-Signature"};
    case SignatureScheme::Shopify:
        return {"X-Shopify-Hmac-Sha256"};
    case SignatureScheme::Slack:
        return {"X-Slack-Request-Timestamp", "X-Slack-Signature"};
    case SignatureScheme::GenericHmac: {
        QList<QByteArray> names{generic.header};
        if (!generic.timestampHeader.isEmpty())
            names.append(generic.timestampHeader);
        if (!generic.idHeader.isEmpty())
            names.append(generic.idHeader);
        return names;
    }
    case SignatureScheme::None:
    case SignatureScheme::Auto:
        break;
    }
    return {};
}

QStringList SignatureSigner::signingSchemeNames()
{
    QStringList names;
    for (const QString &name : schemeNames()) {
        if (name != schemeName(SignatureScheme::None) && name != schemeName(SignatureScheme::Auto))
            names.append(name);
    }
    return names;
}

QStringList SignatureSigner::autoSchemeNames()
{
    QStringList names;
    for (const auto &[header, scheme] : signatureHeaderSchemes()) {
        if (!names.contains(schemeName(scheme)))
            names.append(schemeName(scheme));
    }
    return names;
}

std::optional<SignatureScheme> SignatureSigner::schemeToSign(const Endpoint &endpoint,
                                                             const QString &verifiedScheme,
                                                             std::optional<SignatureScheme> chosen,
                                                             QString *error)
{
    auto fail = [error](const QString &message) -> std::optional<SignatureScheme> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    const bool isAuto = endpoint.scheme == SignatureScheme::Auto;
    const QString choices =
        (isAuto ? autoSchemeNames() : signingSchemeNames()).join(QStringLiteral(", "));
    if (chosen) {
        if (*chosen == SignatureScheme::None || *chosen == SignatureScheme::Auto ||
            (isAuto && *chosen == SignatureScheme::GenericHmac))
            return fail(QStringLiteral("endpoint \"%1\" would not verify a %2 signature; choose "
                                       "the scheme to sign with: %3")
                            .arg(endpoint.name, schemeName(*chosen), choices));
        return chosen;
    }
    if (endpoint.scheme == SignatureScheme::None)
        return fail(QStringLiteral("endpoint \"%1\" uses no signature scheme; choose the scheme "
                                   "to sign with: %2")
                        .arg(endpoint.name, choices));
    if (!isAuto)
        return endpoint.scheme;
    const auto verified = schemeFromName(verifiedScheme);
    if (verified && *verified != SignatureScheme::None && *verified != SignatureScheme::Auto)
        return verified;
    return fail(QStringLiteral("endpoint \"%1\" uses the auto scheme, which takes the scheme "
                               "from a delivery's signature headers, and %2; choose the scheme "
                               "to sign with: %3")
                    .arg(endpoint.name,
                         verifiedScheme.isEmpty()
                             ? QStringLiteral("a new sample has none")
                             : QStringLiteral("this delivery carries none it recognises"),
                         choices));
}
