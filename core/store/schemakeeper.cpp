#include "schemakeeper.h"

#include "database.h"
#include "postgres.h"
#include "sqlitestatement.h"
#include "writeturns.h"

#include <QSqlError>
#include <QSqlQuery>

#include <set>
#include <tuple>
#include <vector>

namespace {

// Text columns are NOT NULL: a null QString binds as NULL, an empty one as ''.
QVariant text(const QString &value)
{
    return value.isNull() ? QVariant(QStringLiteral("")) : QVariant(value);
}

QString joinedExamples(const QStringList &examples)
{
    return u'[' + examples.join(u',') + u']';
}

// The stored examples ("[1.10,\"a\"]") back into their JSON texts, each exactly as sent.
QStringList splitExamples(const QString &stored)
{
    QStringList examples;
    if (stored.size() < 2)
        return examples;
    // Top-level commas of the array: outside strings (examples are scalars).
    qsizetype start = 1;
    bool inString = false;
    for (qsizetype i = 1; i + 1 < stored.size(); ++i) {
        const QChar c = stored.at(i);
        if (inString) {
            if (c == u'\\')
                ++i;
            else if (c == u'"')
                inString = false;
        } else if (c == u'"') {
            inString = true;
        } else if (c == u',') {
            examples.append(stored.mid(start, i - start));
            start = i + 1;
        }
    }
    if (stored.size() - 1 > start)
        examples.append(stored.mid(start, stored.size() - 1 - start));
    return examples;
}

SchemaField fieldFrom(const QSqlQuery &row, int first)
{
    SchemaField f;
    f.types = row.value(first).toUInt();
    f.deliveries = row.value(first + 1).toLongLong();
    f.occurrences = row.value(first + 2).toLongLong();
    f.objects = row.value(first + 3).toLongLong();
    f.strings = row.value(first + 4).toLongLong();
    f.formats = row.value(first + 5).toUInt();
    f.firstSeenMs = row.value(first + 6).toLongLong();
    f.lastSeenMs = row.value(first + 7).toLongLong();
    f.firstDeliveryId = row.value(first + 8).toLongLong();
    f.examples = splitExamples(row.value(first + 9).toString());
    return f;
}

const QString FieldColumns = QStringLiteral(
    "types, deliveries, occurrences, objects, strings, formats, first_seen, last_seen, "
    "first_delivery_id, examples");

const QString TypeColumns = QStringLiteral(
    "endpoint, event_type, deliveries, drifted, first_seen, last_seen, last_delivery_id");

// A team database's upsert of `table`'s row by `keys`, setting `columns` (both lists of
// names, ", "-separated), with a placeholder for each.
QString upsert(const QString &table, const QString &keys, const QString &columns)
{
    QStringList set;
    for (const QString &column : columns.split(QStringLiteral(", ")))
        set.append(column + QStringLiteral(" = EXCLUDED.") + column);
    const qsizetype count = keys.count(u',') + columns.count(u',') + 2;
    QStringList placeholders(count, QStringLiteral("?"));
    return QStringLiteral("INSERT INTO %1 (%2, %3) VALUES (%4) ON CONFLICT (%2) DO UPDATE SET %5")
        .arg(table, keys, columns, placeholders.join(QStringLiteral(", ")),
             set.join(QStringLiteral(", ")));
}

void typeFrom(const QSqlQuery &row, EventSchema &schema)
{
    schema.endpoint = row.value(0).toString();
    schema.eventType = row.value(1).toString();
    schema.deliveries = row.value(2).toLongLong();
    schema.drifted = row.value(3).toLongLong();
    schema.firstSeenMs = row.value(4).toLongLong();
    schema.lastSeenMs = row.value(5).toLongLong();
    schema.lastDeliveryId = row.value(6).toLongLong();
}

} // namespace

SchemaKeeper::SchemaKeeper(const Database &database, WriteTurns *turns)
    : m_database(database)
    , m_turns(turns)
{}

SchemaKeeper::~SchemaKeeper() = default;

