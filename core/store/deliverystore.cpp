#include "deliverystore.h"

#include "database.h"
#include "endpointrepository.h"
#include "platform.h"
#include "postgres.h"
#include "replayrepository.h"
#include "schemakeeper.h"
#include "searchindex.h"
#include "secretvault.h"
#include "sqlitestatement.h"
#include "stagecounters.h"
#include "storedverification.h"
#include "subscribermapper.h"
#include "teamwatcher.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <optional>

namespace {

QString lastError(const QSqlQuery &query)
{
    return Database::errorText(query.lastError());
}

// A null QString or QByteArray binds as SQL NULL; the columns want '' for "none".
QString notNull(const QString &text)
{
    return text.isNull() ? QStringLiteral("") : text;
}

// The INSERT of `rows` deliveries in one statement.
QByteArray insertDeliveries(int rows)
{
    QByteArray values = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    for (int row = 1; row < rows; ++row)
        values += ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    return "INSERT INTO deliveries (received_at, remote_address, method, path, http_version, "
           "headers, body, body_size, endpoint, event_type, event_id, subscriber_id, verdict, "
           "verification, response_status, handling_us, source, external_id, truncated, "
           "trailers, sample) VALUES " +
           values + " ON CONFLICT (external_id) WHERE external_id <> '' DO NOTHING";
}

// The values of one delivery's row.
constexpr int ValuesPerRow = 21;

// The most deliveries one INSERT takes: 21 values each, well within SQLite's limit of 32,766.
constexpr int MaxRowsPerInsert = 256;

} // namespace

// Runs on the store's thread and owns the connection there.
class DeliveryStore::Writer
{
public:
    explicit Writer(DeliveryStore &store)
        : m_store(store)
    {}

    bool open(QString *error)
    {
        if (openDatabase(error))
            return true;
        if (!m_store.m_options.waitForStorage ||
            !Database::openMayRecover(m_store.m_options.path, *error))
            return false;
        setStorageProblem(*error);
        return true;
    }

    bool openDatabase(QString *error)
    {
        QString setAside;
        const bool opened =
            m_store.m_options.setAsideDamaged
                ? m_database.openOwn(m_store.m_options.path, error, &setAside,
                                     m_store.m_options.busyTimeoutMs)
                : m_database.open(m_store.m_options.path, error, m_store.m_options.busyTimeoutMs);
        if (!setAside.isEmpty()) {
            std::lock_guard lock(m_store.m_mutex);
            m_store.m_setAside = setAside;
        }
        if (!opened)
            return false;
        m_sqlite = SqliteStatement::handleOf(m_database.connection());
        if (!m_sqlite) {
            *error = QStringLiteral("this build's Qt SQL driver uses a copy of SQLite of its own, "
                                    "not the library HookScope is linked with (%1)")
                         .arg(SqliteStatement::libraryVersion());
            m_database.close();
            return false;
        }
        m_attempts = std::make_unique<QSqlQuery>(m_database.connection());
        m_attempts->prepare(
            // "<> ''": the partial index on event_id, whose WHERE SQLite does not infer.
            QStringLiteral("SELECT count(*) FROM deliveries WHERE event_id = ? AND event_id <> '' "
                           "AND endpoint = ?"));
        m_dataVersion = std::make_unique<QSqlQuery>(m_database.connection());
        m_dataVersion->prepare(QStringLiteral("PRAGMA data_version"));
        // Checkpoints run between batches (see checkpointIfDue()), not in the commits.
        QSqlQuery(m_database.connection()).exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
        m_bytesSinceCheckpoint = 0;
        m_logBytes = 0;
        m_identity = identityOf(m_store.m_options.path);
        m_walIdentity = identityOf(m_store.m_options.path + u"-wal");
        m_shmIdentity = identityOf(m_store.m_options.path + u"-shm");
        m_store.m_openGeneration.fetch_add(1);
        pollEndpoints(true);
        return true;
    }

    // Which file a path names: another identity means the file was replaced.
    using FileIdentity = Platform::FileIdentity;

    static std::optional<FileIdentity> identityOf(const QString &path)
    {
        return Platform::fileIdentity(path);
    }

    void closeDatabase()
    {
        m_inserts.clear();
        m_sqlite = nullptr;
        m_dataVersion.reset();
        m_attempts.reset();
        m_database.close();
    }

