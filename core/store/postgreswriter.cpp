// The store's writer for a team database on PostgreSQL (see Postgres): the same queue, batches
// and completions as the SQLite writer in deliverystore.cpp, with what differs kept here.
#include "deliverystore.h"

#include "database.h"
#include "endpointrepository.h"
#include "payloaddecoder.h"
#include "postgres.h"
#include "replayrepository.h"
#include "secretvault.h"
#include "stagecounters.h"
#include "subscribermapper.h"

#include <QAtomicInteger>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QVariant>

#include <map>

namespace {

QAtomicInteger<quint64> connectionCounter;

// The most deliveries one INSERT takes (24 values each).
constexpr int MaxRowsPerInsert = 64;

QString errorOf(const QSqlQuery &query)
{
    return Postgres::errorText(query.lastError());
}

} // namespace

class DeliveryStore::PostgresWriter
{
public:
    explicit PostgresWriter(DeliveryStore &store)
        : m_store(store)
        , m_connectionName(QStringLiteral("hookscope-team-writer-%1")
                               .arg(connectionCounter.fetchAndAddRelaxed(1)))
    {}

    ~PostgresWriter() { disconnect(); }

    bool open(QString *error)
    {
        if (connectNow(error))
            return true;
        // A database set up wrongly is said at once; one that cannot be reached now may be
        // reached later.
        if (!m_store.m_options.waitForStorage || m_schemaProblem)
            return false;
        setStorageProblem(*error);
        return true;
    }

    void run()
    {
        auto nextPoll = Clock::now() + m_store.m_options.endpointPollInterval;
        for (;;) {
            DeliveryStore::Work work = m_store.takeWork(nextPoll, m_connected);
            std::vector<PendingWrite> &batch = work.batch;
            std::deque<std::pair<Replay, int>> &forwards = work.forwards;
            const bool stop = work.stop;
            if (!m_connected && !reconnectIfDue()) {
                m_store.refuse(work);
                if (stop)
                    break;
                continue;
            }
            if (!batch.empty())
                write(batch);
            if (!forwards.empty() && m_connected)
                writeForwards(forwards);
            if (Clock::now() >= nextPoll) {
                if (m_connected)
                    pollEndpoints(false);
                nextPoll = Clock::now() + m_store.m_options.endpointPollInterval;
            }
            if (stop)
                break;
        }
        disconnect();
    }

private:
    QSqlDatabase db() const { return QSqlDatabase::database(m_connectionName, false); }

    void disconnect()
    {
        m_ids.reset();
        m_inserts.clear();
        m_attempts.reset();
        m_event.reset();
        m_upsert.reset();
        m_notify.reset();
        Postgres::disconnect(m_connectionName);
        m_connected = false;
    }