struct SchemaKeeper::Statements
{
    std::unique_ptr<SqliteStatement> read;
    std::unique_ptr<SqliteStatement> types;
    std::unique_ptr<SqliteStatement> fields;
    std::unique_ptr<SqliteStatement> drift;
    std::unique_ptr<SqliteStatement> state;
};

bool SchemaKeeper::prepare(QString *error)
{
    if (m_statements)
        return true;
    // Through SQLite's own API, as the writer binds (see SqliteStatement): Qt's would convert
    // every body and name to a QVariant, and make a placeholder name for each value bound.
    sqlite3 *handle = SqliteStatement::handleOf(m_database.connection());
    if (!handle) {
        *error = QStringLiteral("this build's Qt SQL driver uses a copy of SQLite of its own, "
                                "not the library HookScope is linked with (%1)")
                     .arg(SqliteStatement::libraryVersion());
        return false;
    }
    auto statements = std::make_unique<Statements>();
    const auto make = [&](std::unique_ptr<SqliteStatement> &statement, const char *sql) {
        statement = std::make_unique<SqliteStatement>(handle, sql, error);
        return statement->isValid();
    };
    if (!make(statements->read,
              "SELECT id, received_at, endpoint, event_type, CASE WHEN sample = 0 AND truncated "
              "= 0 THEN body END FROM deliveries WHERE id > ? ORDER BY id LIMIT ?") ||
        !make(statements->types,
              "INSERT OR REPLACE INTO event_schemas (endpoint, event_type, deliveries, drifted, "
              "first_seen, last_seen, last_delivery_id) VALUES (?, ?, ?, ?, ?, ?, ?)") ||
        !make(statements->fields,
              "INSERT OR REPLACE INTO schema_fields (endpoint, event_type, path, types, "
              "deliveries, occurrences, objects, strings, formats, first_seen, last_seen, "
              "first_delivery_id, examples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") ||
        !make(statements->drift, "INSERT OR IGNORE INTO drift (delivery_id, path, kind, before, "
                                 "now) VALUES (?, ?, ?, ?, ?)") ||
        !make(statements->state, "UPDATE schema_state SET learned_up_to = ?"))
        return false;
    m_statements = std::move(statements);
    return true;
}

std::optional<qint64> SchemaKeeper::learnedUpTo(QString *error) const
{
    auto mark = m_database.run(QStringLiteral("SELECT learned_up_to FROM schema_state"), {}, error);
    if (!mark || !mark->next())
        return std::nullopt;
    return mark->value(0).toLongLong();
}

bool SchemaKeeper::load(QString *error)
{
    QSqlDatabase db = m_database.connection();
    if (!db.transaction()) {
        *error = Database::errorText(db.lastError());
        return false;
    }
    const bool ok = readLearned(error);
    db.commit();
    return ok;
}

bool SchemaKeeper::readLearned(QString *error)
{
    m_schemas.clear();
    m_loadedAt.reset();
    const std::optional<qint64> mark = learnedUpTo(error);
    if (!mark)
        return false;
    auto types = m_database.run(
        QStringLiteral("SELECT ") + TypeColumns + QStringLiteral(" FROM event_schemas"), {}, error);
    if (!types)
        return false;
    std::map<std::pair<QString, QString>, EventSchema> schemas;
    while (types->next()) {
        EventSchema schema;
        typeFrom(*types, schema);
        schemas.emplace(std::pair(schema.endpoint, schema.eventType), std::move(schema));
    }
    types.reset();
    auto fields = m_database.run(QStringLiteral("SELECT endpoint, event_type, path, ") +
                                     FieldColumns + QStringLiteral(" FROM schema_fields"),
                                 {}, error);
    if (!fields)
        return false;
    while (fields->next()) {
        EventSchema &schema =
            schemas[std::pair(fields->value(0).toString(), fields->value(1).toString())];
        schema.fields.emplace(fields->value(2).toString(), fieldFrom(*fields, 3));
    }
    fields.reset();
    for (const auto &[key, schema] : schemas)
        m_schemas.emplace(key, SchemaLearner::from(schema));
    m_loadedAt = *mark;
    return true;
}