    // The file at the path is no longer the one open here (moved, deleted, or another file
    // put in its place): writing on would store deliveries nobody can see. What the open
    // file holds is copied out, and the path is opened afresh as soon as it can be.
    void leaveReplacedFile()
    {
        const QString path = m_store.m_options.path;
        const QString kept =
            path + QStringLiteral(".recovered-") +
            QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        QString copyError;
        const bool copied = m_database.backupTo(kept, &copyError);
        closeDatabase();
        // The write-ahead log and shared memory beside the path are still the old file's: a
        // new database there would replay them as its own. Their content is in the copy.
        // When the copy failed they are all that is left of its last commits: kept, renamed.
        for (const auto &[suffix, identity] :
             {std::pair{u"-wal", m_walIdentity}, std::pair{u"-shm", m_shmIdentity}}) {
            const QString companion = path + suffix;
            if (!identity || identityOf(companion) != identity)
                continue;
            if (copied)
                QFile::remove(companion);
            else
                QFile::rename(companion, kept + suffix);
        }
        const QString problem =
            copied ? QStringLiteral("%1 was replaced or removed while HookScope had it open; "
                                    "everything it held is kept in %2")
                         .arg(path, kept)
                   : QStringLiteral("%1 was replaced or removed while HookScope had it open, "
                                    "and copying what it held failed: %2")
                         .arg(path, copyError);
        m_replacedNote = problem;
        setStorageProblem(problem);
        m_nextOpenAttempt = Clock::now();
        Q_EMIT m_store.fileReplaced(copied ? kept : QString());
        Q_EMIT m_store.storageFailed(problem);
    }

    void setStorageProblem(const QString &problem)
    {
        std::lock_guard lock(m_store.m_mutex);
        m_store.m_storageProblem = problem;
    }

    // Until the file opens, deliveries are refused with the reason and it is tried again.
    bool waitingForStorage()
    {
        if (m_database.isOpen())
            return false;
        if (Clock::now() < m_nextOpenAttempt)
            return true;
        m_nextOpenAttempt = Clock::now() + m_store.m_options.endpointPollInterval;
        QString error;
        if (!openDatabase(&error)) {
            setStorageProblem(m_replacedNote.isEmpty() ? error : m_replacedNote + u". " + error);
            return true;
        }
        m_replacedNote.clear();
        setStorageProblem(QString());
        Q_EMIT m_store.storageRecovered();
        return false;
    }

    void run()
    {
        auto nextPoll = Clock::now() + m_store.m_options.endpointPollInterval;
        for (;;) {
            // Forwards kept back while the file cannot be opened do not wake the writer.
            DeliveryStore::Work work = m_store.takeWork(
                m_bytesSinceCheckpoint > 0 ? std::min(nextPoll, m_lastWrite + IdleCheckpointDelay)
                                           : nextPoll,
                m_database.isOpen());
            std::vector<PendingWrite> &batch = work.batch;
            std::deque<std::pair<Replay, int>> &forwards = work.forwards;
            const bool stop = work.stop;
            if (m_database.isOpen() && identityOf(m_store.m_options.path) != m_identity)
                leaveReplacedFile();
            if (waitingForStorage()) {
                m_store.refuse(work);
                nextPoll = Clock::now() + m_store.m_options.endpointPollInterval;
                if (stop)
                    break;
                continue;
            }
            if (!batch.empty())
                write(batch);
            checkpointIfDue(batch.empty());
            if (!forwards.empty())
                writeForwards(forwards);
            if (Clock::now() >= nextPoll) {
                pollEndpoints(false);
                nextPoll = Clock::now() + m_store.m_options.endpointPollInterval;
            }
            if (stop)
                break;
        }
        closeDatabase();
    }

private:
    // The write-ahead log is copied into the file between batches, outside any transaction,
    // so that no commit (and no sender waiting for its 200) pays for it as it would with
    // SQLite's automatic checkpoints: once the writing pauses for IdleCheckpointDelay, and
    // after every CheckpointBytes written without a pause, which bounds the log as SQLite's
    // own 1,000 pages of 4 KB would. PASSIVE: it never waits for readers.
    static constexpr qint64 CheckpointBytes = 4 * 1024 * 1024;
    static constexpr qint64 PageBytes = 4096; // SQLite's default page size, HookScope's
    static constexpr std::chrono::milliseconds IdleCheckpointDelay{200};

