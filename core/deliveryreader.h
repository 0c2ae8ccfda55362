#pragma once

#include "delivery.h"

#include <optional>

class Database;

// Queries over stored deliveries, on the thread that owns the connection. The writer never
// blocks these readers: the database runs in WAL mode.
class DeliveryReader
{
public:
    explicit DeliveryReader(const Database &database)
        : m_database(database)
    {}

    // Newest first; `beforeId` (when non-zero) pages backwards from that id.
    std::optional<QList<DeliverySummary>> latest(int limit, QString *error,
                                                 qint64 beforeId = 0) const;
    // The whole delivery; std::nullopt with an empty error when no row has that id.
    std::optional<Delivery> find(qint64 id, QString *error) const;
    std::optional<qint64> count(QString *error) const;

private:
    const Database &m_database;
};