std::optional<int> SchemaKeeper::catchUp(int maxRows, QString *error, int *drifted)
{
    QString ignored;
    if (!error)
        error = &ignored;
    int ignoredDrift = 0;
    if (!drifted)
        drifted = &ignoredDrift;
    *drifted = 0;
    if (m_database.isTeam())
        return catchUpTeam(maxRows, error, drifted);
    const std::optional<qint64> from = learnedUpTo(error);
    if (!from)
        return std::nullopt;
    {
        auto newest = m_database.run(QStringLiteral("SELECT coalesce(max(id), 0) FROM deliveries"),
                                     {}, error);
        if (!newest || !newest->next())
            return std::nullopt;
        if (newest->value(0).toLongLong() <= *from)
            return 0;
    }
    if (m_loadedAt != from && !load(error))
        return std::nullopt;
    if (m_loadedAt != from)
        return catchUp(maxRows, error, drifted); // moved between the two reads

    if (!prepare(error))
        return std::nullopt;
    // Learned in memory as the rows are read, before the write lock is taken (see
    // SubscriberMapper::catchUp); what changed is written below. Should anything fail, what is
    // in memory is read again from the file next time.
    m_loadedAt.reset();
    std::map<std::pair<QString, QString>, quint64> touched; // each type's stamp before
    std::vector<std::pair<qint64, SchemaDrift>> drift;
    int read = 0;
    qint64 last = 0;
    {
        QSqlDatabase db = m_database.connection();
        if (!db.transaction()) {
            *error = Database::errorText(db.lastError());
            return std::nullopt;
        }
        SqliteStatement &rows = *m_statements->read;
        rows.bind(1, *from);
        rows.bind(2, maxRows);
        QByteArray endpoint;
        QByteArray eventType;
        std::pair<QString, QString> key;
        SchemaLearner *learner = nullptr;
        QString stepError;
        while (rows.next(&stepError)) {
            ++read;
            last = rows.int64At(0);
            if (rows.isNullAt(4))
                continue; // a sample, or a part of a body: not what the sender sends
            // Rows of one type tend to come together: the key is made again only when it
            // changes.
            if (!learner || rows.bytesAt(2) != endpoint || rows.bytesAt(3) != eventType) {
                endpoint = rows.bytesAt(2).toByteArray();
                eventType = rows.bytesAt(3).toByteArray();
                key = {QString::fromUtf8(endpoint), QString::fromUtf8(eventType)};
                learner = &m_schemas[key];
            }
            const quint64 stamp = learner->stamp();
            const std::optional<QList<SchemaDrift>> found =
                learner->learn(rows.bytesAt(4), last, rows.int64At(1));
            if (!found)
                continue;
            touched.emplace(key, stamp);
            for (const SchemaDrift &d : *found)
                drift.emplace_back(last, d);
            *drifted += found->isEmpty() ? 0 : 1;
        }
        db.commit();
        if (!stepError.isEmpty()) {
            *error = stepError;
            return std::nullopt;
        }
    }
    if (read == 0)
        return 0;

    QSqlDatabase db = m_database.connection();
    std::unique_lock<WriteTurns> turn;
    if (m_turns)
        turn = std::unique_lock(*m_turns);
    QSqlQuery begin(db);
    if (!begin.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        *error = Database::errorText(begin.lastError());
        return std::nullopt;
    }
    const std::optional<qint64> mark = learnedUpTo(error);
    if (mark != from) {
        db.rollback();
        if (turn)
            turn.unlock();
        if (!mark)
            return std::nullopt;
        // Another process learned these meanwhile: what it wrote is read again.
        return catchUp(maxRows, error, drifted);
    }
    const auto failed = [&] {
        db.rollback();
        return std::nullopt;
    };
    SqliteStatement &types = *m_statements->types;
    SqliteStatement &fields = *m_statements->fields;
    for (const auto &[key, stamp] : touched) {
        const SchemaLearner &learner = m_schemas.at(key);
        const EventSchema s = learner.summary(key.first, key.second);
        const QByteArray endpoint = key.first.toUtf8();
        const QByteArray eventType = key.second.toUtf8();
        types.bindText(1, endpoint);
        types.bindText(2, eventType);
        types.bind(3, s.deliveries);
        types.bind(4, s.drifted);
        types.bind(5, s.firstSeenMs);
        types.bind(6, s.lastSeenMs);
        types.bind(7, s.lastDeliveryId);
        if (!types.run(error))
            return failed();
        for (const auto &[path, f] : learner.fieldsSince(stamp)) {
            const QByteArray pathText = path.toUtf8();
            const QByteArray examples = joinedExamples(f.examples).toUtf8();
            fields.bindText(1, endpoint);
            fields.bindText(2, eventType);
            fields.bindText(3, pathText);
            fields.bind(4, f.types);
            fields.bind(5, f.deliveries);
            fields.bind(6, f.occurrences);
            fields.bind(7, f.objects);
            fields.bind(8, f.strings);
            fields.bind(9, f.formats);
            fields.bind(10, f.firstSeenMs);
            fields.bind(11, f.lastSeenMs);
            fields.bind(12, f.firstDeliveryId);
            fields.bindText(13, examples);
            if (!fields.run(error))
                return failed();
        }
    }
    SqliteStatement &drifts = *m_statements->drift;
    for (const auto &[id, d] : drift) {
        const QByteArray path = d.path.toUtf8();
        const QByteArray kind = SchemaDrift::kindName(d.kind).toUtf8();
        const QByteArray before = d.before.toUtf8();
        const QByteArray now = d.now.toUtf8();
        drifts.bind(1, id);
        drifts.bindText(2, path);
        drifts.bindText(3, kind);
        drifts.bindText(4, before);
        drifts.bindText(5, now);
        if (!drifts.run(error))
            return failed();
    }
    SqliteStatement &state = *m_statements->state;
    state.bind(1, last);
    if (!state.run(error))
        return failed();
    if (!db.commit()) {
        *error = Database::errorText(db.lastError());
        db.rollback();
        return std::nullopt;
    }
    m_loadedAt = last;
    return read;
}