    void checkpointIfDue(bool idle)
    {
        if (m_bytesSinceCheckpoint == 0 || !m_database.isOpen())
            return;
        // A checkpoint only copies the log into the file; the log starts over at the next
        // write after one, unless a reader is in it then (the store's own thread indexing and
        // mapping just after each commit, a window). While the last checkpoint found the log
        // long, one runs after every batch, each a new chance for it to start over.
        if (m_logBytes < CheckpointBytes && m_bytesSinceCheckpoint < CheckpointBytes &&
            !(idle && Clock::now() >= m_lastWrite + IdleCheckpointDelay))
            return;
        m_bytesSinceCheckpoint = 0;
        QSqlQuery checkpoint(m_database.connection());
        // Its second column: the frames in the log, about a page each.
        if (checkpoint.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")) && checkpoint.next())
            m_logBytes = checkpoint.value(1).toLongLong() * PageBytes;
    }

    void write(std::vector<PendingWrite> &batch)
    {
        QString error;
        std::optional<StageTimer> inserting(std::in_place, StageCounters::Insert, batch.size());
        QList<DeliverySummary> written;
        written.reserve(static_cast<qsizetype>(batch.size()));
        QSqlDatabase db = m_database.connection();
        std::unique_lock turn(m_store.m_writeTurns);
        QSqlQuery begin(db);
        bool ok = begin.exec(QStringLiteral("BEGIN IMMEDIATE"));
        if (!ok)
            error = lastError(begin);
        // The deliveries without an external id (all of the listener's) wait in `run` and go
        // in many to a statement: one statement binds and inserts them all.
        std::vector<PendingWrite *> run;
        for (PendingWrite &item : batch) {
            if (!ok)
                break;
            Delivery &d = item.delivery;
            if (d.failFirstAttempts > 0 && !d.eventId.isEmpty()) {
                // The earlier attempts of this event decide whether this one is failed on
                // purpose; they are in the file (or waiting in `run`), whatever restarts
                // happened in between.
                m_attempts->addBindValue(d.eventId);
                m_attempts->addBindValue(notNull(d.endpoint));
                const auto waiting =
                    std::count_if(run.cbegin(), run.cend(), [&d](const PendingWrite *r) {
                        return r->delivery.eventId == d.eventId &&
                               r->delivery.endpoint == d.endpoint;
                    });
                if (m_attempts->exec() && m_attempts->next() &&
                    m_attempts->value(0).toInt() + waiting < d.failFirstAttempts)
                    d.responseStatus = d.failStatus;
                m_attempts->finish();
            }
            d.handlingMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   Clock::now() - item.requestEnd)
                                   .count();
            if (d.externalId.isEmpty()) {
                run.push_back(&item);
                continue;
            }
            ok = insertRun(run, &error) && insertOne(item, &error);
            run.clear();
        }
        ok = ok && insertRun(run, &error);
        for (PendingWrite &item : batch) {
            if (!ok)
                break;
            Delivery &d = item.delivery;
            if (d.id == 0)
                continue; // an external id stored before: nothing to do
            written.append(DeliverySummary::of(d));
        }
        inserting.reset();
        if (ok) {
            const StageTimer committing(StageCounters::Commit);
            if (!db.commit()) {
                ok = false;
                error = Database::errorText(db.lastError());
            }
        }
        if (!ok)
            db.rollback();
        turn.unlock();
        if (!ok) {
            if (error.isEmpty())
                error = QStringLiteral("the database could not be written");
            for (PendingWrite &item : batch) {
                if (item.done)
                    item.done(0, 503, error);
            }
            m_failing = true;
            Q_EMIT m_store.storageFailed(error);
            return;
        }
        for (PendingWrite &item : batch) {
            if (item.done)
                item.done(item.delivery.id, item.delivery.responseStatus,
                          item.delivery.id == 0 ? QString::fromLatin1(AlreadyStored) : QString());
        }
        if (m_failing) {
            m_failing = false;
            Q_EMIT m_store.storageRecovered();
        }
        // What the log grew by, roughly: each row's body, and its other columns and index
        // entries.
        qint64 bytes = 0;
        for (const PendingWrite &item : batch)
            bytes += item.delivery.bodySize() + 512;
        m_bytesSinceCheckpoint += bytes;
        m_lastWrite = Clock::now();
        m_store.afterCommitsDue();
        Q_EMIT m_store.stored(written);
    }

