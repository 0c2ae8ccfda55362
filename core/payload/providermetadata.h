#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "headerlist.h"
#include "payloaddecoder.h"

#include <QList>
#include <QString>

// Where each provider puts what identifies a delivery: its event type, the id that stays the
// same across the attempts of one delivery, further ids worth showing, and when it was sent.
// Headers come first where the provider defines them, then the body. The table is
// ProviderMetadata::table(); the README prints the same table.
namespace ProviderMetadata {

// One place a value can come from: a request header, or a field path in the decoded body.
struct Source
{
    enum class Kind
    {
        Header,
        BodyField,
    };
    Kind kind = Kind::Header;
    QString name; // the header name, or the field path ("event.type")

    // "header X-GitHub-Event" or "body field event.type".
    QString describe() const;
};

// A value worth showing beside the event: "hook id" from X-GitHub-Hook-ID, say.
struct Detail
{
    QString label;
    Source source;
};

struct Provider
{
    // The scheme this row describes; Auto stands for deliveries of no known provider.
    SignatureScheme scheme = SignatureScheme::Auto;
    QList<Source> eventType; // the first that holds a non-empty value wins
    QList<Source> eventId;   // the same for every attempt of one delivery
    QList<Detail> details;
    QList<Source> sentAt; // when the provider sent or signed it
};

// Every provider HookScope knows, then the row for unknown senders (scheme Auto).
const QList<Provider> &table();
const Provider &provider(SignatureScheme scheme);

// Which provider's metadata applies: the endpoint's scheme when it names a provider, else the
// scheme the verifier picked (an auto endpoint), else the provider whose headers are present
// (signature headers first, then event headers such as X-GitHub-Event); Auto when none is.
SignatureScheme providerFor(SignatureScheme endpointScheme, const QString &verifiedScheme,
                            const HeaderList &headers);

// A found value and where it came from.
struct Found
{
    QString label;
    QString value;
    Source source;
};

struct Identity
{
    SignatureScheme provider = SignatureScheme::Auto;
    QString eventType;
    QString eventId;
    Source eventTypeSource;
    Source eventIdSource;
    // Set only for subscriber.created: the subscriber the event is about.
    QString subscriberId;
    // The provider's details that are present, and the time it was sent, in table order.
    QList<Found> details;

    // Where a stored event type or id came from ("header X-GitHub-Event"): the source of the
    // value found here when it is the stored one, else empty.
    QString typeSourceOf(const QString &storedType) const;
    QString idSourceOf(const QString &storedId) const;
};

// What `headers` and `payload` say about the delivery, read as `provider` defines it.
// `idHeader` (a generic-hmac endpoint's signed id header) is the event id when present.
// `subscriberPaths` replaces the default places of the subscriber id when not empty.
Identity identify(SignatureScheme provider, const HeaderList &headers,
                  const DecodedPayload &payload, const QByteArray &idHeader = {},
                  const QStringList &subscriberPaths = {});

// What the provider's table finds in a stored delivery, the provider taken from the scheme its
// verification names and from its headers (the endpoint may have changed since).
Identity identifyStored(const Delivery &delivery, const DecodedPayload &payload);

// Where HostedHooks puts the subscriber id of subscriber.created (see SIGNATURES.md).
const QStringList &subscriberIdPaths();

} // namespace ProviderMetadata
