#include "deliveryreader.h"

#include "database.h"
#include "storedverification.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <limits>

namespace {

SqlDialect dialectOf(const Database &database)
{
    return database.isTeam() ? SqlDialect::Postgres : SqlDialect::Sqlite;
}

void setError(const QSqlQuery &query, QString *error)
{
    if (error) {
        *error = Database::errorText(query.lastError());
    }
}

const QString SummaryColumns =
    QStringLiteral("id, received_at, remote_address, method, path, endpoint, event_type, event_id, "
                   "subscriber_id, verdict, response_status, body_size, sample");

DeliverySummary readSummary(const QSqlQuery &query)
{
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
    row.sample = query.value(12).toInt() != 0;
    return row;
}

std::optional<QList<DeliverySummary>> summaries(const Database &database, const QString &sql,
                                                const QVariantList &bindings, QString *error)
{
    auto query = database.run(sql, bindings, error);
    if (!query)
        return std::nullopt;
    QList<DeliverySummary> rows;
    while (query->next())
        rows.append(readSummary(*query));
    return rows;
}

// The text search for `filter` prepared up to `bound`, when the filter has text and the
// connection can search it in the full-text indexes; `ok` is false on an error.
std::optional<TextSearchScope> textSearch(const Database &database, const DeliveryFilter &filter,
                                          qint64 bound, bool *ok, QString *error)
{
    *ok = true;
    if (filter.text.isEmpty() || !database.hasFullText() || database.isTeam())
        return std::nullopt;
    auto scope = database.prepareTextSearch(bound, error);
    *ok = scope.has_value();
    return scope;
}

// How many deliveries up to `bound` the connection's own index (above the watermark) finds
// for a text-only filter.
std::optional<qint64> freshMatches(const Database &database, const QString &ftsQuery,
                                   const TextSearchScope &scope, qint64 bound, QString *error)
{
    const qint64 last = std::min(bound, scope.freshUpTo);
    if (last <= scope.indexedUpTo)
        return 0;
    auto query = database.run(QStringLiteral("SELECT count(*) FROM temp.fresh_fts WHERE "
                                             "fresh_fts MATCH ? AND rowid BETWEEN ? AND ?"),
                              {ftsQuery, scope.indexedUpTo + 1, last}, error);
    if (!query || !query->next())
        return std::nullopt;
    return query->value(0).toLongLong();
}

// The newest deliveries up to `bound` a text-only filter finds, skipping `offset` of them: the
// indexes list matching ids newest first by themselves, the connection's own (the newest
// ids) before the file's.
std::optional<QList<DeliverySummary>> textPage(const Database &database, const QString &text,
                                               const TextSearchScope &scope, qint64 bound,
                                               qint64 offset, int limit, QString *error)
{
    const QString ftsQuery = DeliveryFilter::ftsQuery(text);
    const std::optional<qint64> fresh = freshMatches(database, ftsQuery, scope, bound, error);
    if (!fresh)
        return std::nullopt;
    const qint64 freshLimit = std::clamp<qint64>(*fresh - offset, 0, limit);
    const qint64 indexLimit = limit - freshLimit;
    QStringList sources;
    QVariantList bindings;
    if (freshLimit > 0) {
        sources.append(QStringLiteral("SELECT rowid FROM (SELECT rowid FROM temp.fresh_fts WHERE "
                                      "fresh_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid "
                                      "DESC LIMIT ? OFFSET ?)"));
        bindings << ftsQuery << scope.indexedUpTo + 1 << std::min(bound, scope.freshUpTo)
                 << freshLimit << offset;
    }
    if (indexLimit > 0 && scope.indexedUpTo > 0) {
        sources.append(QStringLiteral("SELECT rowid FROM (SELECT rowid FROM search.deliveries_fts "
                                      "WHERE deliveries_fts MATCH ? AND rowid <= ? ORDER BY rowid "
                                      "DESC LIMIT ? OFFSET ?)"));
        bindings << ftsQuery << std::min(bound, scope.indexedUpTo) << indexLimit
                 << std::max<qint64>(0, offset - *fresh);
    }
    if (sources.isEmpty())
        return QList<DeliverySummary>();
    return summaries(database,
                     QStringLiteral("SELECT ") + SummaryColumns +
                         QStringLiteral(" FROM deliveries WHERE id IN (") +
                         sources.join(QStringLiteral(" UNION ALL ")) +
                         QStringLiteral(") ORDER BY id DESC"),
                     bindings, error);
}

} // namespace

std::optional<QList<DeliverySummary>> DeliveryReader::latest(int limit, QString *error,
                                                             qint64 beforeId) const
{
    return pageBefore(DeliveryFilter(), beforeId, limit, error);
}

