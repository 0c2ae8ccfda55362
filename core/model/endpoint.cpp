#include "endpoint.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace {

struct SchemeEntry
{
    SignatureScheme scheme;
    const char *name;
};

constexpr SchemeEntry SchemeTable[] = {
    {SignatureScheme::HostedHooks, "hostedhooks"},
    {SignatureScheme::StandardWebhooks, "standard-webhooks"},
    {SignatureScheme::Svix, "svix"},
    {SignatureScheme::Stripe, "stripe"},
    {SignatureScheme::GitHub, "github"},
    {SignatureScheme::Shopify, "shopify"},
    {SignatureScheme::Slack, "slack"},
    {SignatureScheme::GenericHmac, "generic-hmac"},
    {SignatureScheme::Auto, "auto"},
    {SignatureScheme::None, "none"},
};

} // namespace

QString schemeName(SignatureScheme scheme)
{
    for (const SchemeEntry &entry : SchemeTable) {
        if (entry.scheme == scheme)
            return QString::fromLatin1(entry.name);
    }
    return QStringLiteral("none");
}

std::optional<SignatureScheme> schemeFromName(const QString &name)
{
    for (const SchemeEntry &entry : SchemeTable) {
        if (name.compare(QLatin1String(entry.name), Qt::CaseInsensitive) == 0)
            return entry.scheme;
    }
    return std::nullopt;
}

QStringList schemeNames()
{
    QStringList names;
    for (const SchemeEntry &entry : SchemeTable)
        names.append(QString::fromLatin1(entry.name));
    return names;
}

const QList<QPair<QByteArray, SignatureScheme>> &signatureHeaderSchemes()
{
    static const QList<QPair<QByteArray, SignatureScheme>> order{
        {"HostedHooks-Signature", SignatureScheme::HostedHooks},
        {"Stripe-Signature", SignatureScheme::Stripe},
        {"webhook-signature", SignatureScheme::StandardWebhooks},
        {"svix-signature", SignatureScheme::Svix},
        {"X-Hub-Signature-256", SignatureScheme::GitHub},
        {"X-Hub-Signature", SignatureScheme::GitHub},
        {"X-Shopify-Hmac-Sha256", SignatureScheme::Shopify},
        {"X-Slack-Signature", SignatureScheme::Slack},
    };
    return order;
}

QString encodingName(SignatureEncoding encoding)
{
    return encoding == SignatureEncoding::Base64 ? QStringLiteral("base64") : QStringLiteral("hex");
}

std::optional<SignatureEncoding> encodingFromName(const QString &name)
{
    if (name.compare(u"hex", Qt::CaseInsensitive) == 0)
        return SignatureEncoding::Hex;
    if (name.compare(u"base64", Qt::CaseInsensitive) == 0)
        return SignatureEncoding::Base64;
    return std::nullopt;
}

QString algorithmName(Hmac::Algorithm algorithm)
{
    switch (algorithm) {
    case Hmac::Algorithm::Sha1:
        return QStringLiteral("sha1");
    case Hmac::Algorithm::Sha256:
        return QStringLiteral("sha256");
    case Hmac::Algorithm::Sha512:
        return QStringLiteral("sha512");
    }
    return QStringLiteral("sha256");
}

std::optional<Hmac::Algorithm> algorithmFromName(const QString &name)
{
    for (Hmac::Algorithm algorithm :
         {Hmac::Algorithm::Sha1, Hmac::Algorithm::Sha256, Hmac::Algorithm::Sha512}) {
        if (name.compare(algorithmName(algorithm), Qt::CaseInsensitive) == 0)
            return algorithm;
    }
    return std::nullopt;
}

QByteArray GenericHmacOptions::toJson() const
{
    const QJsonObject object{
        {QStringLiteral("header"), QString::fromLatin1(header)},
        {QStringLiteral("prefix"), QString::fromLatin1(prefix)},
        {QStringLiteral("algorithm"), algorithmName(algorithm)},
        {QStringLiteral("encoding"), encodingName(encoding)},
        {QStringLiteral("template"), QString::fromUtf8(signedTemplate)},
        {QStringLiteral("timestamp_header"), QString::fromLatin1(timestampHeader)},
        {QStringLiteral("id_header"), QString::fromLatin1(idHeader)},
    };
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

GenericHmacOptions GenericHmacOptions::fromJson(const QByteArray &json)
{
    GenericHmacOptions options;
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.isEmpty())
        return options;
    options.header = object.value(QStringLiteral("header")).toString().toLatin1();
    options.prefix = object.value(QStringLiteral("prefix")).toString().toLatin1();
    options.algorithm = algorithmFromName(object.value(QStringLiteral("algorithm")).toString())
                            .value_or(Hmac::Algorithm::Sha256);
    options.encoding = encodingFromName(object.value(QStringLiteral("encoding")).toString())
                           .value_or(SignatureEncoding::Hex);
    options.signedTemplate = object.value(QStringLiteral("template")).toString().toUtf8();
    options.timestampHeader =
        object.value(QStringLiteral("timestamp_header")).toString().toLatin1();
    options.idHeader = object.value(QStringLiteral("id_header")).toString().toLatin1();
    return options;
}

QString Endpoint::normalizePath(const QString &path)
{
    QString result = path.trimmed();
    if (!result.startsWith(u'/'))
        result.prepend(u'/');
    while (result.size() > 1 && result.endsWith(u'/'))
        result.chop(1);
    return result;
}

bool Endpoint::covers(const QString &requestPath) const
{
    if (path == u"/")
        return true;
    if (!requestPath.startsWith(path))
        return false;
    return requestPath.size() == path.size() || requestPath.at(path.size()) == u'/';
}

const Endpoint *Endpoint::match(const QList<Endpoint> &endpoints, const QString &requestPath)
{
    const Endpoint *best = nullptr;
    for (const Endpoint &endpoint : endpoints) {
        if (endpoint.covers(requestPath) && (!best || endpoint.path.size() > best->path.size()))
            best = &endpoint;
    }
    return best;
}

QString Endpoint::secretStorage() const
{
    bool keychain = false;
    bool database = false;
    for (const EndpointSecret &secret : secrets)
        (secret.inKeychain ? keychain : database) = true;
    if (keychain && database)
        return QStringLiteral("keychain and database");
    if (keychain)
        return QStringLiteral("keychain");
    if (database)
        return QStringLiteral("database");
    return secretProblem.isEmpty() ? QString() : QStringLiteral("unreadable");
}
