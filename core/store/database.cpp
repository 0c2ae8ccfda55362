#include "database.h"

#include "platform.h"
#include "postgres.h"
#include "privatefile.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>

#include <algorithm>

namespace {

QAtomicInteger<quint64> connectionCounter;

// Each entry brings the schema from version (index) to version (index + 1).
const char *const Migrations[] = {
    // 0 -> 1
    R"sql(
    CREATE TABLE endpoints (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        scheme TEXT NOT NULL,
        tolerance_seconds INTEGER NOT NULL DEFAULT 300,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE endpoint_secrets (
        endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        label TEXT NOT NULL,
        secret BLOB NOT NULL,
        PRIMARY KEY (endpoint_id, position)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        remote_address TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        http_version TEXT NOT NULL,
        headers BLOB NOT NULL,
        body BLOB NOT NULL,
        body_size INTEGER NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        event_type TEXT NOT NULL DEFAULT '',
        event_id TEXT NOT NULL DEFAULT '',
        subscriber_id TEXT NOT NULL DEFAULT '',
        verdict TEXT NOT NULL,
        verification TEXT NOT NULL,
        response_status INTEGER NOT NULL,
        handling_us INTEGER NOT NULL
    );
    CREATE INDEX deliveries_event_id ON deliveries(event_id) WHERE event_id <> '';
    CREATE INDEX deliveries_endpoint ON deliveries(endpoint, id);
    )sql",
    // 1 -> 2: options of the generic-hmac scheme (JSON).
    R"sql(
    ALTER TABLE endpoints ADD COLUMN scheme_options TEXT NOT NULL DEFAULT '';
    )sql",
    // 2 -> 3: indexes for the filters of the delivery list and the timeline.
    R"sql(
    CREATE INDEX deliveries_event_type ON deliveries(event_type, id);
    CREATE INDEX deliveries_verdict ON deliveries(verdict, id);
    CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id, id) WHERE subscriber_id <> '';
    CREATE INDEX deliveries_received_at ON deliveries(received_at, verdict);
    )sql",
    // 3 -> 4: the subscriber mapping kept from HostedHooks subscriber.created events.
    R"sql(
    ALTER TABLE endpoints ADD COLUMN subscriber_path TEXT NOT NULL DEFAULT '';
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        endpoint TEXT NOT NULL,
        subscriber_id TEXT NOT NULL,
        verified INTEGER NOT NULL,
        fields TEXT NOT NULL DEFAULT '{}',
        data TEXT NOT NULL DEFAULT '',
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        created_event_id TEXT NOT NULL,
        created_delivery_id INTEGER NOT NULL,
        local_reference TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        UNIQUE (endpoint, subscriber_id)
    );
    CREATE TABLE subscriber_events (
        endpoint TEXT NOT NULL,
        event_id TEXT NOT NULL,
        delivery_id INTEGER NOT NULL,
        PRIMARY KEY (endpoint, event_id)
    ) WITHOUT ROWID;
    )sql",
    // 4 -> 5: each endpoint's response policy (JSON).
    R"sql(
    ALTER TABLE endpoints ADD COLUMN response_policy TEXT NOT NULL DEFAULT '';
    )sql",
    // 5 -> 6: replays of deliveries, and deliveries recovered from elsewhere (ngrok).
    R"sql(
    CREATE TABLE replays (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        url TEXT NOT NULL,
        resigned INTEGER NOT NULL,
        request_headers BLOB NOT NULL,
        request_body BLOB NOT NULL,
        status INTEGER NOT NULL,
        response_headers BLOB NOT NULL,
        response_body BLOB NOT NULL,
        latency_ms INTEGER NOT NULL,
        error TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX replays_delivery ON replays(delivery_id, id);
    ALTER TABLE deliveries ADD COLUMN source TEXT NOT NULL DEFAULT '';
    ALTER TABLE deliveries ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
    CREATE UNIQUE INDEX deliveries_external_id ON deliveries(external_id) WHERE external_id <> '';
    )sql",
    // 6 -> 7: forwarding to the app under development; its answers are kept with the replays.
    R"sql(
    ALTER TABLE endpoints ADD COLUMN forward_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE endpoints ADD COLUMN answer_with_app INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE replays ADD COLUMN kind TEXT NOT NULL DEFAULT 'replay';
    )sql",
    // 7 -> 8: deliveries refused for their size keep only the first part of the body.
    R"sql(
    ALTER TABLE deliveries ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
    )sql",
    // 8 -> 9: a secret kept in the desktop keychain leaves only its key here ('' for none).
    R"sql(
    ALTER TABLE endpoint_secrets ADD COLUMN keychain_key TEXT NOT NULL DEFAULT '';
    )sql",
    // 9 -> 10: the trailers of a chunked request, kept apart from its headers.
    R"sql(
    ALTER TABLE deliveries ADD COLUMN trailers BLOB NOT NULL DEFAULT '';
    )sql",
    // 10 -> 11: samples HookScope sent itself are marked, to tell them from the sender's.
    R"sql(
    ALTER TABLE deliveries ADD COLUMN sample INTEGER NOT NULL DEFAULT 0;
    )sql",
    // 11 -> 12: the full-text index moves to a file of its own (see SearchIndex), out of the
    // writer's transactions; the one kept here by triggers goes. The subscriber mapping is
    // kept after the commits (see SubscriberMapper), up to a watermark: every delivery stored
    // before was applied in its own transaction.
    R"sql(
    DROP TRIGGER IF EXISTS deliveries_fts_insert;
    DROP TRIGGER IF EXISTS deliveries_fts_delete;
    DROP TABLE IF EXISTS deliveries_fts;
    CREATE TABLE mapping_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mapped_up_to INTEGER NOT NULL
    );
    INSERT INTO mapping_state VALUES (1, (SELECT coalesce(max(id), 0) FROM deliveries));
    )sql",
    // 12 -> 13: what each event type's deliveries carried, and how each delivery drifted from
    // the ones of its type before it, learned after the commits up to a watermark (see
    // SchemaKeeper). Deliveries stored before are learned in the background.
    R"sql(
    CREATE TABLE schema_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        learned_up_to INTEGER NOT NULL
    );
    INSERT INTO schema_state VALUES (1, 0);
    CREATE TABLE event_schemas (
        endpoint TEXT NOT NULL,
        event_type TEXT NOT NULL,
        deliveries INTEGER NOT NULL,
        drifted INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        last_delivery_id INTEGER NOT NULL,
        PRIMARY KEY (endpoint, event_type)
    ) WITHOUT ROWID;
    CREATE TABLE schema_fields (
        endpoint TEXT NOT NULL,
        event_type TEXT NOT NULL,
        path TEXT NOT NULL,
        types INTEGER NOT NULL,
        deliveries INTEGER NOT NULL,
        occurrences INTEGER NOT NULL,
        objects INTEGER NOT NULL,
        strings INTEGER NOT NULL,
        formats INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        first_delivery_id INTEGER NOT NULL,
        examples TEXT NOT NULL,
        PRIMARY KEY (endpoint, event_type, path)
    ) WITHOUT ROWID;
    CREATE TABLE drift (
        delivery_id INTEGER NOT NULL,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        before TEXT NOT NULL,
        now TEXT NOT NULL,
        UNIQUE (delivery_id, path, kind)
    );
    CREATE INDEX drift_kind ON drift(kind, delivery_id);
    )sql",
};

