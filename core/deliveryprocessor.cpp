#include "deliveryprocessor.h"

#include "payloaddecoder.h"
#include "signatureverifier.h"

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

    const DecodedPayload payload = PayloadDecoder::decode(body, head.headers.value("Content-Type"));
    delivery.eventType = payload.eventType;
    delivery.eventId = payload.eventId;
    delivery.subscriberId = payload.subscriberId;

    delivery.responseStatus = endpoint ? 200 : 404;
    return delivery;
}
