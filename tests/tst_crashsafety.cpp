// Zero loss under crashes and storage faults: `hookscope serve` is killed with SIGKILL at
// random moments while a client sends numbered, signed deliveries, into a file and into a team
// database on a PostgreSQL server the test starts; every delivery that got a 2xx must be in
// the database afterwards, and a file must pass PRAGMA integrity_check. And a full
// disk (a file-size limit on the running process) and a read-only file system get 503s, not
// a crash, and recover.

#include "database.h"
#include "deliveryfilter.h"
#include "deliveryreader.h"
#include "eventschema.h"
#include "pgcluster.h"
#include "schemakeeper.h"
#include "searchindex.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QTimer>

#include <csignal>

namespace {

const QByteArray Secret = "crash-test-secret";

QByteArray numbered(int n)
{
    // Shapes that drift now and then: an optional member, a number sometimes sent as a string.
    const QByteArray value =
        n % 13 == 5 ? '"' + QByteArray::number(n) + '"' : QByteArray::number(n);
    const QByteArray body = "{\"event_type\":\"ping\",\"event_id\":\"evt_" + QByteArray::number(n) +
                            "\",\"n\":" + value +
                            (n % 7 == 3 ? QByteArray(",\"extra\":true") : QByteArray()) + "}";
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                Secret, QDateTime::currentSecsSinceEpoch(), body));
    return TestSupport::buildRequest("POST", "/hooks/hh", headers, body);
}

quint16 startServe(QProcess &serve, const QString &db,
                   const QString &program = QStringLiteral(HOOKSCOPE_BINARY),
                   const QStringList &prefix = {})
{
    serve.start(program,
                prefix + QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--db"), db});
    if (!serve.waitForStarted())
        return 0;
    QDeadlineTimer deadline(10000);
    while (!serve.canReadLine() && !deadline.hasExpired())
        serve.waitForReadyRead(100);
    const QByteArray line = serve.readLine().trimmed();
    return line.mid(line.lastIndexOf(':') + 1).toUShort();
}

} // namespace

class TestCrashSafety : public QObject
{
    Q_OBJECT

    // The team database's server, started for the row that needs it (see PostgresCluster).
    std::unique_ptr<PostgresCluster> m_cluster;

private Q_SLOTS:
    void initTestCase()
    {
        // A team database's secret is kept in this machine's own file: the test's.
        for (const char *variable : {"XDG_DATA_HOME", "XDG_CONFIG_HOME"})
            qputenv(variable, QFile::encodeName(TestSupport::temporaryPath(
                                  QStringLiteral("xdg-") + QString::fromLatin1(variable))));
    }

    void noAcknowledgedDeliveryIsLostWhenKilled_data()
    {
        QTest::addColumn<bool>("team");
        QTest::addColumn<int>("rounds");
        QTest::newRow("file") << false << 20;
        QTest::newRow("team database") << true << 10;
    }