    // The row of `item` as the `row`th of the statement's rows (from 0).
    static void bind(SqliteStatement &insert, int row, const PendingWrite &item)
    {
        const Delivery &d = item.delivery;
        const PendingWrite::Encoded &e = item.encoded;
        const int p = row * ValuesPerRow;
        insert.bind(p + 1, d.receivedAtMs);
        insert.bindText(p + 2, e.remoteAddress);
        insert.bindText(p + 3, e.method);
        insert.bindText(p + 4, e.path);
        insert.bindText(p + 5, e.httpVersion);
        insert.bindBlob(p + 6, e.headers);
        insert.bindBlob(p + 7, d.body);
        insert.bind(p + 8, d.bodySize());
        insert.bindText(p + 9, e.endpoint);
        insert.bindText(p + 10, e.eventType);
        insert.bindText(p + 11, e.eventId);
        insert.bindText(p + 12, e.subscriberId);
        insert.bindText(p + 13, e.verdict);
        insert.bindText(p + 14, e.verification);
        insert.bind(p + 15, d.responseStatus);
        insert.bind(p + 16, d.handlingMicros);
        insert.bindText(p + 17, e.source);
        insert.bindText(p + 18, e.externalId);
        insert.bind(p + 19, d.truncated ? 1 : 0);
        insert.bindBlob(p + 20, e.trailers);
        insert.bind(p + 21, d.sample ? 1 : 0);
    }

    // The prepared INSERT of `rows` deliveries, kept across batches.
    SqliteStatement *insertOf(int rows, QString *error)
    {
        std::unique_ptr<SqliteStatement> &insert = m_inserts[rows];
        if (!insert) {
            insert = std::make_unique<SqliteStatement>(m_sqlite, insertDeliveries(rows).constData(),
                                                       error);
            if (!insert->isValid()) {
                insert.reset();
                return nullptr;
            }
        }
        return insert.get();
    }

    // One delivery with an external id; its id stays 0 when that id is stored already.
    bool insertOne(PendingWrite &item, QString *error)
    {
        SqliteStatement *insert = insertOf(1, error);
        if (!insert)
            return false;
        bind(*insert, 0, item);
        if (!insert->run(error))
            return false;
        item.delivery.id = insert->changes() == 0 ? 0 : insert->lastInsertId();
        return true;
    }

    // Deliveries without an external id, in statements of 1, 2, 4, ... rows, so that a few
    // prepared statements serve every batch.
    bool insertRun(const std::vector<PendingWrite *> &run, QString *error)
    {
        for (size_t done = 0; done < run.size();) {
            int rows = 1;
            while (rows < MaxRowsPerInsert && done + size_t(rows) * 2 <= run.size())
                rows *= 2;
            SqliteStatement *insert = insertOf(rows, error);
            if (!insert)
                return false;
            for (int row = 0; row < rows; ++row)
                bind(*insert, row, *run[done + size_t(row)]);
            if (!insert->run(error))
                return false;
            if (insert->changes() != rows) {
                *error = QStringLiteral("%1 of %2 deliveries were stored")
                             .arg(insert->changes())
                             .arg(rows);
                return false;
            }
            // A row inserted without an id gets the largest id plus one: the rows of one
            // statement have consecutive ids, in the order of their values.
            const qint64 last = insert->lastInsertId();
            for (int row = 0; row < rows; ++row)
                run[done + size_t(row)]->delivery.id = last - rows + 1 + row;
            done += size_t(rows);
        }
        return true;
    }

    void writeForwards(std::deque<std::pair<Replay, int>> &forwards)
    {
        QSqlDatabase db = m_database.connection();
        QString error;
        const std::lock_guard turn(m_store.m_writeTurns);
        bool ok = db.transaction();
        QSqlQuery status(db);
        status.prepare(QStringLiteral("UPDATE deliveries SET response_status = ? WHERE id = ?"));
        for (auto &[forward, answeredStatus] : forwards) {
            if (!ok)
                break;
            ok = ReplayRepository(m_database).add(forward, &error);
            if (ok && answeredStatus >= 0) {
                status.addBindValue(answeredStatus);
                status.addBindValue(forward.deliveryId);
                ok = status.exec();
                if (!ok)
                    error = lastError(status);
            }
        }
        if (ok && !db.commit())
            ok = false;
        if (!ok) {
            db.rollback();
            Q_EMIT m_store.storageFailed(error.isEmpty() ? Database::errorText(db.lastError())
                                                         : error);
        }
    }

