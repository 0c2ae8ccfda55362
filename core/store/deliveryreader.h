#pragma once

#include "delivery.h"
#include "deliveryfilter.h"

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

    // Deliveries matching `filter` with id <= `maxId` (0: no bound), newest first, from row
    // `offset` of that order. With `total` (the number of such deliveries) known, a page in
    // the older half is read from the oldest end, which skips fewer rows.
    std::optional<QList<DeliverySummary>> page(const DeliveryFilter &filter, qint64 maxId,
                                               qint64 offset, int limit, QString *error,
                                               qint64 total = -1) const;
    // The same, continuing below `beforeId` (cheaper than an offset when paging in order).
    std::optional<QList<DeliverySummary>> pageBefore(const DeliveryFilter &filter, qint64 beforeId,
                                                     int limit, QString *error) const;
    std::optional<qint64> count(const DeliveryFilter &filter, qint64 maxId, QString *error) const;
    // Of the deliveries with ids in [firstId, lastId], those that match `filter`, newest first.
    std::optional<QList<DeliverySummary>> matching(const DeliveryFilter &filter, qint64 firstId,
                                                   qint64 lastId, QString *error) const;
    std::optional<qint64> maxId(QString *error) const;
    std::optional<qint64> minId(QString *error) const;

    struct MinuteCount
    {
        qint64 minuteMs = 0; // start of the minute, Unix ms
        int total = 0;
        int failed = 0; // verdicts other than valid and unverified
    };
    std::optional<QList<MinuteCount>> perMinute(qint64 sinceMs, QString *error) const;
    // Every delivery carrying `eventId` (the attempts of one message), oldest first.
    std::optional<QList<DeliverySummary>> attempts(const QString &eventId, QString *error) const;

    // The delivery to compare `id` with: the previous attempt of the same event (same endpoint
    // and event id, the largest lower id), else the previous delivery of the same endpoint
    // and event type. 0 when there is none (or no delivery `id`).
    std::optional<qint64> previousOf(qint64 id, QString *error) const;
    // Of the deliveries with ids in [firstId, lastId], those that drifted from the deliveries
    // of their event type before them (see SchemaKeeper), in id order.
    std::optional<QList<qint64>> drifted(qint64 firstId, qint64 lastId, QString *error) const;

private:
    const Database &m_database;
};