std::optional<QList<DeliverySummary>> DeliveryReader::page(const DeliveryFilter &filter,
                                                           qint64 maxId, qint64 offset, int limit,
                                                           QString *error, qint64 total) const
{
    const qint64 bound = maxId > 0 ? maxId : std::numeric_limits<qint64>::max();
    bool ok = true;
    const auto scope = textSearch(m_database, filter, bound, &ok, error);
    if (!ok)
        return std::nullopt;
    if (scope && filter.onlyText())
        return textPage(m_database, filter.text, *scope, bound, offset, limit, error);
    QVariantList bindings;
    const QString where =
        filter.whereClause(bindings, scope ? &*scope : nullptr, 0, bound, dialectOf(m_database));
    if (total >= 0 && offset > total / 2) {
        const qint64 count = std::min<qint64>(limit, total - offset);
        if (count <= 0)
            return QList<DeliverySummary>();
        bindings.append(maxId > 0 ? maxId : std::numeric_limits<qint64>::max());
        bindings.append(count);
        bindings.append(total - offset - count);
        auto rows = summaries(m_database,
                              QStringLiteral("SELECT ") + SummaryColumns +
                                  QStringLiteral(" FROM deliveries WHERE ") + where +
                                  QStringLiteral(" AND id <= ? ORDER BY id ASC LIMIT ? OFFSET ?"),
                              bindings, error);
        if (rows)
            std::reverse(rows->begin(), rows->end());
        return rows;
    }
    bindings.append(maxId > 0 ? maxId : std::numeric_limits<qint64>::max());
    bindings.append(limit);
    bindings.append(offset);
    return summaries(m_database,
                     QStringLiteral("SELECT ") + SummaryColumns +
                         QStringLiteral(" FROM deliveries WHERE ") + where +
                         QStringLiteral(" AND id <= ? ORDER BY id DESC LIMIT ? OFFSET ?"),
                     bindings, error);
}

std::optional<QList<DeliverySummary>> DeliveryReader::pageBefore(const DeliveryFilter &filter,
                                                                 qint64 beforeId, int limit,
                                                                 QString *error) const
{
    const qint64 bound = beforeId > 0 ? beforeId - 1 : std::numeric_limits<qint64>::max();
    bool ok = true;
    const auto scope = textSearch(m_database, filter, bound, &ok, error);
    if (!ok)
        return std::nullopt;
    if (scope && filter.onlyText())
        return textPage(m_database, filter.text, *scope, bound, 0, limit, error);
    QVariantList bindings;
    const QString where =
        filter.whereClause(bindings, scope ? &*scope : nullptr, 0, bound, dialectOf(m_database));
    bindings.append(beforeId > 0 ? beforeId : std::numeric_limits<qint64>::max());
    bindings.append(limit);
    return summaries(m_database,
                     QStringLiteral("SELECT ") + SummaryColumns +
                         QStringLiteral(" FROM deliveries WHERE ") + where +
                         QStringLiteral(" AND id < ? ORDER BY id DESC LIMIT ?"),
                     bindings, error);
}

std::optional<QList<DeliverySummary>> DeliveryReader::matching(const DeliveryFilter &filter,
                                                               qint64 firstId, qint64 lastId,
                                                               QString *error) const
{
    bool ok = true;
    const auto scope = textSearch(m_database, filter, lastId, &ok, error);
    if (!ok)
        return std::nullopt;
    QVariantList bindings;
    const QString where = filter.whereClause(bindings, scope ? &*scope : nullptr, firstId, lastId,
                                             dialectOf(m_database));
    bindings.append(firstId);
    bindings.append(lastId);
    return summaries(m_database,
                     QStringLiteral("SELECT ") + SummaryColumns +
                         QStringLiteral(" FROM deliveries WHERE ") + where +
                         QStringLiteral(" AND id BETWEEN ? AND ? ORDER BY id DESC"),
                     bindings, error);
}

std::optional<qint64> DeliveryReader::count(const DeliveryFilter &filter, qint64 maxId,
                                            QString *error) const
{
    const qint64 bound = maxId > 0 ? maxId : std::numeric_limits<qint64>::max();
    bool ok = true;
    const auto scope = textSearch(m_database, filter, bound, &ok, error);
    if (!ok)
        return std::nullopt;
    QVariantList bindings;
    QString sql;
    if (scope && filter.onlyText()) {
        // Counted in the indexes alone, without visiting the deliveries.
        const QString ftsQuery = DeliveryFilter::ftsQuery(filter.text);
        const std::optional<qint64> fresh =
            freshMatches(m_database, ftsQuery, *scope, bound, error);
        if (!fresh)
            return std::nullopt;
        if (scope->indexedUpTo == 0)
            return fresh;
        sql = QStringLiteral("SELECT ? + count(*) FROM search.deliveries_fts WHERE "
                             "deliveries_fts MATCH ? AND rowid <= ?");
        bindings = {*fresh, ftsQuery, std::min(bound, scope->indexedUpTo)};
    } else if (filter.isEmpty()) {
        // Counting the rows up to an id walks the table itself, bodies and all; counting rows
        // with a larger id (few) and subtracting from the total (an index count) does not.
        sql = QStringLiteral("SELECT (SELECT count(*) FROM deliveries) - "
                             "(SELECT count(*) FROM deliveries WHERE id > ?)");
        bindings = {bound};
    } else {
        sql = QStringLiteral("SELECT count(*) FROM deliveries WHERE ") +
              filter.whereClause(bindings, scope ? &*scope : nullptr, 0, bound,
                                 dialectOf(m_database)) +
              QStringLiteral(" AND id <= ?");
        bindings.append(bound);
    }
    auto query = m_database.run(sql, bindings, error);
    if (!query || !query->next())
        return std::nullopt;
    return query->value(0).toLongLong();
}