    // PRAGMA data_version changes when another connection commits; only then are the
    // endpoints read again.
    void pollEndpoints(bool force)
    {
        if (!m_dataVersion->exec() || !m_dataVersion->next())
            return;
        const qint64 version = m_dataVersion->value(0).toLongLong();
        m_dataVersion->finish();
        // A secret the keychain gave late (after its unlock prompt) is read again too.
        const quint64 secrets = SecretVault::instance().generation();
        if (!force && version == m_lastDataVersion && secrets == m_secretGeneration)
            return;
        m_lastDataVersion = version;
        m_secretGeneration = secrets;
        QString error;
        const auto endpoints = EndpointRepository(m_database).list(&error);
        if (!endpoints)
            return;
        if (force || *endpoints != m_endpoints) {
            m_endpoints = *endpoints;
            {
                std::lock_guard lock(m_store.m_mutex);
                m_store.m_endpoints = m_endpoints;
            }
            Q_EMIT m_store.endpointsChanged(m_endpoints);
        }
    }

    DeliveryStore &m_store;
    Database m_database;
    qint64 m_bytesSinceCheckpoint = 0; // written since the last checkpoint, roughly
    qint64 m_logBytes = 0;             // the log's length as the last checkpoint found it
    Clock::time_point m_lastWrite;
    sqlite3 *m_sqlite = nullptr;                               // the connection's own handle
    std::map<int, std::unique_ptr<SqliteStatement>> m_inserts; // by rows
    std::unique_ptr<QSqlQuery> m_dataVersion;
    std::unique_ptr<QSqlQuery> m_attempts;
    qint64 m_lastDataVersion = -1;
    quint64 m_secretGeneration = 0;
    QList<Endpoint> m_endpoints;
    bool m_failing = false;
    Clock::time_point m_nextOpenAttempt = Clock::now();
    std::optional<FileIdentity> m_identity;
    std::optional<FileIdentity> m_walIdentity;
    std::optional<FileIdentity> m_shmIdentity;
    QString m_replacedNote; // what happened to the file last open, until the path opens again
};

DeliveryStore::DeliveryStore(QObject *parent)
    : QObject(parent)
{}

DeliveryStore::~DeliveryStore()
{
    close();
}

bool DeliveryStore::open(const Options &options, QString *error)
{
    close();
    m_options = options;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = false;
    }
    std::promise<QString> opened;
    std::future<QString> openResult = opened.get_future();
    const bool team = Postgres::isLocation(options.path);
    m_thread = QThread::create([this, &opened, team] {
        if (team) {
            runPostgresWriter(opened);
            return;
        }
        Writer writer(*this);
        QString openError;
        if (!writer.open(&openError)) {
            opened.set_value(openError.isEmpty() ? QStringLiteral("cannot open the database")
                                                 : openError);
            return;
        }
        opened.set_value(QString());
        writer.run();
    });
    m_thread->setObjectName(QStringLiteral("hookscope-store"));
    m_thread->start();
    const QString openError = openResult.get();
    if (openError.isEmpty() && team && options.watchTeam) {
        m_watchThread = new QThread;
        m_watchThread->setObjectName(QStringLiteral("hookscope-watch"));
        auto *watcher = new TeamWatcher(options.path);
        watcher->moveToThread(m_watchThread);
        connect(watcher, &TeamWatcher::stored, this, &DeliveryStore::stored);
        connect(watcher, &TeamWatcher::schemasLearned, this, &DeliveryStore::schemasLearned);
        connect(m_watchThread, &QThread::started, watcher, &TeamWatcher::start);
        // Deleted on its own thread, with its connection, as the thread finishes.
        connect(m_watchThread, &QThread::finished, watcher, &QObject::deleteLater);
        m_watchThread->start();
    }
    // A team database indexes and maps in the writer's own transactions, and learns event
    // schemas after them.
    if (openError.isEmpty()) {
        m_indexThread = QThread::create([this, team] {
            if (team)
                runTeamLearning();
            else
                runAfterCommits();
        });
        m_indexThread->setObjectName(team ? QStringLiteral("hookscope-schemas")
                                          : QStringLiteral("hookscope-search"));
        m_indexThread->start(QThread::LowPriority);
    }
    if (!openError.isEmpty()) {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
        if (error)
            *error = openError;
        return false;
    }
    m_open = true;
    return true;
}

