#include "endpointrepository.h"

#include "database.h"
#include "postgres.h"
#include "secretvault.h"

#include <QDateTime>
#include <QHash>
#include <QSqlError>
#include <QSqlQuery>

namespace {

bool fail(const QSqlQuery &query, QString *error)
{
    if (error)
        *error = Database::errorText(query.lastError());
    return false;
}

// Runs `work` in one transaction; rolls back when it fails.
template<typename Work> bool inTransaction(const Database &database, QString *error, Work work)
{
    QSqlDatabase db = database.connection();
    if (!db.transaction()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    if (!work()) {
        db.rollback();
        return false;
    }
    if (!db.commit()) {
        if (error)
            *error = db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

// Fails when another endpoint already has `endpoint`'s path: a request goes to one endpoint
// only, so the second would silently take the first one's deliveries.
bool pathIsFree(const Database &database, const Endpoint &endpoint, QString *error)
{
    QSqlQuery query(database.connection());
    query.prepare(QStringLiteral("SELECT name FROM endpoints WHERE path = ? AND name <> ?"));
    query.addBindValue(Endpoint::normalizePath(endpoint.path));
    query.addBindValue(endpoint.name);
    if (!query.exec())
        return fail(query, error);
    if (!query.next())
        return true;
    if (error)
        *error = QStringLiteral("the path %1 belongs to endpoint \"%2\" already; each path "
                                "has one endpoint (give this one another path, or change "
                                "\"%2\")")
                     .arg(Endpoint::normalizePath(endpoint.path), query.value(0).toString());
    return false;
}

} // namespace

QVariantList EndpointRepository::settingsRow(const Endpoint &endpoint)
{
    return {endpoint.name,
            Endpoint::normalizePath(endpoint.path),
            schemeName(endpoint.scheme),
            endpoint.toleranceSeconds,
            QDateTime::currentMSecsSinceEpoch(),
            QString::fromUtf8(endpoint.generic.toJson()),
            endpoint.subscriberPath.isNull() ? QStringLiteral("") : endpoint.subscriberPath,
            QString::fromUtf8(endpoint.response.toJson()),
            endpoint.forwardUrl.isNull() ? QStringLiteral("") : endpoint.forwardUrl,
            endpoint.answerWithApp ? 1 : 0};
}

Endpoint EndpointRepository::settingsFrom(const QSqlQuery &query)
{
    Endpoint endpoint;
    endpoint.id = query.value(0).toLongLong();
    endpoint.name = query.value(1).toString();
    endpoint.path = query.value(2).toString();
    endpoint.scheme = schemeFromName(query.value(3).toString()).value_or(SignatureScheme::None);
    endpoint.toleranceSeconds = query.value(4).toInt();
    endpoint.generic = GenericHmacOptions::fromJson(query.value(5).toByteArray());
    endpoint.subscriberPath = query.value(6).toString();
    endpoint.response = ResponsePolicy::fromJson(query.value(7).toByteArray());
    endpoint.forwardUrl = query.value(8).toString();
    endpoint.answerWithApp = query.value(9).toInt() != 0;
    return endpoint;
}

std::optional<QList<Endpoint>> EndpointRepository::teamList(QString *error) const
{
    const auto team = Postgres::endpoints(m_database.connection(), error);
    if (!team)
        return std::nullopt;
    QList<Endpoint> local;
    Database own;
    QString ignored;
    if (own.openReadOnly(Database::defaultPath(), &ignored))
        local = EndpointRepository(own).list(&ignored).value_or(QList<Endpoint>());
    m_warnings.clear();
    return Postgres::withLocalSecrets(*team, local, &m_warnings);
}

bool EndpointRepository::teamWrite(Endpoint &endpoint, bool adding, QString *error,
                                   SecretStorage *storage) const
{
    const auto team = teamList(error);
    if (!team)
        return false;
    const bool known = std::any_of(team->cbegin(), team->cend(), [&endpoint](const Endpoint &e) {
        return e.name == endpoint.name;
    });
    if (adding && known) {
        *error = QStringLiteral("an endpoint named \"%1\" already exists").arg(endpoint.name);
        return false;
    }
    if (!adding && !known) {
        *error = QStringLiteral("no endpoint named \"%1\"").arg(endpoint.name);
        return false;
    }
    // A receiver's login may not change the team's endpoints: it gives this machine's secret
    // of an endpoint the way the team set it up, and nothing is published.
    const bool mayPublish = Postgres::mayChangeEndpoints(m_database.connection());
    if (!mayPublish) {
        if (adding) {
            *error = QStringLiteral("this login may not add endpoints to the team database; its "
                                    "owner adds them, and each machine then gives its secret with "
                                    "endpoint update %1 --secret-env VAR")
                         .arg(endpoint.name);
            return false;
        }
        const auto settingsOf = [](Endpoint e) {
            e.id = 0;
            e.secrets.clear();
            e.secretProblem.clear();
            e.path = Endpoint::normalizePath(e.path);
            return e;
        };
        const Endpoint &shared =
            *std::find_if(team->cbegin(), team->cend(),
                          [&endpoint](const Endpoint &e) { return e.name == endpoint.name; });
        if (settingsOf(endpoint) != settingsOf(shared)) {
            *error = QStringLiteral("this login may not change the team's endpoints; here only "
                                    "this machine's secret can be given (--secret-env or "
                                    "--secret-file)");
            return false;
        }
    }
    // The secrets go to this machine's own file (its copy of the endpoint), the settings and
    // the secrets' fingerprints to the team database.
    Database own;
    if (!own.open(Database::defaultPath(), error)) {
        *error = QStringLiteral("this machine's file %1, where the secrets are kept: %2")
                     .arg(Database::defaultPath(), *error);
        return false;
    }
    const EndpointRepository local(own);
    QString missing;
    const bool localKnown = local.find(endpoint.name, &missing).has_value();
    if (!(localKnown ? local.update(endpoint, error, storage)
                     : local.add(endpoint, error, storage)))
        return false;
    endpoint.path = Endpoint::normalizePath(endpoint.path);
    if (mayPublish)
        return Postgres::publishEndpoint(m_database.connection(), endpoint, error);
    m_warnings.clear();
    Postgres::withLocalSecrets(*team, {endpoint}, &m_warnings);
    return true;
}

std::optional<QList<Endpoint>> EndpointRepository::list(QString *error) const
{
    if (m_database.isTeam())
        return teamList(error);
    QSqlQuery query(m_database.connection());
    if (!query.exec(QStringLiteral(
            "SELECT id, name, path, scheme, tolerance_seconds, "
            "scheme_options, subscriber_path, response_policy, forward_url, answer_with_app "
            "FROM endpoints ORDER BY name"))) {
        fail(query, error);
        return std::nullopt;
    }
    QList<Endpoint> endpoints;
    QHash<qint64, qsizetype> indexById;
    while (query.next()) {
        Endpoint endpoint = settingsFrom(query);
        indexById.insert(endpoint.id, endpoints.size());
        endpoints.append(endpoint);
    }
    if (!query.exec(QStringLiteral("SELECT endpoint_id, label, secret, keychain_key "
                                   "FROM endpoint_secrets ORDER BY endpoint_id, position"))) {
        fail(query, error);
        return std::nullopt;
    }
    while (query.next()) {
        const auto it = indexById.constFind(query.value(0).toLongLong());
        if (it == indexById.cend())
            continue;
        Endpoint &endpoint = endpoints[*it];
        EndpointSecret secret{query.value(1).toString(), query.value(2).toByteArray(), false};
        const QString key = query.value(3).toString();
        if (!key.isEmpty()) {
            const SecretVault::Result kept = SecretVault::instance().read(key);
            if (!kept.ok) {
                endpoint.secretProblem =
                    QStringLiteral("its secret \"%1\" could not be read from the desktop "
                                   "keychain (%2)")
                        .arg(secret.label, kept.error);
                continue;
            }
            secret.value = kept.value;
            secret.inKeychain = true;
        }
        endpoint.secrets.append(secret);
    }
    return endpoints;
}

std::optional<Endpoint> EndpointRepository::find(const QString &name, QString *error) const
{
    const auto endpoints = list(error);
    if (!endpoints)
        return std::nullopt;
    for (const Endpoint &endpoint : *endpoints) {
        if (endpoint.name == name)
            return endpoint;
    }
    if (error)
        *error = QStringLiteral("no endpoint named \"%1\"").arg(name);
    return std::nullopt;
}

QList<EndpointRepository::PlacedSecret>
EndpointRepository::placeSecrets(const QList<EndpointSecret> &secrets, SecretStorage &storage)
{
    SecretVault &vault = SecretVault::instance();
    bool useKeychain = vault.enabled();
    if (!useKeychain)
        storage.keychainError = QStringLiteral("HOOKSCOPE_SECRET_STORAGE=database turns it off");
    QList<PlacedSecret> placed;
    for (const EndpointSecret &secret : secrets) {
        PlacedSecret place{secret, {}};
        if (useKeychain) {
            const QString key = SecretVault::newKey();
            const SecretVault::Result written = vault.write(key, secret.value);
            if (written.ok) {
                place.keychainKey = key;
            } else {
                // One refusal is enough: the rest go where this one goes.
                useKeychain = false;
                storage.keychainError = written.error;
            }
        }
        ++(place.keychainKey.isEmpty() ? storage.inDatabase : storage.inKeychain);
        placed.append(place);
    }
    return placed;
}

namespace {

// An entry the keychain would not give (locked, refused) is left there: removing it would lose
// a secret nobody could read back first.
void forgetKeychainKeys(const QStringList &keys)
{
    SecretVault &vault = SecretVault::instance();
    for (const QString &key : keys) {
        if (vault.read(key).ok)
            vault.remove(key);
    }
}

QStringList keychainKeysOf(const auto &placed)
{
    QStringList keys;
    for (const auto &place : placed) {
        if (!place.keychainKey.isEmpty())
            keys.append(place.keychainKey);
    }
    return keys;
}

} // namespace

QStringList EndpointRepository::keychainKeys(const QString &where, const QVariant &value,
                                             QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("SELECT keychain_key FROM endpoint_secrets WHERE keychain_key "
                                 "<> '' AND endpoint_id IN (SELECT id FROM endpoints WHERE ") +
                  where + QStringLiteral(")"));
    query.addBindValue(value);
    QStringList keys;
    if (!query.exec()) {
        fail(query, error);
        return keys;
    }
    while (query.next())
        keys.append(query.value(0).toString());
    return keys;
}

bool EndpointRepository::writeSecrets(qint64 endpointId, const QList<PlacedSecret> &secrets,
                                      QStringList *replacedKeys, QString *error) const
{
    *replacedKeys = keychainKeys(QStringLiteral("id = ?"), endpointId, error);
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("DELETE FROM endpoint_secrets WHERE endpoint_id = ?"));
    query.addBindValue(endpointId);
    if (!query.exec())
        return fail(query, error);
    query.prepare(QStringLiteral("INSERT INTO endpoint_secrets (endpoint_id, position, label, "
                                 "secret, keychain_key) VALUES (?, ?, ?, ?, ?)"));
    for (qsizetype i = 0; i < secrets.size(); ++i) {
        const PlacedSecret &place = secrets[i];
        query.addBindValue(endpointId);
        query.addBindValue(i);
        query.addBindValue(place.secret.label.isEmpty() ? QStringLiteral("secret %1").arg(i + 1)
                                                        : place.secret.label);
        // A secret in the keychain leaves nothing of its value here.
        query.addBindValue(place.keychainKey.isEmpty() ? place.secret.value : QByteArray(""));
        query.addBindValue(place.keychainKey.isEmpty() ? QStringLiteral("") : place.keychainKey);
        if (!query.exec())
            return fail(query, error);
    }
    return true;
}

bool EndpointRepository::add(Endpoint &endpoint, QString *error, SecretStorage *storage) const
{
    if (m_database.isTeam()) {
        QString ignored;
        return teamWrite(endpoint, true, error ? error : &ignored, storage);
    }
    SecretStorage placement;
    const QList<PlacedSecret> placed = placeSecrets(endpoint.secrets, placement);
    QStringList replaced;
    const bool added = inTransaction(m_database, error, [&] {
        QSqlQuery query(m_database.connection());
        query.prepare(QStringLiteral("SELECT 1 FROM endpoints WHERE name = ?"));
        query.addBindValue(endpoint.name);
        if (!query.exec())
            return fail(query, error);
        if (query.next()) {
            if (error)
                *error =
                    QStringLiteral("an endpoint named \"%1\" already exists").arg(endpoint.name);
            return false;
        }
        if (!pathIsFree(m_database, endpoint, error))
            return false;
        query.prepare(
            QStringLiteral("INSERT INTO endpoints (name, path, scheme, "
                           "tolerance_seconds, created_at, scheme_options, "
                           "subscriber_path, response_policy, forward_url, answer_with_app) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const QVariant &value : settingsRow(endpoint))
            query.addBindValue(value);
        if (!query.exec())
            return fail(query, error);
        endpoint.id = query.lastInsertId().toLongLong();
        endpoint.path = Endpoint::normalizePath(endpoint.path);
        return writeSecrets(endpoint.id, placed, &replaced, error);
    });
    // Keychain entries outlive a failed transaction unless they are taken back.
    forgetKeychainKeys(added ? replaced : keychainKeysOf(placed));
    if (storage)
        *storage = placement;
    return added;
}

bool EndpointRepository::update(const Endpoint &endpoint, QString *error,
                                SecretStorage *storage) const
{
    if (m_database.isTeam()) {
        QString ignored;
        Endpoint changed = endpoint;
        return teamWrite(changed, false, error ? error : &ignored, storage);
    }
    SecretStorage placement;
    const QList<PlacedSecret> placed = placeSecrets(endpoint.secrets, placement);
    QStringList replaced;
    const bool updated = inTransaction(m_database, error, [&] {
        if (!pathIsFree(m_database, endpoint, error))
            return false;
        QSqlQuery query(m_database.connection());
        query.prepare(QStringLiteral("UPDATE endpoints SET path = ?, scheme = ?, "
                                     "tolerance_seconds = ?, scheme_options = ?, "
                                     "subscriber_path = ?, response_policy = ?, forward_url = ?, "
                                     "answer_with_app = ? WHERE name = ? RETURNING id"));
        query.addBindValue(Endpoint::normalizePath(endpoint.path));
        query.addBindValue(schemeName(endpoint.scheme));
        query.addBindValue(endpoint.toleranceSeconds);
        query.addBindValue(QString::fromUtf8(endpoint.generic.toJson()));
        query.addBindValue(endpoint.subscriberPath.isNull() ? QStringLiteral("")
                                                            : endpoint.subscriberPath);
        query.addBindValue(QString::fromUtf8(endpoint.response.toJson()));
        query.addBindValue(endpoint.forwardUrl.isNull() ? QStringLiteral("") : endpoint.forwardUrl);
        query.addBindValue(endpoint.answerWithApp ? 1 : 0);
        query.addBindValue(endpoint.name);
        if (!query.exec())
            return fail(query, error);
        if (!query.next()) {
            if (error)
                *error = QStringLiteral("no endpoint named \"%1\"").arg(endpoint.name);
            return false;
        }
        const qint64 id = query.value(0).toLongLong();
        query.finish();
        return writeSecrets(id, placed, &replaced, error);
    });
    forgetKeychainKeys(updated ? replaced : keychainKeysOf(placed));
    if (storage)
        *storage = placement;
    return updated;
}

bool EndpointRepository::remove(const QString &name, QString *error) const
{
    if (m_database.isTeam()) {
        QString ignored;
        if (!Postgres::removeEndpoint(m_database.connection(), name, error ? error : &ignored))
            return false;
        // This machine's copy, with its secret, goes too.
        Database own;
        if (own.open(Database::defaultPath(), &ignored) &&
            EndpointRepository(own).find(name, &ignored))
            EndpointRepository(own).remove(name, &ignored);
        return true;
    }
    const QStringList kept = keychainKeys(QStringLiteral("name = ?"), name, error);
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("DELETE FROM endpoints WHERE name = ?"));
    query.addBindValue(name);
    if (!query.exec())
        return fail(query, error);
    if (query.numRowsAffected() == 0) {
        if (error)
            *error = QStringLiteral("no endpoint named \"%1\"").arg(name);
        return false;
    }
    forgetKeychainKeys(kept);
    return true;
}
