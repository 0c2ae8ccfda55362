#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QJsonObject>

// The JSON shapes the command line prints (and scripts rely on).
namespace DeliveryJson {

QString timestamp(qint64 msSinceEpoch); // ISO 8601, UTC, milliseconds
QJsonObject summary(const DeliverySummary &delivery);
// The summary plus headers, body (text or base64), decoded fields and verification.
QJsonObject full(const Delivery &delivery);
// Name, path, scheme, tolerance and the number of secrets: never their values.
QJsonObject endpoint(const Endpoint &endpoint);

} // namespace DeliveryJson
