#pragma once

#include "endpoint.h"

#include <QSqlQuery>
#include <QStringList>
#include <QVariant>
#include <QVariantList>

#include <optional>

class Database;

// Reads and changes the endpoints of one database, on the thread that owns the connection.
class EndpointRepository
{
public:
    explicit EndpointRepository(const Database &database)
        : m_database(database)
    {}

    // Where add() and update() put the secrets they wrote: the desktop keychain when one
    // answers (see SecretVault), otherwise the database.
    struct SecretStorage
    {
        int inKeychain = 0;
        int inDatabase = 0;
        // Why the keychain was not used, when it was not.
        QString keychainError;
    };

    // Secrets kept in the keychain are read from it; those that cannot be are left out and
    // named in Endpoint::secretProblem.
    std::optional<QList<Endpoint>> list(QString *error) const;
    std::optional<Endpoint> find(const QString &name, QString *error) const;
    // Adds `endpoint` with its secrets; fails if the name is taken. Sets endpoint.id.
    bool add(Endpoint &endpoint, QString *error, SecretStorage *storage = nullptr) const;
    // Replaces path, scheme, tolerance and secrets of the endpoint with endpoint.name.
    bool update(const Endpoint &endpoint, QString *error, SecretStorage *storage = nullptr) const;
    bool remove(const QString &name, QString *error) const;

    // On a team database (see Postgres): the settings are the team's, the secrets this
    // machine's own (from the file at Database::defaultPath()). What list() found missing or
    // different here, as lines to show.
    QStringList secretWarnings() const { return m_warnings; }

    // An endpoint's settings as a new row binds them, in the order of the columns name, path,
    // scheme, tolerance_seconds, created_at (now), scheme_options, subscriber_path,
    // response_policy, forward_url, answer_with_app: a file's and a team database's alike.
    static QVariantList settingsRow(const Endpoint &endpoint);
    // The settings read back from a row whose first columns are id, name, path, scheme,
    // tolerance_seconds, scheme_options, subscriber_path, response_policy, forward_url,
    // answer_with_app (no secrets).
    static Endpoint settingsFrom(const QSqlQuery &query);

private:
    struct PlacedSecret
    {
        EndpointSecret secret;
        QString keychainKey; // empty: the value goes into the database
    };

    static QList<PlacedSecret> placeSecrets(const QList<EndpointSecret> &secrets,
                                            SecretStorage &storage);
    QStringList keychainKeys(const QString &where, const QVariant &value, QString *error) const;
    bool writeSecrets(qint64 endpointId, const QList<PlacedSecret> &secrets,
                      QStringList *replacedKeys, QString *error) const;

    std::optional<QList<Endpoint>> teamList(QString *error) const;
    bool teamWrite(Endpoint &endpoint, bool adding, QString *error, SecretStorage *storage) const;

    const Database &m_database;
    mutable QStringList m_warnings;
};
