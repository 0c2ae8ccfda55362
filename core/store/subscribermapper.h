#pragma once

#include "delivery.h"
#include "payloaddecoder.h"

#include <QSqlQuery>

#include <memory>
#include <optional>

class Database;

// Keeps the subscriber mapping from the stored deliveries, after their commits rather than in
// them: the writer only inserts rows, and this reads the subscriber.created deliveries stored
// since it last ran (by this process or any other), in id order, and applies them in one
// transaction with the watermark ("mapped up to") they move. Ids are given in commit order, so
// "the first valid attempt of an event creates or updates the subscriber, once per event id"
// holds exactly, across processes and across a crash: what one did not finish, the next
// does.
class WriteTurns;

class SubscriberMapper
{
public:
    // On `database`'s connection and thread; the database must be open for writing.
    explicit SubscriberMapper(const Database &database);
    // With `turns`, the mapper takes a turn before it takes the write lock (see WriteTurns):
    // for a mapper that shares its process with a busy writer.
    SubscriberMapper(const Database &database, WriteTurns *turns);
    ~SubscriberMapper();

    // Applies up to `maxRows` subscriber.created deliveries above the watermark: how many
    // were read (fewer than `maxRows` once caught up), or nothing with `error` set; `changes`
    // receives how many changed the mapping. Takes the write lock only when there is
    // something to apply.
    std::optional<int> catchUp(int maxRows, QString *error, int *changes = nullptr);

    // The watermark: every delivery up to this id has been applied to the mapping.
    std::optional<qint64> mappedUpTo(QString *error) const;

    // Brings the mapping of the database `reading` is open on up to date, through a
    // connection of its own when there is something to apply (`reading` may be read-only), so
    // that what is read next is exact: a delivery answered before is in it.
    static bool bringUpToDate(const Database &reading, QString *error);

    // The change a delivery makes to the subscriber mapping, if any: verified (or unverifiable
    // for want of a secret) subscriber.created with a subscriber id, on an endpoint, with its
    // whole body; a sample only when it was sent to update the mapping.
    static std::optional<SubscriberUpdate> updateFor(const Delivery &delivery,
                                                     const DecodedPayload &payload);

    static constexpr int MaxSubscriberFields = 50;

private:
    bool apply(const Delivery &delivery, const SubscriberUpdate &update, bool *changed,
               QString *error);

    const Database &m_database;
    WriteTurns *m_turns = nullptr;
    std::unique_ptr<QSqlQuery> m_event;
    std::unique_ptr<QSqlQuery> m_upsert;
};
