#include "deliveryprocessor.h"

#include "payloaddecoder.h"
#include "providermetadata.h"
#include "signatureverifier.h"

#include <QJsonDocument>
#include <QJsonObject>

std::optional<SubscriberUpdate> DeliveryProcessor::subscriberUpdate(const Delivery &delivery,
                                                                    const DecodedPayload &payload)
{
    // Only a delivery that verified, or that could not be verified for want of a secret, may
    // change the mapping; a failed verification never does.
    const Verdict verdict = delivery.verification.verdict;
    if (delivery.eventType != u"subscriber.created" || delivery.subscriberId.isEmpty() ||
        delivery.endpoint.isEmpty() ||
        (verdict != Verdict::Valid && verdict != Verdict::Unverified))
        return std::nullopt;
    SubscriberUpdate update;
    update.subscriberId = delivery.subscriberId;
    update.verified = verdict == Verdict::Valid;
    QJsonObject fields;
    for (const DecodedField &field : payload.fields) {
        if (!field.path.startsWith(QStringLiteral("data.")) || field.type == u"object" ||
            field.type == u"array" || fields.size() >= MaxSubscriberFields)
            continue;
        fields.insert(field.path.mid(5), field.value);
    }
    update.fields = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    update.data = PayloadDecoder::rawMember(delivery.body, QStringLiteral("data"));
    return update;
}

Delivery DeliveryProcessor::process(const RequestHead &head, const QByteArray &body,
                                    const QString &remoteAddress, qint64 receivedAtMs,
                                    const QList<Endpoint> &endpoints)
{
    Delivery delivery;
    delivery.receivedAtMs = receivedAtMs;
    delivery.remoteAddress = remoteAddress;
    delivery.method = head.method;
    delivery.path = head.target;
    delivery.httpVersion = head.httpVersion;
    delivery.headers = head.headers;
    delivery.body = body;

    const Endpoint *endpoint = Endpoint::match(endpoints, delivery.pathWithoutQuery());
    if (endpoint)
        delivery.endpoint = endpoint->name;
    delivery.verification =
        SignatureVerifier::verify(endpoint, delivery.headers, body, receivedAtMs / 1000, endpoints);

    const QStringList subscriberPaths = endpoint && !endpoint->subscriberPath.isEmpty()
                                            ? QStringList{endpoint->subscriberPath}
                                            : QStringList();
    const DecodedPayload payload = PayloadDecoder::decode(body, head.headers.value("Content-Type"));
    const SignatureScheme provider =
        ProviderMetadata::providerFor(endpoint ? endpoint->scheme : SignatureScheme::None,
                                      delivery.verification.scheme, delivery.headers);
    const bool generic = endpoint && endpoint->scheme == SignatureScheme::GenericHmac;
    const ProviderMetadata::Identity identity = ProviderMetadata::identify(
        provider, delivery.headers, payload, generic ? endpoint->generic.idHeader : QByteArray(),
        subscriberPaths);
    delivery.eventType = identity.eventType;
    delivery.eventId = identity.eventId;
    delivery.subscriberId = identity.subscriberId;
    // A sample leaves the subscriber mapping alone unless it was sent to update it.
    const QByteArray sample = delivery.headers.value(Delivery::SampleHeader);
    delivery.sample = !sample.isNull();
    if (!delivery.sample || sample.trimmed() == "update-mapping")
        delivery.subscriber = subscriberUpdate(delivery, payload);

    if (!endpoint) {
        delivery.responseStatus = 404;
    } else {
        const ResponsePolicy &policy = endpoint->response;
        const Verdict verdict = delivery.verification.verdict;
        const bool failedVerification = verdict != Verdict::Valid && verdict != Verdict::Unverified;
        delivery.responseStatus = policy.rejectInvalid && failedVerification ? 401 : policy.status;
        if (delivery.responseStatus < 300) {
            delivery.failFirstAttempts = policy.failFirstAttempts;
            delivery.failStatus = policy.failStatus;
        }
    }
    return delivery;
}
