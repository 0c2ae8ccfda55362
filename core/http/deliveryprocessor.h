#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "payloaddecoder.h"
#include "requesthead.h"

// Turns one received request into a Delivery: matches the endpoint, verifies the signature,
// decodes the body and decides the status to answer once the delivery is stored.
class DeliveryProcessor
{
public:
    static Delivery process(const RequestHead &head, const QByteArray &body,
                            const QString &remoteAddress, qint64 receivedAtMs,
                            const QList<Endpoint> &endpoints);
};
