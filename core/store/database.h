#pragma once

#include "searchindex.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariantList>

#include <QString>
#include <optional>

// One connection to a HookScope database file, owned by the thread that opened it.
// Opening for writing creates the file (mode 0600) when it does not exist, adopts an empty
// file, brings older schemas up to date, and refuses any other file without changing a byte
// of it (another program's SQLite database, a file that is not one, a file other users can
// read). Opening for reading never creates or changes anything.
class Database
{
public:
    // Written into the SQLite header (PRAGMA application_id) so that a HookScope file can be
    // told from any other SQLite file: "HkSc".
    static constexpr qint32 ApplicationId = 0x486b5363;
    static constexpr int SchemaVersion = 13;
    static constexpr int DefaultBusyTimeoutMs = 5000;

    Database();
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    bool open(const QString &path, QString *error, int busyTimeoutMs = DefaultBusyTimeoutMs);
    // For commands that only read: where there is no file yet, or an empty one, an empty
    // schema in memory stands in (see isStandIn()); an older schema is refused, not upgraded.
    bool openReadOnly(const QString &path, QString *error,
                      int busyTimeoutMs = DefaultBusyTimeoutMs);
    // Opened read-only where no database exists yet: every read finds nothing.
    bool isStandIn() const { return m_standIn; }

    // Opens HookScope's own file (the default location): a damaged file there is renamed to
    // "<name>.damaged-<time>" (never overwritten) and a new database started; `setAsideTo`
    // then names the kept file. A file given explicitly is only ever refused, never moved.
    bool openOwn(const QString &path, QString *error, QString *setAsideTo,
                 int busyTimeoutMs = DefaultBusyTimeoutMs);
    void close();
    bool isOpen() const;

    QSqlDatabase connection() const;
    // Whether the FTS5 index over event type, event id, path and body is there (SQLite built
    // without FTS5 has none; free-text filters then scan with LIKE). A team database searches
    // its own text-search vectors (see DeliveryFilter::whereClause).
    bool hasFullText() const { return m_fullText; }
    QString path() const { return m_path; }
    // Opened on a team database (a postgresql:// path, see Postgres) rather than a file: the
    // same tables, the SQL that differs chosen by the callers that need it.
    bool isTeam() const { return m_team; }

    // Makes every delivery up to `maxId` (0: all) findable by a text filter on this
    // connection, and says where each part of it is searched (see TextSearchScope). The index
    // file is attached on first use; when it lags far behind (a new or rebuilt index), it is
    // brought up to date here first. Needs hasFullText().
    std::optional<TextSearchScope> prepareTextSearch(qint64 maxId, QString *error) const;

    // Runs `sql` with its positional `bindings` on this connection: the executed query (read
    // forward only), or nothing with `error` set.
    std::optional<QSqlQuery> run(const QString &sql, const QVariantList &bindings,
                                 QString *error) const;

    // A consistent copy of the whole database in a new file `path`, readable by its owner only
    // from the moment it exists (VACUUM INTO). Refuses a file that exists already.
    bool backupTo(const QString &path, QString *error) const;

    // SQLite's own message when there is one (it names the cause: "database is locked"),
    // else Qt's.
    static QString errorText(const QSqlError &error);
    // Whether SQLite said the file is damaged or is not a database at all.
    static bool isDamage(const QSqlError &error);

    // hookscope.db in the per-user application data folder.
    static QString defaultPath();

    // Whether `path` (or, when it does not exist, its folder) lies on a read-only file system.
    static bool isOnReadOnlyFileSystem(const QString &path);
    // Whether an open() that failed with `error` may succeed later without the user changing
    // the file: a read-only file system remounted, a lock released. A file that is not a
    // HookScope database, or is damaged, is not.
    static bool openMayRecover(const QString &path, const QString &error);

private:
    enum class Access
    {
        ReadWrite,
        ReadOnly
    };
    // What the file is, as SQLite reads it.
    enum class Kind
    {
        HookScope,
        Empty // no page at all: a new file, adopted when opened for writing
    };
    // Why the last open failed, where it matters to the caller.
    enum class Failure
    {
        None,
        Damaged, // not an SQLite database, or a damaged one
        Foreign  // an SQLite database that is not HookScope's
    };

    bool openFile(const QString &path, Access access, QString *error, int busyTimeoutMs);
    bool connect(const QString &path, Access access, int busyTimeoutMs, QString *error);
    bool openStandIn(QString *error);
    std::optional<Kind> examine(QString *error);
    bool checkVersionForReading(QString *error);
    static QString newerSchema(int version);
    bool migrate(Kind before, QString *error);
    bool exec(const QString &statement, QString *error);
    bool hasFts5() const;
    bool attachSearch() const;

    QString m_connectionName;
    QString m_path;
    bool m_fullText = false;
    // The text search state of the connection (see prepareTextSearch()).
    mutable bool m_searchAttached = false;
    mutable bool m_freshCreated = false;
    mutable qint64 m_freshFrom = 0; // temp.fresh_fts holds the ids in (m_freshFrom, m_freshTo]
    mutable qint64 m_freshTo = 0;
    bool m_standIn = false;
    bool m_team = false;
    Failure m_failure = Failure::None;
};
