#include "signatureheaders.h"

namespace {

bool isDigits(QByteArrayView text)
{
    return !text.isEmpty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

SignatureClaim problem(SignatureClaim claim, Verdict verdict, const QString &reason)
{
    claim.problem = verdict;
    claim.reason = reason;
    return claim;
}

QString latin(QByteArrayView text)
{
    return QString::fromLatin1(text.data(), text.size());
}

// Sets claim.timestamp from claim.timestampText; false (with the claim marked malformed) when
// the text is not a Unix time.
bool takeTimestamp(SignatureClaim &claim)
{
    if (!isDigits(claim.timestampText)) {
        claim =
            problem(claim, Verdict::Malformed,
                    QStringLiteral("The timestamp \"%1\" in %2 is not a whole number of seconds.")
                        .arg(latin(claim.timestampText), latin(claim.timestampHeader)));
        return false;
    }
    bool ok = false;
    const qint64 value = claim.timestampText.toLongLong(&ok);
    if (!ok) {
        claim = problem(claim, Verdict::Malformed,
                        QStringLiteral("The timestamp \"%1\" in %2 is too large to be a Unix time.")
                            .arg(latin(claim.timestampText), latin(claim.timestampHeader)));
        return false;
    }
    claim.timestamp = value;
    return true;
}

// "k1=v1,k2=v2,...": split on ',' then on the first '='. Returns (key, value) pairs.
QList<QPair<QByteArray, QByteArray>> keyValueList(const QByteArray &value)
{
    QList<QPair<QByteArray, QByteArray>> items;
    for (const QByteArray &part : value.split(',')) {
        const QByteArray item = part.trimmed();
        if (item.isEmpty())
            continue;
        const qsizetype equals = item.indexOf('=');
        if (equals <= 0)
            items.append({item, QByteArray()});
        else
            items.append({item.left(equals).trimmed(), item.mid(equals + 1).trimmed()});
    }
    return items;
}

SignatureClaim readTimestampedPairs(SignatureClaim claim, const HeaderList &headers,
                                    const QByteArray &signatureKey, const QString &expectedShape)
{
    if (!headers.contains(claim.headerName))
        return problem(
            claim, Verdict::Missing,
            QStringLiteral("The request has no %1 header.").arg(latin(claim.headerName)));
    claim.headerValue = headers.value(claim.headerName);
    claim.timestampHeader = claim.headerName + " t=";
    bool hasTimestamp = false;
    for (const auto &[key, value] : keyValueList(claim.headerValue)) {
        if (key == "t") {
            claim.timestampText = value;
            hasTimestamp = true;
        } else if (key == signatureKey && !value.isEmpty()) {
            claim.signatures.append(value);
        }
    }
    if (!hasTimestamp && claim.signatures.isEmpty())
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The %1 header has neither \"t=\" nor \"%2=\"; expected %3.")
                           .arg(latin(claim.headerName), latin(signatureKey), expectedShape));
    if (!hasTimestamp || claim.timestampText.isEmpty())
        return problem(
            claim, Verdict::Malformed,
            QStringLiteral("The %1 header has no \"t=\" timestamp.").arg(latin(claim.headerName)));
    if (claim.signatures.isEmpty())
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The %1 header has no \"%2=\" signature.")
                           .arg(latin(claim.headerName), latin(signatureKey)));
    takeTimestamp(claim);
    return claim;
}

SignatureClaim readHostedHooks(const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::HostedHooks;
    claim.headerName = "HostedHooks-Signature";
    claim.encoding = SignatureEncoding::Hex;
    return readTimestampedPairs(claim, headers, "s",
                                QStringLiteral("\"t=<unix seconds>,s=<hex signature>\""));
}

SignatureClaim readStripe(const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::Stripe;
    claim.headerName = "Stripe-Signature";
    claim.encoding = SignatureEncoding::Hex;
    claim = readTimestampedPairs(claim, headers, "v1",
                                 QStringLiteral("\"t=<unix seconds>,v1=<hex signature>\""));
    if (claim.problem == Verdict::Malformed && claim.headerValue.contains("v0="))
        claim.reason +=
            QStringLiteral(" Only a v0 (test-mode) signature is present; Stripe signs with v1.");
    return claim;
}

