#include "searchindex.h"

#include "database.h"
#include "privatefile.h"

#include <QAtomicInteger>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QVariant>

namespace {

QAtomicInteger<quint64> connectionCounter;

// Written into the index file's header: "HkSi", to tell it from the database ("HkSc").
constexpr qint32 IndexApplicationId = 0x486b5369;

} // namespace

SearchIndex::SearchIndex(const QString &databasePath)
    : m_databasePath(databasePath)
    , m_connectionName(
          QStringLiteral("hookscope-search-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
{}

SearchIndex::~SearchIndex()
{
    close();
}

QString SearchIndex::pathFor(const QString &databasePath)
{
    return databasePath + QStringLiteral("-search");
}

QString SearchIndex::ftsTable(const QString &schema, const QString &table)
{
    // Contentless: the text is in the deliveries already. unicode61 folds case and
    // diacritics, so "Zoe" finds "zoë".
    return QStringLiteral("CREATE VIRTUAL TABLE %1.%2 USING fts5(event_type, event_id, path, "
                          "body, content='', tokenize='unicode61')")
        .arg(schema, table);
}

bool SearchIndex::isOpen() const
{
    return QSqlDatabase::contains(m_connectionName) &&
           QSqlDatabase::database(m_connectionName, false).isOpen();
}

void SearchIndex::close()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

void SearchIndex::removeFile()
{
    close();
    const QString path = pathFor(m_databasePath);
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(path + suffix);
    m_indexedUpTo = 0;
    ++m_resets;
}

bool SearchIndex::exec(const QString &statement, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(statement)) {
        *error = Database::errorText(query.lastError());
        return false;
    }
    return true;
}

bool SearchIndex::open(int busyTimeoutMs, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    close();
    const QString path = pathFor(m_databasePath);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!PrivateFile::create(path, PrivateFile::Existing::Accept, nullptr, error))
            return false;
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
            db.setDatabaseName(path);
            // URIs: the database is attached read-only (below).
            db.setConnectOptions(
                QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1;QSQLITE_OPEN_URI").arg(busyTimeoutMs));
            if (!db.open()) {
                *error = QStringLiteral("cannot open %1: %2")
                             .arg(path, Database::errorText(db.lastError()));
                close();
                return false;
            }
        }
        QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
        bool damaged = false;
        if (!query.exec(QStringLiteral("PRAGMA application_id")) || !query.next()) {
            damaged = Database::isDamage(query.lastError());
            if (!damaged) {
                *error = Database::errorText(query.lastError());
                close();
                return false;
            }
        } else if (query.value(0).toInt() != IndexApplicationId) {
            // Anything but an index HookScope made, under the index's name, is not trusted.
            query.finish();
            damaged = !query.exec(QStringLiteral("PRAGMA page_count")) || !query.next() ||
                      query.value(0).toLongLong() != 0;
        }
        query.finish();
        if (!damaged)
            break;
        // Only ever an index: it is made again from the deliveries.
        removeFile();
        if (attempt == 1) {
            *error = QStringLiteral("%1 could not be made again").arg(path);
            return false;
        }
    }
    QSqlQuery attach(QSqlDatabase::database(m_connectionName, false));
    attach.prepare(QStringLiteral("ATTACH DATABASE ? AS store"));
    // Read-only: the index never writes the database, nor checkpoints it when it closes.
    QUrl uri = QUrl::fromLocalFile(QFileInfo(m_databasePath).absoluteFilePath());
    uri.setQuery(QStringLiteral("mode=ro"));
    attach.addBindValue(uri.toString(QUrl::FullyEncoded));
    if (!attach.exec()) {
        *error = Database::errorText(attach.lastError());
        close();
        return false;
    }
    // The schema first, the application id with it, in one transaction of the rollback journal
    // a new file starts with: another connection never sees a file with pages that is not yet
    // marked as an index (and would take it for a foreign one). WAL after; NORMAL in WAL mode:
    // never damaged by a crash, never an fsync per commit; what a power loss takes from the end
    // of the index is indexed again from the watermark.
    if (!createSchema(error) || !exec(QStringLiteral("PRAGMA journal_mode = WAL"), error) ||
        !exec(QStringLiteral("PRAGMA synchronous = NORMAL"), error) ||
        // Where catchUp() copies the next deliveries to index, this connection's own.
        !exec(QStringLiteral("CREATE TEMP TABLE staging (id INTEGER PRIMARY KEY, received_at "
                             "INTEGER, event_type TEXT, event_id TEXT, path TEXT, body TEXT)"),
              error)) {
        close();
        return false;
    }
    return true;
}