std::optional<int> SchemaKeeper::catchUpTeam(int maxRows, QString *error, int *drifted)
{
    {
        auto waiting =
            m_database.run(QStringLiteral("SELECT EXISTS (SELECT 1 FROM schema_queue)"), {}, error);
        if (!waiting || !waiting->next())
            return std::nullopt;
        if (!waiting->value(0).toBool())
            return 0;
    }
    QSqlDatabase db = m_database.connection();
    if (!db.transaction()) {
        *error = Database::errorText(db.lastError());
        return std::nullopt;
    }
    const auto failed = [&] {
        db.rollback();
        m_loadedAt.reset(); // what is in memory learned what was not committed
        return std::nullopt;
    };
    const auto run = [&](const QString &sql, const QVariantList &bindings = {}) {
        return m_database.run(sql, bindings, error);
    };
    // One learner at a time, across every receiver; the lock goes with the transaction.
    // Without waiting for its commit to be flushed: the queue's rows are removed in the same
    // transaction as what they taught, so a crash can only take both back, to be learned again.
    if (!run(QStringLiteral("SELECT set_config('lock_timeout', '30s', true), "
                            "set_config('synchronous_commit', 'off', true)")) ||
        !run(QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(Postgres::LearningLock)))
        return failed();
    const std::optional<qint64> mark = learnedUpTo(error);
    if (!mark)
        return failed();
    if (m_loadedAt != mark && !readLearned(error))
        return failed();
    m_loadedAt.reset();

    std::map<std::pair<QString, QString>, quint64> touched; // each type's stamp before
    std::vector<std::pair<qint64, SchemaDrift>> drift;
    int read = 0;
    {
        // Taken off the queue in the transaction that writes what they taught: the first
        // `maxRows` and any lower id committed meanwhile, as a range of the queue's key, and
        // each one's row looked up by its own (OFFSET 0 keeps the planner from joining with a
        // scan of every delivery).
        auto rows = run(
            QStringLiteral(
                "WITH taken AS (DELETE FROM schema_queue WHERE delivery_id <= (SELECT "
                "max(delivery_id) FROM (SELECT delivery_id FROM schema_queue ORDER BY "
                "delivery_id LIMIT ?) head) RETURNING delivery_id) SELECT d.id, d.received_at, "
                "d.endpoint, d.event_type, d.body FROM taken t CROSS JOIN LATERAL (SELECT id, "
                "received_at, endpoint, event_type, CASE WHEN sample = 0 AND truncated = 0 THEN "
                "body END AS body FROM deliveries WHERE id = t.delivery_id OFFSET 0) d ORDER BY "
                "d.id"),
            {maxRows});
        if (!rows)
            return failed();
        while (rows->next()) {
            ++read;
            if (rows->isNull(4))
                continue; // a sample, or a part of a body: not what the sender sends
            const qint64 id = rows->value(0).toLongLong();
            const std::pair key(rows->value(2).toString(), rows->value(3).toString());
            SchemaLearner &learner = m_schemas[key];
            const quint64 stamp = learner.stamp();
            const QByteArray body = rows->value(4).toByteArray();
            const std::optional<QList<SchemaDrift>> found =
                learner.learn(body, id, rows->value(1).toLongLong());
            if (!found)
                continue;
            touched.emplace(key, stamp);
            for (const SchemaDrift &d : *found)
                drift.emplace_back(id, d);
            *drifted += found->isEmpty() ? 0 : 1;
        }
    }
    // Text columns cannot hold U+0000 there (see Postgres::text()).
    const auto pgText = [](const QString &value) {
        return Postgres::text(value.toUtf8());
    };
    QSqlQuery types(db);
    QSqlQuery fields(db);
    QSqlQuery drifts(db);
    const QString typeKeys = QStringLiteral("endpoint, event_type");
    if (!types.prepare(upsert(QStringLiteral("event_schemas"), typeKeys,
                              TypeColumns.mid(typeKeys.size() + 2))) ||
        !fields.prepare(upsert(QStringLiteral("schema_fields"), typeKeys + QStringLiteral(", path"),
                               FieldColumns)) ||
        !drifts.prepare(QStringLiteral("INSERT INTO drift (delivery_id, path, kind, before, now, "
                                       "position) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO "
                                       "NOTHING"))) {
        *error = Database::errorText(types.lastError().isValid()    ? types.lastError()
                                     : fields.lastError().isValid() ? fields.lastError()
                                                                    : drifts.lastError());
        return failed();
    }
    const auto exec = [&](QSqlQuery &query, const QVariantList &values) {
        for (qsizetype i = 0; i < values.size(); ++i)
            query.bindValue(int(i), values.at(i));
        if (query.exec())
            return true;
        *error = Database::errorText(query.lastError());
        return false;
    };
    for (const auto &[key, stamp] : touched) {
        const SchemaLearner &learner = m_schemas.at(key);
        const EventSchema s = learner.summary(key.first, key.second);
        const QString endpoint = pgText(key.first);
        const QString eventType = pgText(key.second);
        if (!exec(types, {endpoint, eventType, s.deliveries, s.drifted, s.firstSeenMs, s.lastSeenMs,
                          s.lastDeliveryId}))
            return failed();
        for (const auto &[path, f] : learner.fieldsSince(stamp)) {
            if (!exec(fields,
                      {endpoint, eventType, pgText(path), qint64(f.types), f.deliveries,
                       f.occurrences, f.objects, f.strings, qint64(f.formats), f.firstSeenMs,
                       f.lastSeenMs, f.firstDeliveryId, pgText(joinedExamples(f.examples))}))
                return failed();
        }
    }
    qint64 previous = 0;
    int position = 0;
    for (const auto &[id, d] : drift) {
        position = id == previous ? position + 1 : 0;
        previous = id;
        if (!exec(drifts, {id, pgText(d.path), SchemaDrift::kindName(d.kind), pgText(d.before),
                           pgText(d.now), position}))
            return failed();
    }
    auto counted = run(QStringLiteral("UPDATE schema_state SET learned_up_to = learned_up_to + 1 "
                                      "RETURNING learned_up_to"));
    if (!counted || !counted->next())
        return failed();
    const qint64 learned = counted->value(0).toLongLong();
    counted.reset();
    // Windows on the database hear of it as the transaction commits (see TeamWatcher).
    if (read > 0 &&
        !run(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(TeamChannel)),
             {QStringLiteral("%1 %2").arg(read).arg(*drifted)}))
        return failed();
    if (!db.commit()) {
        *error = Database::errorText(db.lastError());
        return failed();
    }
    m_loadedAt = learned;
    return read;
}

