// What HookScope does to files on disk, watched from inside the process.
//
// On POSIX, closing any descriptor of a file drops every lock the process holds on it,
// SQLite's included; another process then takes itself for the last user of the database,
// checkpoints and deletes the write-ahead log this process still writes to, and what it
// commits after that is lost ("How To Corrupt An SQLite Database File", section 2.2, in
// SQLite's documentation). SQLite itself never closes a descriptor of a locked file: it
// keeps it until the locks are gone. So this test puts its own close() in front of the C
// library's and records every close, made by anything but SQLite, of a descriptor of a
// database file (or its -wal or -shm) on which this process holds a lock.
//
// It also records the mode a file has at the moment it gets its final name (link or rename),
// so that an export or a backup created open to others and tightened afterwards is caught.
//
// And it covers which files HookScope adopts: only an empty one, or its own; any other file
// is refused and left byte for byte as it was, and reading never creates or changes a file.

#include "database.h"
#include "deliveryfilter.h"
#include "deliveryreader.h"
#include "deliverystore.h"
#include "privatefile.h"
#include "searchindex.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlQuery>
#include <QTest>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <future>
#include <mutex>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace {

std::atomic<bool> watching{false};
thread_local bool inside = false;
std::mutex recordMutex;
QByteArray watchedFolder; // files under it are watched
QStringList foreignCloses;
struct Naming
{
    QByteArray path;
    mode_t mode;
};
QList<Naming> namings;

bool underWatchedFolder(const QByteArray &path)
{
    return !watchedFolder.isEmpty() && path.startsWith(watchedFolder);
}

// Whether /proc/locks lists a POSIX lock of this process on the file.
bool lockedHere(const struct stat &status)
{
    const QByteArray needle = QByteArray::number(::getpid()) + ' ' +
                              QByteArray::number(major(status.st_dev), 16).rightJustified(2, '0') +
                              ':' +
                              QByteArray::number(minor(status.st_dev), 16).rightJustified(2, '0') +
                              ':' + QByteArray::number(quint64(status.st_ino)) + ' ';
    const int fd = int(::syscall(SYS_openat, AT_FDCWD, "/proc/locks", O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        return false;
    QByteArray locks;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            break;
        locks.append(buffer, n);
    }
    ::syscall(SYS_close, fd);
    for (const QByteArray &line : locks.split('\n')) {
        if (line.contains(" POSIX ") && line.contains(needle))
            return true;
    }
    return false;
}

QByteArray pathOfDescriptor(int fd)
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char target[PATH_MAX];
    const ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? QByteArray(target, n) : QByteArray();
}

QByteArray callerOf(const void *address)
{
    Dl_info info = {};
    if (::dladdr(address, &info) && info.dli_fname)
        return QByteArray(info.dli_fname) + ' ' + QByteArray(info.dli_sname ? info.dli_sname : "");
    return "?";
}

void noteClose(int fd, const void *caller)
{
    struct stat status = {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode))
        return;
    const QByteArray path = pathOfDescriptor(fd);
    if (!underWatchedFolder(path))
        return;
    const QByteArray by = callerOf(caller);
    if (by.contains("libsqlite3"))
        return;
    if (lockedHere(status)) {
        std::lock_guard lock(recordMutex);
        foreignCloses.append(QStringLiteral("%1 closed by %2")
                                 .arg(QString::fromLocal8Bit(path), QString::fromLocal8Bit(by)));
    }
}

void noteNaming(int directory, const char *from, int flags, const char *to)
{
    const QByteArray destination =
        QFileInfo(QFile::decodeName(to)).absoluteFilePath().toLocal8Bit();
    if (!underWatchedFolder(destination))
        return;
    struct stat status = {};
    if (::fstatat(directory, from, &status, flags) != 0)
        return;
    std::lock_guard lock(recordMutex);
    namings.append({destination, status.st_mode & 07777});
}

} // namespace

// Exported from the executable (ENABLE_EXPORTS), so that Qt and SQLite call these.
extern "C" int close(int fd)
{
    if (watching.load() && !inside) {
        inside = true;
        noteClose(fd, __builtin_return_address(0));
        inside = false;
    }
    return int(::syscall(SYS_close, fd));
}

