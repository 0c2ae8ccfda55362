#pragma once

#include "endpoint.h"

#include <optional>

class Database;

// Reads and changes the endpoints of one database, on the thread that owns the connection.
class EndpointRepository
{
public:
    explicit EndpointRepository(const Database &database)
        : m_database(database)
    {}

    std::optional<QList<Endpoint>> list(QString *error) const;
    std::optional<Endpoint> find(const QString &name, QString *error) const;
    // Adds `endpoint` with its secrets; fails if the name is taken. Sets endpoint.id.
    bool add(Endpoint &endpoint, QString *error) const;
    // Replaces path, scheme, tolerance and secrets of the endpoint with endpoint.name.
    bool update(const Endpoint &endpoint, QString *error) const;
    bool remove(const QString &name, QString *error) const;

private:
    bool writeSecrets(qint64 endpointId, const QList<EndpointSecret> &secrets,
                      QString *error) const;

    const Database &m_database;
};