std::optional<qint64> SchemaKeeper::backlog(const Database &database, QString *error)
{
    // A range of the primary key: as quick as what is left is short.
    auto query = database.run(database.isTeam()
                                  ? QStringLiteral("SELECT count(*) FROM schema_queue")
                                  : QStringLiteral("SELECT count(*) FROM deliveries WHERE id > "
                                                   "(SELECT learned_up_to FROM schema_state)"),
                              {}, error);
    if (!query || !query->next())
        return std::nullopt;
    return query->value(0).toLongLong();
}

bool SchemaKeeper::bringUpToDate(const Database &reading, QString *error,
                                 const std::function<void(qint64, qint64)> &progress)
{
    QString ignored;
    if (!error)
        error = &ignored;
    if (reading.isStandIn())
        return true;
    // A viewer's login reads what the receivers learned.
    if (reading.isTeam() && !Postgres::mayLearnSchemas(reading.connection()))
        return true;
    const auto left = backlog(reading, error);
    if (!left)
        return false;
    if (*left == 0)
        return true;
    Database writing;
    if (!writing.open(reading.path(), error))
        return false;
    SchemaKeeper keeper(writing);
    constexpr int Chunk = 5000;
    const qint64 total = *left;
    qint64 done = 0;
    for (;;) {
        const std::optional<int> read = keeper.catchUp(Chunk, error);
        if (!read)
            return false;
        done += *read;
        if (progress)
            progress(std::min(done, total), total);
        if (*read < Chunk)
            return true;
    }
}

