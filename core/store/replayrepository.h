#pragma once

#include "replay.h"

#include <QList>

class Database;

// The replays kept with each delivery.
class QSqlQuery;

class ReplayRepository
{
public:
    explicit ReplayRepository(const Database &database)
        : m_database(database)
    {}

    bool add(Replay &replay, QString *error) const; // sets replay.id
    std::optional<QList<Replay>> ofDelivery(qint64 deliveryId, QString *error) const;

    // The INSERT of a replay's row, and its values bound in that statement's order: for the
    // writers that add replays in their own transactions.
    static QString insertStatement();
    static void bind(QSqlQuery &query, const Replay &replay);

private:
    const Database &m_database;
};
