#pragma once

#include "endpoint.h"
#include "headerlist.h"
#include "hmac.h"
#include "verification.h"

#include <optional>

// What a delivery's headers claim, read according to one scheme: the signatures to check and
// the timestamp and id that were signed with them.
struct SignatureClaim
{
    SignatureScheme scheme = SignatureScheme::None;
    // Missing or Malformed when the claim cannot be checked; Valid otherwise (checkable).
    Verdict problem = Verdict::Valid;
    QString reason;               // why, when there is a problem
    QByteArray headerName;        // the signature header as the scheme names it
    QByteArray headerValue;       // its value as received
    QList<QByteArray> signatures; // each candidate, without prefixes such as "v1," or "sha256="
    Hmac::Algorithm algorithm = Hmac::Algorithm::Sha256;
    SignatureEncoding encoding = SignatureEncoding::Hex;
    QByteArray timestampText; // empty when the scheme signs no timestamp
    std::optional<qint64> timestamp;
    QByteArray timestampHeader; // where the timestamp came from
    QByteArray id;              // Standard Webhooks / Svix message id, generic {id}

    bool usable() const { return problem == Verdict::Valid; }
};

namespace SignatureHeaders {

// Reads the headers the way `scheme` defines them. `Auto` is not a scheme to read: detect first.
SignatureClaim read(SignatureScheme scheme, const HeaderList &headers,
                    const GenericHmacOptions &generic = {});

// The scheme whose signature header is present, in a fixed order of preference.
std::optional<SignatureScheme> detect(const HeaderList &headers);

// The bytes a scheme signs for `body`, given the claim's timestamp and id.
QByteArray signedBytes(SignatureScheme scheme, const QByteArray &body, const QByteArray &timestamp,
                       const QByteArray &id, const GenericHmacOptions &generic = {});

// The HMAC key a scheme derives from a configured secret: Standard Webhooks and Svix use the
// base64 decoding of what follows "whsec_"; every other scheme uses the secret as given.
QByteArray keyFor(SignatureScheme scheme, const QByteArray &secret);
// The base64 decoding after "whsec_", if the secret has that shape.
std::optional<QByteArray> whsecDecoded(const QByteArray &secret);

// A description of what the scheme signs, for reasons: "timestamp + "." + raw body".
QString signedDescription(SignatureScheme scheme, const GenericHmacOptions &generic = {});

} // namespace SignatureHeaders