bool SchemaKeeper::reset(const Database &database, QString *error)
{
    if (database.isTeam() && !Postgres::mayLearnSchemas(database.connection())) {
        *error = QStringLiteral("this login may only read the team database; a receiver's or "
                                "its owner's may learn the event schemas again");
        return false;
    }
    QSqlDatabase db = database.connection();
    QSqlQuery begin(db);
    if (!begin.exec(database.isTeam() ? QStringLiteral("BEGIN")
                                      : QStringLiteral("BEGIN IMMEDIATE"))) {
        *error = Database::errorText(begin.lastError());
        return false;
    }
    const QStringList statements =
        database.isTeam()
            ? QStringList{QStringLiteral("SELECT pg_advisory_xact_lock(%1)")
                              .arg(Postgres::LearningLock),
                          QStringLiteral("DELETE FROM drift"),
                          QStringLiteral("DELETE FROM schema_fields"),
                          QStringLiteral("DELETE FROM event_schemas"),
                          QStringLiteral("INSERT INTO schema_queue SELECT id FROM deliveries ON "
                                         "CONFLICT DO NOTHING"),
                          // Moved on, not back to 0: what learners hold in memory is stale.
                          QStringLiteral("UPDATE schema_state SET learned_up_to = learned_up_to "
                                         "+ 1"),
                          QStringLiteral("SELECT pg_notify('%1', '0 0')")
                              .arg(QLatin1String(TeamChannel))}
            : QStringList{QStringLiteral("DELETE FROM drift"),
                          QStringLiteral("DELETE FROM schema_fields"),
                          QStringLiteral("DELETE FROM event_schemas"),
                          QStringLiteral("UPDATE schema_state SET learned_up_to = 0")};
    for (const QString &statement : statements) {
        if (!database.run(statement, {}, error)) {
            db.rollback();
            return false;
        }
    }
    if (!db.commit()) {
        *error = Database::errorText(db.lastError());
        db.rollback();
        return false;
    }
    return true;
}

