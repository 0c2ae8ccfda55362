#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

enum class Verdict
{
    Valid,      // a secret's signature matches and the timestamp is within tolerance
    Invalid,    // a signature is present but no secret produces it
    Stale,      // the signature matches but the timestamp is outside the tolerance
    Missing,    // the scheme's signature header is absent
    Malformed,  // the signature header is present but cannot be parsed
    Unverified, // nothing to check against: no endpoint, scheme "none" or no secret
};

QString verdictName(Verdict verdict);
std::optional<Verdict> verdictFromName(const QString &name);

// Everything the verifier found out about one delivery, kept with it so that a failure can be
// explained later without the secret.
struct Verification
{
    Verdict verdict = Verdict::Unverified;
    QString scheme;
    // Why the verdict is what it is, in plain words; for a valid delivery, any remark.
    QString reason;
    // The exact bytes that were signed, escaped for display and cut to a readable length.
    QString signedString;
    QString expected;
    QString received;
    std::optional<qint64> timestamp;
    // Seconds the timestamp lies behind the receive time (negative: in the future).
    std::optional<qint64> skewSeconds;
    // Label of the secret that produced the signature; never the secret itself.
    QString matchedSecret;
    // For a failure: the mistake that explains it, found by trying the usual ones.
    QString diagnosis;

    QJsonObject toJson() const;
    static Verification fromJson(const QJsonObject &object);

    // Escapes control characters and invalid UTF-8 so that signed bytes can be shown as text.
    static QString displayBytes(QByteArrayView bytes, qsizetype maxBytes = 512);

    friend bool operator==(const Verification &, const Verification &) = default;
};
