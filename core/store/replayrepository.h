#pragma once

#include "replay.h"

#include <QList>

class Database;

// The replays kept with each delivery.
class ReplayRepository
{
public:
    explicit ReplayRepository(const Database &database)
        : m_database(database)
    {}

    bool add(Replay &replay, QString *error) const; // sets replay.id
    std::optional<QList<Replay>> ofDelivery(qint64 deliveryId, QString *error) const;

private:
    const Database &m_database;
};