    void noAcknowledgedDeliveryIsLostWhenKilled()
    {
        QFETCH(bool, team);
        QFETCH(int, rounds);
        QString db = TestSupport::temporaryPath(QStringLiteral("crash.db"));
        if (team) {
            QString error;
            PostgresCluster *cluster = PostgresCluster::started(m_cluster, &error);
            QVERIFY2(cluster, qPrintable(error));
            QVERIFY2(cluster->createDatabase(QStringLiteral("crash"), &error), qPrintable(error));
            db = cluster->url(QStringLiteral("crash"));
            QProcess init;
            init.start(QStringLiteral(HOOKSCOPE_BINARY),
                       {QStringLiteral("db"), QStringLiteral("init"), db});
            QVERIFY(init.waitForFinished(30000));
            QVERIFY2(init.exitCode() == 0, init.readAllStandardError().constData());
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("CRASH_SECRET"), QString::fromLatin1(Secret));
        QProcess add;
        add.setProcessEnvironment(environment);
        add.start(QStringLiteral(HOOKSCOPE_BINARY),
                  {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                   QStringLiteral("--path"), QStringLiteral("/hooks/hh"),
                   QStringLiteral("--scheme"), QStringLiteral("hostedhooks"),
                   QStringLiteral("--secret-env"), QStringLiteral("CRASH_SECRET"),
                   QStringLiteral("--db"), db});
        QVERIFY(add.waitForFinished(10000));
        QCOMPARE(add.exitCode(), 0);

        QSet<int> acknowledged;
        int sent = 0;
        const int Rounds = rounds;
        for (int round = 0; round < Rounds; ++round) {
            QProcess serve;
            const quint16 port = startServe(serve, db);
            QVERIFY(port != 0);
            // Batches of concurrent deliveries until a random moment, then SIGKILL — while
            // requests are in flight.
            const int killAfterMs = 100 + int(QRandomGenerator::global()->bounded(300));
            QElapsedTimer clock;
            clock.start();
            bool killed = false;
            while (!killed) {
                QList<QByteArray> batch;
                QList<int> numbers;
                for (int i = 0; i < 8; ++i) {
                    numbers.append(sent);
                    batch.append(numbered(sent++));
                }
                if (clock.elapsed() >= killAfterMs) {
                    // Kill while this batch is on its way.
                    QTimer::singleShot(int(QRandomGenerator::global()->bounded(5)), &serve,
                                       [&serve] { ::kill(pid_t(serve.processId()), SIGKILL); });
                    killed = true;
                }
                const QList<TestSupport::HttpResponse> answers =
                    TestSupport::sendRaw(port, batch, 5000);
                for (int i = 0; i < answers.size(); ++i) {
                    if (answers[i].status >= 200 && answers[i].status < 300)
                        acknowledged.insert(numbers[i]);
                }
            }
            serve.waitForFinished(5000);
        }

        Database database;
        QString error;
        QVERIFY2(database.open(db, &error), qPrintable(error));
        QSqlQuery query(database.connection());
        if (!team) {
            QVERIFY(query.exec(QStringLiteral("PRAGMA integrity_check")) && query.next());
            QCOMPARE(query.value(0).toString(), QStringLiteral("ok"));
        }
        QSet<int> stored;
        QVERIFY(query.exec(QStringLiteral("SELECT event_id FROM deliveries")));
        while (query.next())
            stored.insert(query.value(0).toString().mid(4).toInt());
        QSet<int> lost = acknowledged;
        lost.subtract(stored);
        qInfo(
            "crash test: %d rounds, %d sent, %d acknowledged, %d stored, %d acknowledged but lost",
            Rounds, sent, int(acknowledged.size()), int(stored.size()), int(lost.size()));
        QVERIFY(acknowledged.size() > 0);
        QCOMPARE(lost.size(), 0);

        // The search index, written by the killed processes as well, is sound, catches up
        // from its watermark, and then finds every stored delivery. (A team database's is in
        // each delivery's own row.)
        if (!team) {
            QSqlDatabase index =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("crash-index"));
            index.setDatabaseName(SearchIndex::pathFor(db));
            QVERIFY(index.open());
            QSqlQuery check(index);
            QVERIFY2(check.exec(QStringLiteral("INSERT INTO deliveries_fts (deliveries_fts, rank) "
                                               "VALUES ('integrity-check', 0)")),
                     qPrintable(check.lastError().text()));
        }
        if (!team) {
            QSqlDatabase::removeDatabase(QStringLiteral("crash-index"));
            SearchIndex index(db);
            QVERIFY2(index.open(5000, &error), qPrintable(error));
            const qint64 before = index.indexedUpTo();
            while (index.catchUp(1000, &error).value_or(0) > 0) {
            }
            QCOMPARE(index.indexedUpTo(), DeliveryReader(database).maxId(nullptr).value_or(-1));
            qInfo("search index: %lld of %lld deliveries indexed when the last process was killed",
                  before, index.indexedUpTo());
        }
        QCOMPARE(DeliveryReader(database).count(DeliveryFilter::parse(QStringLiteral("ping")), 0,
                                                nullptr),
                 std::optional<qint64>(stored.size()));