    bool connectNow(QString *error)
    {
        disconnect();
        if (!Postgres::connect(m_store.m_options.path, m_connectionName, error))
            return false;
        if (!Postgres::checkSchema(db(), error)) {
            m_schemaProblem = true;
            disconnect();
            return false;
        }
        m_schemaProblem = false;
        // A lock held elsewhere is waited for as long as a file's would be, then the batch is
        // refused (503) rather than the senders kept waiting.
        QSqlQuery timeout(db());
        if (!timeout.exec(QStringLiteral("SET lock_timeout = %1")
                              .arg(std::max(1, m_store.m_options.busyTimeoutMs)))) {
            *error = errorOf(timeout);
            disconnect();
            return false;
        }
        // Ids are taken first, for the whole batch, so that it goes in few statements and
        // each delivery knows its id whichever rows a conflict leaves out.
        m_ids = prepared(
            QStringLiteral("SELECT nextval('deliveries_id_seq') FROM generate_series(1, ?)"));
        m_inserts.clear();
        m_attempts = prepared(
            QStringLiteral("SELECT count(*) FROM deliveries WHERE event_id = ? AND event_id <> '' "
                           "AND endpoint = ?"));
        // Once per event id across every receiver: the unique key makes a second receiver's
        // insert of the same event wait for the first's commit, then do nothing.
        m_event = prepared(
            QStringLiteral("INSERT INTO subscriber_events (endpoint, event_id, delivery_id) VALUES "
                           "(?, ?, ?) ON CONFLICT DO NOTHING"));
        m_upsert = prepared(QStringLiteral(
            "INSERT INTO subscribers (endpoint, subscriber_id, verified, fields, data, first_seen, "
            "last_seen, created_event_id, created_delivery_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (endpoint, subscriber_id) DO UPDATE SET verified = "
            "GREATEST(subscribers.verified, excluded.verified), fields = excluded.fields, data = "
            "excluded.data, last_seen = "
            "excluded.last_seen"));
        // Every window listening learns of the new rows when the transaction commits.
        m_notify = prepared(QStringLiteral("SELECT pg_notify('hookscope_deliveries', ?)"));
        if (!m_ids || !m_attempts || !m_event || !m_upsert || !m_notify) {
            *error = m_prepareError;
            disconnect();
            return false;
        }
        // A login that may not insert deliveries (a viewer) refuses them with that reason.
        QSqlQuery rights(db());
        m_store.m_readOnly =
            rights.exec(QStringLiteral("SELECT has_table_privilege('deliveries', 'INSERT')")) &&
            rights.next() && !rights.value(0).toBool();
        m_connected = true;
        pollEndpoints(true);
        return true;
    }

    std::unique_ptr<QSqlQuery> prepared(const QString &statement)
    {
        auto query = std::make_unique<QSqlQuery>(db());
        if (!query->prepare(statement)) {
            m_prepareError = errorOf(*query);
            return nullptr;
        }
        return query;
    }

    void setStorageProblem(const QString &problem)
    {
        std::lock_guard lock(m_store.m_mutex);
        m_store.m_storageProblem = problem;
    }

    bool reconnectIfDue()
    {
        if (Clock::now() < m_nextConnectAttempt)
            return false;
        m_nextConnectAttempt = Clock::now() + m_store.m_options.endpointPollInterval;
        QString error;
        if (!connectNow(&error)) {
            setStorageProblem(error);
            return false;
        }
        setStorageProblem(QString());
        Q_EMIT m_store.storageRecovered();
        return true;
    }

    // A failed statement: when the server went away, deliveries are refused until it is
    // reached again.
    void failed(const QString &error)
    {
        if (Postgres::isConnectionLost(db())) {
            disconnect();
            setStorageProblem(QStringLiteral("the team database is unreachable: %1").arg(error));
            m_nextConnectAttempt = Clock::now() + m_store.m_options.endpointPollInterval;
        }
        Q_EMIT m_store.storageFailed(error);
    }