void DeliveryStore::close()
{
    if (!m_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_indexWake.notify_all();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    if (m_watchThread) {
        m_watchThread->quit();
        m_watchThread->wait();
        delete m_watchThread;
        m_watchThread = nullptr;
    }
    if (m_indexThread) {
        m_indexThread->wait();
        delete m_indexThread;
        m_indexThread = nullptr;
    }
    m_open = false;
}

bool DeliveryStore::isOpen() const
{
    return m_open;
}

void DeliveryStore::submit(Delivery delivery, Clock::time_point requestEnd, Completion done)
{
    std::optional<StageTimer> encoding(std::in_place, StageCounters::Encode);
    PendingWrite::Encoded encoded{
        delivery.remoteAddress.toUtf8(),
        delivery.method.toUtf8(),
        delivery.path.toUtf8(),
        delivery.httpVersion.toUtf8(),
        delivery.headers.serialize(),
        delivery.endpoint.toUtf8(),
        delivery.eventType.toUtf8(),
        delivery.eventId.toUtf8(),
        delivery.subscriberId.toUtf8(),
        QByteArray(verdictName(delivery.verification.verdict).toLatin1()),
        StoredVerification::encode(delivery.verification, delivery.headers, delivery.truncated),
        delivery.source.toUtf8(),
        delivery.externalId.toUtf8(),
        delivery.trailers.serialize(),
    };
    encoding.reset();
    {
        std::lock_guard lock(m_mutex);
        if (!m_stopping) {
            m_queue.push_back(
                {std::move(delivery), requestEnd, std::move(done), std::move(encoded)});
            done = nullptr;
        }
    }
    if (done) {
        done(0, 503, QStringLiteral("the store is closed"));
        return;
    }
    m_wake.notify_one();
}

DeliveryStore::Work DeliveryStore::takeWork(Clock::time_point wakeAt, bool canWrite)
{
    Work work;
    std::unique_lock lock(m_mutex);
    m_wake.wait_until(lock, wakeAt, [this, canWrite] {
        return !m_queue.empty() || (!m_forwards.empty() && canWrite) || m_stopping;
    });
    work.forwards.swap(m_forwards);
    const auto take = std::min<size_t>(m_queue.size(), static_cast<size_t>(m_options.maxBatch));
    work.batch.reserve(take);
    for (size_t i = 0; i < take; ++i) {
        work.batch.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
    }
    work.stop = m_stopping && m_queue.empty();
    return work;
}

void DeliveryStore::refuse(Work &work)
{
    QString problem;
    {
        std::lock_guard lock(m_mutex);
        // What the forwarded apps answered waits for the storage too.
        m_forwards.insert(m_forwards.begin(), work.forwards.begin(), work.forwards.end());
        work.forwards.clear();
        problem = m_storageProblem;
    }
    for (PendingWrite &item : work.batch) {
        if (item.done)
            item.done(0, 503, problem);
    }
}

qsizetype DeliveryStore::pendingCount() const
{
    std::lock_guard lock(m_mutex);
    return static_cast<qsizetype>(m_queue.size());
}

QString DeliveryStore::setAsideFile() const
{
    std::lock_guard lock(m_mutex);
    return m_setAside;
}

QString DeliveryStore::storageProblem() const
{
    std::lock_guard lock(m_mutex);
    return m_storageProblem;
}

QList<Endpoint> DeliveryStore::endpoints() const
{
    std::lock_guard lock(m_mutex);
    return m_endpoints;
}

void DeliveryStore::setReceiverName(const QString &name)
{
    std::lock_guard lock(m_mutex);
    m_receiverName = name;
}

QStringList DeliveryStore::endpointWarnings() const
{
    std::lock_guard lock(m_mutex);
    return m_endpointWarnings;
}

void DeliveryStore::recordForward(const Replay &forward, int answeredStatus)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return;
        m_forwards.emplace_back(forward, answeredStatus);
    }
    m_wake.notify_one();
}