extern "C" int linkat(int fromDirectory, const char *from, int toDirectory, const char *to,
                      int flags)
{
    if (watching.load() && !inside) {
        inside = true;
        noteNaming(fromDirectory, from, (flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW, to);
        inside = false;
    }
    return int(::syscall(SYS_linkat, fromDirectory, from, toDirectory, to, flags));
}

extern "C" int renameat2(int fromDirectory, const char *from, int toDirectory, const char *to,
                         unsigned flags)
{
    if (watching.load() && !inside) {
        inside = true;
        noteNaming(fromDirectory, from, AT_SYMLINK_NOFOLLOW, to);
        inside = false;
    }
    return int(::syscall(SYS_renameat2, fromDirectory, from, toDirectory, to, flags));
}

extern "C" int renameat(int fromDirectory, const char *from, int toDirectory, const char *to)
{
    return renameat2(fromDirectory, from, toDirectory, to, 0);
}

extern "C" int rename(const char *from, const char *to)
{
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, 0);
}

namespace {

QByteArray fileBytes(const QString &path)
{
    // Read with the sqlite3 command line's peer, cat: never with a descriptor of this process
    // while a connection may be open here.
    QProcess cat;
    cat.start(QStringLiteral("cat"), {path});
    cat.waitForFinished(10000);
    return cat.readAllStandardOutput();
}

unsigned modeOf(const QString &path)
{
    struct stat status = {};
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return 0;
    return status.st_mode & 07777;
}

// Runs the sqlite3 command line on `path` (another process, another SQLite nobody here wrote).
QString sqlite3(const QString &path, const QString &sql)
{
    QProcess process;
    process.start(QStringLiteral("sqlite3"),
                  {QStringLiteral("-cmd"), QStringLiteral(".timeout 10000"), path, sql});
    process.waitForFinished(20000);
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed() +
           QString::fromUtf8(process.readAllStandardError()).trimmed();
}

// A file written by "another program": the sqlite3 command line.
void createForeign(const QString &path, const QString &sql)
{
    QFile::remove(path);
    QProcess process;
    process.start(QStringLiteral("sqlite3"), {path, sql});
    process.waitForFinished(10000);
}

Delivery sampleDelivery(int n)
{
    Delivery delivery;
    delivery.receivedAtMs = 1700000000000 + n;
    delivery.remoteAddress = QStringLiteral("127.0.0.1");
    delivery.method = QStringLiteral("POST");
    delivery.path = QStringLiteral("/hooks/x");
    delivery.httpVersion = QStringLiteral("1.1");
    delivery.body = "{\"n\":" + QByteArray::number(n) + '}';
    delivery.eventId = QStringLiteral("evt_%1").arg(n);
    delivery.responseStatus = 200;
    return delivery;
}

DeliveryStore::Options optionsFor(const QString &path)
{
    DeliveryStore::Options options;
    options.path = path;
    return options;
}

bool storeAndWait(DeliveryStore &store, int n)
{
    std::promise<qint64> stored;
    auto future = stored.get_future();
    store.submit(sampleDelivery(n), DeliveryStore::Clock::now(),
                 [&stored](qint64 id, int, const QString &) { stored.set_value(id); });
    return future.wait_for(std::chrono::seconds(20)) == std::future_status::ready &&
           future.get() > 0;
}

} // namespace

class TestFileSafety : public QObject
{
    Q_OBJECT

private:
    QString m_folder;

    QString path(const QString &name) const { return m_folder + u'/' + name; }

private Q_SLOTS:
    void init()
    {
        static int round = 0;
        m_folder = TestSupport::temporaryPath(QStringLiteral("case-%1").arg(++round));
        QVERIFY(QDir().mkpath(m_folder));
        {
            std::lock_guard lock(recordMutex);
            watchedFolder = QFileInfo(m_folder).canonicalFilePath().toLocal8Bit() + '/';
            foreignCloses.clear();
            namings.clear();
        }
        watching = true;
    }

