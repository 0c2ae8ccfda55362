#include "subscribermapper.h"

#include "database.h"
#include "writeturns.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>

#include <vector>

namespace {

const QString CreatedEvent = QStringLiteral("subscriber.created");

} // namespace

SubscriberMapper::SubscriberMapper(const Database &database)
    : m_database(database)
{}

SubscriberMapper::SubscriberMapper(const Database &database, WriteTurns *turns)
    : m_database(database)
    , m_turns(turns)
{}

SubscriberMapper::~SubscriberMapper() = default;

std::optional<SubscriberUpdate> SubscriberMapper::updateFor(const Delivery &delivery,
                                                            const DecodedPayload &payload)
{
    // Only a delivery that verified, or that could not be verified for want of a secret, may
    // change the mapping; a failed verification never does, nor a part of a body.
    const Verdict verdict = delivery.verification.verdict;
    if (delivery.eventType != CreatedEvent || delivery.subscriberId.isEmpty() ||
        delivery.endpoint.isEmpty() || delivery.truncated ||
        (verdict != Verdict::Valid && verdict != Verdict::Unverified))
        return std::nullopt;
    // A sample leaves the subscriber mapping alone unless it was sent to update it.
    const QByteArray sample = delivery.headers.value(Delivery::SampleHeader);
    if (!sample.isNull() && sample.trimmed() != "update-mapping")
        return std::nullopt;
    SubscriberUpdate update;
    update.subscriberId = delivery.subscriberId;
    update.verified = verdict == Verdict::Valid;
    QJsonObject fields;
    for (const DecodedField &field : payload.fields) {
        if (!field.path.startsWith(QStringLiteral("data.")) || field.type == u"object" ||
            field.type == u"array" || fields.size() >= MaxSubscriberFields)
            continue;
        fields.insert(field.path.mid(5), field.value);
    }
    update.fields = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    update.data = PayloadDecoder::rawMember(delivery.body, QStringLiteral("data"));
    return update;
}

namespace {

// Whether deliveries above the watermark may change the mapping.
std::optional<bool> pending(const Database &database, QString *error)
{
    auto query = database.run(
        QStringLiteral("SELECT 1 FROM deliveries WHERE event_type = ? AND id > (SELECT "
                       "mapped_up_to FROM mapping_state) LIMIT 1"),
        {CreatedEvent}, error);
    if (!query)
        return std::nullopt;
    return query->next();
}

} // namespace

bool SubscriberMapper::bringUpToDate(const Database &reading, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    // A team database keeps its mapping in the receivers' own transactions.
    if (reading.isStandIn() || reading.isTeam())
        return true;
    const std::optional<bool> behind = pending(reading, error);
    if (!behind || !*behind)
        return behind.has_value();
    Database writing;
    if (!writing.open(reading.path(), error))
        return false;
    SubscriberMapper mapper(writing);
    constexpr int Chunk = 500;
    for (;;) {
        const std::optional<int> read = mapper.catchUp(Chunk, error);
        if (!read)
            return false;
        if (*read < Chunk)
            return true;
    }
}

std::optional<qint64> SubscriberMapper::mappedUpTo(QString *error) const
{
    auto mark = m_database.run(QStringLiteral("SELECT mapped_up_to FROM mapping_state"), {}, error);
    if (!mark || !mark->next())
        return std::nullopt;
    return mark->value(0).toLongLong();
}