SignatureClaim readStandardWebhooks(SignatureScheme scheme, const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = scheme;
    // Svix sends svix-* headers and Standard Webhooks webhook-* ones, with the same meaning.
    // Either family is read, the scheme's own first (svix's libraries do the same).
    const QByteArray own = scheme == SignatureScheme::Svix ? "svix-" : "webhook-";
    const QByteArray other = scheme == SignatureScheme::Svix ? "webhook-" : "svix-";
    const QByteArray ownSignature = own + "signature";
    const QByteArray otherSignature = other + "signature";
    const QByteArray prefix =
        !headers.contains(ownSignature) && headers.contains(otherSignature) ? other : own;
    claim.headerName = prefix + "signature";
    claim.encoding = SignatureEncoding::Base64;
    claim.timestampHeader = prefix + "timestamp";
    if (!headers.contains(claim.headerName))
        return problem(claim, Verdict::Missing,
                       QStringLiteral("The request has no %1 header (nor %2).")
                           .arg(latin(claim.headerName), latin(otherSignature)));
    claim.headerValue = headers.value(claim.headerName);
    const QByteArray idHeader = prefix + "id";
    if (!headers.contains(idHeader))
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The %1 header is present but %2 is missing; it is part of "
                                      "what is signed.")
                           .arg(latin(claim.headerName), latin(idHeader)));
    if (!headers.contains(claim.timestampHeader))
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The %1 header is present but %2 is missing; it is part of "
                                      "what is signed.")
                           .arg(latin(claim.headerName), latin(claim.timestampHeader)));
    claim.id = headers.value(idHeader).trimmed();
    claim.timestampText = headers.value(claim.timestampHeader).trimmed();
    // "v1,<base64> v1,<base64> v1a,<...>": any v1 entry may match; other versions are skipped.
    QStringList otherVersions;
    for (const QByteArray &entry : claim.headerValue.split(' ')) {
        if (entry.isEmpty())
            continue;
        const qsizetype comma = entry.indexOf(',');
        if (comma <= 0) {
            return problem(claim, Verdict::Malformed,
                           QStringLiteral("The %1 entry \"%2\" is not \"<version>,<signature>\".")
                               .arg(latin(claim.headerName), latin(entry)));
        }
        if (entry.left(comma) == "v1")
            claim.signatures.append(entry.mid(comma + 1));
        else
            otherVersions.append(latin(entry.left(comma)));
    }
    if (claim.signatures.isEmpty())
        return problem(
            claim, Verdict::Malformed,
            otherVersions.isEmpty()
                ? QStringLiteral("The %1 header lists no signature.").arg(latin(claim.headerName))
                : QStringLiteral("The %1 header has no v1 signature (only %2).")
                      .arg(latin(claim.headerName), otherVersions.join(QStringLiteral(", "))));
    takeTimestamp(claim);
    return claim;
}

SignatureClaim readGitHub(const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::GitHub;
    claim.encoding = SignatureEncoding::Hex;
    QByteArray expectedPrefix;
    if (headers.contains("X-Hub-Signature-256")) {
        claim.headerName = "X-Hub-Signature-256";
        claim.algorithm = Hmac::Algorithm::Sha256;
        expectedPrefix = "sha256=";
    } else if (headers.contains("X-Hub-Signature")) {
        claim.headerName = "X-Hub-Signature";
        claim.algorithm = Hmac::Algorithm::Sha1;
        expectedPrefix = "sha1=";
    } else {
        claim.headerName = "X-Hub-Signature-256";
        return problem(claim, Verdict::Missing,
                       QStringLiteral("The request has neither X-Hub-Signature-256 nor the legacy "
                                      "X-Hub-Signature header."));
    }
    claim.headerValue = headers.value(claim.headerName).trimmed();
    if (!claim.headerValue.startsWith(expectedPrefix) ||
        claim.headerValue.size() == expectedPrefix.size())
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The %1 header should read \"%2<hex signature>\".")
                           .arg(latin(claim.headerName), latin(expectedPrefix)));
    claim.signatures.append(claim.headerValue.mid(expectedPrefix.size()));
    return claim;
}