    void cleanup()
    {
        watching = false;
        std::lock_guard lock(recordMutex);
        watchedFolder.clear();
    }

    // The instrument itself: a QFile read of an open database is what it must catch.
    void aCloseOutsideSqliteOfALockedDatabaseIsSeen()
    {
        const QString db = path(QStringLiteral("seen.db"));
        DeliveryStore store;
        QString error;
        QVERIFY2(store.open(optionsFor(db), &error), qPrintable(error));
        QVERIFY(storeAndWait(store, 1));
        {
            QFile file(db);
            QVERIFY(file.open(QIODevice::ReadOnly));
            file.read(16);
        }
        store.close();
        std::lock_guard lock(recordMutex);
        QVERIFY2(!foreignCloses.isEmpty(), "the QFile close was not seen");
        foreignCloses.clear();
    }

    void noDescriptorOfAnOpenDatabaseIsClosedOutsideSqlite()
    {
        const QString db = path(QStringLiteral("locks.db"));
        DeliveryStore store;
        QString error;
        QVERIFY2(store.open(optionsFor(db), &error), qPrintable(error));
        QVERIFY(storeAndWait(store, 1));
        // What the window and the command line do beside the writer: more connections for
        // writing and reading, opened and closed, a backup, a second store.
        for (int i = 0; i < 3; ++i) {
            Database writer;
            QVERIFY2(writer.open(db, &error), qPrintable(error));
            Database reader;
            QVERIFY2(reader.openReadOnly(db, &error), qPrintable(error));
            QVERIFY(!reader.isStandIn());
            QVERIFY(storeAndWait(store, 10 + i));
            QVERIFY2(reader.backupTo(path(QStringLiteral("backup-%1.db").arg(i)), &error),
                     qPrintable(error));
        }
        {
            DeliveryStore second;
            QVERIFY2(second.open(optionsFor(db), &error), qPrintable(error));
            QVERIFY(storeAndWait(second, 20));
        }
        QVERIFY(storeAndWait(store, 21));
        store.close();
        std::lock_guard lock(recordMutex);
        QVERIFY2(foreignCloses.isEmpty(), qPrintable(foreignCloses.join(u'\n')));
    }

    // The reproduction of the lost deliveries, with the sqlite3 command line as the other
    // process: it opens and closes the file while this process writes.
    void anotherProcessClosingTheFileKeepsWhatThisOneCommits()
    {
        const QString db = path(QStringLiteral("shared.db"));
        DeliveryStore store;
        QString error;
        QVERIFY2(store.open(optionsFor(db), &error), qPrintable(error));
        Database reader; // the window's query connection, opened after the writer
        QVERIFY2(reader.open(db, &error), qPrintable(error));
        QVERIFY(storeAndWait(store, 1));
        QCOMPARE(sqlite3(db, QStringLiteral("SELECT count(*) FROM deliveries")),
                 QStringLiteral("1"));
        QVERIFY2(QFile::exists(db + QStringLiteral("-wal")),
                 "the other process deleted the write-ahead log in use here");
        QVERIFY(storeAndWait(store, 2));
        QCOMPARE(sqlite3(db, QStringLiteral("SELECT count(*) FROM deliveries")),
                 QStringLiteral("2"));
        reader.close();
        store.close();
        QCOMPARE(sqlite3(db, QStringLiteral("SELECT count(*) FROM deliveries")),
                 QStringLiteral("2"));
    }

