#include "deliveryprocessor.h"

#include "payloaddecoder.h"
#include "providermetadata.h"
#include "signatureverifier.h"

#include <QJsonDocument>
#include <QJsonObject>

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
    delivery.sample = delivery.headers.contains(Delivery::SampleHeader);

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