namespace {

// Adds the CPU time its thread spends from its making to its end to a stage (the stages after
// the commits also wait for the write lock: their wall time says less).
class ThreadCpuTimer
{
public:
    explicit ThreadCpuTimer(StageCounters::Stage stage)
        : m_stage(stage)
        , m_start(Platform::threadCpuTime())
    {}
    ~ThreadCpuTimer()
    {
        StageCounters::instance().addCpu(m_stage, Platform::threadCpuTime() - m_start);
    }
    ThreadCpuTimer(const ThreadCpuTimer &) = delete;
    ThreadCpuTimer &operator=(const ThreadCpuTimer &) = delete;

private:
    StageCounters::Stage m_stage;
    std::chrono::nanoseconds m_start;
};

struct Learned
{
    int deliveries = 0;
    int drifted = 0;
    bool failed = false;
    bool behind = false; // stopped at `until` with more to learn
};

// Learns event schemas `chunk` deliveries at a time until caught up, `until`, or `stopping`.
Learned learnSchemas(SchemaKeeper &keeper, int chunk, DeliveryStore::Clock::time_point until,
                     const std::function<bool()> &stopping)
{
    Learned learned;
    for (;;) {
        QString error;
        int drifting = 0;
        StageTimer timer(StageCounters::Schemas, 0);
        const ThreadCpuTimer cpu(StageCounters::Schemas);
        const std::optional<int> read = keeper.catchUp(chunk, &error, &drifting);
        timer.setUnits(quint64(read.value_or(0)));
        if (!read) {
            learned.failed = true;
            return learned;
        }
        learned.deliveries += *read;
        learned.drifted += drifting;
        if (*read < chunk || stopping())
            return learned;
        if (DeliveryStore::Clock::now() >= until) {
            learned.behind = true;
            return learned;
        }
    }
}

} // namespace

void DeliveryStore::afterCommitsDue()
{
    {
        std::lock_guard lock(m_mutex);
        m_indexDue = true;
    }
    m_indexWake.notify_one();
}

bool DeliveryStore::isStopping() const
{
    std::lock_guard lock(m_mutex);
    return m_stopping;
}

bool DeliveryStore::waitForCommits(std::chrono::milliseconds poll)
{
    std::unique_lock lock(m_mutex);
    m_indexWake.wait_for(lock, poll, [this] { return m_indexDue || m_stopping; });
    if (m_stopping)
        return false;
    m_indexDue = false;
    return true;
}

void DeliveryStore::runTeamLearning()
{
    // Deliveries taken off the team database's queue per transaction (see SchemaKeeper).
    constexpr int Chunk = 1000;
    // Commits arriving faster than this are learned from together. What a learner writes is
    // one row for each field of each type it saw, however many deliveries it learned from, so
    // on a server each transaction costs more than on a file: fewer, larger ones (measured in
    // docs/benchmarks.md).
    constexpr std::chrono::milliseconds Interval{500};
    // Each receiver learns after its own commits, and so from every receiver's deliveries
    // queued by then; this also finds what a receiver that stopped left queued.
    constexpr std::chrono::seconds Poll{1};
    constexpr std::chrono::seconds Reconnect{5};
    Database database;
    std::unique_ptr<SchemaKeeper> schemas;
    auto nextOpen = Clock::now();
    while (waitForCommits(Poll)) {
        if (!database.isOpen()) {
            if (Clock::now() < nextOpen)
                continue;
            nextOpen = Clock::now() + Reconnect;
            if (QString error; !database.open(m_options.path, &error, m_options.busyTimeoutMs))
                continue;
            if (!Postgres::mayLearnSchemas(database.connection()))
                return; // a viewer's login: the receivers learn
            schemas = std::make_unique<SchemaKeeper>(database);
        }
        const Learned learned = learnSchemas(*schemas, Chunk, Clock::time_point::max(),
                                             [this] { return isStopping(); });
        if (learned.failed) {
            // Tried again on a new connection: what was not committed stays queued.
            schemas.reset();
            database.close();
        }
        // A watching store hears of every receiver's learning, this one's among them.
        if (learned.deliveries > 0 && !m_options.watchTeam)
            Q_EMIT schemasLearned(learned.deliveries, learned.drifted);
        std::unique_lock lock(m_mutex);
        m_indexWake.wait_for(lock, Interval, [this] { return m_stopping; });
    }
}

