#include "database.h"
#include "deliveryreader.h"
#include "deliverystore.h"
#include "endpointrepository.h"
#include "pgcluster.h"
#include "searchindex.h"
#include "storedverification.h"
#include "subscriberrepository.h"
#include "testsupport.h"
#include "writeturns.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>
#include <QThread>

#include <atomic>
#include <mutex>
#include <sys/stat.h>
#include <thread>

namespace {

Delivery sampleDelivery(int n)
{
    Delivery d;
    d.receivedAtMs = 1700000000123 + n;
    d.remoteAddress = QStringLiteral("127.0.0.1");
    d.method = QStringLiteral("POST");
    d.path = QStringLiteral("/hooks/hh?attempt=%1").arg(n);
    d.httpVersion = QStringLiteral("1.1");
    d.headers.append("Host", "localhost");
    d.headers.append("X-Dup", "one");
    d.headers.append("x-dup", "two");
    d.headers.append("HostedHooks-Signature", "t=1,s=ab");
    d.body = QByteArray("{\"n\":") + QByteArray::number(n) + "}\0\xff" + QByteArray(3, '\0');
    d.endpoint = QStringLiteral("hh");
    d.eventType = QStringLiteral("subscriber.created");
    d.eventId = QStringLiteral("evt_%1").arg(n);
    d.subscriberId = QStringLiteral("sub_%1").arg(n);
    d.verification.verdict = Verdict::Stale;
    d.verification.scheme = QStringLiteral("hostedhooks");
    d.verification.reason = QStringLiteral("old");
    // What the HostedHooks scheme signs: the header's t, ".", the raw body.
    d.verification.signedString = Verification::displayBytes(QByteArray("1.").append(d.body));
    d.verification.expected = QStringLiteral("ab");
    d.verification.received = QStringLiteral("ab");
    d.verification.timestamp = 1;
    d.verification.skewSeconds = 1699999999;
    d.verification.matchedSecret = QStringLiteral("secret 1");
    d.responseStatus = 200;
    return d;
}

// Submits and waits for the commit; returns the new id (0 on failure, with `error`).
qint64 store(DeliveryStore &store, Delivery d, QString *error = nullptr)
{
    std::atomic<qint64> id{-1};
    QString failure;
    std::mutex mutex;
    store.submit(std::move(d), DeliveryStore::Clock::now(),
                 [&](qint64 newId, int, const QString &e) {
                     std::lock_guard lock(mutex);
                     failure = e;
                     id = newId;
                 });
    QDeadlineTimer deadline(30000);
    while (id.load() < 0 && !deadline.hasExpired())
        QThread::msleep(1);
    std::lock_guard lock(mutex);
    if (error)
        *error = failure;
    return id.load();
}

int pragma(const Database &db, const QString &name)
{
    QSqlQuery query(db.connection());
    if (!query.exec(QStringLiteral("PRAGMA ") + name) || !query.next())
        return -1;
    return query.value(0).toInt();
}

} // namespace

class TestDeliveryStore : public QObject
{
    Q_OBJECT

    // The tests that hold for both stores run on a file and on a team database (a real
    // PostgreSQL server started for them, see PostgresCluster).
    std::unique_ptr<PostgresCluster> m_cluster;
    int m_teamDatabases = 0;

    static void backends()
    {
        QTest::addColumn<bool>("team");
        QTest::newRow("file") << false;
        QTest::newRow("team database") << true;
    }

    // A new, empty store: a file named `name`, or a team database set up as `db init` does.
    QString newStore(bool team, const QString &name)
    {
        if (!team)
            return TestSupport::temporaryPath(name);
        QString error;
        PostgresCluster *cluster = PostgresCluster::started(m_cluster, &error);
        const QString location =
            cluster ? cluster->createTeamDatabase(QStringLiteral("store%1").arg(++m_teamDatabases),
                                                  &error)
                    : QString();
        if (location.isEmpty())
            qWarning("%s", qPrintable(error));
        return location;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // A team database's endpoints keep their secrets in this machine's own file: the
        // test's, not the user's.
        const QString home = TestSupport::temporaryPath(QStringLiteral("home"));
        QDir().mkpath(home);
        qputenv("HOME", QFile::encodeName(home));
        QStandardPaths::setTestModeEnabled(true);
    }