static_assert(std::size(Migrations) == Database::SchemaVersion);

QString sqlError(const QSqlError &error)
{
    return Database::errorText(error);
}

// SQLite's primary result codes, as Qt's driver reports them in QSqlError::nativeErrorCode().
constexpr int SqliteCorrupt = 11;
constexpr int SqliteNotADatabase = 26;

// The primary code: Qt's driver turns SQLite's extended result codes on.
int nativeCode(const QSqlError &error)
{
    return error.nativeErrorCode().toInt() & 0xff;
}

QString octalMode(unsigned mode)
{
    return QStringLiteral("0%1").arg(mode, 3, 8, QLatin1Char('0'));
}

} // namespace

Database::Database()
    : m_connectionName(QStringLiteral("hookscope-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
{}

Database::~Database()
{
    close();
}

std::optional<QSqlQuery> Database::run(const QString &sql, const QVariantList &bindings,
                                       QString *error) const
{
    QSqlQuery query(connection());
    query.setForwardOnly(true);
    if (!query.prepare(sql)) {
        if (error)
            *error = errorText(query.lastError());
        return std::nullopt;
    }
    for (const QVariant &value : bindings)
        query.addBindValue(value);
    if (!query.exec()) {
        if (error)
            *error = errorText(query.lastError());
        return std::nullopt;
    }
    return query;
}

bool Database::isDamage(const QSqlError &error)
{
    const int code = nativeCode(error);
    return code == SqliteCorrupt || code == SqliteNotADatabase;
}

QString Database::errorText(const QSqlError &error)
{
    // PostgreSQL's "ERROR:  ..." line alone: its further lines may quote a row's values.
    if (error.driverText().contains(u"PSQL") || error.databaseText().startsWith(u"ERROR:"))
        return Postgres::errorText(error);
    return (error.databaseText().isEmpty() ? error.text() : error.databaseText()).trimmed();
}

QString Database::defaultPath()
{
    // ~/.local/share/hookscope/hookscope.db on Linux, whatever organisation name is set.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/hookscope/hookscope.db");
}

bool Database::open(const QString &path, QString *error, int busyTimeoutMs)
{
    return openFile(path, Access::ReadWrite, error, busyTimeoutMs);
}

bool Database::openReadOnly(const QString &path, QString *error, int busyTimeoutMs)
{
    return openFile(path, Access::ReadOnly, error, busyTimeoutMs);
}

// Nothing here opens, reads or closes the file (or its -wal and -shm) other than through
// SQLite: on POSIX, closing any descriptor of a file drops every lock the process holds on it,
// the locks of this process's other connections included, and another process would then
// take itself for the last user, checkpoint and delete the write-ahead log still in use here.
// What the file is, SQLite is asked.
bool Database::openFile(const QString &path, Access access, QString *error, int busyTimeoutMs)
{
    QString ignored;
    if (!error)
        error = &ignored;
    close();
    m_path = path;
    m_failure = Failure::None;
    m_standIn = false;
    m_team = Postgres::isLocation(path);
    if (m_team) {
        // The team database (see Postgres): opened the same way for reading and writing; what
        // a login may change, its role decides.
        if (!Postgres::connect(path, m_connectionName, error))
            return false;
        if (!Postgres::checkSchema(connection(), error)) {
            close();
            return false;
        }
        m_fullText = true;
        return true;
    }

    const QFileInfo info(path);
    bool created = false;
    if (info.isDir()) {
        *error = QStringLiteral("%1 is a directory, not a database file").arg(path);
        return false;
    }
    if (access == Access::ReadOnly) {
        // Reading never creates anything: no file yet means nothing stored yet.
        if (!info.exists())
            return openStandIn(error);
    } else {
        if (!QDir().mkpath(info.absolutePath())) {
            *error = QStringLiteral("cannot create the folder %1").arg(info.absolutePath());
            return false;
        }
        if (!PrivateFile::create(path, PrivateFile::Existing::Accept, &created, error))
            return false;
        // SQLite in WAL mode writes beside the file even to read it: say so rather than let
        // it fail with "unable to open database file".
        if (!created && isOnReadOnlyFileSystem(path)) {
            *error =
                QStringLiteral("%1 is on a read-only file system; HookScope needs to write to it")
                    .arg(path);
            return false;
        }
    }

    // What the file is, asked through a read-only connection: one that can write would, on
    // closing, checkpoint a write-ahead log another program's crash left, or roll back its
    // journal, and so change a file that is not HookScope's.
    if (!connect(path, Access::ReadOnly, busyTimeoutMs, error))
        return false;
    const std::optional<Kind> kind = examine(error);
    if (!kind) {
        *error = QStringLiteral("%1: %2").arg(path, *error);
        close();
        return false;
    }
    if (access == Access::ReadOnly) {
        if (*kind == Kind::Empty) {
            close();
            return openStandIn(error);
        }
        if (!checkVersionForReading(error) ||
            !exec(QStringLiteral("PRAGMA foreign_keys = ON"), error)) {
            *error = QStringLiteral("%1: %2").arg(path, *error);
            close();
            return false;
        }
        m_fullText = hasFts5();
        return true;
    }
    unsigned mode = 0;
    if (!created && PrivateFile::isOpenToOthers(path, &mode)) {
        *error = QStringLiteral("%1 can be read by other users (mode %2), and HookScope keeps "
                                "endpoint secrets and deliveries in it; make it private first "
                                "(chmod 600 %1)")
                     .arg(path, octalMode(mode));
        close();
        return false;
    }
    close();
    if (!connect(path, Access::ReadWrite, busyTimeoutMs, error))
        return false;
    // The schema first, in the journal mode the file has (a new file: a rollback journal), so
    // that the first thing another process can see in an adopted file is HookScope's
    // application id; WAL after.
    if (!migrate(*kind, error) || !exec(QStringLiteral("PRAGMA journal_mode = WAL"), error) ||
        !exec(QStringLiteral("PRAGMA foreign_keys = ON"), error) ||
        // FULL: a commit is on disk before the sender is told 200, even across power loss.
        !exec(QStringLiteral("PRAGMA synchronous = FULL"), error)) {
        *error = QStringLiteral("%1: %2").arg(path, *error);
        close();
        return false;
    }
    m_fullText = hasFts5();
    return true;
}

bool Database::connect(const QString &path, Access access, int busyTimeoutMs, QString *error)
{
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
        db.setDatabaseName(path);
        QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeoutMs);
        if (access == Access::ReadOnly)
            options += QStringLiteral(";QSQLITE_OPEN_READONLY");
        db.setConnectOptions(options);
        if (db.open())
            return true;
        *error = QStringLiteral("cannot open %1: %2").arg(path, sqlError(db.lastError()));
    }
    close();
    return false;
}