std::optional<int> SubscriberMapper::catchUp(int maxRows, QString *error, int *changes)
{
    QString ignored;
    if (!error)
        error = &ignored;
    int ignoredChanges = 0;
    if (!changes)
        changes = &ignoredChanges;
    *changes = 0;
    // Looked for first without a lock: most of the time there is nothing to apply.
    const std::optional<bool> behind = pending(m_database, error);
    if (!behind || !*behind)
        return behind ? std::optional<int>(0) : std::nullopt;
    // The deliveries are read, then decoded, before the write lock is taken, so that the
    // writer (and the senders waiting on its commits) wait only for the few statements that
    // apply them; and the read is short, with only the bodies that may change the mapping:
    // a reader in the write-ahead log keeps the writer's checkpoints from starting it over.
    // In one read transaction: the watermark and the rows above it agree.
    QSqlDatabase db = m_database.connection();
    if (!db.transaction()) {
        *error = Database::errorText(db.lastError());
        return std::nullopt;
    }
    const std::optional<qint64> from = mappedUpTo(error);
    std::vector<Delivery> candidates;
    int read = 0;
    qint64 last = 0;
    auto rows =
        from ? m_database.run(
                   QStringLiteral(
                       "SELECT id, received_at, endpoint, event_id, subscriber_id, verdict, "
                       "CASE WHEN candidate THEN headers END, CASE WHEN candidate THEN body END, "
                       "candidate FROM (SELECT id, received_at, endpoint, event_id, "
                       "subscriber_id, verdict, headers, body, subscriber_id <> '' AND endpoint "
                       "<> '' AND truncated = 0 AND verdict IN ('valid', 'unverified') AS "
                       "candidate FROM deliveries WHERE event_type = ? AND id > ? ORDER BY id "
                       "LIMIT ?)"),
                   {CreatedEvent, *from, maxRows}, error)
             : std::nullopt;
    while (rows && rows->next()) {
        ++read;
        last = rows->value(0).toLongLong();
        if (rows->value(8).toInt() != 1)
            continue; // refused without its body: see updateFor()
        Delivery d;
        d.id = last;
        d.receivedAtMs = rows->value(1).toLongLong();
        d.endpoint = rows->value(2).toString();
        d.eventType = CreatedEvent;
        d.eventId = rows->value(3).toString();
        d.subscriberId = rows->value(4).toString();
        d.verification.verdict =
            verdictFromName(rows->value(5).toString()).value_or(Verdict::Unverified);
        d.headers = HeaderList::deserialize(rows->value(6).toByteArray());
        d.body = rows->value(7).toByteArray();
        candidates.push_back(std::move(d));
    }
    const bool readOk = rows.has_value();
    rows.reset();
    db.commit();
    if (!readOk)
        return std::nullopt;
    if (last == 0)
        return 0;
    std::vector<std::pair<Delivery, SubscriberUpdate>> updates;
    for (Delivery &d : candidates) {
        std::optional<SubscriberUpdate> update =
            updateFor(d, PayloadDecoder::decode(d.body, d.headers.value("Content-Type")));
        if (update) {
            d.body.clear();
            d.headers = HeaderList();
            updates.emplace_back(std::move(d), std::move(*update));
        }
    }

    std::unique_lock<WriteTurns> turn;
    if (m_turns)
        turn = std::unique_lock(*m_turns);
    QSqlQuery begin(db);
    if (!begin.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        *error = Database::errorText(begin.lastError());
        return std::nullopt;
    }
    // Under the lock: when another process applied these meanwhile, nothing is done here
    // (what is left is read again next time).
    const std::optional<qint64> mark = mappedUpTo(error);
    if (mark != from) {
        db.rollback();
        if (turn)
            turn.unlock();
        if (!mark)
            return std::nullopt;
        // Another process applied some of them meanwhile: read again from where it stopped
        // (it only ever moves forward).
        return catchUp(maxRows, error, changes);
    }
    for (const auto &[d, update] : updates) {
        bool changed = false;
        if (!apply(d, update, &changed, error)) {
            db.rollback();
            return std::nullopt;
        }
        *changes += changed ? 1 : 0;
    }
    if (!m_database.run(QStringLiteral("UPDATE mapping_state SET mapped_up_to = ?"), {last},
                        error) ||
        !db.commit()) {
        if (error->isEmpty())
            *error = Database::errorText(db.lastError());
        db.rollback();
        *changes = 0;
        return std::nullopt;
    }
    return read;
}

bool SubscriberMapper::apply(const Delivery &d, const SubscriberUpdate &update, bool *changed,
                             QString *error)
{
    if (!m_event) {
        m_event = std::make_unique<QSqlQuery>(m_database.connection());
        m_event->prepare(QStringLiteral(
            "INSERT OR IGNORE INTO subscriber_events (endpoint, event_id, delivery_id) "
            "VALUES (?, ?, ?)"));
        // A later event updates what the payload says; the user's own fields (local
        // reference, notes) are never touched here.
        m_upsert = std::make_unique<QSqlQuery>(m_database.connection());
        m_upsert->prepare(QStringLiteral(
            "INSERT INTO subscribers (endpoint, subscriber_id, verified, fields, data, first_seen, "
            "last_seen, created_event_id, created_delivery_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (endpoint, subscriber_id) DO UPDATE SET "
            "verified = max(verified, excluded.verified), fields = excluded.fields, "
            "data = excluded.data, last_seen = excluded.last_seen"));
    }
    // Once per event id: HostedHooks retries until it gets a 200, each time with a new
    // signature, and only the first attempt stored may create or update the subscriber.
    if (!d.eventId.isEmpty()) {
        m_event->addBindValue(d.endpoint);
        m_event->addBindValue(d.eventId);
        m_event->addBindValue(d.id);
        if (!m_event->exec()) {
            *error = Database::errorText(m_event->lastError());
            return false;
        }
        if (m_event->numRowsAffected() == 0)
            return true; // this event has been applied already
    }
    m_upsert->addBindValue(d.endpoint);
    m_upsert->addBindValue(update.subscriberId);
    m_upsert->addBindValue(update.verified ? 1 : 0);
    m_upsert->addBindValue(
        QString::fromUtf8(update.fields.isEmpty() ? QByteArray("{}") : update.fields));
    m_upsert->addBindValue(QString::fromUtf8(update.data));
    m_upsert->addBindValue(d.receivedAtMs);
    m_upsert->addBindValue(d.receivedAtMs);
    m_upsert->addBindValue(d.eventId.isNull() ? QStringLiteral("") : d.eventId);
    m_upsert->addBindValue(d.id);
    if (!m_upsert->exec()) {
        *error = Database::errorText(m_upsert->lastError());
        return false;
    }
    *changed = true;
    return true;
}