    void migratesAnEmptyFile()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("empty.db"));
        QFile(path).open(QIODevice::WriteOnly); // an existing, empty file
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        Database db;
        QString error;
        QVERIFY2(db.open(path, &error), qPrintable(error));
        QCOMPARE(pragma(db, QStringLiteral("user_version")), Database::SchemaVersion);
        QCOMPARE(pragma(db, QStringLiteral("application_id")), Database::ApplicationId);
        QSqlQuery mode(db.connection());
        QVERIFY(mode.exec(QStringLiteral("PRAGMA journal_mode")) && mode.next());
        QCOMPARE(mode.value(0).toString(), QStringLiteral("wal"));
        db.close();
        // Opening again leaves the schema as it is.
        QVERIFY2(db.open(path, &error), qPrintable(error));
        QCOMPARE(pragma(db, QStringLiteral("user_version")), Database::SchemaVersion);
    }

    void newFileIsPrivate()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("private.db"));
        Database db;
        QString error;
        QVERIFY2(db.open(path, &error), qPrintable(error));
        struct stat info = {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &info), 0);
        QCOMPARE(info.st_mode & 0777, 0600u);
    }

    void refusesFilesThatAreNotHookScopeDatabases()
    {
        const QString text = TestSupport::temporaryPath(QStringLiteral("notes.txt"));
        {
            QFile file(text);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("these are my notes, not a database\n");
        }
        Database db;
        QString error;
        QVERIFY(!db.open(text, &error));
        QVERIFY2(error.contains(QStringLiteral("not a HookScope database")), qPrintable(error));
        QFile file(text);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("these are my notes, not a database\n"));

        const QString foreign = TestSupport::temporaryPath(QStringLiteral("foreign.db"));
        {
            QSqlDatabase other =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            other.setDatabaseName(foreign);
            QVERIFY(other.open());
            QSqlQuery(other).exec(QStringLiteral("CREATE TABLE recipes (name TEXT)"));
            other.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        QVERIFY(!db.open(foreign, &error));
        QVERIFY2(error.contains(QStringLiteral("not a HookScope database")), qPrintable(error));
    }

    void refusesANewerSchema()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("newer.db"));
        {
            Database db;
            QVERIFY(db.open(path, nullptr));
            QSqlQuery(db.connection()).exec(QStringLiteral("PRAGMA user_version = 99"));
        }
        Database db;
        QString error;
        QVERIFY(!db.open(path, &error));
        QVERIFY2(error.contains(QStringLiteral("newer")), qPrintable(error));
    }

    void roundTripsEveryColumn_data() { backends(); }

    void roundTripsEveryColumn()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("roundtrip.db"));
        QVERIFY(!options.path.isEmpty());
        QString error;
        QVERIFY2(deliveryStore.open(options, &error), qPrintable(error));
        const Delivery original = sampleDelivery(7);
        const qint64 id = store(deliveryStore, original, &error);
        QVERIFY2(id > 0, qPrintable(error));
        deliveryStore.close();

        Database db;
        QVERIFY(db.open(options.path, &error));
        const auto found = DeliveryReader(db).find(id, &error);
        QVERIFY2(found.has_value(), qPrintable(error));
        QCOMPARE(found->id, id);
        QCOMPARE(found->receivedAtMs, original.receivedAtMs);
        QCOMPARE(found->remoteAddress, original.remoteAddress);
        QCOMPARE(found->method, original.method);
        QCOMPARE(found->path, original.path);
        QCOMPARE(found->httpVersion, original.httpVersion);
        QCOMPARE(found->headers, original.headers);
        QCOMPARE(found->body, original.body);
        QCOMPARE(found->bodySize(), original.body.size());
        QCOMPARE(found->endpoint, original.endpoint);
        QCOMPARE(found->eventType, original.eventType);
        QCOMPARE(found->eventId, original.eventId);
        QCOMPARE(found->subscriberId, original.subscriberId);
        QCOMPARE(found->verification, original.verification);
        QCOMPARE(found->responseStatus, original.responseStatus);
        QVERIFY(found->handlingMicros >= 0);

        const auto latest = DeliveryReader(db).latest(10, &error);
        QVERIFY(latest.has_value());
        QCOMPARE(latest->size(), 1);
        QCOMPARE(latest->constFirst().verdict, Verdict::Stale);
        QCOMPARE(latest->constFirst().bodySize, original.body.size());
        QVERIFY(!DeliveryReader(db).find(id + 1, &error).has_value());
        QVERIFY(error.isEmpty());
    }

    // A built-in scheme's signed string is computed again from the row's headers and body
    // rather than kept in it; a truncated body and the generic scheme (whose recipe is the
    // endpoint's) keep theirs.
    void signedStringsAreComputedAgainNotKept_data() { backends(); }

    void signedStringsAreComputedAgainNotKept()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("signed.db"));
        QVERIFY(!options.path.isEmpty());
        QVERIFY(deliveryStore.open(options, nullptr));
        Delivery kept = sampleDelivery(1);
        Delivery truncated = sampleDelivery(2);
        truncated.truncated = true;
        truncated.verification.signedString = QStringLiteral("as it was before truncation");
        Delivery generic = sampleDelivery(3);
        generic.verification.scheme = schemeName(SignatureScheme::GenericHmac);
        generic.verification.signedString = QStringLiteral("the endpoint's recipe");
        Delivery unsigned_ = sampleDelivery(4);
        unsigned_.headers = HeaderList();
        unsigned_.headers.append("Host", "localhost");
        unsigned_.verification.verdict = Verdict::Missing;
        unsigned_.verification.signedString.clear();
        QList<qint64> ids;
        for (const Delivery &d : {kept, truncated, generic, unsigned_})
            ids.append(store(deliveryStore, d));
        deliveryStore.close();

        Database db;
        QVERIFY(db.open(options.path, nullptr));
        auto storedJson = [&db](qint64 id) {
            QSqlQuery query(db.connection());
            query.prepare(QStringLiteral("SELECT verification FROM deliveries WHERE id = ?"));
            query.addBindValue(id);
            return query.exec() && query.next()
                       ? QJsonDocument::fromJson(query.value(0).toByteArray()).object()
                       : QJsonObject();
        };
        QVERIFY(!storedJson(ids[0]).isEmpty());
        QVERIFY(!storedJson(ids[0]).contains(QStringLiteral("signed_string")));
        QVERIFY(storedJson(ids[1]).contains(QStringLiteral("signed_string")));
        QVERIFY(storedJson(ids[2]).contains(QStringLiteral("signed_string")));
        QVERIFY(!storedJson(ids[3]).contains(QStringLiteral("signed_string")));
        const DeliveryReader reader(db);
        const QList<Delivery> originals{kept, truncated, generic, unsigned_};
        for (int i = 0; i < ids.size(); ++i) {
            const auto found = reader.find(ids[i], nullptr);
            QVERIFY(found);
            QCOMPARE(found->verification.signedString, originals[i].verification.signedString);
        }
    }

    void emptyFieldsAndBodyAreStored_data() { backends(); }

    void emptyFieldsAndBodyAreStored()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("empty-fields.db"));
        QVERIFY(!options.path.isEmpty());
        QVERIFY(deliveryStore.open(options, nullptr));
        Delivery d;
        d.method = QStringLiteral("GET");
        d.path = QStringLiteral("/");
        d.httpVersion = QStringLiteral("1.0");
        QString error;
        QVERIFY2(store(deliveryStore, d, &error) > 0, qPrintable(error));
    }

    void pagesNewestFirst_data() { backends(); }

    void pagesNewestFirst()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("paging.db"));
        QVERIFY(!options.path.isEmpty());
        QVERIFY(deliveryStore.open(options, nullptr));
        for (int i = 0; i < 25; ++i)
            QVERIFY(store(deliveryStore, sampleDelivery(i)) > 0);
        Database db;
        QVERIFY(db.open(options.path, nullptr));
        const auto first = DeliveryReader(db).latest(10, nullptr);
        QCOMPARE(first->size(), 10);
        QCOMPARE(first->constFirst().eventId, QStringLiteral("evt_24"));
        const auto second = DeliveryReader(db).latest(10, nullptr, first->constLast().id);
        QCOMPARE(second->constFirst().eventId, QStringLiteral("evt_14"));
        QCOMPARE(DeliveryReader(db).count(nullptr), std::optional<qint64>(25));
    }

    void burstsShareTransactions_data() { backends(); }

    void burstsShareTransactions()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("burst.db"));
        QVERIFY(!options.path.isEmpty());
        QVERIFY(deliveryStore.open(options, nullptr));
        QSignalSpy stored(&deliveryStore, &DeliveryStore::stored);
        std::atomic<int> done{0};
        std::atomic<int> failed{0};
        constexpr int Count = 2000;
        for (int i = 0; i < Count; ++i) {
            deliveryStore.submit(sampleDelivery(i), DeliveryStore::Clock::now(),
                                 [&](qint64 id, int, const QString &) {
                                     if (id <= 0)
                                         ++failed;
                                     ++done;
                                 });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done.load(), Count, 60000);
        QCOMPARE(failed.load(), 0);
        QTRY_VERIFY(stored.size() > 0);
        int rows = 0;
        for (const QList<QVariant> &signal : std::as_const(stored))
            rows += signal.at(0).value<QList<DeliverySummary>>().size();
        QCOMPARE(rows, Count);
        // Deliveries submitted faster than one commit each are grouped.
        QVERIFY2(stored.size() < Count, qPrintable(QString::number(stored.size())));
    }

    // Checkpoints run between batches, not in the commits (SQLite's automatic ones are off): a
    // pause in the writing copies the log into the file, and a long run of writing without a
    // pause keeps the log as small as SQLite's own checkpoints would.
    void writeTurnsAreTakenInTheOrderAsked()
    {
        // The writer commits and begins again at once; a plain mutex would let it take the
        // lock again before the mapping's thread wakes. A turn asked for first is served first.
        WriteTurns turns;
        QStringList order;
        std::mutex orderMutex;
        const auto record = [&](const QString &who) {
            std::lock_guard lock(orderMutex);
            order.append(who);
        };
        turns.lock();
        std::thread other([&] {
            turns.lock();
            record(QStringLiteral("other"));
            turns.unlock();
        });
        QTRY_COMPARE(turns.waiting(), std::uint64_t(1));
        turns.unlock();
        turns.lock(); // at once, as the writer does
        record(QStringLiteral("first"));
        turns.unlock();
        other.join();
        QCOMPARE(order, (QStringList{QStringLiteral("other"), QStringLiteral("first")}));
        QCOMPARE(turns.waiting(), std::uint64_t(0));
    }

    void checkpointsRunBetweenBatches()
    {
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = TestSupport::temporaryPath(QStringLiteral("checkpoint.db"));
        QVERIFY(deliveryStore.open(options, nullptr));
        const qint64 emptySize = QFileInfo(options.path).size();
        for (int i = 0; i < 50; ++i)
            QVERIFY(store(deliveryStore, sampleDelivery(i)) > 0);
        // 50 rows are far below SQLite's automatic checkpoint (1,000 pages): only a checkpoint
        // after the pause puts them in the file itself.
        QTRY_VERIFY(QFileInfo(options.path).size() > emptySize);

        // Without a pause: many batches of 4 KB bodies, 12 MB in all.
        std::atomic<int> done{0};
        constexpr int Count = 3000;
        qint64 largestLog = 0;
        for (int i = 0; i < Count; ++i) {
            Delivery d = sampleDelivery(1000 + i);
            d.body = QByteArray(4096, char('a' + i % 26));
            deliveryStore.submit(std::move(d), DeliveryStore::Clock::now(),
                                 [&](qint64, int, const QString &) { ++done; });
        }
        QDeadlineTimer deadline(60000);
        while (done.load() < Count && !deadline.hasExpired()) {
            largestLog = std::max(largestLog, QFileInfo(options.path + u"-wal").size());
            QThread::msleep(2);
        }
        QCOMPARE(done.load(), Count);
        largestLog = std::max(largestLog, QFileInfo(options.path + u"-wal").size());
        qInfo("largest write-ahead log: %.1f MB", double(largestLog) / 1e6);
        QVERIFY2(largestLog < 10 * 1024 * 1024, qPrintable(QString::number(largestLog)));
        deliveryStore.close();
    }

    // A burst goes in many rows to a statement: each completion still names its own row, the
    // full-text index has every row, a repeated external id is stored once, and the earlier
    // attempts of an event in the same burst count for its fail-first policy.
    void burstRowsKeepTheirIdsAndText_data() { backends(); }

    void burstRowsKeepTheirIdsAndText()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("burst-rows.db"));
        QVERIFY(!options.path.isEmpty());
        QVERIFY(deliveryStore.open(options, nullptr));
        constexpr int Count = 700;
        std::mutex mutex;
        QHash<int, qint64> ids;
        QHash<int, int> statuses;
        QHash<int, QString> errors;
        for (int i = 0; i < Count; ++i) {
            Delivery d = sampleDelivery(i);
            d.body = "{\"word\":\"needle" + QByteArray::number(i) + "\"}";
            if (i % 100 == 50)
                d.externalId = QStringLiteral("ext_%1").arg(i == 150 ? 50 : i); // 150 repeats 50
            if (i >= 300 && i < 303) {
                d.eventId = QStringLiteral("evt_flaky");
                d.failFirstAttempts = 2;
                d.failStatus = 503;
            }
            deliveryStore.submit(std::move(d), DeliveryStore::Clock::now(),
                                 [&, i](qint64 id, int status, const QString &error) {
                                     std::lock_guard lock(mutex);
                                     ids.insert(i, id);
                                     statuses.insert(i, status);
                                     errors.insert(i, error);
                                 });
        }
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                std::lock_guard lock(mutex);
                return ids.size();
            }(),
            Count, 60000);
        deliveryStore.close();

        QCOMPARE(ids.value(150), qint64(0));
        QCOMPARE(errors.value(150), QString::fromLatin1(DeliveryStore::AlreadyStored));
        QCOMPARE(statuses.value(300), 503);
        QCOMPARE(statuses.value(301), 503);
        QCOMPARE(statuses.value(302), 200);
        Database db;
        QVERIFY(db.open(options.path, nullptr));
        QCOMPARE(DeliveryReader(db).count(nullptr), std::optional<qint64>(Count - 1));
        for (int i = 0; i < Count; ++i) {
            if (i == 150)
                continue;
            QVERIFY2(ids.value(i) > 0, qPrintable(errors.value(i)));
            const auto stored = DeliveryReader(db).find(ids.value(i), nullptr);
            QVERIFY(stored);
            QCOMPARE(stored->body, "{\"word\":\"needle" + QByteArray::number(i) + "\"}");
            QCOMPARE(stored->responseStatus, statuses.value(i));
        }
        QVERIFY(db.hasFullText());
        // Found whether the index file has them yet or not, and again once it has them all
        // (a team database indexes each delivery in its own transaction).
        for (bool indexed : {false, true}) {
            if (indexed && team)
                break;
            if (indexed) {
                SearchIndex index(options.path);
                QVERIFY(index.open(1000, nullptr));
                while (index.catchUp(100, nullptr).value_or(0) > 0) {
                }
                QCOMPARE(index.indexedUpTo(), DeliveryReader(db).maxId(nullptr).value_or(-1));
            }
            // (Words are searched as prefixes: none of these begins another.)
            for (int i : {0, 70, 299, 302, 511, 512, 699}) {
                const auto found = DeliveryReader(db).page(
                    DeliveryFilter::parse(QStringLiteral("needle%1").arg(i)), 0, 0, 10, nullptr);
                QVERIFY(found);
                QCOMPARE(found->size(), 1);
                QCOMPARE(found->constFirst().id, ids.value(i));
            }
        }
    }

    void readersAreNotBlockedByTheWriter()
    {
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = TestSupport::temporaryPath(QStringLiteral("concurrent.db"));
        QVERIFY(deliveryStore.open(options, nullptr));
        std::atomic<bool> writing{true};
        std::atomic<int> reads{0};
        std::atomic<bool> readerOk{true};
        QThread *reader = QThread::create([&] {
            Database db;
            if (!db.open(options.path, nullptr)) {
                readerOk = false;
                return;
            }
            qint64 last = 0;
            while (writing.load()) {
                QString error;
                const auto count = DeliveryReader(db).count(&error);
                if (!count || *count < last) {
                    readerOk = false;
                    return;
                }
                last = *count;
                ++reads;
            }
        });
        reader->start();
        for (int i = 0; i < 300; ++i)
            QVERIFY(store(deliveryStore, sampleDelivery(i)) > 0);
        writing = false;
        reader->wait();
        delete reader;
        QVERIFY(readerOk.load());
        QVERIFY(reads.load() > 0);
    }

    void lockedDatabaseFailsTheWriteAndRecovers()
    {
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = TestSupport::temporaryPath(QStringLiteral("locked.db"));
        options.busyTimeoutMs = 200;
        QVERIFY(deliveryStore.open(options, nullptr));
        QSignalSpy failed(&deliveryStore, &DeliveryStore::storageFailed);
        QSignalSpy recovered(&deliveryStore, &DeliveryStore::storageRecovered);

        Database other;
        QVERIFY(other.open(options.path, nullptr));
        QSqlQuery lock(other.connection());
        QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        QString error;
        QCOMPARE(store(deliveryStore, sampleDelivery(1), &error), 0);
        QVERIFY2(error.contains(QStringLiteral("locked")), qPrintable(error));
        QTRY_COMPARE(failed.size(), 1);
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));

        QVERIFY(store(deliveryStore, sampleDelivery(2), &error) > 0);
        QTRY_COMPARE(recovered.size(), 1);
        QCOMPARE(DeliveryReader(other).count(nullptr), std::optional<qint64>(1));
    }

    void aFileReplacedUnderneathIsNeitherWrittenBlindlyNorLost()
    {
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = TestSupport::temporaryPath(QStringLiteral("replaced.db"));
        options.endpointPollInterval = std::chrono::milliseconds(50);
        QVERIFY(deliveryStore.open(options, nullptr));
        QSignalSpy failed(&deliveryStore, &DeliveryStore::storageFailed);
        QSignalSpy recovered(&deliveryStore, &DeliveryStore::storageRecovered);
        QString error;
        for (int n = 1; n <= 3; ++n)
            QVERIFY(store(deliveryStore, sampleDelivery(n), &error) > 0);

        // Something else takes the path: the old file moved away, garbage put in its place.
        const QString moved = options.path + QStringLiteral(".moved");
        QVERIFY(QFile::rename(options.path, moved));
        const QByteArray garbage(4096, 'g');
        {
            QFile file(options.path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(garbage);
        }
        QCOMPARE(store(deliveryStore, sampleDelivery(4), &error), 0);
        QVERIFY2(error.contains(QStringLiteral("replaced or removed")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("not a HookScope database")), qPrintable(error));
        QTRY_COMPARE(failed.size(), 1);

        // What the open file held is copied out; the garbage is left exactly as it was.
        const QStringList copies =
            QFileInfo(options.path)
                .dir()
                .entryList({QFileInfo(options.path).fileName() + QStringLiteral(".recovered-*")});
        QCOMPARE(copies.size(), 1);
        const QString copy = QFileInfo(options.path).dir().filePath(copies.first());
        QCOMPARE(QFileInfo(copy).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
                 QFileDevice::Permissions());
        {
            Database kept;
            QVERIFY(kept.open(copy, nullptr));
            QCOMPARE(DeliveryReader(kept).count(nullptr), std::optional<qint64>(3));
        }
        {
            QFile file(options.path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QCOMPARE(file.readAll(), garbage);
        }

        // The user clears the path: a new database starts there and deliveries are stored.
        QVERIFY(QFile::remove(options.path));
        // Refused (503) until the store has tried the path again; then stored.
        QDeadlineTimer deadline(10000);
        while (store(deliveryStore, sampleDelivery(5), &error) == 0 && !deadline.hasExpired())
            QThread::msleep(20);
        QTRY_COMPARE(recovered.size(), 1);
        Database fresh;
        QVERIFY(fresh.open(options.path, nullptr));
        QCOMPARE(DeliveryReader(fresh).count(nullptr), std::optional<qint64>(1));
    }

    void endpointsAndTheirChangesAreAnnounced_data() { backends(); }

    void endpointsAndTheirChangesAreAnnounced()
    {
        QFETCH(bool, team);
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = newStore(team, QStringLiteral("endpoints.db"));
        QVERIFY(!options.path.isEmpty());
        // A team database's secrets are this machine's own, in its file (as serve and the window
        // have them).
        if (team)
            options.secretsPath = Database::defaultPath();
        options.endpointPollInterval = std::chrono::milliseconds(20);
        QVERIFY(deliveryStore.open(options, nullptr));
        QVERIFY(deliveryStore.endpoints().isEmpty());
        QSignalSpy changed(&deliveryStore, &DeliveryStore::endpointsChanged);

        // Another connection (the command line, the GUI) adds an endpoint.
        Database db;
        QVERIFY(db.open(options.path, nullptr));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("hh");
        endpoint.path = QStringLiteral("hooks/hh/");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("a"), "one"}, {QStringLiteral("b"), "two"}};
        QString error;
        QVERIFY2(EndpointRepository(db).add(endpoint, &error), qPrintable(error));
        QCOMPARE(endpoint.path, QStringLiteral("/hooks/hh"));
        QVERIFY(!EndpointRepository(db).add(endpoint, &error));
        QVERIFY(error.contains(QStringLiteral("already exists")));

        QTRY_COMPARE(changed.size(), 1);
        const QList<Endpoint> seen = deliveryStore.endpoints();
        QCOMPARE(seen.size(), 1);
        QCOMPARE(seen.constFirst(), endpoint);

        endpoint.secrets = {{QStringLiteral("c"), "three"}};
        QVERIFY(EndpointRepository(db).update(endpoint, &error));
        QTRY_COMPARE(changed.size(), 2);
        QCOMPARE(deliveryStore.endpoints().constFirst().secrets.size(), 1);

        QVERIFY(EndpointRepository(db).remove(QStringLiteral("hh"), &error));
        QTRY_COMPARE(changed.size(), 3);
        QVERIFY(deliveryStore.endpoints().isEmpty());
        QVERIFY(!EndpointRepository(db).remove(QStringLiteral("hh"), &error));
    }

    // A text filter searches the index file up to its watermark and the rows above it on the
    // connection's own: the results are the same wherever the watermark stands.
    void textFiltersAreExactWhereverTheIndexStands()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("watermark.db"));
        constexpr int Count = 100;
        {
            DeliveryStore deliveryStore;
            DeliveryStore::Options options;
            options.path = path;
            QVERIFY(deliveryStore.open(options, nullptr));
            for (int i = 0; i < Count; ++i) {
                Delivery d = sampleDelivery(i);
                d.body = "{\"word\":\"word" + QByteArray::number(i) + "\",\"all\":\"common\"}";
                QCOMPARE(store(deliveryStore, std::move(d)), qint64(i + 1));
            }
        }
        // The index as a crash could leave it: holding the first 40 deliveries only.
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QFile::remove(SearchIndex::pathFor(path) + suffix);
        {
            SearchIndex index(path);
            QVERIFY(index.open(1000, nullptr));
            QCOMPARE(index.catchUp(40, nullptr), std::optional<int>(40));
            QCOMPARE(index.indexedUpTo(), 40);
        }
        // Words are prefixes: "word1" finds word1, word10 to word19.
        const auto expectedIds = [](const QString &prefix, qint64 first, qint64 last) {
            QList<qint64> ids;
            for (qint64 id = last; id >= first; --id) {
                if (QStringLiteral("word%1").arg(id - 1).startsWith(prefix))
                    ids.append(id);
            }
            return ids;
        };
        const auto idsOf = [](const std::optional<QList<DeliverySummary>> &rows) {
            QList<qint64> ids;
            for (const DeliverySummary &row : rows.value_or(QList<DeliverySummary>()))
                ids.append(row.id);
            return ids;
        };
        for (int stage = 0; stage < 2; ++stage) {
            Database db;
            QVERIFY(db.open(path, nullptr));
            DeliveryReader reader(db);
            const DeliveryFilter common = DeliveryFilter::parse(QStringLiteral("common"));
            QCOMPARE(reader.count(common, 0, nullptr), std::optional<qint64>(Count));
            QCOMPARE(reader.count(common, 70, nullptr), std::optional<qint64>(70));
            QCOMPARE(reader.count(common, 30, nullptr), std::optional<qint64>(30));
            // A page across the watermark: ids 45 down to 36.
            QCOMPARE(idsOf(reader.page(common, 0, 55, 10, nullptr)),
                     expectedIds(u"word"_qs, 36, 45));
            QCOMPARE(idsOf(reader.page(common, 80, 35, 10, nullptr)),
                     expectedIds(u"word"_qs, 36, 45));
            QCOMPARE(idsOf(reader.pageBefore(common, 45, 10, nullptr)),
                     expectedIds(u"word"_qs, 35, 44));
            for (const QString &word : {u"word1"_qs, u"word4"_qs, u"word39"_qs, u"word40"_qs,
                                        u"word99"_qs, u"word100"_qs}) {
                const DeliveryFilter filter = DeliveryFilter::parse(word);
                QCOMPARE(idsOf(reader.page(filter, 0, 0, 1000, nullptr)),
                         expectedIds(word, 1, Count));
                QCOMPARE(reader.count(filter, 0, nullptr),
                         std::optional<qint64>(expectedIds(word, 1, Count).size()));
                // With another condition the text is one condition of the WHERE clause.
                const DeliveryFilter withEvent =
                    DeliveryFilter::parse(word + u" event:subscriber.created"_qs);
                QCOMPARE(idsOf(reader.page(withEvent, 0, 0, 1000, nullptr)),
                         expectedIds(word, 1, Count));
                QCOMPARE(idsOf(reader.matching(withEvent, 30, 50, nullptr)),
                         expectedIds(word, 30, 50));
            }
            // Then the index catches up, and the same filters find the same deliveries.
            SearchIndex index(path);
            QVERIFY(index.open(1000, nullptr));
            while (index.catchUp(7, nullptr).value_or(0) > 0) {
            }
            QCOMPARE(index.indexedUpTo(), Count);
        }
    }

    void aDeliveryIsFoundTheMomentItIsStored()
    {
        DeliveryStore deliveryStore;
        DeliveryStore::Options options;
        options.path = TestSupport::temporaryPath(QStringLiteral("findable.db"));
        QVERIFY(deliveryStore.open(options, nullptr));
        Database db;
        QVERIFY(db.open(options.path, nullptr));
        DeliveryReader reader(db);
        for (int i = 0; i < 300; ++i) {
            Delivery d = sampleDelivery(i);
            d.body = "{\"token\":\"unique" + QByteArray::number(i) + "x\"}";
            const qint64 id = store(deliveryStore, std::move(d));
            QVERIFY(id > 0);
            QString error;
            const auto found = reader.page(
                DeliveryFilter::parse(QStringLiteral("unique%1x").arg(i)), 0, 0, 10, &error);
            QVERIFY2(found, qPrintable(error));
            QVERIFY2(
                found->size() == 1,
                qPrintable(QStringLiteral("delivery %1 found %2 times").arg(i).arg(found->size())));
            QCOMPARE(found->constFirst().id, id);
        }
        // And the index file catches up by itself.
        QTRY_COMPARE_WITH_TIMEOUT(deliveryStore.indexedUpTo(), 300, 5000);
    }

    void anIndexThatDoesNotMatchIsBuiltAgain()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("mismatch.db"));
        const auto fill = [&path](const QByteArray &word, int count) {
            DeliveryStore deliveryStore;
            DeliveryStore::Options options;
            options.path = path;
            if (!deliveryStore.open(options, nullptr))
                return false;
            for (int i = 0; i < count; ++i) {
                Delivery d = sampleDelivery(i);
                d.body = "{\"w\":\"" + word + "\"}";
                if (store(deliveryStore, std::move(d)) <= 0)
                    return false;
            }
            QDeadlineTimer deadline(5000);
            while (deliveryStore.indexedUpTo() < count && !deadline.hasExpired())
                QThread::msleep(5);
            return deliveryStore.indexedUpTo() == count;
        };
        QVERIFY(fill("apple", 30));
        // Another database at the path, with fewer rows; the index of the first stays.
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QVERIFY(!QFile::exists(path + suffix) || QFile::remove(path + suffix));
        QVERIFY(fill("banana", 20));
        {
            Database db;
            QVERIFY(db.open(path, nullptr));
            QCOMPARE(DeliveryReader(db).count(DeliveryFilter::parse(u"apple"_qs), 0, nullptr),
                     std::optional<qint64>(0));
            QCOMPARE(DeliveryReader(db).count(DeliveryFilter::parse(u"banana"_qs), 0, nullptr),
                     std::optional<qint64>(20));
        }
        // A damaged index file is made again, never read.
        {
            QFile file(SearchIndex::pathFor(path));
            QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
            file.write(QByteArray(8192, 'x'));
        }
        QFile::remove(SearchIndex::pathFor(path) + u"-wal"_qs);
        QFile::remove(SearchIndex::pathFor(path) + u"-shm"_qs);
        SearchIndex index(path);
        QVERIFY(index.open(1000, nullptr));
        QCOMPARE(index.resets(), 1);
        QCOMPARE(index.indexedUpTo(), 0);
        QCOMPARE(index.catchUp(1000, nullptr), std::optional<int>(20));
        Database db;
        QVERIFY(db.open(path, nullptr));
        QCOMPARE(DeliveryReader(db).count(DeliveryFilter::parse(u"banana"_qs), 0, nullptr),
                 std::optional<qint64>(20));
    }

    // Two writers on one file (as two processes are), each with its own thread that keeps the
    // mapping: retries of each event cross between them, and the mapping must still be what
    // the deliveries say in the order they were committed.
    void subscriberMappingFollowsTheCommitOrderAcrossWriters()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("mapping-order.db"));
        constexpr int Subscribers = 40;
        constexpr int EventsEach = 2;
        constexpr int Attempts = 3;
        DeliveryStore first;
        DeliveryStore second;
        DeliveryStore::Options options;
        options.path = path;
        QVERIFY(first.open(options, nullptr));
        QVERIFY(second.open(options, nullptr));
        std::mutex mutex;
        int answered = 0;
        const auto send = [&](DeliveryStore &store, int parity) {
            for (int attempt = 0; attempt < Attempts; ++attempt) {
                for (int s = 0; s < Subscribers; ++s) {
                    for (int e = 0; e < EventsEach; ++e) {
                        if ((s + e + attempt) % 2 != parity)
                            continue;
                        Delivery d = sampleDelivery(s);
                        d.verification.verdict = Verdict::Valid;
                        d.headers.append("Content-Type", "application/json");
                        d.eventId = QStringLiteral("evt_%1_%2").arg(s).arg(e);
                        d.subscriberId = QStringLiteral("sub_%1").arg(s);
                        d.body = QStringLiteral(R"({"event_type":"subscriber.created","data":)"
                                                R"({"id":"sub_%1","name":"event %2 attempt %3"}})")
                                     .arg(s)
                                     .arg(e)
                                     .arg(attempt)
                                     .toUtf8();
                        store.submit(std::move(d), DeliveryStore::Clock::now(),
                                     [&](qint64, int, const QString &) {
                                         std::lock_guard lock(mutex);
                                         ++answered;
                                     });
                    }
                }
                QThread::usleep(200);
            }
        };
        std::thread a([&] { send(first, 0); });
        std::thread b([&] { send(second, 1); });
        a.join();
        b.join();
        constexpr int Total = Subscribers * EventsEach * Attempts;
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                std::lock_guard lock(mutex);
                return answered;
            }(),
            Total, 30000);

        Database db;
        QVERIFY(db.open(path, nullptr));
        // Kept by the writers' own threads, within a second, without anyone reading it.
        const auto mappedAll = [&db] {
            QSqlQuery query(db.connection());
            return query.exec(QStringLiteral("SELECT mapped_up_to = (SELECT max(id) FROM "
                                             "deliveries) FROM mapping_state")) &&
                   query.next() && query.value(0).toBool();
        };
        QTRY_VERIFY_WITH_TIMEOUT(mappedAll(), 1000);
        first.close();
        second.close();

        // What the mapping must say, from the deliveries in id order: the first attempt of
        // each event applies, a later event of the same subscriber updates its data.
        QMap<QString, qint64> firstAttempt; // event id -> smallest delivery id
        QMap<QString, QByteArray> nameOf;   // event id -> name its first attempt carries
        QSqlQuery rows(db.connection());
        QVERIFY(rows.exec(QStringLiteral("SELECT id, event_id, body FROM deliveries ORDER BY id")));
        while (rows.next()) {
            const QString event = rows.value(1).toString();
            if (firstAttempt.contains(event))
                continue;
            firstAttempt.insert(event, rows.value(0).toLongLong());
            const QJsonObject body = QJsonDocument::fromJson(rows.value(2).toByteArray()).object();
            nameOf.insert(event, body.value(u"data").toObject().value(u"name").toString().toUtf8());
        }
        QCOMPARE(firstAttempt.size(), Subscribers * EventsEach);
        const auto mapping = SubscriberRepository(db).list(nullptr);
        QVERIFY(mapping);
        QCOMPARE(mapping->size(), Subscribers);
        for (const Subscriber &subscriber : *mapping) {
            const QString s = subscriber.subscriberId.mid(4);
            const QString e0 = QStringLiteral("evt_%1_0").arg(s);
            const QString e1 = QStringLiteral("evt_%1_1").arg(s);
            const QString created = firstAttempt.value(e0) < firstAttempt.value(e1) ? e0 : e1;
            const QString latest = created == e0 ? e1 : e0;
            QCOMPARE(subscriber.createdDeliveryId, firstAttempt.value(created));
            QCOMPARE(subscriber.field(QStringLiteral("name")).toUtf8(), nameOf.value(latest));
        }
    }

    void storedVerificationReadsBackExactly()
    {
        Verification v;
        v.verdict = Verdict::Invalid;
        v.scheme = QStringLiteral("generic-hmac");
        v.reason = QStringLiteral("quote \" backslash \\ tab \t newline \n bell \a end");
        v.signedString = QStringLiteral("zoë ✓ \U0001F600 \x01");
        v.expected = QStringLiteral("ab");
        v.received = QString();
        v.timestamp = 1700000000;
        v.skewSeconds = -12;
        v.matchedSecret = QStringLiteral("secret \"2\"");
        v.diagnosis = QStringLiteral("");
        HeaderList headers;
        const QByteArray json = StoredVerification::encode(v, headers, false);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(json, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(document.object(), v.toJson());
        const Verification back = StoredVerification::decode(json, headers, QByteArray());
        QCOMPARE(back.reason, v.reason);
        QCOMPARE(back.signedString, v.signedString);
        QCOMPARE(back.timestamp, v.timestamp);
        QCOMPARE(back.skewSeconds, v.skewSeconds);
        v.timestamp.reset();
        QCOMPARE(QJsonDocument::fromJson(StoredVerification::encode(v, headers, false)).object(),
                 v.toJson());
    }

    void longestPrefixMatch()
    {
        QList<Endpoint> endpoints(3);
        endpoints[0].name = QStringLiteral("root");
        endpoints[0].path = QStringLiteral("/");
        endpoints[1].name = QStringLiteral("hooks");
        endpoints[1].path = QStringLiteral("/hooks");
        endpoints[2].name = QStringLiteral("hh");
        endpoints[2].path = QStringLiteral("/hooks/hh");
        QCOMPARE(Endpoint::match(endpoints, QStringLiteral("/hooks/hh/x"))->name,
                 QStringLiteral("hh"));
        QCOMPARE(Endpoint::match(endpoints, QStringLiteral("/hooks/hhx"))->name,
                 QStringLiteral("hooks"));
        QCOMPARE(Endpoint::match(endpoints, QStringLiteral("/hooks"))->name,
                 QStringLiteral("hooks"));
        QCOMPARE(Endpoint::match(endpoints, QStringLiteral("/other"))->name,
                 QStringLiteral("root"));
        endpoints.removeFirst();
        QCOMPARE(Endpoint::match(endpoints, QStringLiteral("/other")), nullptr);
    }
};

QTEST_GUILESS_MAIN(TestDeliveryStore)
#include "tst_deliverystore.moc"