bool Database::openStandIn(QString *error)
{
    // An empty HookScope schema in memory answers every read with "nothing yet".
    m_standIn = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
        db.setDatabaseName(QStringLiteral(":memory:"));
        if (!db.open()) {
            *error = sqlError(db.lastError());
            close();
            return false;
        }
    }
    if (!migrate(Kind::Empty, error)) {
        close();
        return false;
    }
    m_fullText = false;
    return true;
}

std::optional<Database::Kind> Database::examine(QString *error)
{
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA application_id")) || !query.next()) {
        const QSqlError failure = query.lastError();
        if (nativeCode(failure) == SqliteNotADatabase) {
            m_failure = Failure::Damaged;
            *error = QStringLiteral("not a HookScope database (it is not an SQLite database)");
        } else if (nativeCode(failure) == SqliteCorrupt) {
            m_failure = Failure::Damaged;
            *error = QStringLiteral("the database is damaged (%1)").arg(sqlError(failure));
        } else {
            *error = sqlError(failure);
        }
        return std::nullopt;
    }
    const qint32 applicationId = query.value(0).toInt();
    if (applicationId == ApplicationId)
        return Kind::HookScope;
    if (!query.exec(QStringLiteral("PRAGMA page_count")) || !query.next()) {
        *error = sqlError(query.lastError());
        return std::nullopt;
    }
    if (query.value(0).toLongLong() == 0)
        return Kind::Empty;
    m_failure = Failure::Foreign;
    *error = applicationId != 0
                 ? QStringLiteral("not a HookScope database (an SQLite database of another "
                                  "program, application id 0x%1); it was left as it is")
                       .arg(quint32(applicationId), 8, 16, QLatin1Char('0'))
                 : QStringLiteral("not a HookScope database (an SQLite database HookScope did "
                                  "not create; HookScope adopts only an empty file); it was "
                                  "left as it is");
    return std::nullopt;
}