bool SearchIndex::createSchema(QString *error)
{
    QString ignored;
    // Writing first takes the index's write lock (and only the index's: BEGIN IMMEDIATE would
    // take the attached database's too).
    if (!exec(QStringLiteral("BEGIN"), error))
        return false;
    bool ok = exec(QStringLiteral("PRAGMA application_id = %1").arg(IndexApplicationId), error) &&
              exec(QStringLiteral("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY "
                                  "CHECK (id = 1), indexed_up_to INTEGER NOT NULL, "
                                  "received_at INTEGER NOT NULL)"),
                   error) &&
              exec(QStringLiteral("INSERT OR IGNORE INTO state VALUES (1, 0, 0)"), error);
    if (ok) {
        QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
        const bool hasTable = query.exec(QStringLiteral("SELECT 1 FROM sqlite_schema WHERE name = "
                                                        "'deliveries_fts'")) &&
                              query.next();
        query.finish();
        if (!hasTable)
            ok = exec(ftsTable(QStringLiteral("main"), QStringLiteral("deliveries_fts")), error);
    }
    if (ok) {
        const std::optional<bool> matches = matchesDatabase(error);
        ok = matches && (*matches || reset(error));
    }
    if (ok && !exec(QStringLiteral("COMMIT"), error))
        ok = false;
    if (!ok)
        exec(QStringLiteral("ROLLBACK"), &ignored);
    return ok;
}

std::optional<bool> SearchIndex::matchesDatabase(QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(QStringLiteral("SELECT indexed_up_to, received_at FROM state")) ||
        !query.next()) {
        *error = Database::errorText(query.lastError());
        return std::nullopt;
    }
    m_indexedUpTo = query.value(0).toLongLong();
    const qint64 receivedAt = query.value(1).toLongLong();
    query.finish();
    if (m_indexedUpTo == 0)
        return true;
    // Ids only grow and rows are never deleted, so the rows up to the watermark are the ones
    // indexed as long as the last of them is: another database put at the path, or an older
    // copy of this one, has another row there or none.
    query.prepare(QStringLiteral("SELECT received_at FROM store.deliveries WHERE id = ?"));
    query.addBindValue(m_indexedUpTo);
    if (!query.exec()) {
        *error = Database::errorText(query.lastError());
        return std::nullopt;
    }
    return query.next() && query.value(0).toLongLong() == receivedAt;
}

bool SearchIndex::reset(QString *error)
{
    ++m_resets;
    m_indexedUpTo = 0;
    return exec(QStringLiteral("DROP TABLE IF EXISTS deliveries_fts"), error) &&
           exec(ftsTable(QStringLiteral("main"), QStringLiteral("deliveries_fts")), error) &&
           exec(QStringLiteral("UPDATE state SET indexed_up_to = 0, received_at = 0"), error);
}

