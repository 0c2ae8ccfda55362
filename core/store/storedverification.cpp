#include "storedverification.h"

#include "endpoint.h"
#include "signatureheaders.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace {

const QString SignedStringKey = QStringLiteral("signed_string");

// The scheme whose signed string can be computed from the headers and body alone.
std::optional<SignatureScheme> recomputable(const QString &name)
{
    const auto scheme = schemeFromName(name);
    if (!scheme || *scheme == SignatureScheme::None || *scheme == SignatureScheme::Auto ||
        *scheme == SignatureScheme::GenericHmac)
        return std::nullopt;
    return scheme;
}

// As SignatureVerifier computes it: for a usable claim only.
QString signedString(SignatureScheme scheme, const HeaderList &headers, const QByteArray &body)
{
    const SignatureClaim claim = SignatureHeaders::read(scheme, headers);
    if (!claim.usable())
        return {};
    return Verification::displayBytes(
        SignatureHeaders::signedBytes(scheme, body, claim.timestampText, claim.id));
}

} // namespace

namespace StoredVerification {

QByteArray encode(const Verification &verification, const HeaderList &headers, bool truncated)
{
    QJsonObject object = verification.toJson();
    const auto scheme = truncated ? std::nullopt : recomputable(verification.scheme);
    // A claim that was not usable has no signed string, and none is computed on reading.
    if (scheme &&
        verification.signedString.isEmpty() == !SignatureHeaders::read(*scheme, headers).usable())
        object.remove(SignedStringKey);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

Verification decode(const QByteArray &json, const HeaderList &headers, const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    Verification verification = Verification::fromJson(object);
    if (!object.contains(SignedStringKey)) {
        if (const auto scheme = recomputable(verification.scheme))
            verification.signedString = signedString(*scheme, headers, body);
    }
    return verification;
}

} // namespace StoredVerification
