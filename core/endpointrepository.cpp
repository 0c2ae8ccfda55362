#include "endpointrepository.h"

#include "database.h"

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

} // namespace

std::optional<QList<Endpoint>> EndpointRepository::list(QString *error) const
{
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
        indexById.insert(endpoint.id, endpoints.size());
        endpoints.append(endpoint);
    }
    if (!query.exec(QStringLiteral("SELECT endpoint_id, label, secret FROM endpoint_secrets "
                                   "ORDER BY endpoint_id, position"))) {
        fail(query, error);
        return std::nullopt;
    }
    while (query.next()) {
        const auto it = indexById.constFind(query.value(0).toLongLong());
        if (it == indexById.cend())
            continue;
        endpoints[*it].secrets.append({query.value(1).toString(), query.value(2).toByteArray()});
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

bool EndpointRepository::writeSecrets(qint64 endpointId, const QList<EndpointSecret> &secrets,
                                      QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("DELETE FROM endpoint_secrets WHERE endpoint_id = ?"));
    query.addBindValue(endpointId);
    if (!query.exec())
        return fail(query, error);
    query.prepare(QStringLiteral("INSERT INTO endpoint_secrets (endpoint_id, position, label, "
                                 "secret) VALUES (?, ?, ?, ?)"));
    for (qsizetype i = 0; i < secrets.size(); ++i) {
        query.addBindValue(endpointId);
        query.addBindValue(i);
        query.addBindValue(secrets[i].label.isEmpty() ? QStringLiteral("secret %1").arg(i + 1)
                                                      : secrets[i].label);
        query.addBindValue(secrets[i].value);
        if (!query.exec())
            return fail(query, error);
    }
    return true;
}

bool EndpointRepository::add(Endpoint &endpoint, QString *error) const
{
    return inTransaction(m_database, error, [&] {
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
        query.prepare(
            QStringLiteral("INSERT INTO endpoints (name, path, scheme, "
                           "tolerance_seconds, created_at, scheme_options, "
                           "subscriber_path, response_policy, forward_url, answer_with_app) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        query.addBindValue(endpoint.name);
        query.addBindValue(Endpoint::normalizePath(endpoint.path));
        query.addBindValue(schemeName(endpoint.scheme));
        query.addBindValue(endpoint.toleranceSeconds);
        query.addBindValue(QDateTime::currentMSecsSinceEpoch());
        query.addBindValue(QString::fromUtf8(endpoint.generic.toJson()));
        query.addBindValue(endpoint.subscriberPath.isNull() ? QStringLiteral("")
                                                            : endpoint.subscriberPath);
        query.addBindValue(QString::fromUtf8(endpoint.response.toJson()));
        query.addBindValue(endpoint.forwardUrl.isNull() ? QStringLiteral("") : endpoint.forwardUrl);
        query.addBindValue(endpoint.answerWithApp ? 1 : 0);
        if (!query.exec())
            return fail(query, error);
        endpoint.id = query.lastInsertId().toLongLong();
        endpoint.path = Endpoint::normalizePath(endpoint.path);
        return writeSecrets(endpoint.id, endpoint.secrets, error);
    });
}

bool EndpointRepository::update(const Endpoint &endpoint, QString *error) const
{
    return inTransaction(m_database, error, [&] {
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
        return writeSecrets(id, endpoint.secrets, error);
    });
}

bool EndpointRepository::remove(const QString &name, QString *error) const
{
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
    return true;
}