    void anotherProgramsDatabaseIsLeftByteForByte_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("reason");
        QTest::newRow("tables and user_version 7")
            << QStringLiteral("CREATE TABLE recipes (name TEXT); PRAGMA user_version = 7;")
            << QStringLiteral("did not create");
        QTest::newRow("another application id")
            << QStringLiteral("PRAGMA application_id = 42; CREATE TABLE t (x);")
            << QStringLiteral("another program");
        QTest::newRow("no tables at all") << QStringLiteral("CREATE TABLE t (x); DROP TABLE t;")
                                          << QStringLiteral("did not create");
        QTest::newRow("in WAL mode")
            << QStringLiteral("PRAGMA journal_mode = WAL; CREATE TABLE t (x);")
            << QStringLiteral("did not create");
    }

    void anotherProgramsDatabaseIsLeftByteForByte()
    {
        QFETCH(QString, sql);
        QFETCH(QString, reason);
        const QString db = path(QStringLiteral("foreign.db"));
        createForeign(db, sql);
        QVERIFY(::chmod(QFile::encodeName(db).constData(), 0600) == 0);
        const QByteArray before = fileBytes(db);
        QVERIFY(!before.isEmpty());
        const QStringList entriesBefore = QDir(m_folder).entryList(QDir::Files);
        QString error;
        {
            Database database;
            QVERIFY(!database.open(db, &error));
            QVERIFY2(error.contains(QStringLiteral("not a HookScope database")) &&
                         error.contains(reason),
                     qPrintable(error));
        }
        {
            Database database;
            QVERIFY(!database.openReadOnly(db, &error));
            QVERIFY2(error.contains(QStringLiteral("not a HookScope database")), qPrintable(error));
        }
        QCOMPARE(fileBytes(db), before);
        // Reading a database in WAL mode, SQLite makes its -wal and -shm beside it when they
        // are not there (and, read-only, cannot remove them); nothing else may appear.
        QStringList entriesAfter = QDir(m_folder).entryList(QDir::Files);
        if (sql.contains(QStringLiteral("WAL"))) {
            entriesAfter.removeAll(QStringLiteral("foreign.db-wal"));
            entriesAfter.removeAll(QStringLiteral("foreign.db-shm"));
            QCOMPARE(QFileInfo(db + QStringLiteral("-wal")).size(), 0);
        }
        QCOMPARE(entriesAfter, entriesBefore);
    }

    void aFileThatIsNoDatabaseIsLeftAlone()
    {
        const QString notes = path(QStringLiteral("notes.db"));
        {
            QFile file(notes);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray("these are my notes, not a database\n").repeated(200));
        }
        QVERIFY(::chmod(QFile::encodeName(notes).constData(), 0600) == 0);
        const QByteArray before = fileBytes(notes);
        QString error;
        Database database;
        QVERIFY(!database.open(notes, &error));
        QVERIFY2(error.contains(QStringLiteral("not an SQLite database")), qPrintable(error));
        QVERIFY(!database.openReadOnly(notes, &error));
        QVERIFY2(error.contains(QStringLiteral("not an SQLite database")), qPrintable(error));
        QCOMPARE(fileBytes(notes), before);
    }

    void readingNeverCreatesOrAdopts()
    {
        const QString missing = path(QStringLiteral("missing.db"));
        QString error;
        {
            Database database;
            QVERIFY2(database.openReadOnly(missing, &error), qPrintable(error));
            QVERIFY(database.isStandIn());
            QSqlQuery query(database.connection());
            QVERIFY(query.exec(QStringLiteral("SELECT count(*) FROM deliveries")) && query.next());
            QCOMPARE(query.value(0).toInt(), 0);
        }
        QVERIFY(QDir(m_folder).entryList(QDir::Files).isEmpty());

        const QString empty = path(QStringLiteral("empty.db"));
        bool created = false;
        QVERIFY(PrivateFile::create(empty, PrivateFile::Existing::Refuse, &created, &error));
        QVERIFY(created);
        {
            Database database;
            QVERIFY2(database.openReadOnly(empty, &error), qPrintable(error));
            QVERIFY(database.isStandIn());
        }
        QCOMPARE(QFileInfo(empty).size(), 0);
        QCOMPARE(QDir(m_folder).entryList(QDir::Files), QStringList{QStringLiteral("empty.db")});
        // Writing adopts the empty file.
        Database database;
        QVERIFY2(database.open(empty, &error), qPrintable(error));
        QVERIFY(!database.isStandIn());
        QSqlQuery query(database.connection());
        QVERIFY(query.exec(QStringLiteral("PRAGMA application_id")) && query.next());
        QCOMPARE(query.value(0).toInt(), Database::ApplicationId);
    }

    void anOlderSchemaIsNotUpgradedByReading()
    {
        const QString db = path(QStringLiteral("older.db"));
        QString error;
        {
            Database database;
            QVERIFY2(database.open(db, &error), qPrintable(error));
            QSqlQuery(database.connection()).exec(QStringLiteral("PRAGMA user_version = 9"));
        }
        const QByteArray before = fileBytes(db);
        {
            Database database;
            QVERIFY(!database.openReadOnly(db, &error));
            QVERIFY2(error.contains(QStringLiteral("older")), qPrintable(error));
        }
        QCOMPARE(fileBytes(db), before);
    }

    void aFileOpenToOthersIsRefusedNotTightened()
    {
        const QString db = path(QStringLiteral("shared-by-mistake.db"));
        {
            QFile file(db);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        QVERIFY(::chmod(QFile::encodeName(db).constData(), 0644) == 0);
        QString error;
        Database database;
        QVERIFY(!database.open(db, &error));
        QVERIFY2(error.contains(QStringLiteral("can be read by other users")) &&
                     error.contains(QStringLiteral("chmod 600")),
                 qPrintable(error));
        QCOMPARE(modeOf(db), 0644u);
        QCOMPARE(QFileInfo(db).size(), 0);
        // Reading writes nothing into it, so it may be read as it is.
        QVERIFY2(database.openReadOnly(db, &error), qPrintable(error));
    }

    void aDanglingLinkGetsAPrivateTarget()
    {
        const QString target = path(QStringLiteral("elsewhere/target.db"));
        QVERIFY(QDir().mkpath(QFileInfo(target).absolutePath()));
        const QString link = path(QStringLiteral("link.db"));
        QVERIFY(QFile::link(target, link));
        const mode_t previous = ::umask(022);
        QString error;
        {
            Database database;
            QVERIFY2(database.open(link, &error), qPrintable(error));
            QVERIFY(QFileInfo(link).isSymLink());
            // A text filter reads the database and makes the search index beside the link.
            QCOMPARE(DeliveryReader(database).count(DeliveryFilter::parse(QStringLiteral("word")),
                                                    0, &error),
                     std::optional<qint64>(0));
            const QString index = SearchIndex::pathFor(link);
            for (const QString &file : QStringList{
                     target, target + QStringLiteral("-wal"), target + QStringLiteral("-shm"),
                     index, index + QStringLiteral("-wal"), index + QStringLiteral("-shm")}) {
                QVERIFY2(QFile::exists(file), qPrintable(file));
                QCOMPARE(modeOf(file), 0600u);
            }
        }
        ::umask(previous);
    }

    void exportsAndBackupsArePrivateBeforeTheyHaveAName()
    {
        // The widest umask: whatever HookScope creates must restrict itself.
        const mode_t previous = ::umask(0);
        QString error;
        const QString exported = path(QStringLiteral("subscribers.csv"));
        QVERIFY2(PrivateFile::write(exported, "id,name\n", &error), qPrintable(error));
        QVERIFY2(PrivateFile::write(exported, "id,name\n1,again\n", &error), qPrintable(error));
        const QString db = path(QStringLiteral("new.db"));
        {
            Database database;
            QVERIFY2(database.open(db, &error), qPrintable(error));
            QVERIFY2(database.backupTo(path(QStringLiteral("backup.db")), &error),
                     qPrintable(error));
        }
        ::umask(previous);
        for (const QString &file : QStringList{exported, db, path(QStringLiteral("backup.db"))})
            QCOMPARE(modeOf(file), 0600u);
        std::lock_guard lock(recordMutex);
        QVERIFY(!namings.isEmpty());
        for (const Naming &naming : std::as_const(namings)) {
            QVERIFY2((naming.mode & 077) == 0,
                     qPrintable(QStringLiteral("%1 was named with mode 0%2")
                                    .arg(QString::fromLocal8Bit(naming.path))
                                    .arg(naming.mode, 0, 8)));
        }
    }
};

QTEST_GUILESS_MAIN(TestFileSafety)
#include "tst_filesafety.moc"