    void write(std::vector<PendingWrite> &batch)
    {
        if (m_store.m_readOnly) {
            for (PendingWrite &item : batch) {
                if (item.done)
                    item.done(0, 503, QStringLiteral("this login may only read the team database"));
            }
            return;
        }
        QString error;
        std::optional<StageTimer> inserting(std::in_place, StageCounters::Insert, batch.size());
        QList<DeliverySummary> written;
        written.reserve(static_cast<qsizetype>(batch.size()));
        QSqlDatabase connection = db();
        bool ok = connection.transaction();
        if (!ok)
            error = Postgres::isConnectionLost(connection)
                        ? QStringLiteral("the connection to the team database was lost")
                        : Postgres::errorText(connection.lastError());
        qint64 last = 0;
        QString receiver;
        {
            std::lock_guard lock(m_store.m_mutex);
            receiver = m_store.m_receiverName;
        }
        if (receiver.isEmpty())
            receiver = QSysInfo::machineHostName();
        for (size_t i = 0; ok && i < batch.size(); ++i) {
            Delivery &d = batch[i].delivery;
            if (d.failFirstAttempts > 0 && !d.eventId.isEmpty()) {
                // The earlier attempts of this event decide, those stored and those before it
                // in this batch.
                m_attempts->addBindValue(d.eventId);
                m_attempts->addBindValue(d.endpoint.isNull() ? QStringLiteral("") : d.endpoint);
                const auto waiting = std::count_if(
                    batch.cbegin(), batch.cbegin() + qsizetype(i), [&d](const PendingWrite &w) {
                        return w.delivery.eventId == d.eventId && w.delivery.endpoint == d.endpoint;
                    });
                if (m_attempts->exec() && m_attempts->next() &&
                    m_attempts->value(0).toInt() + waiting < d.failFirstAttempts)
                    d.responseStatus = d.failStatus;
                m_attempts->finish();
            }
            d.handlingMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   Clock::now() - batch[i].requestEnd)
                                   .count();
        }
        ok = ok && insertAll(batch, receiver, &error);
        for (PendingWrite &item : batch) {
            if (!ok)
                break;
            ok = map(item.delivery, &error);
            last = std::max(last, item.delivery.id);
        }
        if (ok && last > 0) {
            m_notify->addBindValue(QString::number(last));
            ok = m_notify->exec();
            if (!ok)
                error = errorOf(*m_notify);
            m_notify->finish();
        }
        inserting.reset();
        if (ok) {
            const StageTimer committing(StageCounters::Commit);
            // synchronous_commit is on: COMMIT returns once the server has the rows on disk.
            if (!connection.commit()) {
                ok = false;
                error = Postgres::errorText(connection.lastError());
            }
        }
        if (!ok) {
            connection.rollback();
            if (error.isEmpty())
                error = QStringLiteral("the team database could not be written");
            for (PendingWrite &item : batch) {
                if (item.done)
                    item.done(0, 503, error);
            }
            m_failing = true;
            failed(error);
            return;
        }
        for (PendingWrite &item : batch) {
            if (item.delivery.id != 0)
                written.append(DeliverySummary::of(item.delivery));
            if (item.done)
                item.done(item.delivery.id, item.delivery.responseStatus,
                          item.delivery.id == 0 ? QString::fromLatin1(AlreadyStored) : QString());
        }
        if (m_failing) {
            m_failing = false;
            Q_EMIT m_store.storageRecovered();
        }
        m_store.afterCommitsDue(); // their schemas are learned next
        // A watching store announces every receiver's rows, these among them, in id order.
        if (!m_store.m_options.watchTeam)
            Q_EMIT m_store.stored(written);
    }

    // The prepared INSERT of `rows` deliveries with their ids, kept across batches.
    QSqlQuery *insertOf(int rows, QString *error)
    {
        std::unique_ptr<QSqlQuery> &insert = m_inserts[rows];
        if (!insert) {
            const QString row =
                QStringLiteral("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                               "?, ?, ?, ?, ?, ?, ") +
                Postgres::SearchVector + u')';
            QStringList values;
            for (int i = 0; i < rows; ++i)
                values.append(row);
            insert = prepared(
                QStringLiteral("INSERT INTO deliveries (id, received_at, remote_address, method, "
                               "path, http_version, headers, body, body_size, endpoint, "
                               "event_type, event_id, subscriber_id, verdict, verification, "
                               "response_status, handling_us, source, external_id, truncated, "
                               "trailers, sample, receiver, search) VALUES ") +
                values.join(QStringLiteral(", ")) +
                QStringLiteral(" ON CONFLICT (external_id) WHERE external_id <> '' DO NOTHING "
                               "RETURNING id"));
            if (!insert) {
                *error = m_prepareError;
                m_inserts.erase(rows);
                return nullptr;
            }
        }
        return insert.get();
    }

    // Every delivery of the batch, in statements of 1, 2, 4, ... rows, so that a few prepared
    // statements serve every batch. A delivery whose external id is stored already keeps id 0.
    bool insertAll(std::vector<PendingWrite> &batch, const QString &receiver, QString *error)
    {
        m_ids->addBindValue(qint64(batch.size()));
        if (!m_ids->exec()) {
            *error = errorOf(*m_ids);
            return false;
        }
        std::vector<qint64> ids;
        while (m_ids->next())
            ids.push_back(m_ids->value(0).toLongLong());
        m_ids->finish();
        if (ids.size() != batch.size()) {
            *error = QStringLiteral("the team database gave %1 ids for %2 deliveries")
                         .arg(ids.size())
                         .arg(batch.size());
            return false;
        }
        QSet<qint64> stored;
        for (size_t done = 0; done < batch.size();) {
            int rows = 1;
            while (rows < MaxRowsPerInsert && done + size_t(rows) * 2 <= batch.size())
                rows *= 2;
            QSqlQuery *insert = insertOf(rows, error);
            if (!insert)
                return false;
            for (int row = 0; row < rows; ++row)
                bind(*insert, ids[done + size_t(row)], batch[done + size_t(row)], receiver);
            if (!insert->exec()) {
                *error = errorOf(*insert);
                return false;
            }
            while (insert->next())
                stored.insert(insert->value(0).toLongLong());
            insert->finish();
            done += size_t(rows);
        }
        for (size_t i = 0; i < batch.size(); ++i)
            batch[i].delivery.id = stored.contains(ids[i]) ? ids[i] : 0;
        return true;
    }

    static void bind(QSqlQuery &q, qint64 id, const PendingWrite &item, const QString &receiver)
    {
        const Delivery &d = item.delivery;
        const PendingWrite::Encoded &e = item.encoded;
        q.addBindValue(id);
        q.addBindValue(d.receivedAtMs);
        q.addBindValue(Postgres::text(e.remoteAddress));
        q.addBindValue(Postgres::text(e.method));
        q.addBindValue(Postgres::text(e.path));
        q.addBindValue(Postgres::text(e.httpVersion));
        q.addBindValue(e.headers.isNull() ? QByteArray("") : e.headers);
        q.addBindValue(d.body.isNull() ? QByteArray("") : d.body);
        q.addBindValue(qint64(d.bodySize()));
        q.addBindValue(Postgres::text(e.endpoint));
        q.addBindValue(Postgres::text(e.eventType));
        q.addBindValue(Postgres::text(e.eventId));
        q.addBindValue(Postgres::text(e.subscriberId));
        q.addBindValue(Postgres::text(e.verdict));
        q.addBindValue(Postgres::text(e.verification));
        q.addBindValue(d.responseStatus);
        q.addBindValue(qint64(d.handlingMicros));
        q.addBindValue(Postgres::text(e.source));
        q.addBindValue(Postgres::text(e.externalId));
        q.addBindValue(d.truncated ? 1 : 0);
        q.addBindValue(e.trailers.isNull() ? QByteArray("") : e.trailers);
        q.addBindValue(d.sample ? 1 : 0);
        q.addBindValue(receiver);
        q.addBindValue(Postgres::searchText(d));
    }

    // The subscriber mapping, in the delivery's own transaction.
    bool map(const Delivery &d, QString *error)
    {
        if (d.id == 0 || d.eventType != u"subscriber.created")
            return true;
        const std::optional<SubscriberUpdate> update = SubscriberMapper::updateFor(
            d, PayloadDecoder::decode(d.body, d.headers.value("Content-Type")));
        if (!update)
            return true;
        if (!d.eventId.isEmpty()) {
            m_event->addBindValue(Postgres::text(d.endpoint.toUtf8()));
            m_event->addBindValue(Postgres::text(d.eventId.toUtf8()));
            m_event->addBindValue(d.id);
            if (!m_event->exec()) {
                *error = errorOf(*m_event);
                return false;
            }
            const bool first = m_event->numRowsAffected() > 0;
            m_event->finish();
            if (!first)
                return true; // another attempt of this event was applied already
        }
        QSqlQuery &q = *m_upsert;
        q.addBindValue(Postgres::text(d.endpoint.toUtf8()));
        q.addBindValue(Postgres::text(update->subscriberId.toUtf8()));
        q.addBindValue(update->verified ? 1 : 0);
        q.addBindValue(
            Postgres::text(update->fields.isEmpty() ? QByteArray("{}") : update->fields));
        q.addBindValue(Postgres::text(update->data));
        q.addBindValue(d.receivedAtMs);
        q.addBindValue(d.receivedAtMs);
        q.addBindValue(Postgres::text(d.eventId.toUtf8()));
        q.addBindValue(d.id);
        if (!q.exec()) {
            *error = errorOf(q);
            return false;
        }
        q.finish();
        return true;
    }

    void writeForwards(std::deque<std::pair<Replay, int>> &forwards)
    {
        QSqlDatabase connection = db();
        QString error;
        bool ok = connection.transaction();
        QSqlQuery add(connection);
        add.prepare(ReplayRepository::insertStatement());
        QSqlQuery status(connection);
        status.prepare(QStringLiteral("UPDATE deliveries SET response_status = ? WHERE id = ?"));
        for (auto &[forward, answeredStatus] : forwards) {
            if (!ok)
                break;
            ReplayRepository::bind(add, forward);
            ok = add.exec();
            if (!ok)
                error = errorOf(add);
            if (ok && answeredStatus >= 0) {
                status.addBindValue(answeredStatus);
                status.addBindValue(forward.deliveryId);
                ok = status.exec();
                if (!ok)
                    error = errorOf(status);
            }
        }
        if (ok && !connection.commit())
            ok = false;
        if (!ok) {
            connection.rollback();
            failed(error.isEmpty() ? Postgres::errorText(connection.lastError()) : error);
        }
    }

    // The team's endpoint settings, with this machine's secrets from its own file.
    void pollEndpoints(bool force)
    {
        QString error;
        const auto team = Postgres::endpoints(db(), &error);
        if (!team)
            return;
        QList<Endpoint> local;
        const QString secretsPath = m_store.m_options.secretsPath;
        if (!secretsPath.isEmpty()) {
            Database own;
            if (own.openReadOnly(secretsPath, &error))
                local = EndpointRepository(own).list(&error).value_or(QList<Endpoint>());
        }
        QStringList warnings;
        const QList<Endpoint> merged = Postgres::withLocalSecrets(*team, local, &warnings);
        if (!force && merged == m_endpoints)
            return;
        m_endpoints = merged;
        {
            std::lock_guard lock(m_store.m_mutex);
            m_store.m_endpoints = merged;
            m_store.m_endpointWarnings = warnings;
        }
        Q_EMIT m_store.endpointsChanged(merged);
    }

    DeliveryStore &m_store;
    QString m_connectionName;
    bool m_connected = false;
    bool m_schemaProblem = false;
    bool m_failing = false;
    QString m_prepareError;
    Clock::time_point m_nextConnectAttempt = Clock::now();
    std::unique_ptr<QSqlQuery> m_ids;
    std::map<int, std::unique_ptr<QSqlQuery>> m_inserts; // by rows
    std::unique_ptr<QSqlQuery> m_attempts;
    std::unique_ptr<QSqlQuery> m_event;
    std::unique_ptr<QSqlQuery> m_upsert;
    std::unique_ptr<QSqlQuery> m_notify;
    QList<Endpoint> m_endpoints;
};

bool DeliveryStore::runPostgresWriter(std::promise<QString> &opened)
{
    PostgresWriter writer(*this);
    QString openError;
    if (!writer.open(&openError)) {
        opened.set_value(openError.isEmpty() ? QStringLiteral("cannot open the team database")
                                             : openError);
        return false;
    }
    opened.set_value(QString());
    writer.run();
    return true;
}
