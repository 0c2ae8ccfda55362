#include "database.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>

#include <fcntl.h>
#include <unistd.h>

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
};

static_assert(std::size(Migrations) == Database::SchemaVersion);

QString sqlError(const QSqlError &error)
{
    const QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    return text.trimmed();
}

// Creates the file readable by its owner only, before SQLite creates it with the umask's mode.
bool createPrivateFile(const QString &path, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return true;
        *error = QStringLiteral("cannot create %1: %2")
                     .arg(path, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    ::close(fd);
    return true;
}

} // namespace

Database::Database()
    : m_connectionName(QStringLiteral("hookscope-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
{}

Database::~Database()
{
    close();
}

QString Database::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
           QStringLiteral("/hookscope.db");
}

bool Database::open(const QString &path, QString *error, int busyTimeoutMs)
{
    QString ignored;
    if (!error)
        error = &ignored;
    close();
    m_path = path;

    const QFileInfo info(path);
    if (info.exists() && info.isDir()) {
        *error = QStringLiteral("%1 is a directory, not a database file").arg(path);
        return false;
    }
    if (!QDir().mkpath(info.absolutePath())) {
        *error = QStringLiteral("cannot create the folder %1").arg(info.absolutePath());
        return false;
    }
    if (!createPrivateFile(path, error))
        return false;

    if (info.exists() && info.size() > 0) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
            return false;
        }
        if (file.read(16) != QByteArrayView("SQLite format 3\0", 16)) {
            *error = QStringLiteral("%1 is not a HookScope database (it is not an SQLite file)")
                         .arg(path);
            return false;
        }
    }

    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeoutMs));
        if (!db.open()) {
            *error = QStringLiteral("cannot open %1: %2").arg(path, sqlError(db.lastError()));
            close();
            return false;
        }
    }
    if (!checkIdentity(error) || !exec(QStringLiteral("PRAGMA foreign_keys = ON"), error) ||
        !exec(QStringLiteral("PRAGMA journal_mode = WAL"), error) ||
        // FULL: a commit is on disk before the sender is told 200, even across power loss.
        !exec(QStringLiteral("PRAGMA synchronous = FULL"), error) || !migrate(error)) {
        *error = QStringLiteral("%1: %2").arg(path, *error);
        close();
        return false;
    }
    return true;
}

void Database::close()
{
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

bool Database::checkIdentity(QString *error)
{
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA application_id")) || !query.next()) {
        *error = QStringLiteral("not a HookScope database (%1)").arg(sqlError(query.lastError()));
        return false;
    }
    const qint32 applicationId = query.value(0).toInt();
    if (applicationId == ApplicationId)
        return true;
    if (!query.exec(QStringLiteral("SELECT count(*) FROM sqlite_schema")) || !query.next()) {
        *error = QStringLiteral("not a HookScope database (%1)").arg(sqlError(query.lastError()));
        return false;
    }
    if (query.value(0).toInt() > 0 || applicationId != 0) {
        *error = QStringLiteral("not a HookScope database (an SQLite file of another program)");
        return false;
    }
    return exec(QStringLiteral("PRAGMA application_id = %1").arg(ApplicationId), error);
}

bool Database::migrate(QString *error)
{
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
        *error = sqlError(query.lastError());
        return false;
    }
    const int version = query.value(0).toInt();
    if (version > SchemaVersion) {
        *error = QStringLiteral("the database has schema version %1, newer than this HookScope "
                                "understands (%2); use a newer HookScope")
                     .arg(version)
                     .arg(SchemaVersion);
        return false;
    }
    for (int from = version; from < SchemaVersion; ++from) {
        if (!exec(QStringLiteral("BEGIN IMMEDIATE"), error))
            return false;
        bool ok = true;
        const QStringList statements =
            QString::fromUtf8(Migrations[from]).split(u';', Qt::SkipEmptyParts);
        for (const QString &statement : statements) {
            if (statement.trimmed().isEmpty())
                continue;
            if (!exec(statement, error)) {
                ok = false;
                break;
            }
        }
        if (ok)
            ok = exec(QStringLiteral("PRAGMA user_version = %1").arg(from + 1), error);
        if (!ok) {
            QString ignored;
            exec(QStringLiteral("ROLLBACK"), &ignored);
            *error = QStringLiteral("upgrading the schema to version %1 failed: %2")
                         .arg(from + 1)
                         .arg(*error);
            return false;
        }
        if (!exec(QStringLiteral("COMMIT"), error))
            return false;
    }
    return true;
}
