#pragma once

#include "delivery.h"

#include <QJsonObject>
#include <QList>
#include <QString>

// How two deliveries differ, field by field: the body's decoded fields (JSON or form) by
// path, with exact values (numbers as written), then the headers by name. An object or array
// added or removed is one change, not one per member.
struct DeliveryChange
{
    enum class Part
    {
        Body,
        Header,
    };
    enum class Kind
    {
        Added,
        Removed,
        Changed,
    };
    Part part = Part::Body;
    Kind kind = Kind::Changed;
    QString path; // a field path ("" for the whole body), or a header name
    // Values as JSON text for body fields ("1.10", "\"a\"", "{…}" for an object), as sent for
    // headers; empty on the side where it is absent.
    QString before;
    QString after;

    static QString kindName(Kind kind); // "added", "removed", "changed"
    QJsonObject toJson() const;
    friend bool operator==(const DeliveryChange &, const DeliveryChange &) = default;
};

namespace DeliveryDiff {

QList<DeliveryChange> between(const Delivery &before, const Delivery &after);

} // namespace DeliveryDiff