std::optional<int> SearchIndex::catchUp(int maxRows, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    {
        // Nothing new: no transaction, and nothing written.
        QSqlQuery newest(db);
        if (newest.exec(QStringLiteral("SELECT coalesce(max(id), 0) FROM store.deliveries")) &&
            newest.next() && newest.value(0).toLongLong() == m_indexedUpTo)
            return 0;
    }
    // The database is read only outside the index's write transaction, each read a short one
    // of its own: inside it, the first read would hold the database's log until the commit,
    // while the rows are tokenised, and a reader in the log keeps the writer's checkpoints
    // from starting it over (it grew to 10-15 MB under a burst instead of 6).
    const std::optional<bool> matches = matchesDatabase(error);
    if (!matches)
        return std::nullopt;
    if (!*matches && !(exec(QStringLiteral("BEGIN"), error) &&
                       exec(QStringLiteral("UPDATE state SET id = 1"), error) && reset(error) &&
                       exec(QStringLiteral("COMMIT"), error))) {
        exec(QStringLiteral("ROLLBACK"), &ignored);
        return std::nullopt;
    }
    const qint64 from = m_indexedUpTo;
    // The next rows, copied out of the database in one statement.
    QSqlQuery copy(db);
    copy.prepare(QStringLiteral(
        "INSERT INTO temp.staging SELECT id, received_at, event_type, event_id, path, "
        "CAST(body AS TEXT) FROM store.deliveries WHERE id > ? ORDER BY id LIMIT ?"));
    copy.addBindValue(from);
    copy.addBindValue(maxRows);
    if (!exec(QStringLiteral("DELETE FROM temp.staging"), error) || !copy.exec()) {
        if (error->isEmpty())
            *error = Database::errorText(copy.lastError());
        return std::nullopt;
    }
    qint64 last = 0;
    qint64 lastReceivedAt = 0;
    {
        QSqlQuery newest(db);
        if (!newest.exec(QStringLiteral(
                "SELECT id, received_at FROM temp.staging ORDER BY id DESC LIMIT 1"))) {
            *error = Database::errorText(newest.lastError());
            return std::nullopt;
        }
        if (!newest.next())
            return 0;
        last = newest.value(0).toLongLong();
        lastReceivedAt = newest.value(1).toLongLong();
    }
    // The write to the index comes first, so the transaction waits for the index's write lock
    // (another process may be indexing) before it reads the watermark again.
    if (!exec(QStringLiteral("BEGIN"), error))
        return std::nullopt;
    int indexed = 0;
    bool damaged = false;
    bool ok = exec(QStringLiteral("UPDATE state SET id = 1"), error);
    if (ok) {
        QSqlQuery state(db);
        ok = state.exec(QStringLiteral("SELECT indexed_up_to FROM state")) && state.next();
        if (!ok) {
            *error = Database::errorText(state.lastError());
        } else if (state.value(0).toLongLong() != from) {
            // Another process indexed meanwhile: read again from where it stopped.
            state.finish();
            exec(QStringLiteral("ROLLBACK"), &ignored);
            m_indexedUpTo = state.value(0).toLongLong();
            return catchUp(maxRows, error);
        }
    }
    if (ok) {
        // One statement for the lot: FTS5 writes its pending terms out at each statement's end.
        QSqlQuery insert(db);
        ok = insert.exec(QStringLiteral(
            "INSERT INTO deliveries_fts (rowid, event_type, event_id, path, body) SELECT id, "
            "event_type, event_id, path, body FROM temp.staging ORDER BY id"));
        if (!ok) {
            *error = Database::errorText(insert.lastError());
            damaged = Database::isDamage(insert.lastError());
        } else {
            indexed = insert.numRowsAffected();
            QSqlQuery state(db);
            state.prepare(
                QStringLiteral("UPDATE state SET indexed_up_to = ?, received_at = ? WHERE id = 1"));
            state.addBindValue(last);
            state.addBindValue(lastReceivedAt);
            ok = state.exec();
            if (!ok)
                *error = Database::errorText(state.lastError());
        }
    }
    if (ok && !exec(QStringLiteral("COMMIT"), error))
        ok = false;
    exec(QStringLiteral("DELETE FROM temp.staging"), &ignored);
    if (!ok) {
        exec(QStringLiteral("ROLLBACK"), &ignored);
        QSqlQuery state(db);
        if (state.exec(QStringLiteral("SELECT indexed_up_to FROM state")) && state.next())
            m_indexedUpTo = state.value(0).toLongLong();
        if (damaged) {
            // A damaged index is made again from nothing, never written on.
            removeFile();
        }
        return std::nullopt;
    }
    m_indexedUpTo = last;
    return indexed;
}
