#include "storedverification.h"

#include "endpoint.h"
#include "signatureheaders.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

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

// `value` as a JSON string, in UTF-8.
void appendJsonString(QByteArray &out, const QString &value)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    const QByteArray utf8 = value.toUtf8();
    const bool plain = std::none_of(utf8.cbegin(), utf8.cend(), [](char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
    if (plain) {
        out += utf8;
        out += '"';
        return;
    }
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

} // namespace

namespace StoredVerification {

QByteArray encode(const Verification &verification, const HeaderList &headers, bool truncated)
{
    const auto scheme = truncated ? std::nullopt : recomputable(verification.scheme);
    // A claim that was not usable has no signed string, and none is computed on reading.
    const bool keepSignedString = !scheme || verification.signedString.isEmpty() !=
                                                 !SignatureHeaders::read(*scheme, headers).usable();
    // Written directly rather than through QJsonObject: this runs for every delivery, and the
    // object and its document cost several times the writing. The keys and values are those
    // of Verification::toJson(), which decode() reads back.
    QByteArray out;
    out.reserve(256 + (keepSignedString ? verification.signedString.size() : 0));
    out += '{';
    const auto key = [&out](const char *name) {
        if (out.size() > 1)
            out += ',';
        out += '"';
        out += name;
        out += "\":";
    };
    const auto text = [&out, &key](const char *name, const QString &value) {
        key(name);
        appendJsonString(out, value);
    };
    const auto number = [&out, &key](const char *name, const std::optional<qint64> &value) {
        key(name);
        out += value ? QByteArray::number(*value) : QByteArray("null");
    };
    text("verdict", verdictName(verification.verdict));
    text("scheme", verification.scheme);
    text("reason", verification.reason);
    if (keepSignedString)
        text("signed_string", verification.signedString);
    text("expected", verification.expected);
    text("received", verification.received);
    number("timestamp", verification.timestamp);
    number("skew_seconds", verification.skewSeconds);
    text("matched_secret", verification.matchedSecret);
    text("diagnosis", verification.diagnosis);
    out += '}';
    return out;
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
