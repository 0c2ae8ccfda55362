#pragma once

#include "hmacalgorithm.h"
#include "responsepolicy.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

enum class SignatureScheme
{
    None,
    Auto,
    HostedHooks,
    StandardWebhooks,
    Svix,
    Stripe,
    GitHub,
    Shopify,
    Slack,
    GenericHmac,
};

QString schemeName(SignatureScheme scheme);
std::optional<SignatureScheme> schemeFromName(const QString &name);
QStringList schemeNames();
// Each provider's signature header, in the order `auto` prefers when several are present.
const QList<QPair<QByteArray, SignatureScheme>> &signatureHeaderSchemes();

enum class SignatureEncoding
{
    Hex,
    Base64,
};

QString encodingName(SignatureEncoding encoding);
std::optional<SignatureEncoding> encodingFromName(const QString &name);
QString algorithmName(Hmac::Algorithm algorithm);
std::optional<Hmac::Algorithm> algorithmFromName(const QString &name);

// How a provider without a scheme of its own signs: which header, which digest, which bytes.
struct GenericHmacOptions
{
    QByteArray header = "X-Signature";
    QByteArray prefix; // e.g. "sha256=", stripped from the header value
    Hmac::Algorithm algorithm = Hmac::Algorithm::Sha256;
    SignatureEncoding encoding = SignatureEncoding::Hex;
    // What is signed: {body}, {timestamp} and {id} are replaced by the raw body and the values
    // of the timestamp and id headers.
    QByteArray signedTemplate = "{body}";
    QByteArray timestampHeader;
    QByteArray idHeader;

    QByteArray toJson() const;
    static GenericHmacOptions fromJson(const QByteArray &json);

    friend bool operator==(const GenericHmacOptions &, const GenericHmacOptions &) = default;
};

// One signing secret. Its label names it in verdicts so that the value never has to be shown.
struct EndpointSecret
{
    QString label;
    QByteArray value;
    // Set when the value is kept in the desktop keychain rather than in the database.
    bool inKeychain = false;

    friend bool operator==(const EndpointSecret &, const EndpointSecret &) = default;
};

// A place deliveries are sent to: requests whose path starts with `path` belong to it.
struct Endpoint
{
    static constexpr int DefaultToleranceSeconds = 300;

    qint64 id = 0;
    QString name;
    QString path = QStringLiteral("/");
    SignatureScheme scheme = SignatureScheme::None;
    QList<EndpointSecret> secrets;
    int toleranceSeconds = DefaultToleranceSeconds;
    GenericHmacOptions generic;
    // Where subscriber.created carries the subscriber id (a field path such as "data.id");
    // empty: data.id, data.subscriber_id or data.subscriber.id.
    QString subscriberPath;
    ResponsePolicy response;
    // The app under development to pass each delivery on to (exact bytes and headers, Host
    // rewritten); empty for none. With answerWithApp the sender gets the app's answer.
    QString forwardUrl;
    bool answerWithApp = false;
    // Why secrets of this endpoint could not be read from the keychain (they are left out of
    // `secrets`); empty when all were read.
    QString secretProblem;

    bool hasSecret() const { return !secrets.isEmpty(); }
    // Where the secrets are kept: "keychain", "database", "keychain and database", "unreadable"
    // (in a keychain that did not give them), or "" for no secret.
    QString secretStorage() const;

    // Paths are kept with one leading slash and no trailing one ("/" alone for the root).
    static QString normalizePath(const QString &path);
    // Whether `requestPath` (without query) lies under this endpoint's path on a segment
    // boundary: "/hooks" takes "/hooks" and "/hooks/a", not "/hooksx".
    bool covers(const QString &requestPath) const;
    // The endpoint with the longest path covering `requestPath`, or nullptr.
    static const Endpoint *match(const QList<Endpoint> &endpoints, const QString &requestPath);

    friend bool operator==(const Endpoint &, const Endpoint &) = default;
};