std::optional<QList<SchemaKeeper::EventType>>
SchemaKeeper::eventTypes(const Database &database, const QString &endpoint, QString *error)
{
    QList<EventType> list;
    if (database.isStandIn())
        return list;
    auto rows = database.run(
        QStringLiteral(
            "SELECT e.endpoint, e.event_type, e.deliveries, e.drifted, e.first_seen, "
            "e.last_seen, e.last_delivery_id, (SELECT count(*) FROM schema_fields f "
            "WHERE f.endpoint = e.endpoint AND f.event_type = e.event_type) FROM "
            "event_schemas e WHERE CAST(? AS text) IS NULL OR e.endpoint = ? ORDER BY e.endpoint, "
            "e.event_type"),
        {endpoint.isNull() ? QVariant() : QVariant(endpoint),
         endpoint.isNull() ? QVariant() : QVariant(endpoint)},
        error);
    if (!rows)
        return std::nullopt;
    while (rows->next()) {
        EventType t;
        t.endpoint = rows->value(0).toString();
        t.eventType = rows->value(1).toString();
        t.deliveries = rows->value(2).toLongLong();
        t.drifted = rows->value(3).toLongLong();
        t.firstSeenMs = rows->value(4).toLongLong();
        t.lastSeenMs = rows->value(5).toLongLong();
        t.lastDeliveryId = rows->value(6).toLongLong();
        t.fields = rows->value(7).toLongLong();
        list.append(t);
    }
    return list;
}

std::optional<EventSchema> SchemaKeeper::schema(const Database &database, const QString &endpoint,
                                                const QString &eventType, QString *error)
{
    EventSchema schema;
    schema.endpoint = endpoint;
    schema.eventType = eventType;
    if (database.isStandIn())
        return schema;
    auto type = database.run(QStringLiteral("SELECT ") + TypeColumns +
                                 QStringLiteral(" FROM event_schemas WHERE endpoint = ? AND "
                                                "event_type = ?"),
                             {text(endpoint), text(eventType)}, error);
    if (!type)
        return std::nullopt;
    if (!type->next())
        return schema;
    typeFrom(*type, schema);
    type.reset();
    auto fields = database.run(QStringLiteral("SELECT path, ") + FieldColumns +
                                   QStringLiteral(" FROM schema_fields WHERE endpoint = ? AND "
                                                  "event_type = ?"),
                               {text(endpoint), text(eventType)}, error);
    if (!fields)
        return std::nullopt;
    while (fields->next())
        schema.fields.emplace(fields->value(0).toString(), fieldFrom(*fields, 1));
    return schema;
}

std::optional<QList<SchemaDrift>> SchemaKeeper::driftOf(const Database &database, qint64 deliveryId,
                                                        QString *error)
{
    QList<SchemaDrift> list;
    if (database.isStandIn())
        return list;
    auto rows =
        database.run(QStringLiteral("SELECT path, kind, before, now FROM drift WHERE "
                                    "delivery_id = ? ORDER BY ") +
                         (database.isTeam() ? QStringLiteral("position") : QStringLiteral("rowid")),
                     {deliveryId}, error);
    if (!rows)
        return std::nullopt;
    while (rows->next()) {
        SchemaDrift d;
        d.path = rows->value(0).toString();
        d.kind = SchemaDrift::kindFromName(rows->value(1).toString())
                     .value_or(SchemaDrift::Kind::NewField);
        d.before = rows->value(2).toString();
        d.now = rows->value(3).toString();
        list.append(d);
    }
    return list;
}
