#pragma once

#include <QByteArray>
#include <QString>

// One row of the subscriber mapping: what HostedHooks said of a subscriber, and the two fields
// that belong to the user.
struct Subscriber
{
    qint64 id = 0;
    QString endpoint;
    QString subscriberId;
    bool verified = false; // false: created by a delivery to an endpoint without a secret
    QByteArray fields;     // JSON object: the scalar fields of the payload's "data"
    QByteArray data;       // the payload's "data", exactly as sent
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    QString createdEventId;
    qint64 createdDeliveryId = 0;
    QString localReference; // the user's: the id of the matching account in their system
    QString notes;          // the user's

    // A display field found in `fields` ("name", "email", ...), or an empty string.
    QString field(const QString &name) const;
};