        // The schemas, learned by the killed processes up to their watermark (or their queue's
        // head), catch up and are exactly what one learner makes of the stored deliveries in id
        // order: nothing learned twice, nothing skipped, each drift once.
        const qint64 leftBefore = SchemaKeeper::backlog(database, &error).value_or(-1);
        QVERIFY2(SchemaKeeper::bringUpToDate(database, &error), qPrintable(error));
        QCOMPARE(SchemaKeeper::backlog(database, &error), std::optional<qint64>(0));
        qInfo("schemas: %lld of %d deliveries left to learn when the last process was killed",
              leftBefore, int(stored.size()));
        SchemaLearner expected;
        int drifts = 0;
        QVERIFY(
            query.exec(QStringLiteral("SELECT id, received_at, body FROM deliveries ORDER BY id")));
        while (query.next()) {
            const auto drift =
                expected.learn(query.value(2).toByteArray(), query.value(0).toLongLong(),
                               query.value(1).toLongLong());
            QVERIFY(drift);
            drifts += int(drift->size());
        }
        const auto learned =
            SchemaKeeper::schema(database, QStringLiteral("hh"), QStringLiteral("ping"), &error);
        QVERIFY2(learned, qPrintable(error));
        const EventSchema mine = expected.schema(QStringLiteral("hh"), QStringLiteral("ping"));
        QCOMPARE(learned->deliveries, qint64(stored.size()));
        QCOMPARE(learned->drifted, mine.drifted);
        QVERIFY(mine.drifted > 0);
        QVERIFY(learned->fields == mine.fields);
        QVERIFY(
            query.exec(QStringLiteral("SELECT count(*), count(DISTINCT delivery_id) FROM drift")) &&
            query.next());
        QCOMPARE(query.value(0).toInt(), drifts);
        QCOMPARE(query.value(1).toLongLong(), mine.drifted);
    }

    void aFullDiskGets503AndRecovers()
    {
        const QString db = TestSupport::temporaryPath(QStringLiteral("full.db"));
        {
            Database database;
            QVERIFY(database.open(db, nullptr));
        }
        // The process may not grow any file past 1 MiB: the WAL fills, writes fail.
        QProcess serve;
        const quint16 port = startServe(
            serve, db, QStringLiteral("prlimit"),
            {QStringLiteral("--fsize=1048576:unlimited"), QStringLiteral(HOOKSCOPE_BINARY)});
        QVERIFY(port != 0);
        const QByteArray big(200 * 1024, 'b');
        int refused = 0;
        int accepted = 0;
        for (int i = 0; i < 20 && refused == 0; ++i) {
            const TestSupport::HttpResponse answer =
                TestSupport::sendRaw(port, TestSupport::buildRequest("POST", "/", {}, big));
            if (answer.status == 503) {
                ++refused;
                QVERIFY(!answer.headers.value("Retry-After").isEmpty());
            } else if (answer.status == 404) {
                ++accepted; // stored (no endpoint covers "/")
            } else {
                QFAIL(qPrintable(QStringLiteral("unexpected status %1").arg(answer.status)));
            }
        }
        QVERIFY(accepted > 0);
        QCOMPARE(refused, 1);
        QCOMPARE(serve.state(), QProcess::Running); // no crash
        QByteArray errors;
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("storage error"));

        // The space comes back: the next delivery is stored.
        QProcess lift;
        lift.start(QStringLiteral("prlimit"),
                   {QStringLiteral("--pid"), QString::number(serve.processId()),
                    QStringLiteral("--fsize=unlimited:unlimited")});
        QVERIFY(lift.waitForFinished(5000));
        QVERIFY2(lift.exitCode() == 0, lift.readAllStandardError().constData());
        QCOMPARE(TestSupport::sendRaw(port, TestSupport::buildRequest("POST", "/", {}, big)).status,
                 404);
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("storage recovered"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
        QCOMPARE(serve.exitCode(), 0);
    }

    void aReadOnlyFileSystemGets503AndRecovers()
    {
        const QString dir = TestSupport::temporaryPath(QStringLiteral("readonly"));
        QVERIFY(QDir().mkpath(dir));
        const QString db = dir + QStringLiteral("/ro.db");
        {
            Database database;
            QVERIFY(database.open(db, nullptr));
        }
        // In a mount namespace of its own, the folder is bind-mounted read-only over itself:
        // serve sees a read-only file system; the test, outside, does not.
        const QStringList readOnly{
            QStringLiteral("-m"),
            QStringLiteral("--propagation"),
            QStringLiteral("private"),
            QStringLiteral("sh"),
            QStringLiteral("-c"),
            QStringLiteral("mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && "
                           "exec \"$@\""),
            dir};
        QProcess probe;
        probe.start(QStringLiteral("unshare"), readOnly + QStringList{QStringLiteral("true")});
        if (!probe.waitForFinished(10000) || probe.exitCode() != 0)
            QSKIP("needs unshare -m and mount (root, or a user namespace): a read-only file "
                  "system cannot be made here");

        QProcess serve;
        const quint16 port = startServe(serve, db, QStringLiteral("unshare"),
                                        readOnly + QStringList{QStringLiteral(HOOKSCOPE_BINARY)});
        QVERIFY(port != 0);
        const QByteArray request = TestSupport::buildRequest("POST", "/", {}, "{\"n\":1}");
        const TestSupport::HttpResponse refused = TestSupport::sendRaw(port, request);
        QCOMPARE(refused.status, 503);
        QVERIFY(!refused.headers.value("Retry-After").isEmpty());
        QVERIFY2(refused.body.contains("read-only file system"), refused.body.constData());
        QByteArray errors;
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("storage error"));
        QVERIFY2(errors.contains("read-only file system"), errors.constData());
        QCOMPARE(serve.state(), QProcess::Running);

        // The file system becomes writable again: deliveries are stored once more.
        QProcess writable;
        writable.start(QStringLiteral("nsenter"),
                       {QStringLiteral("-t"), QString::number(serve.processId()),
                        QStringLiteral("-m"), QStringLiteral("mount"), QStringLiteral("-o"),
                        QStringLiteral("remount,bind,rw"), dir});
        QVERIFY(writable.waitForFinished(10000));
        QVERIFY2(writable.exitCode() == 0, writable.readAllStandardError().constData());
        QTRY_COMPARE_WITH_TIMEOUT(TestSupport::sendRaw(port, request).status, 404, 10000);
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("storage recovered"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
        QCOMPARE(serve.exitCode(), 0);

        // Only what was answered 404 (stored, no endpoint) is in the file.
        Database database;
        QVERIFY(database.open(db, nullptr));
        QSqlQuery count(database.connection());
        QVERIFY(count.exec(QStringLiteral("SELECT count(*), min(response_status) FROM "
                                          "deliveries")) &&
                count.next());
        QVERIFY(count.value(0).toInt() >= 1);
        QCOMPARE(count.value(1).toInt(), 404);
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
