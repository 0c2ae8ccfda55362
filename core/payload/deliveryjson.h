#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "eventschema.h"

#include <QJsonArray>

#include <QJsonObject>

// The JSON shapes the command line prints (and scripts rely on).
namespace DeliveryJson {

QString timestamp(qint64 msSinceEpoch); // ISO 8601, UTC, milliseconds
QJsonObject summary(const DeliverySummary &delivery);
// The summary plus headers, body (text or base64), decoded fields and verification.
QJsonObject full(const Delivery &delivery);
// Name, path, scheme, tolerance and the number of secrets: never their values.
QJsonObject endpoint(const Endpoint &endpoint);
// [{path, kind, before, now}]: how a delivery drifted from its type's deliveries before it;
// `before` is null for a new field, `now` for a missing one.
QJsonArray drift(const QList<SchemaDrift> &drift);

} // namespace DeliveryJson