bool Database::checkVersionForReading(QString *error)
{
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
        *error = sqlError(query.lastError());
        return false;
    }
    const int version = query.value(0).toInt();
    if (version > SchemaVersion) {
        *error = newerSchema(version);
        return false;
    }
    if (version < SchemaVersion) {
        *error = QStringLiteral("the database has schema version %1, older than this HookScope "
                                "reads (%2); a command that writes, or the window, upgrades it")
                     .arg(version)
                     .arg(SchemaVersion);
        return false;
    }
    return true;
}

QString Database::newerSchema(int version)
{
    return QStringLiteral("the database has schema version %1, newer than this HookScope "
                          "understands (%2); use a newer HookScope")
        .arg(version)
        .arg(SchemaVersion);
}

bool Database::backupTo(const QString &path, QString *error) const
{
    QString ignored;
    if (!error)
        error = &ignored;
    // VACUUM INTO takes an empty file: created here first, with the owner-only mode.
    if (!PrivateFile::create(path, PrivateFile::Existing::Refuse, nullptr, error))
        return false;
    QSqlQuery query(connection());
    query.prepare(QStringLiteral("VACUUM INTO ?"));
    query.addBindValue(path);
    if (!query.exec()) {
        *error = errorText(query.lastError());
        QFile::remove(path);
        return false;
    }
    return true;
}

