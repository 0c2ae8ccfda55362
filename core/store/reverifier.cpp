#include "reverifier.h"

#include "database.h"
#include "endpointrepository.h"
#include "headerlist.h"
#include "signatureverifier.h"
#include "storedverification.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

namespace {

QString sqlError(const QSqlQuery &query)
{
    return Database::errorText(query.lastError());
}

} // namespace

std::optional<Reverifier::Result>
Reverifier::run(const Database &database, const QString &endpointName, QString *error,
                const std::function<bool(qint64, qint64)> &progress)
{
    const auto endpoints = EndpointRepository(database).list(error);
    if (!endpoints)
        return std::nullopt;
    QHash<QString, const Endpoint *> byName;
    for (const Endpoint &endpoint : *endpoints)
        byName.insert(endpoint.name, &endpoint);
    if (!endpointName.isEmpty() && !byName.contains(endpointName)) {
        if (error)
            *error = QStringLiteral("no endpoint named \"%1\"").arg(endpointName);
        return std::nullopt;
    }

    const QString filter = endpointName.isEmpty() ? QStringLiteral("endpoint <> ''")
                                                  : QStringLiteral("endpoint = :endpoint");
    QSqlDatabase db = database.connection();
    QSqlQuery count(db);
    count.prepare(QStringLiteral("SELECT count(*) FROM deliveries WHERE ") + filter);
    if (!endpointName.isEmpty())
        count.bindValue(QStringLiteral(":endpoint"), endpointName);
    if (!count.exec() || !count.next()) {
        if (error)
            *error = sqlError(count);
        return std::nullopt;
    }
    const qint64 total = count.value(0).toLongLong();

    Result result;
    qint64 lastId = 0;
    QSqlQuery select(db);
    select.setForwardOnly(true);
    select.prepare(QStringLiteral("SELECT id, received_at, headers, body, endpoint, verdict, "
                                  "verification, truncated FROM deliveries WHERE id > :last AND ") +
                   filter + QStringLiteral(" ORDER BY id LIMIT :limit"));
    QSqlQuery update(db);
    update.prepare(
        QStringLiteral("UPDATE deliveries SET verdict = ?, verification = ? WHERE id = ?"));
    for (;;) {
        select.bindValue(QStringLiteral(":last"), lastId);
        select.bindValue(QStringLiteral(":limit"), BatchSize);
        if (!endpointName.isEmpty())
            select.bindValue(QStringLiteral(":endpoint"), endpointName);
        if (!select.exec()) {
            if (error)
                *error = sqlError(select);
            return std::nullopt;
        }
        struct Change
        {
            qint64 id;
            QString verdict;
            QByteArray verification;
        };
        QList<Change> changes;
        int rows = 0;
        while (select.next()) {
            ++rows;
            lastId = select.value(0).toLongLong();
            const Endpoint *endpoint = byName.value(select.value(4).toString());
            const HeaderList headers = HeaderList::deserialize(select.value(2).toByteArray());
            const QByteArray body = select.value(3).toByteArray();
            const Verification now = SignatureVerifier::verify(
                endpoint, headers, body, select.value(1).toLongLong() / 1000, *endpoints);
            const QByteArray json =
                StoredVerification::encode(now, headers, select.value(7).toInt() != 0);
            const Verification before =
                StoredVerification::decode(select.value(6).toByteArray(), headers, body);
            ++result.checked;
            if (before == now)
                continue;
            ++result.updated;
            if (before.verdict != now.verdict)
                ++result.changedVerdict;
            changes.append({lastId, verdictName(now.verdict), json});
        }
        select.finish();
        if (!changes.isEmpty()) {
            if (!db.transaction()) {
                if (error)
                    *error = db.lastError().text();
                return std::nullopt;
            }
            for (const Change &change : std::as_const(changes)) {
                update.addBindValue(change.verdict);
                update.addBindValue(QString::fromUtf8(change.verification));
                update.addBindValue(change.id);
                if (!update.exec()) {
                    if (error)
                        *error = sqlError(update);
                    db.rollback();
                    return std::nullopt;
                }
            }
            if (!db.commit()) {
                if (error)
                    *error = db.lastError().text();
                db.rollback();
                return std::nullopt;
            }
        }
        if (progress && !progress(result.checked, total))
            break;
        if (rows < BatchSize || result.checked >= total)
            break;
    }
    return result;
}
