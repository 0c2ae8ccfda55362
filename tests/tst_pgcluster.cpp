#include "pgcluster.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <memory>

namespace {

// A QPSQL connection that is removed again at the end of the scope.
class Connection
{
public:
    Connection(const PostgresCluster &cluster, const QString &database)
        : m_name(QStringLiteral("tst_pgcluster_%1").arg(++s_count))
    {
        m_db = cluster.addConnection(m_name, database);
    }
    ~Connection()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    QSqlDatabase &db() { return m_db; }

private:
    static inline int s_count = 0;
    QString m_name;
    QSqlDatabase m_db;
};

} // namespace

class TestPgCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Without the driver every test below would only say "cannot open".
        QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")),
                 qPrintable(QSqlDatabase::drivers().join(QLatin1Char(' '))));
    }

    void startsAndAnswers()
    {
        PostgresCluster cluster;
        QString error;
        // A failure, not a skip: the test machines have PostgreSQL installed.
        QVERIFY2(cluster.start(&error), qPrintable(error));
        QVERIFY(cluster.isRunning());
        QVERIFY(cluster.port() > 0 && cluster.port() < 65536);
        QCOMPARE(cluster.superuser(), QStringLiteral("hookscope_admin"));
        QCOMPARE(cluster.url(), QStringLiteral("postgresql://hookscope_admin@127.0.0.1:%1/postgres")
                                    .arg(cluster.port()));
        QCOMPARE(cluster.url(QStringLiteral("events"), QStringLiteral("reader")),
                 QStringLiteral("postgresql://reader@127.0.0.1:%1/events").arg(cluster.port()));

        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("direct"));
            db.setHostName(QStringLiteral("127.0.0.1"));
            db.setPort(cluster.port());
            db.setUserName(cluster.superuser());
            db.setDatabaseName(QStringLiteral("postgres"));
            QVERIFY2(db.open(), qPrintable(db.lastError().text()));

            QSqlQuery query(db);
            QVERIFY2(query.exec(QStringLiteral("SELECT version()")),
                     qPrintable(query.lastError().text()));
            QVERIFY(query.next());
            QVERIFY2(query.value(0).toString().startsWith(QLatin1String("PostgreSQL ")),
                     qPrintable(query.value(0).toString()));

            QVERIFY2(query.exec(QStringLiteral("SHOW synchronous_commit")),
                     qPrintable(query.lastError().text()));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toString(), QStringLiteral("on"));
            QVERIFY2(query.exec(QStringLiteral("SHOW fsync")),
                     qPrintable(query.lastError().text()));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toString(), QStringLiteral("on"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("direct"));

        // The same server through psql.
        const std::optional<QString> user =
            cluster.psql(QStringLiteral("SELECT current_user"), &error);
        QVERIFY2(user, qPrintable(error));
        QCOMPARE(*user, QStringLiteral("hookscope_admin"));
        const std::optional<QString> encoding =
            cluster.psql(QStringLiteral("SHOW server_encoding"), &error);
        QVERIFY2(encoding, qPrintable(error));
        QCOMPARE(*encoding, QStringLiteral("UTF8"));

        // psql's error comes back, and nothing else.
        QVERIFY(!cluster.psql(QStringLiteral("SELECT * FROM no_such_table"), &error));
        QVERIFY2(error.contains(QLatin1String("no_such_table")), qPrintable(error));
    }

    void dataSurvivesRestart()
    {
        PostgresCluster cluster;
        QString error;
        QVERIFY2(cluster.start(&error), qPrintable(error));
        const int port = cluster.port();

        QVERIFY2(cluster.createDatabase(QStringLiteral("hookscope_test"), &error),
                 qPrintable(error));
        QVERIFY(!cluster.createDatabase(QStringLiteral("hookscope_test"), &error));
        QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
        {
            Connection connection(cluster, QStringLiteral("hookscope_test"));
            QVERIFY2(connection.db().open(), qPrintable(connection.db().lastError().text()));
            QSqlQuery query(connection.db());
            QVERIFY2(query.exec(QStringLiteral("CREATE TABLE deliveries (id bigint PRIMARY KEY, "
                                               "body text NOT NULL)")),
                     qPrintable(query.lastError().text()));
            QVERIFY2(query.exec(QStringLiteral("INSERT INTO deliveries VALUES (1, 'first')")),
                     qPrintable(query.lastError().text()));
        }

        cluster.stop();
        QVERIFY(!cluster.isRunning());
        {
            Connection connection(cluster, QStringLiteral("hookscope_test"));
            QVERIFY(!connection.db().open());
        }
        QVERIFY(!cluster.psql(QStringLiteral("SELECT 1"), &error));
        QVERIFY(!error.isEmpty());

        QVERIFY2(cluster.startAgain(&error), qPrintable(error));
        QVERIFY(cluster.isRunning());
        QCOMPARE(cluster.port(), port);
        {
            Connection connection(cluster, QStringLiteral("hookscope_test"));
            QVERIFY2(connection.db().open(), qPrintable(connection.db().lastError().text()));
            QSqlQuery query(connection.db());
            QVERIFY2(query.exec(QStringLiteral("SELECT id, body FROM deliveries")),
                     qPrintable(query.lastError().text()));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toLongLong(), qint64(1));
            QCOMPARE(query.value(1).toString(), QStringLiteral("first"));
            QVERIFY(!query.next());
        }
    }

    void destructorRemovesEverything()
    {
        auto cluster = std::make_unique<PostgresCluster>();
        QString error;
        QVERIFY2(cluster->start(&error), qPrintable(error));
        const QString directory = cluster->directory();
        const QString dataDirectory = cluster->dataDirectory();
        QVERIFY(QFileInfo(dataDirectory + QStringLiteral("/PG_VERSION")).isFile());
        QVERIFY(QFileInfo::exists(dataDirectory + QStringLiteral("/postmaster.pid")));

        const int port = cluster->port();

        cluster.reset();
        QVERIFY2(!QFileInfo::exists(directory), qPrintable(directory));

        // The server went with it.
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("afterwards"));
        db.setHostName(QStringLiteral("127.0.0.1"));
        db.setPort(port);
        db.setUserName(QStringLiteral("hookscope_admin"));
        db.setDatabaseName(QStringLiteral("postgres"));
        db.setConnectOptions(QStringLiteral("connect_timeout=10"));
        const bool opened = db.open();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("afterwards"));
        QVERIFY(!opened);
    }
};

QTEST_GUILESS_MAIN(TestPgCluster)
#include "tst_pgcluster.moc"
