#include "storecopy.h"

#include "database.h"
#include "delivery.h"
#include "endpointrepository.h"
#include "postgres.h"
#include "subscribermapper.h"

#include <QAtomicInteger>
#include <QElapsedTimer>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>

namespace {

QAtomicInteger<quint64> connectionCounter;

// How a column's value is carried between the two stores: flags compare as booleans (any
// non-zero integer is set), and a team database's text cannot hold every string.
enum class Kind
{
    Integer,
    Boolean,
    Text,
    Bytes
};

struct Column
{
    const char *name;
    Kind kind;
};

using Columns = std::span<const Column>;
using Row = QVariantList;

// The columns both schemas have (see Database and Postgres), in the same order.
constexpr Column DeliveryColumns[] = {
    {"id", Kind::Integer},          {"received_at", Kind::Integer},
    {"remote_address", Kind::Text}, {"method", Kind::Text},
    {"path", Kind::Text},           {"http_version", Kind::Text},
    {"headers", Kind::Bytes},       {"body", Kind::Bytes},
    {"body_size", Kind::Integer},   {"endpoint", Kind::Text},
    {"event_type", Kind::Text},     {"event_id", Kind::Text},
    {"subscriber_id", Kind::Text},  {"verdict", Kind::Text},
    {"verification", Kind::Text},   {"response_status", Kind::Integer},
    {"handling_us", Kind::Integer}, {"source", Kind::Text},
    {"external_id", Kind::Text},    {"truncated", Kind::Boolean},
    {"trailers", Kind::Bytes},      {"sample", Kind::Boolean},
};
enum DeliveryColumn
{
    DeliveryId = 0,
    DeliveryPath = 4,
    DeliveryBody = 7,
    DeliveryEventType = 10,
    DeliveryEventId = 11,
};

constexpr Column ReplayColumns[] = {
    {"id", Kind::Integer},
    {"delivery_id", Kind::Integer},
    {"sent_at", Kind::Integer},
    {"url", Kind::Text},
    {"resigned", Kind::Boolean},
    {"request_headers", Kind::Bytes},
    {"request_body", Kind::Bytes},
    {"status", Kind::Integer},
    {"response_headers", Kind::Bytes},
    {"response_body", Kind::Bytes},
    {"latency_ms", Kind::Integer},
    {"error", Kind::Text},
    {"kind", Kind::Text},
};

constexpr Column SubscriberColumns[] = {
    {"id", Kind::Integer},
    {"endpoint", Kind::Text},
    {"subscriber_id", Kind::Text},
    {"verified", Kind::Boolean},
    {"fields", Kind::Text},
    {"data", Kind::Text},
    {"first_seen", Kind::Integer},
    {"last_seen", Kind::Integer},
    {"created_event_id", Kind::Text},
    {"created_delivery_id", Kind::Integer},
    {"local_reference", Kind::Text},
    {"notes", Kind::Text},
};

constexpr Column SubscriberEventColumns[] = {
    {"endpoint", Kind::Text},
    {"event_id", Kind::Text},
    {"delivery_id", Kind::Integer},
};

QString names(Columns columns, const QString &prefix = QString())
{
    QStringList list;
    for (const Column &column : columns)
        list.append(prefix + QLatin1String(column.name));
    return list.join(QStringLiteral(", "));
}

QString placeholders(qsizetype count)
{
    QStringList list(count, QStringLiteral("?"));
    return list.join(QStringLiteral(", "));
}

// "c = excluded.c" for each column but the `skip` first ones (the key).
QString updates(Columns columns, qsizetype skip)
{
    QStringList list;
    for (const Column &column : columns.subspan(skip))
        list.append(QStringLiteral("%1 = excluded.%1").arg(QLatin1String(column.name)));
    return list.join(QStringLiteral(", "));
}

// A value as read, in one form whichever side it came from: qint64, bool, QString or
// QByteArray, never null.
QVariant canonical(const QVariant &value, Kind kind)
{
    switch (kind) {
    case Kind::Integer:
        return qint64(value.toLongLong());
    case Kind::Boolean:
        return value.toBool();
    case Kind::Text: {
        const QString text = value.toString();
        return text.isNull() ? QStringLiteral("") : text;
    }
    case Kind::Bytes: {
        const QByteArray bytes = value.toByteArray();
        return bytes.isNull() ? QByteArray("") : bytes;
    }
    }
    return value;
}

Row readRow(const QSqlQuery &query, Columns columns)
{
    Row row;
    row.reserve(qsizetype(columns.size()));
    for (qsizetype i = 0; i < qsizetype(columns.size()); ++i)
        row.append(canonical(query.value(int(i)), columns[size_t(i)].kind));
    return row;
}

// One side of the copy: a HookScope file through Database, or a team database.
class Store
{
public:
    explicit Store(const QString &location)
        : m_location(location)
        , m_postgres(Postgres::isLocation(location))
        , m_connectionName(
              QStringLiteral("hookscope-copy-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
    {}
    ~Store()
    {
        if (m_postgres)
            Postgres::disconnect(m_connectionName);
    }
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    bool open(bool forWriting, QString *error)
    {
        if (m_postgres) {
            if (!Postgres::connect(m_location, m_connectionName, error))
                return false;
            if (!Postgres::checkSchema(db(), error)) {
                Postgres::disconnect(m_connectionName);
                return false;
            }
            return true;
        }
        if (forWriting)
            return m_file.open(m_location, error);
        if (!m_file.openReadOnly(m_location, error))
            return false;
        if (m_file.isStandIn()) {
            *error = QStringLiteral("there is no HookScope database at %1").arg(m_location);
            return false;
        }
        return true;
    }

    bool isPostgres() const { return m_postgres; }
    QString shown() const
    {
        return m_postgres ? Postgres::displayLocation(m_location) : m_location;
    }
    QSqlDatabase db() const
    {
        return m_postgres ? QSqlDatabase::database(m_connectionName, false) : m_file.connection();
    }
    const Database &file() const { return m_file; }

    QString errorOf(const QSqlError &error) const
    {
        return m_postgres ? Postgres::errorText(error) : Database::errorText(error);
    }

    std::optional<QSqlQuery> run(const QString &sql, const QVariantList &bindings,
                                 QString *error) const
    {
        QSqlQuery query(db());
        query.setForwardOnly(true);
        if (!query.prepare(sql)) {
            *error = errorOf(query.lastError());
            return std::nullopt;
        }
        for (const QVariant &value : bindings)
            query.addBindValue(value);
        if (!query.exec()) {
            *error = errorOf(query.lastError());
            return std::nullopt;
        }
        return query;
    }

    std::optional<qint64> scalar(const QString &sql, const QVariantList &bindings,
                                 QString *error) const
    {
        std::optional<QSqlQuery> query = run(sql, bindings, error);
        if (!query)
            return std::nullopt;
        return query->next() ? query->value(0).toLongLong() : 0;
    }

    // Unprepared: PostgreSQL prepares no transaction control.
    bool exec(const QString &sql, QString *error) const
    {
        QSqlQuery query(db());
        if (!query.exec(sql)) {
            *error = errorOf(query.lastError());
            return false;
        }
        return true;
    }

    // A file's write lock is taken at the start, so that no other writer can come between
    // the check of the largest id and the rows.
    bool begin(QString *error) const
    {
        return exec(m_postgres ? QStringLiteral("BEGIN") : QStringLiteral("BEGIN IMMEDIATE"),
                    error);
    }
    bool commit(QString *error) const { return exec(QStringLiteral("COMMIT"), error); }
    void rollback() const
    {
        QString ignored;
        exec(QStringLiteral("ROLLBACK"), &ignored);
    }

    // `value` (canonical) as this side keeps it.
    QVariant kept(const QVariant &value, Kind kind) const
    {
        if (m_postgres && kind == Kind::Text)
            return Postgres::text(value.toString().toUtf8());
        return value;
    }
    Row kept(const Row &row, Columns columns) const
    {
        Row result;
        result.reserve(row.size());
        for (qsizetype i = 0; i < row.size(); ++i)
            result.append(kept(row.at(i), columns[size_t(i)].kind));
        return result;
    }
    // `value` (canonical) as bound into this side's statements.
    QVariant bindable(const QVariant &value, Kind kind) const
    {
        // Flags are integers in both stores.
        if (kind == Kind::Boolean)
            return value.toBool() ? 1 : 0;
        return kept(value, kind);
    }

private:
    QString m_location;
    bool m_postgres;
    QString m_connectionName;
    Database m_file;
};

// Reads (id, received_at, body_size) of the deliveries with ids in (0, upTo], in id order, a
// chunk at a time.
class DeliveryKeys
{
public:
    struct Key
    {
        qint64 id = 0;
        qint64 receivedAt = 0;
        qint64 bodySize = 0;
        friend bool operator==(const Key &, const Key &) = default;
    };

    DeliveryKeys(const Store &store, qint64 upTo)
        : m_store(store)
        , m_upTo(upTo)
    {}

    // The next key, nothing at the end, or nothing with `error` set.
    std::optional<Key> next(QString *error)
    {
        if (m_index == m_chunk.size() && !m_done) {
            m_chunk.clear();
            m_index = 0;
            std::optional<QSqlQuery> query = m_store.run(
                QStringLiteral("SELECT id, received_at, body_size FROM deliveries WHERE id > ? "
                               "AND id <= ? ORDER BY id LIMIT %1")
                    .arg(ChunkRows),
                {m_after, m_upTo}, error);
            if (!query)
                return std::nullopt;
            while (query->next()) {
                m_chunk.append({query->value(0).toLongLong(), query->value(1).toLongLong(),
                                query->value(2).toLongLong()});
            }
            m_done = m_chunk.size() < ChunkRows;
            if (!m_chunk.isEmpty())
                m_after = m_chunk.constLast().id;
        }
        if (m_index == m_chunk.size())
            return std::nullopt;
        return m_chunk.at(m_index++);
    }

private:
    static constexpr int ChunkRows = 50000;
    const Store &m_store;
    qint64 m_upTo;
    qint64 m_after = 0;
    QList<Key> m_chunk;
    qsizetype m_index = 0;
    bool m_done = false;
};

class Copier
{
public:
    Copier(const Store &source, const Store &target, const StoreCopy::Progress &progress,
           StoreCopy::Summary &summary)
        : m_source(source)
        , m_target(target)
        , m_progress(progress)
        , m_summary(summary)
    {}

    bool run(QString *error)
    {
        return plan(error) && copyEndpoints(error) && copyDeliveries(error) && copyReplays(error) &&
               copySubscribers(error) && copySubscriberEvents(error) && finish(error);
    }

private:
    // A failure of `what`, in one sentence.
    bool failed(const QString &what, const QString &why, QString *error) const
    {
        *error = QStringLiteral("%1: %2").arg(what, why);
        return false;
    }

    bool refused(const QString &why, QString *error) const
    {
        *error = QStringLiteral("%1 already holds deliveries that are not from %2 (%3); copy "
                                "into a new file or an empty team database instead")
                     .arg(m_target.shown(), m_source.shown(), why);
        return false;
    }

    // Checks the target against the rule in the header, and finds the ids below its largest
    // that it lacks.
    bool plan(QString *error)
    {
        QString why;
        const auto count = [&why](const Store &store, const QString &sql) {
            return store.scalar(sql, {}, &why);
        };
        const QString countSql = QStringLiteral("SELECT count(*) FROM deliveries");
        const QString maxSql = QStringLiteral("SELECT coalesce(max(id), 0) FROM deliveries");
        const std::optional<qint64> sourceCount = count(m_source, countSql);
        const std::optional<qint64> sourceMax = sourceCount ? count(m_source, maxSql) : 0;
        if (!sourceCount || !sourceMax)
            return failed(QStringLiteral("cannot read the deliveries of %1").arg(m_source.shown()),
                          why, error);
        const std::optional<qint64> targetCount = count(m_target, countSql);
        const std::optional<qint64> targetMax = targetCount ? count(m_target, maxSql) : 0;
        if (!targetCount || !targetMax)
            return failed(QStringLiteral("cannot read the deliveries of %1").arg(m_target.shown()),
                          why, error);
        m_total = *sourceCount;
        m_sourceMax = *sourceMax;
        m_targetMax = *targetMax;
        m_targetHeld = *targetMax;
        m_summary.alreadyThere = *targetCount;
        m_done = *targetCount;
        if (*targetCount == 0)
            return true;

        const QString selectRow =
            QStringLiteral("SELECT %1 FROM deliveries WHERE id = ?").arg(names(DeliveryColumns));
        std::optional<QSqlQuery> sourceLast = m_source.run(selectRow, {m_targetMax}, &why);
        if (!sourceLast)
            return failed(QStringLiteral("cannot read the deliveries of %1").arg(m_source.shown()),
                          why, error);
        if (!sourceLast->next()) {
            return refused(QStringLiteral("its delivery %1 is not in the source").arg(m_targetMax),
                           error);
        }
        const Row expected = m_target.kept(readRow(*sourceLast, DeliveryColumns), DeliveryColumns);
        sourceLast.reset();
        std::optional<QSqlQuery> targetLast = m_target.run(selectRow, {m_targetMax}, &why);
        if (!targetLast || !targetLast->next())
            return failed(QStringLiteral("cannot read the deliveries of %1").arg(m_target.shown()),
                          why, error);
        const Row held = readRow(*targetLast, DeliveryColumns);
        targetLast.reset();
        if (held != expected) {
            return refused(
                QStringLiteral("its delivery %1 differs from the source's").arg(m_targetMax),
                error);
        }

        // Every id the target holds must be the source's; the source's it lacks are copied.
        DeliveryKeys sourceKeys(m_source, m_targetMax);
        DeliveryKeys targetKeys(m_target, m_targetMax);
        std::optional<DeliveryKeys::Key> source = sourceKeys.next(&why);
        for (;;) {
            const std::optional<DeliveryKeys::Key> target = targetKeys.next(&why);
            if (!target)
                break;
            while (source && source->id < target->id) {
                m_gaps.append({source->id, source->bodySize});
                source = sourceKeys.next(&why);
            }
            if (!why.isEmpty())
                break;
            if (!source || source->id != target->id) {
                return refused(
                    QStringLiteral("its delivery %1 is not in the source").arg(target->id), error);
            }
            if (*source != *target) {
                return refused(
                    QStringLiteral("its delivery %1 differs from the source's").arg(target->id),
                    error);
            }
            source = sourceKeys.next(&why);
        }
        if (!why.isEmpty())
            return failed(QStringLiteral("cannot compare the deliveries of %1 and %2")
                              .arg(m_source.shown(), m_target.shown()),
                          why, error);
        return true;
    }

    bool copyEndpoints(QString *error)
    {
        QString why;
        if (m_target.isPostgres()) {
            const auto endpoints = EndpointRepository(m_source.file()).list(&why);
            if (!endpoints)
                return failed(
                    QStringLiteral("cannot read the endpoints of %1").arg(m_source.shown()), why,
                    error);
            for (const Endpoint &endpoint : *endpoints) {
                // Published without a secret that could not be read, its fingerprint would be
                // missing from the team's.
                if (!endpoint.secretProblem.isEmpty()) {
                    m_summary.notes.append(QStringLiteral("endpoint %1 was not published: %2")
                                               .arg(endpoint.name, endpoint.secretProblem));
                    continue;
                }
                if (!Postgres::publishEndpoint(m_target.db(), endpoint, &why))
                    return failed(QStringLiteral("cannot publish endpoint %1 to %2")
                                      .arg(endpoint.name, m_target.shown()),
                                  why, error);
                ++m_summary.endpoints;
            }
            return true;
        }
        const auto team = Postgres::endpoints(m_source.db(), &why);
        if (!team)
            return failed(QStringLiteral("cannot read the endpoints of %1").arg(m_source.shown()),
                          why, error);
        const EndpointRepository repository(m_target.file());
        const auto local = repository.list(&why);
        if (!local)
            return failed(QStringLiteral("cannot read the endpoints of %1").arg(m_target.shown()),
                          why, error);
        for (Endpoint endpoint : *team) {
            const auto sameName =
                std::find_if(local->cbegin(), local->cend(), [&endpoint](const Endpoint &own) {
                    return own.name == endpoint.name;
                });
            if (sameName != local->cend()) {
                ++m_summary.endpointsKept;
                continue;
            }
            const QString path = Endpoint::normalizePath(endpoint.path);
            const auto samePath =
                std::find_if(local->cbegin(), local->cend(), [&path](const Endpoint &own) {
                    return Endpoint::normalizePath(own.path) == path;
                });
            if (samePath != local->cend()) {
                m_summary.notes.append(
                    QStringLiteral("endpoint %1 was not added to %2: its path %3 is endpoint "
                                   "%4's there")
                        .arg(endpoint.name, m_target.shown(), path, samePath->name));
                continue;
            }
            // The team database holds fingerprints where the secrets would be.
            const bool hadSecret = endpoint.hasSecret();
            endpoint.secrets.clear();
            endpoint.id = 0;
            if (!repository.add(endpoint, &why))
                return failed(QStringLiteral("cannot add endpoint %1 to %2")
                                  .arg(endpoint.name, m_target.shown()),
                              why, error);
            ++m_summary.endpoints;
            if (hadSecret) {
                m_summary.notes.append(
                    QStringLiteral("endpoint %1 was added without its secret, which the team "
                                   "database does not hold; give it with: hookscope endpoint "
                                   "update %1 --secret-env VAR --db %2")
                        .arg(endpoint.name, m_target.shown()));
            }
        }
        return true;
    }

    bool copyDeliveries(QString *error)
    {
        QString why;
        if (!prepareDeliveryInsert(&why))
            return failed(QStringLiteral("cannot write deliveries into %1").arg(m_target.shown()),
                          why, error);
        // Receivers writing to the team database meanwhile take ids above the source's, and
        // are found at the next batch, rather than colliding with a copied row.
        if (m_target.isPostgres() && m_sourceMax > 0 &&
            !advanceSequence(QStringLiteral("deliveries"), m_sourceMax, &why))
            return failed(
                QStringLiteral("cannot move the delivery ids of %1 on").arg(m_target.shown()), why,
                error);

        // The source's deliveries below the target's largest id that it lacks.
        qsizetype from = 0;
        while (from < m_gaps.size()) {
            QStringList ids;
            qint64 bytes = 0;
            qsizetype to = from;
            while (to < m_gaps.size() && ids.size() < StoreCopy::BatchRows &&
                   (ids.isEmpty() || bytes + m_gaps.at(to).second <= StoreCopy::BatchBytes)) {
                ids.append(QString::number(m_gaps.at(to).first));
                bytes += m_gaps.at(to).second;
                ++to;
            }
            // Numbers only: safe to write into the statement.
            if (!copyDeliveryBatch(QStringLiteral("SELECT %1 FROM deliveries WHERE id IN (%2) "
                                                  "ORDER BY id")
                                       .arg(names(DeliveryColumns), ids.join(u',')),
                                   {}, error))
                return false;
            from = to;
        }

        // Then every one above it.
        qint64 after = m_targetMax;
        for (;;) {
            std::optional<QSqlQuery> sizes = m_source.run(
                QStringLiteral("SELECT id, body_size FROM deliveries WHERE id > ? ORDER BY id "
                               "LIMIT %1")
                    .arg(StoreCopy::BatchRows),
                {after}, &why);
            if (!sizes)
                return failed(
                    QStringLiteral("cannot read the deliveries of %1").arg(m_source.shown()), why,
                    error);
            qint64 last = 0;
            qint64 bytes = 0;
            while (sizes->next()) {
                const qint64 size = sizes->value(1).toLongLong();
                if (last != 0 && bytes + size > StoreCopy::BatchBytes)
                    break;
                last = sizes->value(0).toLongLong();
                bytes += size;
            }
            sizes.reset();
            if (last == 0)
                break;
            if (!copyDeliveryBatch(QStringLiteral("SELECT %1 FROM deliveries WHERE id > ? AND id "
                                                  "<= ? ORDER BY id")
                                       .arg(names(DeliveryColumns)),
                                   {after, last}, error))
                return false;
            after = last;
        }
        return true;
    }

    bool prepareDeliveryInsert(QString *error)
    {
        m_insertDelivery = std::make_unique<QSqlQuery>(m_target.db());
        const QString values = placeholders(std::size(DeliveryColumns));
        const QString sql =
            m_target.isPostgres()
                ? QStringLiteral("INSERT INTO deliveries (%1, receiver, search) VALUES (%2, '', ")
                          .arg(names(DeliveryColumns), values) +
                      Postgres::SearchVector + u')'
                : QStringLiteral("INSERT INTO deliveries (%1) VALUES (%2)")
                      .arg(names(DeliveryColumns), values);
        if (!m_insertDelivery->prepare(sql)) {
            *error = m_target.errorOf(m_insertDelivery->lastError());
            return false;
        }
        return true;
    }

    // Reads the deliveries `select` finds in the source and writes them into the target in one
    // transaction, after checking that the target took none of its own meanwhile.
    bool copyDeliveryBatch(const QString &select, const QVariantList &bindings, QString *error)
    {
        QString why;
        QList<Row> rows;
        {
            std::optional<QSqlQuery> query = m_source.run(select, bindings, &why);
            if (!query)
                return failed(
                    QStringLiteral("cannot read the deliveries of %1").arg(m_source.shown()), why,
                    error);
            while (query->next())
                rows.append(readRow(*query, DeliveryColumns));
        }
        if (rows.isEmpty())
            return true;
        const QString writing =
            QStringLiteral("cannot write deliveries into %1").arg(m_target.shown());
        if (!m_target.begin(&why))
            return failed(writing, why, error);
        const std::optional<qint64> held = m_target.scalar(
            QStringLiteral("SELECT coalesce(max(id), 0) FROM deliveries"), {}, &why);
        if (!held) {
            m_target.rollback();
            return failed(writing, why, error);
        }
        if (*held != m_targetHeld) {
            m_target.rollback();
            return refused(
                QStringLiteral("it took delivery %1 of its own while the copy ran").arg(*held),
                error);
        }
        qint64 last = 0;
        for (const Row &row : rows) {
            QSqlQuery &insert = *m_insertDelivery;
            for (qsizetype i = 0; i < row.size(); ++i)
                insert.addBindValue(m_target.bindable(row.at(i), DeliveryColumns[i].kind));
            if (m_target.isPostgres()) {
                Delivery delivery;
                delivery.path = row.at(DeliveryPath).toString();
                delivery.body = row.at(DeliveryBody).toByteArray();
                delivery.eventType = row.at(DeliveryEventType).toString();
                delivery.eventId = row.at(DeliveryEventId).toString();
                insert.addBindValue(Postgres::searchText(delivery));
            }
            const qint64 id = row.at(DeliveryId).toLongLong();
            if (!insert.exec()) {
                why = m_target.errorOf(insert.lastError());
                m_target.rollback();
                return failed(QStringLiteral("cannot write delivery %1 into %2")
                                  .arg(id)
                                  .arg(m_target.shown()),
                              why, error);
            }
            insert.finish();
            last = std::max(last, id);
        }
        // A team window learns of the rows at the commit. A file's own mapper would apply
        // them a second time: their subscribers are copied as they are.
        const bool marked =
            m_target.isPostgres()
                ? m_target
                      .run(QStringLiteral("SELECT pg_notify('hookscope_deliveries', ?)"),
                           {QString::number(last)}, &why)
                      .has_value()
                : m_target
                      .run(QStringLiteral("UPDATE mapping_state SET mapped_up_to = "
                                          "max(mapped_up_to, ?)"),
                           {last}, &why)
                      .has_value();
        if (!marked || !m_target.commit(&why)) {
            m_target.rollback();
            return failed(writing, why, error);
        }
        m_targetHeld = std::max(m_targetHeld, last);
        m_summary.deliveries += rows.size();
        m_done += rows.size();
        report(false);
        return true;
    }

    bool copyReplays(QString *error)
    {
        QString why;
        QSqlQuery upsert(m_target.db());
        // A target replay of the same id is the source's when it was sent for the same
        // delivery at the same time; any other is left, and the copy stops.
        if (!upsert.prepare(QStringLiteral("INSERT INTO replays (%1) VALUES (%2) ON CONFLICT "
                                           "(id) DO UPDATE SET %3 WHERE replays.delivery_id = "
                                           "excluded.delivery_id AND replays.sent_at = "
                                           "excluded.sent_at")
                                .arg(names(ReplayColumns), placeholders(std::size(ReplayColumns)),
                                     updates(ReplayColumns, 1))))
            return failed(QStringLiteral("cannot write replays into %1").arg(m_target.shown()),
                          m_target.errorOf(upsert.lastError()), error);
        qint64 after = 0;
        for (;;) {
            std::optional<QSqlQuery> sizes = m_source.run(
                QStringLiteral("SELECT id, length(request_body) + length(response_body) FROM "
                               "replays WHERE id > ? ORDER BY id LIMIT %1")
                    .arg(StoreCopy::BatchRows),
                {after}, &why);
            if (!sizes)
                return failed(QStringLiteral("cannot read the replays of %1").arg(m_source.shown()),
                              why, error);
            qint64 last = 0;
            qint64 bytes = 0;
            while (sizes->next()) {
                const qint64 size = sizes->value(1).toLongLong();
                if (last != 0 && bytes + size > StoreCopy::BatchBytes)
                    break;
                last = sizes->value(0).toLongLong();
                bytes += size;
            }
            sizes.reset();
            if (last == 0)
                return true;
            QList<Row> rows;
            if (!readRows(QStringLiteral("SELECT %1 FROM replays WHERE id > ? AND id <= ? ORDER "
                                         "BY id")
                              .arg(names(ReplayColumns)),
                          {after, last}, ReplayColumns, &rows, &why))
                return failed(QStringLiteral("cannot read the replays of %1").arg(m_source.shown()),
                              why, error);
            std::optional<qint64> foreign;
            if (!writeRows(upsert, rows, ReplayColumns, &foreign, &why))
                return failed(QStringLiteral("cannot write replays into %1").arg(m_target.shown()),
                              why, error);
            if (foreign) {
                *error = QStringLiteral("%1 holds a replay %2 that is not %3's; the copy stopped "
                                        "before replacing it")
                             .arg(m_target.shown())
                             .arg(*foreign)
                             .arg(m_source.shown());
                return false;
            }
            m_summary.replays += rows.size();
            after = last;
        }
    }

    bool copySubscribers(QString *error)
    {
        QString why;
        // A file applies its deliveries to its mapping after their commits (see
        // SubscriberMapper): what it has not applied yet is applied first, so that the
        // subscribers copied hold every delivery copied.
        if (!m_source.isPostgres() && !SubscriberMapper::bringUpToDate(m_source.file(), &why))
            return failed(QStringLiteral("cannot bring the subscribers of %1 up to date")
                              .arg(m_source.shown()),
                          why, error);
        QSqlQuery upsert(m_target.db());
        if (!upsert.prepare(QStringLiteral("INSERT INTO subscribers (%1) VALUES (%2) ON CONFLICT "
                                           "(endpoint, subscriber_id) DO UPDATE SET %3")
                                .arg(names(SubscriberColumns),
                                     placeholders(std::size(SubscriberColumns)),
                                     updates(SubscriberColumns, 3))))
            return failed(QStringLiteral("cannot write subscribers into %1").arg(m_target.shown()),
                          m_target.errorOf(upsert.lastError()), error);
        qint64 after = 0;
        for (;;) {
            QList<Row> rows;
            if (!readRows(QStringLiteral("SELECT %1 FROM subscribers WHERE id > ? ORDER BY id "
                                         "LIMIT %2")
                              .arg(names(SubscriberColumns))
                              .arg(StoreCopy::BatchRows),
                          {after}, SubscriberColumns, &rows, &why))
                return failed(
                    QStringLiteral("cannot read the subscribers of %1").arg(m_source.shown()), why,
                    error);
            if (rows.isEmpty())
                return true;
            if (!writeRows(upsert, rows, SubscriberColumns, nullptr, &why))
                return failed(
                    QStringLiteral("cannot write subscribers into %1").arg(m_target.shown()), why,
                    error);
            m_summary.subscribers += rows.size();
            after = rows.constLast().at(0).toLongLong();
        }
    }

    bool copySubscriberEvents(QString *error)
    {
        QString why;
        QSqlQuery upsert(m_target.db());
        if (!upsert.prepare(QStringLiteral("INSERT INTO subscriber_events (%1) VALUES (%2) ON "
                                           "CONFLICT (endpoint, event_id) DO UPDATE SET %3")
                                .arg(names(SubscriberEventColumns),
                                     placeholders(std::size(SubscriberEventColumns)),
                                     updates(SubscriberEventColumns, 2))))
            return failed(
                QStringLiteral("cannot write subscriber events into %1").arg(m_target.shown()),
                m_target.errorOf(upsert.lastError()), error);
        // Pages follow the source's own key order (its primary key), whatever its collation.
        std::optional<Row> after;
        for (;;) {
            QList<Row> rows;
            const QString select =
                QStringLiteral("SELECT %1 FROM subscriber_events %2 ORDER BY endpoint, event_id "
                               "LIMIT %3")
                    .arg(names(SubscriberEventColumns),
                         after ? QStringLiteral("WHERE (endpoint, event_id) > (?, ?)") : QString())
                    .arg(StoreCopy::BatchRows);
            if (!readRows(select, after ? QVariantList{after->at(0), after->at(1)} : QVariantList(),
                          SubscriberEventColumns, &rows, &why))
                return failed(
                    QStringLiteral("cannot read the subscriber events of %1").arg(m_source.shown()),
                    why, error);
            if (rows.isEmpty())
                return true;
            if (!writeRows(upsert, rows, SubscriberEventColumns, nullptr, &why))
                return failed(
                    QStringLiteral("cannot write subscriber events into %1").arg(m_target.shown()),
                    why, error);
            m_summary.subscriberEvents += rows.size();
            after = rows.constLast();
        }
    }

    bool finish(QString *error)
    {
        if (m_target.isPostgres()) {
            QString why;
            for (const QString &table : {QStringLiteral("deliveries"), QStringLiteral("replays"),
                                         QStringLiteral("subscribers")}) {
                if (!advanceSequence(table, 0, &why))
                    return failed(QStringLiteral("cannot move the %1 ids of %2 on")
                                      .arg(table, m_target.shown()),
                                  why, error);
            }
        }
        report(true);
        return true;
    }

    bool readRows(const QString &select, const QVariantList &bindings, Columns columns,
                  QList<Row> *rows, QString *error) const
    {
        std::optional<QSqlQuery> query = m_source.run(select, bindings, error);
        if (!query)
            return false;
        while (query->next())
            rows->append(readRow(*query, columns));
        return true;
    }

    // Writes `rows` with `upsert` in one transaction. With `foreign`, a row the upsert left as
    // it was (its guard failed) stops it: its id, and nothing is written.
    bool writeRows(QSqlQuery &upsert, const QList<Row> &rows, Columns columns,
                   std::optional<qint64> *foreign, QString *error) const
    {
        if (!m_target.begin(error))
            return false;
        for (const Row &row : rows) {
            for (qsizetype i = 0; i < row.size(); ++i)
                upsert.addBindValue(m_target.bindable(row.at(i), columns[size_t(i)].kind));
            if (!upsert.exec()) {
                *error = m_target.errorOf(upsert.lastError());
                m_target.rollback();
                return false;
            }
            const int affected = upsert.numRowsAffected();
            upsert.finish();
            if (foreign && affected == 0) {
                *foreign = row.at(0).toLongLong();
                m_target.rollback();
                return true;
            }
        }
        if (!m_target.commit(error)) {
            m_target.rollback();
            return false;
        }
        return true;
    }

    // Moves the id sequence of `table` in the team database past its largest id and
    // `atLeast`, never back: a receiver may hold a higher id it has not committed yet.
    bool advanceSequence(const QString &table, qint64 atLeast, QString *error) const
    {
        const QString wanted =
            QStringLiteral("greatest(?, (SELECT coalesce(max(id), 0) FROM %1))").arg(table);
        return m_target
            .run(QStringLiteral("SELECT setval('%1_id_seq', %2) FROM %1_id_seq WHERE %2 > CASE "
                                "WHEN is_called THEN last_value ELSE last_value - 1 END")
                     .arg(table, wanted),
                 {atLeast, atLeast}, error)
            .has_value();
    }

    void report(bool final)
    {
        if (!m_progress)
            return;
        m_total = std::max(m_total, m_done);
        if (!final && m_reported.isValid() && m_reported.elapsed() < ProgressIntervalMs)
            return;
        m_progress(m_done, m_total);
        m_reported.start();
    }

    static constexpr int ProgressIntervalMs = 200;

    const Store &m_source;
    const Store &m_target;
    const StoreCopy::Progress &m_progress;
    StoreCopy::Summary &m_summary;
    qint64 m_total = 0;
    qint64 m_done = 0;
    qint64 m_sourceMax = 0;
    qint64 m_targetMax = 0;
    qint64 m_targetHeld = 0;                 // the target's largest delivery id
    QList<std::pair<qint64, qint64>> m_gaps; // (id, body_size)
    std::unique_ptr<QSqlQuery> m_insertDelivery;
    QElapsedTimer m_reported;
};

} // namespace

bool StoreCopy::copy(const QString &from, const QString &to, const Progress &progress,
                     Summary *summary, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    Summary own;
    if (!summary)
        summary = &own;
    *summary = Summary();
    if (Postgres::isLocation(from) == Postgres::isLocation(to)) {
        *error = QStringLiteral("a copy goes between a HookScope file and a team database "
                                "(postgresql://...): exactly one of the two must be a team "
                                "database");
        return false;
    }
    Store source(from);
    Store target(to);
    if (!source.open(false, error) || !target.open(true, error))
        return false;
    Copier copier(source, target, progress, *summary);
    return copier.run(error);
}