bool Database::isOnReadOnlyFileSystem(const QString &path)
{
    const QFileInfo info(path);
    return Platform::isOnReadOnlyFileSystem(info.exists() ? info.absoluteFilePath()
                                                          : info.absolutePath());
}

bool Database::openMayRecover(const QString &path, const QString &error)
{
    return isOnReadOnlyFileSystem(path) || error.contains(QStringLiteral("database is locked"));
}

bool Database::openOwn(const QString &path, QString *error, QString *setAsideTo, int busyTimeoutMs)
{
    QString failure;
    if (open(path, &failure, busyTimeoutMs))
        return true;
    // Damage, as SQLite names it; anything else (a lock, permissions, another program's
    // database, a newer schema) is reported as it is.
    if (m_failure != Failure::Damaged) {
        if (error)
            *error = failure;
        return false;
    }
    close();
    const QString aside = path + QStringLiteral(".damaged-") +
                          QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    if (!QFile::rename(path, aside)) {
        if (error)
            *error = QStringLiteral("%1 (and it could not be set aside as %2)").arg(failure, aside);
        return false;
    }
    for (const QString &suffix : {QStringLiteral("-wal"), QStringLiteral("-shm")}) {
        if (QFile::exists(path + suffix))
            QFile::rename(path + suffix, aside + suffix);
    }
    if (setAsideTo)
        *setAsideTo = aside;
    return open(path, error, busyTimeoutMs);
}

void Database::close()
{
    m_searchAttached = false;
    m_freshCreated = false;
    m_freshFrom = 0;
    m_freshTo = 0;
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool Database::isOpen() const
{
    return QSqlDatabase::contains(m_connectionName) && connection().isOpen();
}

QSqlDatabase Database::connection() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

bool Database::exec(const QString &statement, QString *error)
{
    QSqlQuery query(connection());
    if (!query.exec(statement)) {
        *error = sqlError(query.lastError());
        return false;
    }
    return true;
}

bool Database::migrate(Kind before, QString *error)
{
    // One transaction for the whole upgrade, and the version read inside it: two processes
    // opening a new file at once must not both create the tables.
    if (!exec(QStringLiteral("BEGIN IMMEDIATE"), error))
        return false;
    QString ignored;
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
        *error = sqlError(query.lastError());
        exec(QStringLiteral("ROLLBACK"), &ignored);
        return false;
    }
    const int version = query.value(0).toInt();
    query.finish();
    if (version > SchemaVersion) {
        *error = newerSchema(version);
        exec(QStringLiteral("ROLLBACK"), &ignored);
        return false;
    }
    // Asked again under the write lock: another process may have adopted the file meanwhile
    // (then it is HookScope's now). Inside a write transaction a file without pages shows one
    // fresh page: still empty when nothing is in it.
    query.exec(QStringLiteral("PRAGMA application_id"));
    const bool ours = query.next() && query.value(0).toInt() == ApplicationId;
    query.finish();
    if (!ours) {
        const bool stillEmpty = before == Kind::Empty && version == 0 &&
                                query.exec(QStringLiteral("SELECT count(*) FROM sqlite_schema")) &&
                                query.next() && query.value(0).toInt() == 0;
        query.finish();
        if (!stillEmpty) {
            m_failure = Failure::Foreign;
            *error = QStringLiteral("not a HookScope database (another program wrote to the file "
                                    "while HookScope opened it); it was left as it is");
            exec(QStringLiteral("ROLLBACK"), &ignored);
            return false;
        }
        if (!exec(QStringLiteral("PRAGMA application_id = %1").arg(ApplicationId), error)) {
            exec(QStringLiteral("ROLLBACK"), &ignored);
            return false;
        }
    }
    for (int from = version; from < SchemaVersion; ++from) {
        const QStringList statements =
            QString::fromUtf8(Migrations[from]).split(u';', Qt::SkipEmptyParts);
        for (const QString &statement : statements) {
            if (statement.trimmed().isEmpty())
                continue;
            if (!exec(statement, error)) {
                *error = QStringLiteral("upgrading the schema to version %1 failed: %2")
                             .arg(from + 1)
                             .arg(*error);
                exec(QStringLiteral("ROLLBACK"), &ignored);
                return false;
            }
        }
    }
    if (version < SchemaVersion &&
        !exec(QStringLiteral("PRAGMA user_version = %1").arg(SchemaVersion), error)) {
        exec(QStringLiteral("ROLLBACK"), &ignored);
        return false;
    }
    if (!exec(QStringLiteral("COMMIT"), error)) {
        exec(QStringLiteral("ROLLBACK"), &ignored);
        return false;
    }
    return true;
}

