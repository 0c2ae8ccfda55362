#include "providermetadata.h"

#include <QVarLengthArray>

namespace ProviderMetadata {

namespace {

Source header(const char *name)
{
    return {Source::Kind::Header, QString::fromLatin1(name)};
}

Source field(const char *path)
{
    return {Source::Kind::BodyField, QString::fromLatin1(path)};
}

QList<Provider> buildTable()
{
    // Sources, in the providers' documentation:
    // GitHub: docs.github.com "Webhook events and payloads", delivery headers.
    // Shopify: shopify.dev "About webhooks", headers X-Shopify-*.
    // Svix and Standard Webhooks: the Standard Webhooks specification (webhook-id is the
    //   message id, the same for every attempt; the payload's "type" is the event type).
    // Stripe: the Event object (id, type, created, api_version, account).
    // Slack: api.slack.com Events API (event_id, event.type, X-Slack-Retry-Num) and slash
    //   commands (form field "command").
    // HostedHooks: the message and attempt envelopes in SIGNATURES.md.
    const QList<Source> unknownType{field("event_type"), field("type")};
    const QList<Source> unknownId{field("event_id"), field("id")};
    return {
        {SignatureScheme::HostedHooks, unknownType, unknownId, {}, {field("created")}},
        {SignatureScheme::StandardWebhooks,
         {field("type"), field("event_type")},
         {header("webhook-id"), header("svix-id")},
         {},
         {header("webhook-timestamp"), header("svix-timestamp"), field("timestamp")}},
        {SignatureScheme::Svix,
         {field("type"), field("eventType"), field("event_type")},
         {header("svix-id"), header("webhook-id")},
         {},
         {header("svix-timestamp"), header("webhook-timestamp")}},
        {SignatureScheme::Stripe,
         {field("type")},
         {field("id")},
         {{QStringLiteral("account"), field("account")},
          {QStringLiteral("API version"), field("api_version")},
          {QStringLiteral("live mode"), field("livemode")}},
         {field("created")}},
        {SignatureScheme::GitHub,
         {header("X-GitHub-Event")},
         {header("X-GitHub-Delivery")},
         {{QStringLiteral("action"), field("action")},
          {QStringLiteral("hook id"), header("X-GitHub-Hook-ID")},
          {QStringLiteral("installation target"), header("X-GitHub-Hook-Installation-Target-Type")},
          {QStringLiteral("installation target id"),
           header("X-GitHub-Hook-Installation-Target-ID")}},
         {}},
        {SignatureScheme::Shopify,
         {header("X-Shopify-Topic")},
         {header("X-Shopify-Webhook-Id")},
         {{QStringLiteral("Shopify event"), header("X-Shopify-Event-Id")},
          {QStringLiteral("shop"), header("X-Shopify-Shop-Domain")},
          {QStringLiteral("API version"), header("X-Shopify-API-Version")}},
         {header("X-Shopify-Triggered-At")}},
        {SignatureScheme::Slack,
         {field("event.type"), field("type"), field("command")},
         {field("event_id")},
         {{QStringLiteral("retry"), header("X-Slack-Retry-Num")},
          {QStringLiteral("retry reason"), header("X-Slack-Retry-Reason")},
          {QStringLiteral("team"), field("team_id")}},
         {header("X-Slack-Request-Timestamp"), field("event_time")}},
        {SignatureScheme::Auto, unknownType, unknownId, {}, {}},
    };
}

bool isProvider(SignatureScheme scheme)
{
    return scheme != SignatureScheme::None && scheme != SignatureScheme::Auto &&
           scheme != SignatureScheme::GenericHmac;
}

// Finds the values at several field paths in one pass over the fields: the last scalar at
// each path counts (a repeated key counts as written last); empty, null and containers don't.
QStringList valuesAt(const DecodedPayload &payload, const QStringList &paths)
{
    QVarLengthArray<const DecodedField *, 16> found(paths.size(), nullptr);
    for (const DecodedField &f : payload.fields) {
        if (f.type == u"object" || f.type == u"array" || f.type == u"null")
            continue;
        for (qsizetype i = 0; i < paths.size(); ++i) {
            if (f.path == paths.at(i))
                found[i] = &f;
        }
    }
    QStringList values;
    values.reserve(paths.size());
    for (const DecodedField *f : found)
        values.append(f ? f->value : QString());
    return values;
}

} // namespace

QString Source::describe() const
{
    return kind == Kind::Header ? QStringLiteral("header %1").arg(name)
                                : QStringLiteral("body field %1").arg(name);
}

const QList<Provider> &table()
{
    static const QList<Provider> rows = buildTable();
    return rows;
}

const Provider &provider(SignatureScheme scheme)
{
    for (const Provider &row : table()) {
        if (row.scheme == scheme)
            return row;
    }
    return table().constLast();
}

SignatureScheme providerFor(SignatureScheme endpointScheme, const QString &verifiedScheme,
                            const HeaderList &headers)
{
    if (isProvider(endpointScheme))
        return endpointScheme;
    if (const auto verified = schemeFromName(verifiedScheme); verified && isProvider(*verified))
        return *verified;
    // Signature headers first, in the order auto prefers, then headers that name an event.
    for (const auto &[name, scheme] : signatureHeaderSchemes()) {
        if (headers.contains(name))
            return scheme;
    }
    static const QList<QPair<QByteArray, SignatureScheme>> eventHeaders{
        {"X-GitHub-Event", SignatureScheme::GitHub},
        {"X-Shopify-Topic", SignatureScheme::Shopify},
        {"svix-id", SignatureScheme::Svix},
        {"webhook-id", SignatureScheme::StandardWebhooks},
        {"X-Slack-Request-Timestamp", SignatureScheme::Slack},
    };
    for (const auto &[name, scheme] : eventHeaders) {
        if (headers.contains(name))
            return scheme;
    }
    return SignatureScheme::Auto;
}

Identity identify(SignatureScheme providerScheme, const HeaderList &headers,
                  const DecodedPayload &payload, const QByteArray &idHeader,
                  const QStringList &subscriberPaths)
{
    const Provider &row = provider(providerScheme);
    Identity identity;
    identity.provider = row.scheme;

    // Every body path this row and the subscriber id may want, looked up in one pass.
    const QStringList &subscriberAt =
        subscriberPaths.isEmpty() ? subscriberIdPaths() : subscriberPaths;
    QStringList paths;
    auto collect = [&paths](const QList<Source> &sources) {
        for (const Source &s : sources) {
            if (s.kind == Source::Kind::BodyField && !paths.contains(s.name))
                paths.append(s.name);
        }
    };
    collect(row.eventType);
    collect(row.eventId);
    collect(row.sentAt);
    for (const Detail &detail : row.details)
        collect({detail.source});
    for (const QString &path : subscriberAt) {
        if (!paths.contains(path))
            paths.append(path);
    }
    const QStringList values = valuesAt(payload, paths);

    auto valueOf = [&](const Source &source) {
        if (source.kind == Source::Kind::Header)
            return QString::fromLatin1(headers.value(source.name.toLatin1()).trimmed());
        return values.at(paths.indexOf(source.name));
    };
    auto firstOf = [&](const QList<Source> &sources, Source *from) {
        for (const Source &source : sources) {
            if (QString value = valueOf(source); !value.isEmpty()) {
                *from = source;
                return value;
            }
        }
        return QString();
    };

    identity.eventType = firstOf(row.eventType, &identity.eventTypeSource);
    QList<Source> idSources = row.eventId;
    if (!idHeader.isEmpty())
        idSources.prepend(Source{Source::Kind::Header, QString::fromLatin1(idHeader)});
    identity.eventId = firstOf(idSources, &identity.eventIdSource);

    for (const Detail &detail : row.details) {
        const QString value = valueOf(detail.source);
        const bool shown =
            std::any_of(identity.details.cbegin(), identity.details.cend(),
                        [&detail](const Found &f) { return f.label == detail.label; });
        if (!value.isEmpty() && !shown)
            identity.details.append({detail.label, value, detail.source});
    }
    Source sentFrom;
    if (const QString sent = firstOf(row.sentAt, &sentFrom); !sent.isEmpty())
        identity.details.append({QStringLiteral("sent at"), sent, sentFrom});

    if (identity.eventType == u"subscriber.created") {
        for (const QString &path : subscriberAt) {
            if (QString value = values.at(paths.indexOf(path)); !value.isEmpty()) {
                identity.subscriberId = value;
                break;
            }
        }
    }
    return identity;
}

QString Identity::typeSourceOf(const QString &storedType) const
{
    return !storedType.isEmpty() && storedType == eventType ? eventTypeSource.describe()
                                                            : QString();
}

QString Identity::idSourceOf(const QString &storedId) const
{
    return !storedId.isEmpty() && storedId == eventId ? eventIdSource.describe() : QString();
}

Identity identifyStored(const Delivery &delivery, const DecodedPayload &payload)
{
    return identify(
        providerFor(SignatureScheme::None, delivery.verification.scheme, delivery.headers),
        delivery.headers, payload);
}

const QStringList &subscriberIdPaths()
{
    static const QStringList paths{QStringLiteral("data.id"), QStringLiteral("data.subscriber_id"),
                                   QStringLiteral("data.subscriber.id")};
    return paths;
}

} // namespace ProviderMetadata