void DeliveryStore::runAfterCommits()
{
    // Deliveries taken per transaction: a delivery is findable before it is indexed (see
    // Database::prepareTextSearch()), so the index may take its time, but not hold its lock
    // long; the mapping's transactions hold the database's write lock, so they stay short.
    constexpr int IndexChunk = 5000;
    constexpr int MappingChunk = 500;
    // The schemas' transactions hold the write lock only to write what changed: a few rows for
    // the fields of each type seen, and the drift.
    constexpr int SchemaChunk = 2000;
    // Commits arriving faster than this are followed together: FTS5 writes a segment per
    // statement, and each mapping transaction is a commit of the database.
    constexpr std::chrono::milliseconds Interval{50};
    // Other processes' commits are found by looking.
    constexpr std::chrono::seconds Poll{1};
    // The longest the schemas, then the index, work through a backlog before the mapping's
    // turn comes again.
    constexpr std::chrono::milliseconds Slice{200};
    SearchIndex index(m_options.path);
    Database database;
    std::unique_ptr<SubscriberMapper> mapper;
    std::unique_ptr<SchemaKeeper> schemas;
    quint64 generation = 0;
    qint64 mappedUpTo = -1;
    auto nextOpen = Clock::now();
    const auto stopping = [this] {
        return isStopping();
    };
    while (waitForCommits(Poll)) {
        const quint64 opened = m_openGeneration.load();
        if (generation != opened) {
            // The writer opened the file again (a replaced file, a recovery).
            mapper.reset();
            schemas.reset();
            database.close();
            index.close();
        }
        if (!database.isOpen()) {
            if (Clock::now() < nextOpen)
                continue;
            QString error;
            if (!database.open(m_options.path, &error, m_options.busyTimeoutMs) ||
                !index.open(m_options.busyTimeoutMs, &error)) {
                database.close();
                nextOpen = Clock::now() + Poll;
                continue;
            }
            // Without an fsync of its own: the mapping and its watermark are committed
            // together, so a power loss can only take both back (and they are applied again),
            // and the writer's next commit syncs the log they are in.
            database.run(QStringLiteral("PRAGMA synchronous = NORMAL"), {}, nullptr);
            mapper = std::make_unique<SubscriberMapper>(database, &m_writeTurns);
            schemas = std::make_unique<SchemaKeeper>(database, &m_writeTurns);
            generation = opened;
        }
        const auto watermark = [&mapper] {
            return mapper->mappedUpTo(nullptr).value_or(-1);
        };
        // Announced whoever applied them: this thread, or (when the watermark moved since this
        // thread last looked) another process, or a command that brought the mapping up to
        // date before reading it.
        bool changed = mappedUpTo >= 0 && watermark() != mappedUpTo;
        for (;;) {
            QString error;
            int changes = 0;
            StageTimer timer(StageCounters::Mapping, 0);
            const ThreadCpuTimer cpu(StageCounters::Mapping);
            const std::optional<int> read = mapper->catchUp(MappingChunk, &error, &changes);
            timer.setUnits(quint64(read.value_or(0)));
            changed = changed || changes > 0;
            if (!read || *read < MappingChunk || stopping())
                break;
        }
        mappedUpTo = watermark();
        if (changed)
            Q_EMIT subscribersChanged();
        // A long backlog (a file from before schemas were learned, an index made again from
        // nothing) is worked through a slice at a time, so that the mapping and the other
        // keep up with new deliveries meanwhile.
        const auto sliceEnd = Clock::now() + Slice;
        const Learned learned = learnSchemas(*schemas, SchemaChunk, sliceEnd, stopping);
        bool behind = learned.behind;
        if (learned.deliveries > 0)
            Q_EMIT schemasLearned(learned.deliveries, learned.drifted);
        if (!index.isOpen())
            index.open(m_options.busyTimeoutMs, nullptr); // closed when found damaged
        while (index.isOpen()) {
            QString error;
            StageTimer timer(StageCounters::Indexing, 0);
            const ThreadCpuTimer cpu(StageCounters::Indexing);
            const std::optional<int> indexed = index.catchUp(IndexChunk, &error);
            timer.setUnits(quint64(indexed.value_or(0)));
            m_indexedUpTo.store(index.indexedUpTo(), std::memory_order_relaxed);
            if (!indexed || *indexed < IndexChunk || stopping())
                break;
            if (Clock::now() >= sliceEnd + Slice) {
                behind = true;
                break;
            }
        }
        std::unique_lock lock(m_mutex);
        if (behind) {
            m_indexDue = true; // on at once, from the mapping again
            continue;
        }
        m_indexWake.wait_for(lock, Interval, [this] { return m_stopping; });
    }
}