bool Database::hasFts5() const
{
    QSqlQuery query(connection());
    return query.exec(QStringLiteral("SELECT sqlite_compileoption_used('ENABLE_FTS5')")) &&
           query.next() && query.value(0).toInt() == 1;
}

bool Database::attachSearch() const
{
    if (m_searchAttached)
        return true;
    // The index file is made (or checked against this database) by a connection of its own,
    // which waits for another process or thread making it at the same time; this one only
    // reads it.
    {
        SearchIndex index(m_path);
        QString ignored;
        if (!index.open(DefaultBusyTimeoutMs, &ignored))
            return false;
    }
    QSqlQuery attach(connection());
    attach.prepare(QStringLiteral("ATTACH DATABASE ? AS search"));
    attach.addBindValue(SearchIndex::pathFor(m_path));
    m_searchAttached = attach.exec();
    return m_searchAttached;
}

namespace {

// A text filter indexes at most this many deliveries itself (into the connection's temporary
// index) rather than bring the index file up to date first.
constexpr qint64 FreshRowsLimit = 20000;
// Deliveries the temporary index may hold below the watermark before it is emptied.
constexpr qint64 StaleFreshRowsLimit = 50000;

std::optional<qint64> scalar(const Database &db, const QString &sql, const QVariantList &bindings,
                             QString *error)
{
    auto query = db.run(sql, bindings, error);
    if (!query)
        return std::nullopt;
    return query->next() ? query->value(0).toLongLong() : 0;
}

} // namespace

std::optional<TextSearchScope> Database::prepareTextSearch(qint64 maxId, QString *error) const
{
    QString ignored;
    if (!error)
        error = &ignored;
    if (!m_fullText || m_standIn || m_team) {
        *error = QStringLiteral("there is no full-text search on this connection");
        return std::nullopt;
    }
    const auto indexedUpTo = [this, error]() -> std::optional<qint64> {
        if (!attachSearch())
            return 0;
        return scalar(*this, QStringLiteral("SELECT indexed_up_to FROM search.state"), {}, error);
    };
    std::optional<qint64> watermark = indexedUpTo();
    const std::optional<qint64> newest =
        scalar(*this, QStringLiteral("SELECT coalesce(max(id), 0) FROM deliveries"), {}, error);
    if (!watermark || !newest)
        return std::nullopt;
    const qint64 top = maxId > 0 ? std::min(maxId, *newest) : *newest;
    if (top - *watermark > FreshRowsLimit && m_searchAttached) {
        // A new or rebuilt index: brought up to date once, rather than every filter indexing
        // the same deliveries for itself.
        SearchIndex index(m_path);
        if (index.open(DefaultBusyTimeoutMs, error)) {
            for (;;) {
                const std::optional<int> indexed = index.catchUp(FreshRowsLimit, error);
                if (!indexed || *indexed == 0 || index.indexedUpTo() >= top - FreshRowsLimit)
                    break;
            }
        }
        watermark = indexedUpTo();
        if (!watermark)
            return std::nullopt;
    }
    if (!m_freshCreated) {
        if (!run(SearchIndex::ftsTable(QStringLiteral("temp"), QStringLiteral("fresh_fts")), {},
                 error))
            return std::nullopt;
        m_freshCreated = true;
        m_freshFrom = m_freshTo = *watermark;
    }
    if (*watermark < m_freshFrom || *watermark > m_freshTo ||
        *watermark - m_freshFrom > StaleFreshRowsLimit) {
        if (!run(QStringLiteral("INSERT INTO temp.fresh_fts (fresh_fts) VALUES ('delete-all')"), {},
                 error))
            return std::nullopt;
        m_freshFrom = m_freshTo = *watermark;
    }
    if (top > m_freshTo) {
        if (!run(QStringLiteral("INSERT INTO temp.fresh_fts (rowid, event_type, event_id, path, "
                                "body) SELECT id, event_type, event_id, path, CAST(body AS TEXT) "
                                "FROM deliveries WHERE id > ? AND id <= ? ORDER BY id"),
                 {m_freshTo, top}, error))
            return std::nullopt;
        m_freshTo = top;
    }
    return TextSearchScope{*watermark, std::max(*watermark, m_freshTo)};
}
