#include "delivery.h"

QString Delivery::pathWithoutQuery() const
{
    const qsizetype question = path.indexOf(u'?');
    return question < 0 ? path : path.left(question);
}

DeliverySummary DeliverySummary::of(const Delivery &delivery)
{
    DeliverySummary summary;
    summary.id = delivery.id;
    summary.receivedAtMs = delivery.receivedAtMs;
    summary.remoteAddress = delivery.remoteAddress;
    summary.method = delivery.method;
    summary.path = delivery.path;
    summary.endpoint = delivery.endpoint;
    summary.eventType = delivery.eventType;
    summary.eventId = delivery.eventId;
    summary.sample = delivery.sample;
    summary.subscriberId = delivery.subscriberId;
    summary.verdict = delivery.verification.verdict;
    summary.responseStatus = delivery.responseStatus;
    summary.bodySize = delivery.bodySize();
    return summary;
}
