#include "deliveryreader.h"

#include "database.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

#include <limits>

namespace {

void setError(const QSqlQuery &query, QString *error)
{
    if (error) {
        const QSqlError e = query.lastError();
        *error = (e.databaseText().isEmpty() ? e.text() : e.databaseText()).trimmed();
    }
}

} // namespace

std::optional<QList<DeliverySummary>> DeliveryReader::latest(int limit, QString *error,
                                                             qint64 beforeId) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT id, received_at, remote_address, method, path, endpoint, event_type, event_id, "
        "subscriber_id, verdict, response_status, body_size FROM deliveries "
        "WHERE id < ? ORDER BY id DESC LIMIT ?"));
    query.addBindValue(beforeId > 0 ? beforeId : std::numeric_limits<qint64>::max());
    query.addBindValue(limit);
    if (!query.exec()) {
        setError(query, error);
        return std::nullopt;
    }
    QList<DeliverySummary> rows;
    while (query.next()) {
        DeliverySummary row;
        row.id = query.value(0).toLongLong();
        row.receivedAtMs = query.value(1).toLongLong();
        row.remoteAddress = query.value(2).toString();
        row.method = query.value(3).toString();
        row.path = query.value(4).toString();
        row.endpoint = query.value(5).toString();
        row.eventType = query.value(6).toString();
        row.eventId = query.value(7).toString();
        row.subscriberId = query.value(8).toString();
        row.verdict = verdictFromName(query.value(9).toString()).value_or(Verdict::Unverified);
        row.responseStatus = query.value(10).toInt();
        row.bodySize = query.value(11).toLongLong();
        rows.append(row);
    }
    return rows;
}

std::optional<Delivery> DeliveryReader::find(qint64 id, QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT id, received_at, remote_address, method, path, http_version, headers, body, "
        "endpoint, event_type, event_id, subscriber_id, verification, response_status, "
        "handling_us FROM deliveries WHERE id = ?"));
    query.addBindValue(id);
    if (!query.exec()) {
        setError(query, error);
        return std::nullopt;
    }
    if (!query.next()) {
        if (error)
            error->clear();
        return std::nullopt;
    }
    Delivery d;
    d.id = query.value(0).toLongLong();
    d.receivedAtMs = query.value(1).toLongLong();
    d.remoteAddress = query.value(2).toString();
    d.method = query.value(3).toString();
    d.path = query.value(4).toString();
    d.httpVersion = query.value(5).toString();
    d.headers = HeaderList::deserialize(query.value(6).toByteArray());
    d.body = query.value(7).toByteArray();
    d.endpoint = query.value(8).toString();
    d.eventType = query.value(9).toString();
    d.eventId = query.value(10).toString();
    d.subscriberId = query.value(11).toString();
    d.verification =
        Verification::fromJson(QJsonDocument::fromJson(query.value(12).toByteArray()).object());
    d.responseStatus = query.value(13).toInt();
    d.handlingMicros = query.value(14).toLongLong();
    return d;
}

std::optional<qint64> DeliveryReader::count(QString *error) const
{
    QSqlQuery query(m_database.connection());
    if (!query.exec(QStringLiteral("SELECT count(*) FROM deliveries")) || !query.next()) {
        setError(query, error);
        return std::nullopt;
    }
    return query.value(0).toLongLong();
}
