#include "replayrepository.h"

#include "database.h"

#include <QSqlQuery>

QString ReplayRepository::insertStatement()
{
    return QStringLiteral(
        "INSERT INTO replays (delivery_id, sent_at, url, resigned, request_headers, request_body, "
        "status, response_headers, response_body, latency_ms, error, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
}

void ReplayRepository::bind(QSqlQuery &query, const Replay &replay)
{
    auto bytes = [](const QByteArray &b) {
        return b.isNull() ? QByteArray("") : b;
    };
    query.addBindValue(replay.deliveryId);
    query.addBindValue(replay.sentAtMs);
    query.addBindValue(replay.url.toString());
    query.addBindValue(replay.resigned ? 1 : 0);
    query.addBindValue(bytes(replay.requestHeaders.serialize()));
    query.addBindValue(bytes(replay.requestBody));
    query.addBindValue(replay.status);
    query.addBindValue(bytes(replay.responseHeaders.serialize()));
    query.addBindValue(bytes(replay.responseBody));
    query.addBindValue(replay.latencyMs);
    query.addBindValue(replay.error.isNull() ? QStringLiteral("") : replay.error);
    query.addBindValue(replay.kind);
}

bool ReplayRepository::add(Replay &replay, QString *error) const
{
    QSqlQuery query(m_database.connection());
    // PostgreSQL tells a new row's id only when asked.
    query.prepare(insertStatement() +
                  (m_database.isTeam() ? QStringLiteral(" RETURNING id") : QString()));
    bind(query, replay);
    if (!query.exec()) {
        if (error)
            *error = Database::errorText(query.lastError());
        return false;
    }
    replay.id = m_database.isTeam() ? (query.next() ? query.value(0).toLongLong() : 0)
                                    : query.lastInsertId().toLongLong();
    return true;
}

std::optional<QList<Replay>> ReplayRepository::ofDelivery(qint64 deliveryId, QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral(
        "SELECT id, delivery_id, sent_at, url, resigned, request_headers, request_body, status, "
        "response_headers, response_body, latency_ms, error, kind FROM replays WHERE delivery_id = "
        "? "
        "ORDER BY id"));
    query.addBindValue(deliveryId);
    if (!query.exec()) {
        if (error)
            *error = Database::errorText(query.lastError());
        return std::nullopt;
    }
    QList<Replay> replays;
    while (query.next()) {
        Replay r;
        r.id = query.value(0).toLongLong();
        r.deliveryId = query.value(1).toLongLong();
        r.sentAtMs = query.value(2).toLongLong();
        r.url = QUrl(query.value(3).toString());
        r.resigned = query.value(4).toInt() != 0;
        r.requestHeaders = HeaderList::deserialize(query.value(5).toByteArray());
        r.requestBody = query.value(6).toByteArray();
        r.status = query.value(7).toInt();
        r.responseHeaders = HeaderList::deserialize(query.value(8).toByteArray());
        r.responseBody = query.value(9).toByteArray();
        r.latencyMs = query.value(10).toLongLong();
        r.error = query.value(11).toString();
        r.kind = query.value(12).toString();
        replays.append(r);
    }
    return replays;
}