std::optional<qint64> DeliveryReader::maxId(QString *error) const
{
    QSqlQuery query(m_database.connection());
    if (!query.exec(QStringLiteral("SELECT coalesce(max(id), 0) FROM deliveries")) ||
        !query.next()) {
        setError(query, error);
        return std::nullopt;
    }
    return query.value(0).toLongLong();
}

std::optional<qint64> DeliveryReader::minId(QString *error) const
{
    QSqlQuery query(m_database.connection());
    if (!query.exec(QStringLiteral("SELECT coalesce(min(id), 0) FROM deliveries")) ||
        !query.next()) {
        setError(query, error);
        return std::nullopt;
    }
    return query.value(0).toLongLong();
}

std::optional<QList<DeliveryReader::MinuteCount>> DeliveryReader::perMinute(qint64 sinceMs,
                                                                            QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT received_at / 60000, count(*), sum(CASE WHEN verdict NOT IN ('valid', "
        "'unverified') THEN 1 ELSE 0 END) "
        "FROM deliveries WHERE received_at >= ? GROUP BY 1 ORDER BY 1"));
    query.addBindValue(sinceMs);
    if (!query.exec()) {
        setError(query, error);
        return std::nullopt;
    }
    QList<MinuteCount> minutes;
    while (query.next())
        minutes.append(
            {query.value(0).toLongLong() * 60000, query.value(1).toInt(), query.value(2).toInt()});
    return minutes;
}

std::optional<QList<DeliverySummary>> DeliveryReader::attempts(const QString &eventId,
                                                               QString *error) const
{
    return summaries(m_database,
                     QStringLiteral("SELECT ") + SummaryColumns +
                         // "<> ''" lets SQLite use the partial index on event_id, whose WHERE it
                         // does not infer from "= ?".
                         QStringLiteral(" FROM deliveries WHERE event_id = ? AND event_id <> '' "
                                        "ORDER BY id"),
                     {eventId}, error);
}

std::optional<Delivery> DeliveryReader::find(qint64 id, QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT id, received_at, remote_address, method, path, http_version, headers, body, "
        "endpoint, event_type, event_id, subscriber_id, verification, response_status, "
        "handling_us, source, external_id, truncated, trailers, sample FROM deliveries WHERE id = "
        "?"));
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
    d.verification = StoredVerification::decode(query.value(12).toByteArray(), d.headers, d.body);
    d.responseStatus = query.value(13).toInt();
    d.handlingMicros = query.value(14).toLongLong();
    d.source = query.value(15).toString();
    d.externalId = query.value(16).toString();
    d.truncated = query.value(17).toInt() != 0;
    d.trailers = HeaderList::deserialize(query.value(18).toByteArray());
    d.sample = query.value(19).toInt() != 0;
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

std::optional<qint64> DeliveryReader::previousOf(qint64 id, QString *error) const
{
    auto subject = m_database.run(
        QStringLiteral("SELECT endpoint, event_type, event_id FROM deliveries WHERE id = ?"), {id},
        error);
    if (!subject)
        return std::nullopt;
    if (!subject->next())
        return 0;
    const QString endpoint = subject->value(0).toString();
    const QString eventType = subject->value(1).toString();
    const QString eventId = subject->value(2).toString();
    subject->finish();
    const auto lowerId = [&](const QString &sql,
                             const QVariantList &bindings) -> std::optional<qint64> {
        auto query = m_database.run(sql, bindings, error);
        if (!query)
            return std::nullopt;
        return query->next() ? query->value(0).toLongLong() : 0;
    };
    if (!eventId.isEmpty()) {
        // "<> ''" lets SQLite use the partial index on event_id.
        const auto attempt = lowerId(
            QStringLiteral("SELECT id FROM deliveries WHERE event_id = ? AND event_id <> '' AND "
                           "endpoint = ? AND id < ? ORDER BY id DESC LIMIT 1"),
            {eventId, endpoint, id});
        if (!attempt || *attempt > 0)
            return attempt;
    }
    return lowerId(QStringLiteral("SELECT id FROM deliveries WHERE event_type = ? AND endpoint = ? "
                                  "AND id < ? ORDER BY id DESC LIMIT 1"),
                   {eventType, endpoint, id});
}

std::optional<QList<qint64>> DeliveryReader::drifted(qint64 firstId, qint64 lastId,
                                                     QString *error) const
{
    auto query = m_database.run(QStringLiteral("SELECT DISTINCT delivery_id FROM drift WHERE "
                                               "delivery_id BETWEEN ? AND ? ORDER BY delivery_id"),
                                {firstId, lastId}, error);
    if (!query)
        return std::nullopt;
    QList<qint64> ids;
    while (query->next())
        ids.append(query->value(0).toLongLong());
    return ids;
}
