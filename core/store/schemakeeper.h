#pragma once

#include "eventschema.h"

#include <QList>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

class Database;
class WriteTurns;

// What each event type's deliveries carried (see EventSchema), and how each delivery drifted
// from what came before it, kept in the database after the commits: like the subscriber
// mapping (see SubscriberMapper), up to a watermark ("learned up to") moved in the same
// transaction as what it learned, by whichever process gets there first. The 200 never waits
// for it; a crash loses nothing, since what was not committed is learned again.
//
// On a team database (see Postgres) several receivers commit ids out of order, so a watermark
// would pass over a lower id committed late: each new delivery is queued in its own
// transaction instead, and learners take the queue in id order, one at a time (an advisory
// lock), removing what they learned in the transaction that writes it. A delivery committed
// late is learned after the ones learned before it came; schema_state.learned_up_to counts the
// learners' commits there, so that what is in memory is known to be current.
class SchemaKeeper
{
public:
    // On `database`'s connection and thread; the database must be open for writing. With
    // `turns`, a turn is taken before the write lock (see WriteTurns).
    explicit SchemaKeeper(const Database &database, WriteTurns *turns = nullptr);
    ~SchemaKeeper();

    // Learns up to `maxRows` deliveries above the watermark, in id order: how many were read
    // (fewer than `maxRows` once caught up), or nothing with `error` set. `drifted` receives
    // how many of them drifted. Takes the write lock only when there is something to learn.
    std::optional<int> catchUp(int maxRows, QString *error, int *drifted = nullptr);

    std::optional<qint64> learnedUpTo(QString *error) const;

    // Learned up to date through a connection of its own when something is left to learn
    // (`reading` may be read-only); `progress` hears (learned, of) along the way.
    static bool bringUpToDate(const Database &reading, QString *error,
                              const std::function<void(qint64, qint64)> &progress = {});
    // Forgets what was learned: it is learned again from the first delivery.
    static bool reset(const Database &database, QString *error);

    struct EventType
    {
        QString endpoint;
        QString eventType;
        qint64 deliveries = 0;
        qint64 drifted = 0;
        qint64 firstSeenMs = 0;
        qint64 lastSeenMs = 0;
        qint64 lastDeliveryId = 0;
        qint64 fields = 0;
    };
    // Every event type learned (of one endpoint when `endpoint` is not null), by endpoint and
    // name.
    static std::optional<QList<EventType>> eventTypes(const Database &database,
                                                      const QString &endpoint, QString *error);
    // The schema of one event type on one endpoint; an empty one (deliveries == 0) when none
    // was learned.
    static std::optional<EventSchema> schema(const Database &database, const QString &endpoint,
                                             const QString &eventType, QString *error);
    // How the delivery drifted from the deliveries of its type before it.
    static std::optional<QList<SchemaDrift>> driftOf(const Database &database, qint64 deliveryId,
                                                     QString *error);
    // How many deliveries are left to learn.
    static std::optional<qint64> backlog(const Database &database, QString *error);

    // The channel a team database's learners NOTIFY on as they commit ("LEARNED DRIFTED").
    static constexpr const char *TeamChannel = "hookscope_schemas";

private:
    bool load(QString *error);
    bool readLearned(QString *error);
    std::optional<int> catchUpTeam(int maxRows, QString *error, int *drifted);
    bool prepare(QString *error);
    struct Statements;

    const Database &m_database;
    WriteTurns *m_turns = nullptr;
    std::map<std::pair<QString, QString>, SchemaLearner> m_schemas;
    std::optional<qint64> m_loadedAt; // the watermark m_schemas is at
    std::unique_ptr<Statements> m_statements;
};