SignatureClaim readShopify(const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::Shopify;
    claim.headerName = "X-Shopify-Hmac-Sha256";
    claim.encoding = SignatureEncoding::Base64;
    if (!headers.contains(claim.headerName))
        return problem(claim, Verdict::Missing,
                       QStringLiteral("The request has no X-Shopify-Hmac-Sha256 header."));
    claim.headerValue = headers.value(claim.headerName).trimmed();
    if (claim.headerValue.isEmpty())
        return problem(claim, Verdict::Malformed,
                       QStringLiteral("The X-Shopify-Hmac-Sha256 header is empty."));
    claim.signatures.append(claim.headerValue);
    return claim;
}

SignatureClaim readSlack(const HeaderList &headers)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::Slack;
    claim.headerName = "X-Slack-Signature";
    claim.encoding = SignatureEncoding::Hex;
    claim.timestampHeader = "X-Slack-Request-Timestamp";
    if (!headers.contains(claim.headerName))
        return problem(claim, Verdict::Missing,
                       QStringLiteral("The request has no X-Slack-Signature header."));
    claim.headerValue = headers.value(claim.headerName).trimmed();
    if (!claim.headerValue.startsWith("v0=") || claim.headerValue.size() == 3)
        return problem(
            claim, Verdict::Malformed,
            QStringLiteral("The X-Slack-Signature header should read \"v0=<hex signature>\"."));
    if (!headers.contains(claim.timestampHeader))
        return problem(
            claim, Verdict::Malformed,
            QStringLiteral("X-Slack-Signature is present but X-Slack-Request-Timestamp, which "
                           "is part of what is signed, is missing."));
    claim.signatures.append(claim.headerValue.mid(3));
    claim.timestampText = headers.value(claim.timestampHeader).trimmed();
    takeTimestamp(claim);
    return claim;
}

SignatureClaim readGeneric(const HeaderList &headers, const GenericHmacOptions &options)
{
    SignatureClaim claim;
    claim.scheme = SignatureScheme::GenericHmac;
    claim.headerName = options.header;
    claim.algorithm = options.algorithm;
    claim.encoding = options.encoding;
    if (options.header.isEmpty())
        return problem(
            claim, Verdict::Malformed,
            QStringLiteral("The endpoint's generic-hmac scheme names no signature header."));
    if (!headers.contains(options.header))
        return problem(claim, Verdict::Missing,
                       QStringLiteral("The request has no %1 header.").arg(latin(options.header)));
    claim.headerValue = headers.value(options.header).trimmed();
    QByteArray signature = claim.headerValue;
    if (!options.prefix.isEmpty()) {
        if (!signature.startsWith(options.prefix))
            return problem(claim, Verdict::Malformed,
                           QStringLiteral("The %1 header does not start with \"%2\".")
                               .arg(latin(options.header), latin(options.prefix)));
        signature = signature.mid(options.prefix.size());
    }
    if (signature.isEmpty())
        return problem(
            claim, Verdict::Malformed,
            QStringLiteral("The %1 header holds no signature.").arg(latin(options.header)));
    claim.signatures.append(signature);
    if (options.signedTemplate.contains("{timestamp}")) {
        claim.timestampHeader = options.timestampHeader;
        if (options.timestampHeader.isEmpty() || !headers.contains(options.timestampHeader))
            return problem(
                claim, Verdict::Malformed,
                QStringLiteral("The signed template uses {timestamp} but the request has no "
                               "%1 header.")
                    .arg(options.timestampHeader.isEmpty() ? QStringLiteral("timestamp")
                                                           : latin(options.timestampHeader)));
        claim.timestampText = headers.value(options.timestampHeader).trimmed();
        takeTimestamp(claim);
    }
    if (options.signedTemplate.contains("{id}")) {
        if (options.idHeader.isEmpty() || !headers.contains(options.idHeader))
            return problem(
                claim, Verdict::Malformed,
                QStringLiteral("The signed template uses {id} but the request has no %1 header.")
                    .arg(options.idHeader.isEmpty() ? QStringLiteral("id")
                                                    : latin(options.idHeader)));
        claim.id = headers.value(options.idHeader).trimmed();
    }
    return claim;
}

} // namespace

namespace SignatureHeaders {

SignatureClaim read(SignatureScheme scheme, const HeaderList &headers,
                    const GenericHmacOptions &generic)
{
    switch (scheme) {
    case SignatureScheme::HostedHooks:
        return readHostedHooks(headers);
    case SignatureScheme::Stripe:
        return readStripe(headers);
    case SignatureScheme::StandardWebhooks:
    case SignatureScheme::Svix:
        return readStandardWebhooks(scheme, headers);
    case SignatureScheme::GitHub:
        return readGitHub(headers);
    case SignatureScheme::Shopify:
        return readShopify(headers);
    case SignatureScheme::Slack:
        return readSlack(headers);
    case SignatureScheme::GenericHmac:
        return readGeneric(headers, generic);
    case SignatureScheme::None:
    case SignatureScheme::Auto:
        break;
    }
    SignatureClaim claim;
    claim.scheme = scheme;
    claim.problem = Verdict::Missing;
    claim.reason = QStringLiteral("No signature scheme applies.");
    return claim;
}

std::optional<SignatureScheme> detect(const HeaderList &headers)
{
    for (const auto &[header, scheme] : signatureHeaderSchemes()) {
        if (headers.contains(header))
            return scheme;
    }
    return std::nullopt;
}

QByteArray signedBytes(SignatureScheme scheme, const QByteArray &body, const QByteArray &timestamp,
                       const QByteArray &id, const GenericHmacOptions &generic)
{
    switch (scheme) {
    case SignatureScheme::HostedHooks:
    case SignatureScheme::Stripe:
        return timestamp + '.' + body;
    case SignatureScheme::StandardWebhooks:
    case SignatureScheme::Svix:
        return id + '.' + timestamp + '.' + body;
    case SignatureScheme::Slack:
        return "v0:" + timestamp + ':' + body;
    case SignatureScheme::GenericHmac: {
        // Replaced in one pass so that a body containing "{id}" is never substituted into.
        QByteArray out;
        const QByteArray &t = generic.signedTemplate;
        qsizetype i = 0;
        while (i < t.size()) {
            if (t.mid(i, 6) == "{body}") {
                out += body;
                i += 6;
            } else if (t.mid(i, 11) == "{timestamp}") {
                out += timestamp;
                i += 11;
            } else if (t.mid(i, 4) == "{id}") {
                out += id;
                i += 4;
            } else {
                out += t[i++];
            }
        }
        return out;
    }
    case SignatureScheme::GitHub:
    case SignatureScheme::Shopify:
    case SignatureScheme::None:
    case SignatureScheme::Auto:
        break;
    }
    return body;
}

std::optional<QByteArray> whsecDecoded(const QByteArray &secret)
{
    if (!secret.startsWith("whsec_"))
        return std::nullopt;
    const auto decoded =
        QByteArray::fromBase64Encoding(secret.mid(6), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return std::nullopt;
    return decoded.decoded;
}

QByteArray keyFor(SignatureScheme scheme, const QByteArray &secret)
{
    if (scheme == SignatureScheme::StandardWebhooks || scheme == SignatureScheme::Svix) {
        if (secret.startsWith("whsec_"))
            return whsecDecoded(secret).value_or(secret.mid(6));
        return QByteArray::fromBase64(secret);
    }
    return secret;
}

QString signedDescription(SignatureScheme scheme, const GenericHmacOptions &generic)
{
    switch (scheme) {
    case SignatureScheme::HostedHooks:
    case SignatureScheme::Stripe:
        return QStringLiteral("the timestamp, \".\" and the raw body");
    case SignatureScheme::StandardWebhooks:
    case SignatureScheme::Svix:
        return QStringLiteral("the message id, \".\", the timestamp, \".\" and the raw body");
    case SignatureScheme::Slack:
        return QStringLiteral("\"v0:\", the timestamp, \":\" and the raw body");
    case SignatureScheme::GenericHmac:
        return QStringLiteral("\"%1\"").arg(QString::fromUtf8(generic.signedTemplate));
    case SignatureScheme::GitHub:
    case SignatureScheme::Shopify:
    case SignatureScheme::None:
    case SignatureScheme::Auto:
        break;
    }
    return QStringLiteral("the raw body");
}

} // namespace SignatureHeaders
