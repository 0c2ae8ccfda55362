#include "pgcluster.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>
#include <csignal>

#include <sys/stat.h>

using TestSupport::buildRequest;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "cli-secret-value-7f3a";

struct Result
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Result
runHookscope(const QStringList &arguments,
             const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(HOOKSCOPE_BINARY), arguments);
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished();
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAllStandardOutput(), process.readAllStandardError()};
}

QProcessEnvironment environmentWithSecret()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOOKSCOPE_TEST_SECRET"), QString::fromLatin1(Secret));
    // Keeps the default database of a forgotten --db out of the user's home.
    environment.insert(QStringLiteral("XDG_DATA_HOME"),
                       TestSupport::temporaryPath(QStringLiteral("xdg")));
    return environment;
}

// Starts `hookscope serve` on a free port with `arguments` added (set the environment
// before); returns the port its first line names, 0 when that line does not come.
quint16 startServe(QProcess &serve, const QStringList &arguments)
{
    serve.start(QStringLiteral(HOOKSCOPE_BINARY),
                QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:0")} +
                    arguments);
    if (!serve.waitForStarted())
        return 0;
    QDeadlineTimer deadline(10000);
    while (!serve.canReadLine() && !deadline.hasExpired())
        serve.waitForReadyRead(100);
    const QByteArray line = serve.readLine().trimmed();
    if (!line.startsWith("listening on http://127.0.0.1:"))
        return 0;
    return line.mid(line.lastIndexOf(':') + 1).toUShort();
}

// Endpoint `name` on `path` with `scheme`, its secret Secret.
bool addEndpoint(const QString &name, const QString &path, const QString &scheme,
                 const QStringList &dbArgs)
{
    return runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), name,
                                    QStringLiteral("--path"), path, QStringLiteral("--scheme"),
                                    scheme, QStringLiteral("--secret-env"),
                                    QStringLiteral("HOOKSCOPE_TEST_SECRET")} +
                            dbArgs,
                        environmentWithSecret())
               .exitCode == 0;
}

// Endpoint "hh" on /hooks/hh, HostedHooks.
bool addHostedHooksEndpoint(const QStringList &dbArgs)
{
    return addEndpoint(QStringLiteral("hh"), QStringLiteral("/hooks/hh"),
                       QStringLiteral("hostedhooks"), dbArgs);
}

// Endpoint "any" on /in, scheme auto.
bool addAutoEndpoint(const QStringList &dbArgs)
{
    return addEndpoint(QStringLiteral("any"), QStringLiteral("/in"), QStringLiteral("auto"),
                       dbArgs);
}

// `deliveries --json` with `extra` arguments, newest first.
QJsonArray listDeliveries(const QStringList &dbArgs, const QStringList &extra = {})
{
    return QJsonDocument::fromJson(
               runHookscope(QStringList{QStringLiteral("deliveries"), QStringLiteral("--json")} +
                            extra + dbArgs)
                   .out)
        .array();
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

    // The commands run on a file and on a team database (a real PostgreSQL server started for
    // them, see PostgresCluster); what only a file does is tested on a file.
    std::unique_ptr<PostgresCluster> m_cluster;
    int m_teamDatabases = 0;

    // Where a test keeps its deliveries: a file named `name`, or a new team database set up
    // by `hookscope db init`.
    QString store(const QString &name)
    {
        QFETCH_GLOBAL(bool, team);
        if (!team)
            return TestSupport::temporaryPath(name);
        QString error;
        PostgresCluster *cluster = PostgresCluster::started(m_cluster, &error);
        if (!cluster) {
            qWarning("%s", qPrintable(error));
            return QStringLiteral("postgresql://nobody@127.0.0.1:1/unavailable");
        }
        const QString database = QStringLiteral("cli%1").arg(++m_teamDatabases);
        if (!cluster->createDatabase(database, &error))
            qWarning("%s", qPrintable(error));
        const QString location = cluster->url(database);
        const auto init = runHookscope({QStringLiteral("db"), QStringLiteral("init"), location});
        if (init.exitCode != 0)
            qWarning("db init: %s", init.err.constData());
        return location;
    }

    // For what a file does and a team database does not have: skipped on the latter.
    static bool fileOnly()
    {
        QFETCH_GLOBAL(bool, team);
        return !team;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Every command run here, whatever its environment, has this machine's own file (where
        // a team database's secrets are kept) in the test's folder.
        qputenv("XDG_DATA_HOME",
                QFile::encodeName(TestSupport::temporaryPath(QStringLiteral("xdg"))));
    }

    void initTestCase_data()
    {
        QTest::addColumn<bool>("team");
        QTest::newRow("file") << false;
        QTest::newRow("team database") << true;
    }

    void secretsWithoutAKeychainGoToTheDatabaseWithANotice()
    {
        if (!fileOnly())
            QSKIP("a file keeps the secret; a team database never does");
        // The suite runs with HOOKSCOPE_SECRET_STORAGE=database: no keychain is used.
        const QString db = TestSupport::temporaryPath(QStringLiteral("notice.db"));
        const Result added = runHookscope(
            {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
             QStringLiteral("--path"), QStringLiteral("/hooks/hh"), QStringLiteral("--secret-env"),
             QStringLiteral("HOOKSCOPE_TEST_SECRET"), QStringLiteral("--db"), db},
            environmentWithSecret());
        QCOMPARE(added.exitCode, 0);
        QVERIFY2(added.err.contains("note: the desktop keychain is not available"),
                 added.err.constData());
        QVERIFY2(added.err.contains("stored in the database file"), added.err.constData());
        QVERIFY(!added.out.contains(Secret) && !added.err.contains(Secret));

        const Result listed = runHookscope({QStringLiteral("endpoint"), QStringLiteral("list"),
                                            QStringLiteral("--json"), QStringLiteral("--db"), db});
        QCOMPARE(listed.exitCode, 0);
        const QJsonArray endpoints = QJsonDocument::fromJson(listed.out).array();
        QCOMPARE(endpoints.size(), 1);
        QCOMPARE(endpoints[0][QStringLiteral("secret_storage")].toString(),
                 QStringLiteral("database"));
    }

    void versionAndHelp()
    {
        if (!fileOnly())
            QSKIP("no store involved");
        const Result version = runHookscope({QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QByteArray("hookscope " HOOKSCOPE_VERSION));
        const Result help = runHookscope({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("hookscope serve [--listen HOST:PORT] [--db FILE] [--json]"));
        QVERIFY(help.out.contains("hookscope show ID [--json] [--db FILE]"));
        const Result serveHelp = runHookscope({QStringLiteral("serve"), QStringLiteral("--help")});
        QCOMPARE(serveHelp.exitCode, 0);
        QVERIFY(serveHelp.out.contains("--listen"));
    }

    void mistakesExitWith2AndOneClearLine_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("no command and no display")
            << QStringList{} << QByteArray("no display to open the window on");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                         << QByteArray("unknown command 'frobnicate'");
        QTest::newRow("unknown top-level flag")
            << QStringList{QStringLiteral("--frob")} << QByteArray("unknown option '--frob'");
        QTest::newRow("unknown flag")
            << QStringList{QStringLiteral("deliveries"), QStringLiteral("--frob")}
            << QByteArray("Unknown option 'frob'");
        QTest::newRow("missing option value")
            << QStringList{QStringLiteral("deliveries"), QStringLiteral("--limit")}
            << QByteArray("Missing value after '--limit'");
        QTest::newRow("bad limit") << QStringList{QStringLiteral("deliveries"),
                                                  QStringLiteral("--limit"), QStringLiteral("lots")}
                                   << QByteArray("--limit wants a positive number");
        QTest::newRow("missing name")
            << QStringList{QStringLiteral("endpoint"), QStringLiteral("add")}
            << QByteArray("missing argument");
        QTest::newRow("missing path")
            << QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("x")}
            << QByteArray("--path PATH is required");
        QTest::newRow("unknown scheme")
            << QStringList{QStringLiteral("endpoint"), QStringLiteral("add"),
                           QStringLiteral("x"),        QStringLiteral("--path"),
                           QStringLiteral("/x"),       QStringLiteral("--scheme"),
                           QStringLiteral("rot13")}
            << QByteArray("unknown scheme 'rot13'");
        QTest::newRow("unreadable secret file")
            << QStringList{QStringLiteral("endpoint"),
                           QStringLiteral("add"),
                           QStringLiteral("x"),
                           QStringLiteral("--path"),
                           QStringLiteral("/x"),
                           QStringLiteral("--scheme"),
                           QStringLiteral("hostedhooks"),
                           QStringLiteral("--secret-file"),
                           QStringLiteral("/nonexistent/secret")}
            << QByteArray("cannot read the secret file /nonexistent/secret");
        QTest::newRow("unset secret variable")
            << QStringList{QStringLiteral("endpoint"),
                           QStringLiteral("add"),
                           QStringLiteral("x"),
                           QStringLiteral("--path"),
                           QStringLiteral("/x"),
                           QStringLiteral("--secret-env"),
                           QStringLiteral("HOOKSCOPE_NO_SUCH_VARIABLE")}
            << QByteArray("HOOKSCOPE_NO_SUCH_VARIABLE is not set");
        QTest::newRow("bad status")
            << QStringList{QStringLiteral("endpoint"), QStringLiteral("add"),
                           QStringLiteral("x"),        QStringLiteral("--path"),
                           QStringLiteral("/x"),       QStringLiteral("--status"),
                           QStringLiteral("999")}
            << QByteArray("--status wants an HTTP status between 100 and 599");
        QTest::newRow("bad response header")
            << QStringList{QStringLiteral("endpoint"), QStringLiteral("add"),
                           QStringLiteral("x"),        QStringLiteral("--path"),
                           QStringLiteral("/x"),       QStringLiteral("--response-header"),
                           QStringLiteral("no colon")}
            << QByteArray("--response-header wants \"Name: value\"");
        QTest::newRow("bad listen")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                           QStringLiteral("nowhere")}
            << QByteArray("--listen wants HOST:PORT");
        QTest::newRow("bad show id") << QStringList{QStringLiteral("show"), QStringLiteral("abc")}
                                     << QByteArray("'abc' is not a delivery id");
    }

    void mistakesExitWith2AndOneClearLine()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, message);
        // --db goes right after the command words, so that it never completes a broken option.
        if (!arguments.isEmpty()) {
            const qsizetype at = arguments.constFirst() == u"endpoint" ? 2 : 1;
            arguments.insert(std::min(at, arguments.size()), QStringLiteral("--db"));
            arguments.insert(std::min(at + 1, arguments.size()),
                             TestSupport::temporaryPath(QStringLiteral("mistakes.db")));
        }
        QProcessEnvironment environment = environmentWithSecret();
        for (const QString &display : {QStringLiteral("DISPLAY"), QStringLiteral("WAYLAND_DISPLAY"),
                                       QStringLiteral("QT_QPA_PLATFORM")})
            environment.remove(display);
        const Result result = runHookscope(arguments, environment);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains(message), result.err.constData());
        QVERIFY(result.out.isEmpty());
    }

    void notAHookScopeDatabase()
    {
        if (!fileOnly())
            QSKIP("what a file that is not a database is");
        const QString path = TestSupport::temporaryPath(QStringLiteral("precious.txt"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("precious data");
        }
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("deliveries")},
              QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:0")},
              QStringList{QStringLiteral("endpoint"), QStringLiteral("list")}}) {
            const Result result =
                runHookscope(QStringList(arguments) << QStringLiteral("--db") << path);
            QCOMPARE(result.exitCode, 2);
            QVERIFY2(result.err.contains("not a HookScope database"), result.err.constData());
            QCOMPARE(result.err.count('\n'), 1);
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("precious data"));
    }

    // A file is adopted only when it is empty or HookScope's already; reading never creates,
    // adopts or upgrades anything.
    void otherProgramsFilesAreRefusedAndLeftAsTheyWere_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::newRow("tables, user_version 7")
            << QStringLiteral("CREATE TABLE recipes (name TEXT); PRAGMA user_version = 7;");
        QTest::newRow("no tables") << QStringLiteral("CREATE TABLE t (x); DROP TABLE t;");
    }

    void otherProgramsFilesAreRefusedAndLeftAsTheyWere()
    {
        if (!fileOnly())
            QSKIP("another program's file");
        QFETCH(QString, sql);
        const QString path = TestSupport::temporaryPath(QStringLiteral("other-program.db"));
        QFile::remove(path);
        QProcess sqlite;
        sqlite.start(QStringLiteral("sqlite3"), {path, sql});
        QVERIFY(sqlite.waitForFinished(10000));
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QFile original(path);
        QVERIFY(original.open(QIODevice::ReadOnly));
        const QByteArray before = original.readAll();
        original.close();
        const QProcessEnvironment environment = environmentWithSecret();
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("deliveries")}, QStringList{QStringLiteral("subscribers")},
              QStringList{QStringLiteral("endpoint"), QStringLiteral("list")},
              QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                          QStringLiteral("--path"), QStringLiteral("/h"),
                          QStringLiteral("--scheme"), QStringLiteral("hostedhooks"),
                          QStringLiteral("--secret-env"), QStringLiteral("HOOKSCOPE_TEST_SECRET")},
              QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:0")}}) {
            const Result result =
                runHookscope(QStringList(arguments) << QStringLiteral("--db") << path, environment);
            QCOMPARE(result.exitCode, 2);
            QVERIFY2(result.err.contains("not a HookScope database"), result.err.constData());
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY2(file.readAll() == before, qPrintable(arguments.join(u' ')));
        }
    }

    void readingCreatesAndAdoptsNothing()
    {
        if (!fileOnly())
            QSKIP("a file not created by reading");
        const QString missing = TestSupport::temporaryPath(QStringLiteral("not-yet.db"));
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("deliveries")}, QStringList{QStringLiteral("subscribers")},
              QStringList{QStringLiteral("endpoint"), QStringLiteral("list"),
                          QStringLiteral("--json")}}) {
            const Result result =
                runHookscope(QStringList(arguments) << QStringLiteral("--db") << missing);
            QCOMPARE(result.exitCode, 0);
            QVERIFY2(result.err.contains("no HookScope database"), result.err.constData());
            QVERIFY(!QFile::exists(missing));
        }
        const Result show = runHookscope(
            {QStringLiteral("show"), QStringLiteral("1"), QStringLiteral("--db"), missing});
        QCOMPARE(show.exitCode, 1);
        QVERIFY(!QFile::exists(missing));
        QVERIFY(QDir(QFileInfo(missing).absolutePath())
                    .entryList({QStringLiteral("not-yet.db*")}, QDir::Files)
                    .isEmpty());

        // An empty file stays empty for reading, and is adopted by a command that writes.
        const QString empty = TestSupport::temporaryPath(QStringLiteral("empty-for-now.db"));
        {
            QFile file(empty);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        QVERIFY(QFile::setPermissions(empty, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QCOMPARE(
            runHookscope({QStringLiteral("deliveries"), QStringLiteral("--db"), empty}).exitCode,
            0);
        QCOMPARE(QFileInfo(empty).size(), 0);
        QCOMPARE(addHostedHooksEndpoint({QStringLiteral("--db"), empty}), true);
        QVERIFY(QFileInfo(empty).size() > 0);
    }

    void aFileOthersCanReadIsNotWrittenInto()
    {
        if (!fileOnly())
            QSKIP("a file's permissions");
        const QString path = TestSupport::temporaryPath(QStringLiteral("world-readable.db"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                QFileDevice::ReadGroup | QFileDevice::ReadOther));
        const Result added = runHookscope(
            {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
             QStringLiteral("--path"), QStringLiteral("/h"), QStringLiteral("--scheme"),
             QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
             QStringLiteral("HOOKSCOPE_TEST_SECRET"), QStringLiteral("--db"), path},
            environmentWithSecret());
        QCOMPARE(added.exitCode, 2);
        QVERIFY2(added.err.contains("can be read by other users") &&
                     added.err.contains("chmod 600"),
                 added.err.constData());
        QCOMPARE(QFileInfo(path).size(), 0);
        QVERIFY(QFileInfo(path).permissions().testFlag(QFileDevice::ReadOther));
    }

    // What a sender puts in a payload never reaches the terminal as control characters: an
    // event type that clears the screen, sets the title or forges a second line is shown
    // escaped by serve, deliveries and show.
    void hostilePayloadsAreEscapedOnTheTerminal()
    {
        const QString db = store(QStringLiteral("hostile.db"));
        QProcess serve;
        const quint16 port = startServe(serve, {QStringLiteral("--db"), db});
        QVERIFY(port != 0);
        const QByteArray body = R"({"event_type":"\u001b[2J\u001b]0;owned\u0007x\nFORGED LINE",)"
                                R"("event_id":"evt_\u009b31m"})";
        QCOMPARE(sendRaw(port, buildRequest("POST", "/anywhere", {}, body)).status, 404);
        QTRY_VERIFY_WITH_TIMEOUT(serve.canReadLine(), 5000);
        const QByteArray served = serve.readLine();
        serve.terminate();
        serve.waitForFinished(5000);
        const Result listed =
            runHookscope({QStringLiteral("deliveries"), QStringLiteral("--db"), db});
        const Result shown =
            runHookscope({QStringLiteral("show"), QStringLiteral("1"), QStringLiteral("--db"), db});
        QCOMPARE(listed.exitCode, 0);
        QCOMPARE(shown.exitCode, 0);
        for (const QByteArray &output : {served, listed.out, shown.out}) {
            QVERIFY2(!output.contains('\x1b') && !output.contains('\x07') &&
                         !output.contains("\xc2\x9b") && !output.contains("\nFORGED"),
                     output.constData());
        }
        QVERIFY2(served.contains("\\x1b[2J") && served.contains("\\nFORGED LINE"),
                 served.constData());
        QCOMPARE(listed.out.count('\n'), 2); // the header and one row
        QVERIFY2(shown.out.contains("\\x1b]0;owned\\x07") && shown.out.contains("\\x9b31m"),
                 shown.out.constData());
    }

    // GitHub and Shopify name the event in headers; an auto endpoint reads them as the
    // provider it verified defines them, and the order's own "id" is not the event id.
    void providersEventsListByTheirOwnHeaders()
    {
        const QString db = store(QStringLiteral("providers.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addAutoEndpoint(dbArgs));
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);

        const QByteArray push = R"({"ref":"refs/heads/main","id":1})";
        HeaderList github;
        github.append("X-GitHub-Event", "push");
        github.append("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        github.append("X-GitHub-Hook-ID", "42");
        github.append("X-Hub-Signature-256",
                      "sha256=" + TestSupport::opensslHmacSha256Hex(Secret, push));
        QCOMPARE(sendRaw(port, buildRequest("POST", "/in", github, push)).status, 200);

        const QByteArray order = R"({"id":820982911946154508,"email":"jon@example.com"})";
        HeaderList shopify;
        shopify.append("X-Shopify-Topic", "orders/create");
        shopify.append("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
        shopify.append("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5");
        shopify.append(
            "X-Shopify-Hmac-Sha256",
            TestSupport::opensslHmac(QStringLiteral("sha256"), Secret, order).toBase64());
        QCOMPARE(sendRaw(port, buildRequest("POST", "/in", shopify, order)).status, 200);
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const QJsonArray deliveries = listDeliveries(dbArgs);
        QCOMPARE(deliveries.size(), 2);
        QCOMPARE(deliveries[1][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(deliveries[1][QStringLiteral("event_type")].toString(), QStringLiteral("push"));
        QCOMPARE(deliveries[1][QStringLiteral("event_id")].toString(),
                 QStringLiteral("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        QCOMPARE(deliveries[0][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(deliveries[0][QStringLiteral("event_type")].toString(),
                 QStringLiteral("orders/create"));
        QCOMPARE(deliveries[0][QStringLiteral("event_id")].toString(),
                 QStringLiteral("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"));

        // Filters see the same values.
        const Result filtered =
            runHookscope(QStringList{QStringLiteral("deliveries"), QStringLiteral("--json"),
                                     QStringLiteral("--filter"), QStringLiteral("event:push")} +
                         dbArgs);
        QCOMPARE(QJsonDocument::fromJson(filtered.out).array().size(), 1);

        const QJsonObject shown =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("show"), QStringLiteral("1"),
                                         QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .object();
        const QJsonObject provider = shown[QStringLiteral("provider")].toObject();
        QCOMPARE(provider[QStringLiteral("name")].toString(), QStringLiteral("github"));
        QCOMPARE(provider[QStringLiteral("event_type_from")].toString(),
                 QStringLiteral("header X-GitHub-Event"));
        QCOMPARE(provider[QStringLiteral("event_id_from")].toString(),
                 QStringLiteral("header X-GitHub-Delivery"));
        const QJsonArray details = provider[QStringLiteral("details")].toArray();
        QCOMPARE(details.size(), 1);
        QCOMPARE(details[0][QStringLiteral("label")].toString(), QStringLiteral("hook id"));
        QCOMPARE(details[0][QStringLiteral("value")].toString(), QStringLiteral("42"));
        const Result text =
            runHookscope(QStringList{QStringLiteral("show"), QStringLiteral("2")} + dbArgs);
        QVERIFY2(text.out.contains("event      orders/create, from header X-Shopify-Topic"),
                 text.out.constData());
        QVERIFY2(text.out.contains("event id   b54557e4-bdd9-4b37-8a5f-bf7d70bcd043, from header "
                                   "X-Shopify-Webhook-Id"),
                 text.out.constData());
        QVERIFY2(text.out.contains("Shopify event 98880550-7158-44d4-b7cd-2c97c8a091b5 (header "
                                   "X-Shopify-Event-Id)"),
                 text.out.constData());
    }

    // A second endpoint on a path already used would take the first one's deliveries, which
    // would then fail verification against the wrong secret.
    void aPathBelongsToOneEndpoint()
    {
        const QString db = store(QStringLiteral("paths.db"));
        auto add = [&db](const QString &name, const QString &path) {
            return runHookscope({QStringLiteral("endpoint"), QStringLiteral("add"), name,
                                 QStringLiteral("--path"), path, QStringLiteral("--db"), db});
        };
        QCOMPARE(add(QStringLiteral("first"), QStringLiteral("/hooks")).exitCode, 0);
        const Result second = add(QStringLiteral("second"), QStringLiteral("/hooks/"));
        QCOMPARE(second.exitCode, 2);
        QVERIFY2(second.err.contains("belongs to endpoint \"first\""), second.err.constData());
        QCOMPARE(add(QStringLiteral("second"), QStringLiteral("/hooks/second")).exitCode, 0);
        const Result moved = runHookscope({QStringLiteral("endpoint"), QStringLiteral("update"),
                                           QStringLiteral("second"), QStringLiteral("--path"),
                                           QStringLiteral("/hooks"), QStringLiteral("--db"), db});
        QCOMPARE(moved.exitCode, 2);
        // An endpoint keeps its own path when updated.
        QCOMPARE(runHookscope({QStringLiteral("endpoint"), QStringLiteral("update"),
                               QStringLiteral("first"), QStringLiteral("--path"),
                               QStringLiteral("/hooks"), QStringLiteral("--db"), db})
                     .exitCode,
                 0);
    }

    void aDamagedDefaultDatabaseIsSetAside()
    {
        if (!fileOnly())
            QSKIP("the default file");
        // HookScope's own file (the default location) holding garbage: kept aside, untouched,
        // and a new database started. (A file given with --db is refused instead: above.)
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        const QString dataHome = TestSupport::temporaryPath(QStringLiteral("damaged-home"));
        environment.insert(QStringLiteral("XDG_DATA_HOME"), dataHome);
        const QString own = dataHome + QStringLiteral("/hookscope/hookscope.db");
        QVERIFY(QDir().mkpath(QFileInfo(own).absolutePath()));
        {
            QFile file(own);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("this was a database before the disk went bad");
        }
        QProcess serve;
        serve.setProcessEnvironment(environment);
        serve.start(
            QStringLiteral(HOOKSCOPE_BINARY),
            {QStringLiteral("serve"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        QVERIFY(serve.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(serve.canReadLine(), 10000);
        QVERIFY(serve.readLine().startsWith("listening on "));
        QByteArray errors;
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("was kept as"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
        const QStringList aside = QDir(QFileInfo(own).absolutePath())
                                      .entryList({QStringLiteral("hookscope.db.damaged-*")});
        QCOMPARE(aside.size(), 1);
        QFile kept(QFileInfo(own).absolutePath() + u'/' + aside.constFirst());
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("this was a database before the disk went bad"));
        Result listed =
            runHookscope({QStringLiteral("endpoint"), QStringLiteral("list")}, environment);
        QCOMPARE(listed.exitCode, 0); // the new database works
    }

    void serveStatsSayWhereTheTimeWent()
    {
        const QStringList db{QStringLiteral("--db"), store(QStringLiteral("stats.db"))};
        QVERIFY(addHostedHooksEndpoint(db));
        QProcess serve;
        serve.setProcessEnvironment(environmentWithSecret());
        const quint16 port = startServe(serve, db + QStringList{QStringLiteral("--stats")});
        QVERIFY(port != 0);
        for (int i = 0; i < 5; ++i) {
            const QByteArray body = "{\"event_type\":\"ping\",\"event_id\":\"evt_stats_" +
                                    QByteArray::number(i) + "\"}";
            HeaderList headers;
            headers.append("Content-Type", "application/json");
            headers.append("HostedHooks-Signature",
                           TestSupport::hostedHooksSignature(
                               Secret, QDateTime::currentSecsSinceEpoch(), body));
            QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);
        }
        // SIGUSR1 prints the table and serving goes on; stopping prints it again (--stats).
        ::kill(pid_t(serve.processId()), SIGUSR1);
        QByteArray errors;
        QTRY_VERIFY((errors += serve.readAllStandardError()).contains("CPU time per thread"));
        QVERIFY2(errors.contains("5 deliveries stored in"), errors.constData());
        QCOMPARE(serve.state(), QProcess::Running);
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
        errors += serve.readAllStandardError();
        QCOMPARE(errors.count("5 deliveries stored in"), 2);
        // Each stage a delivery passes has counted it, on its thread.
        const QRegularExpression insert(
            QStringLiteral(R"(insert: bind and INSERT\s+writer\s+\d+\s+5\s)"));
        QVERIFY2(insert.match(QString::fromUtf8(errors)).hasMatch(), errors.constData());
        const QRegularExpression process(
            QStringLiteral(R"(process: endpoint, signature, decode\s+listener\s+5\s+5\s)"));
        QVERIFY2(process.match(QString::fromUtf8(errors)).hasMatch(), errors.constData());
        QVERIFY2(errors.contains("hookscope-store"), errors.constData());
    }

    void portInUse()
    {
        if (!fileOnly())
            QSKIP("no store involved");
        QTcpServer occupied;
        QVERIFY(occupied.listen(QHostAddress::LocalHost, 0));
        const Result result = runHookscope(
            {QStringLiteral("serve"), QStringLiteral("--listen"),
             QStringLiteral("127.0.0.1:%1").arg(occupied.serverPort()), QStringLiteral("--db"),
             TestSupport::temporaryPath(QStringLiteral("port.db"))});
        QCOMPARE(result.exitCode, 2);
        const QByteArray expected =
            "cannot listen on 127.0.0.1:" + QByteArray::number(occupied.serverPort());
        QVERIFY2(result.err.contains(expected), result.err.constData());
    }

    void endToEnd()
    {
        const QString db = store(QStringLiteral("end-to-end.db"));
        const QProcessEnvironment environment = environmentWithSecret();
        const Result added = runHookscope(
            {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
             QStringLiteral("--path"), QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
             QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
             QStringLiteral("HOOKSCOPE_TEST_SECRET"), QStringLiteral("--tolerance"),
             QStringLiteral("120"), QStringLiteral("--db"), db},
            environment);
        QCOMPARE(added.exitCode, 0);
        QVERIFY(!added.out.contains(Secret) && !added.err.contains(Secret));
        if (fileOnly()) {
            struct stat info = {};
            QCOMPARE(::stat(QFile::encodeName(db).constData(), &info), 0);
            QCOMPARE(info.st_mode & 0777, 0600u);
        }

        const Result duplicate = runHookscope({QStringLiteral("endpoint"), QStringLiteral("add"),
                                               QStringLiteral("hh"), QStringLiteral("--path"),
                                               QStringLiteral("/x"), QStringLiteral("--db"), db});
        QCOMPARE(duplicate.exitCode, 2);
        QVERIFY(duplicate.err.contains("already exists"));

        const Result listed = runHookscope({QStringLiteral("endpoint"), QStringLiteral("list"),
                                            QStringLiteral("--json"), QStringLiteral("--db"), db});
        QCOMPARE(listed.exitCode, 0);
        QVERIFY(!listed.out.contains(Secret));
        const QJsonArray endpoints = QJsonDocument::fromJson(listed.out).array();
        QCOMPARE(endpoints.size(), 1);
        QCOMPARE(endpoints[0][QStringLiteral("name")].toString(), QStringLiteral("hh"));
        QCOMPARE(endpoints[0][QStringLiteral("scheme")].toString(), QStringLiteral("hostedhooks"));
        QCOMPARE(endpoints[0][QStringLiteral("secrets")].toInt(), 1);
        QCOMPARE(endpoints[0][QStringLiteral("tolerance_seconds")].toInt(), 120);

        QProcess serve;
        serve.setProcessEnvironment(environment);
        const quint16 port =
            startServe(serve, QStringList{QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY(port != 0);

        const QByteArray body =
            R"({"event_type":"subscriber.created","event_id":"evt_cli","data":{"id":"sub_cli","n":1.10}})";
        HeaderList headers;
        headers.append("Content-Type", "application/json");
        headers.append(
            "HostedHooks-Signature",
            TestSupport::hostedHooksSignature(Secret, QDateTime::currentSecsSinceEpoch(), body));
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body + ' ')).status, 200);

        QByteArray lines;
        QTRY_VERIFY_WITH_TIMEOUT((lines += serve.readAllStandardOutput()).count('\n') >= 2, 10000);
        const QList<QByteArray> jsonLines = lines.trimmed().split('\n');
        const QJsonObject first = QJsonDocument::fromJson(jsonLines[0]).object();
        QCOMPARE(first[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(first[QStringLiteral("response_status")].toInt(), 200);
        QCOMPARE(first[QStringLiteral("event_type")].toString(),
                 QStringLiteral("subscriber.created"));
        QCOMPARE(
            QJsonDocument::fromJson(jsonLines[1]).object()[QStringLiteral("verdict")].toString(),
            QStringLiteral("invalid"));

        serve.terminate(); // SIGTERM: stop cleanly
        QVERIFY(serve.waitForFinished(15000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
        QVERIFY(!serve.readAllStandardError().contains(Secret));

        const Result list = runHookscope(
            {QStringLiteral("deliveries"), QStringLiteral("--json"), QStringLiteral("--db"), db});
        QCOMPARE(list.exitCode, 0);
        const QJsonArray deliveries = QJsonDocument::fromJson(list.out).array();
        QCOMPARE(deliveries.size(), 2);
        const QJsonObject newest = deliveries[0].toObject();
        const QStringList keys{QStringLiteral("id"),       QStringLiteral("received_at"),
                               QStringLiteral("method"),   QStringLiteral("path"),
                               QStringLiteral("endpoint"), QStringLiteral("event_type"),
                               QStringLiteral("event_id"), QStringLiteral("subscriber_id"),
                               QStringLiteral("verdict"),  QStringLiteral("response_status"),
                               QStringLiteral("body_size")};
        for (const QString &key : keys)
            QVERIFY2(newest.contains(key), qPrintable(key));
        QCOMPARE(newest[QStringLiteral("verdict")].toString(), QStringLiteral("invalid"));
        const QJsonObject oldest = deliveries[1].toObject();
        QCOMPARE(oldest[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(oldest[QStringLiteral("subscriber_id")].toString(), QStringLiteral("sub_cli"));
        QCOMPARE(oldest[QStringLiteral("body_size")].toInt(), body.size());
        QCOMPARE(runHookscope({QStringLiteral("deliveries"), QStringLiteral("--limit"),
                               QStringLiteral("1"), QStringLiteral("--json"),
                               QStringLiteral("--db"), db})
                     .out.count("\"id\""),
                 1);
        const QJsonArray invalidOnly =
            QJsonDocument::fromJson(
                runHookscope({QStringLiteral("deliveries"), QStringLiteral("--filter"),
                              QStringLiteral("verdict:invalid"), QStringLiteral("--json"),
                              QStringLiteral("--db"), db})
                    .out)
                .array();
        QCOMPARE(invalidOnly.size(), 1);
        QCOMPARE(invalidOnly[0][QStringLiteral("verdict")].toString(), QStringLiteral("invalid"));
        const Result badFilter =
            runHookscope({QStringLiteral("deliveries"), QStringLiteral("--filter"),
                          QStringLiteral("verdict:perhaps"), QStringLiteral("--db"), db});
        QCOMPARE(badFilter.exitCode, 2);
        QVERIFY(badFilter.err.contains("unknown verdict"));

        const QString id = QString::number(oldest[QStringLiteral("id")].toInteger());
        const Result shown = runHookscope(
            {QStringLiteral("show"), id, QStringLiteral("--json"), QStringLiteral("--db"), db});
        QCOMPARE(shown.exitCode, 0);
        const QJsonObject delivery = QJsonDocument::fromJson(shown.out).object();
        QCOMPARE(delivery[QStringLiteral("body")].toString(), QString::fromUtf8(body));
        const QJsonArray headerArray = delivery[QStringLiteral("headers")].toArray();
        QVERIFY(headerArray.contains(
            QJsonArray{QStringLiteral("Content-Type"), QStringLiteral("application/json")}));
        bool foundExactNumber = false;
        for (const QJsonValue &field : delivery[QStringLiteral("fields")].toArray()) {
            if (field[QStringLiteral("path")].toString() == u"data.n") {
                QCOMPARE(field[QStringLiteral("type")].toString(), QStringLiteral("number"));
                QCOMPARE(field[QStringLiteral("value")].toString(), QStringLiteral("1.10"));
                foundExactNumber = true;
            }
        }
        QVERIFY(foundExactNumber);
        const QJsonObject verification = delivery[QStringLiteral("verification")].toObject();
        QCOMPARE(verification[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(verification[QStringLiteral("scheme")].toString(), QStringLiteral("hostedhooks"));
        for (const char *key :
             {"reason", "signed_string", "expected", "received", "timestamp", "skew_seconds"})
            QVERIFY2(verification.contains(QLatin1String(key)), key);
        QVERIFY(!shown.out.contains(Secret));

        const Result text = runHookscope({QStringLiteral("show"), id, QStringLiteral("--db"), db});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("VALID"));
        const Result missing = runHookscope(
            {QStringLiteral("show"), QStringLiteral("999"), QStringLiteral("--db"), db});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains("no delivery with id 999"));

        QCOMPARE(runHookscope({QStringLiteral("endpoint"), QStringLiteral("remove"),
                               QStringLiteral("hh"), QStringLiteral("--db"), db})
                     .exitCode,
                 0);
        QCOMPARE(runHookscope({QStringLiteral("endpoint"), QStringLiteral("remove"),
                               QStringLiteral("hh"), QStringLiteral("--db"), db})
                     .exitCode,
                 1);
    }

    void everySchemeAndReverification()
    {
        const QString db = store(QStringLiteral("schemes.db"));
        QProcessEnvironment environment = environmentWithSecret();
        environment.insert(QStringLiteral("STRIPE_OLD"), QStringLiteral("whsec_rotated_out"));
        environment.insert(QStringLiteral("STRIPE_NEW"), QStringLiteral("whsec_test_secret"));
        const QStringList dbArgs{QStringLiteral("--db"), db};

        for (const QString &scheme :
             {QStringLiteral("standard-webhooks"), QStringLiteral("svix"), QStringLiteral("github"),
              QStringLiteral("shopify"), QStringLiteral("slack"), QStringLiteral("auto")}) {
            const Result added = runHookscope(
                QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), scheme,
                            QStringLiteral("--path"), QStringLiteral("/") + scheme,
                            QStringLiteral("--scheme"), scheme, QStringLiteral("--secret-env"),
                            QStringLiteral("STRIPE_NEW")} +
                    dbArgs,
                environment);
            QVERIFY2(added.exitCode == 0, added.err.constData());
        }
        const Result generic = runHookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("acme"),
                        QStringLiteral("--path"), QStringLiteral("/acme"),
                        QStringLiteral("--scheme"), QStringLiteral("generic-hmac"),
                        QStringLiteral("--header"), QStringLiteral("X-Acme-Signature"),
                        QStringLiteral("--template"), QStringLiteral("{timestamp}.{body}")} +
            dbArgs);
        QCOMPARE(generic.exitCode, 2);
        QVERIFY2(generic.err.contains("--timestamp-header"), generic.err.constData());
        const Result badAlgorithm = runHookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("acme"),
                        QStringLiteral("--path"), QStringLiteral("/acme"),
                        QStringLiteral("--scheme"), QStringLiteral("generic-hmac"),
                        QStringLiteral("--algorithm"), QStringLiteral("md5")} +
            dbArgs);
        QCOMPARE(badAlgorithm.exitCode, 2);
        QVERIFY(badAlgorithm.err.contains("unknown algorithm 'md5'"));

        const Result stripe = runHookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("stripe"),
                        QStringLiteral("--path"), QStringLiteral("/stripe"),
                        QStringLiteral("--scheme"), QStringLiteral("stripe"),
                        QStringLiteral("--secret-env"), QStringLiteral("STRIPE_OLD")} +
                dbArgs,
            environment);
        QCOMPARE(stripe.exitCode, 0);

        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QByteArray body = R"({"id":"evt_test_webhook","object":"event"})";
        const QByteArray t = QByteArray::number(QDateTime::currentSecsSinceEpoch());
        HeaderList headers;
        headers.append("Stripe-Signature",
                       "t=" + t + ",v1=" +
                           TestSupport::opensslHmacSha256Hex("whsec_test_secret", t + '.' + body));
        QCOMPARE(sendRaw(port, buildRequest("POST", "/stripe", headers, body)).status, 200);
        QCOMPARE(sendRaw(port, buildRequest("POST", "/auto", headers, body)).status, 200);
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const QJsonArray before =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("deliveries"), QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .array();
        QCOMPARE(before.size(), 2);
        QCOMPARE(before[0][QStringLiteral("endpoint")].toString(), QStringLiteral("auto"));
        QCOMPARE(before[0][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(before[1][QStringLiteral("verdict")].toString(), QStringLiteral("invalid"));
        const QString stripeId = QString::number(before[1][QStringLiteral("id")].toInteger());
        const QJsonObject invalid =
            QJsonDocument::fromJson(runHookscope(QStringList{QStringLiteral("show"), stripeId,
                                                             QStringLiteral("--json")} +
                                                 dbArgs)
                                        .out)
                .object();
        // The secret of the "auto" endpoint produced it: the diagnosis says so.
        QVERIFY2(
            invalid[QStringLiteral("verification")][QStringLiteral("diagnosis")]
                .toString()
                .contains(QStringLiteral("endpoint \"auto\"")),
            qPrintable(
                invalid[QStringLiteral("verification")][QStringLiteral("diagnosis")].toString()));

        const Result unchanged = runHookscope(QStringList{QStringLiteral("verify")} + dbArgs);
        QCOMPARE(unchanged.exitCode, 0);
        QCOMPARE(unchanged.out.trimmed(),
                 QByteArray("re-verified 2 deliveries: 0 changed verdict"));

        const Result updated =
            runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("update"),
                                     QStringLiteral("stripe"), QStringLiteral("--secret-env"),
                                     QStringLiteral("STRIPE_OLD"), QStringLiteral("--secret-env"),
                                     QStringLiteral("STRIPE_NEW")} +
                             dbArgs,
                         environment);
        QCOMPARE(updated.exitCode, 0);
        QVERIFY2(updated.out.contains("2 secrets"), updated.out.constData());
        QVERIFY2(updated.out.contains("re-verified 1 deliveries: 1 changed verdict"),
                 updated.out.constData());
        QVERIFY(!updated.out.contains("whsec_"));
        const QJsonObject valid =
            QJsonDocument::fromJson(runHookscope(QStringList{QStringLiteral("show"), stripeId,
                                                             QStringLiteral("--json")} +
                                                 dbArgs)
                                        .out)
                .object();
        QCOMPARE(valid[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(valid[QStringLiteral("verification")][QStringLiteral("matched_secret")].toString(),
                 QStringLiteral("$STRIPE_NEW"));

        QCOMPARE(runHookscope(QStringList{QStringLiteral("verify"), QStringLiteral("--endpoint"),
                                          QStringLiteral("nope")} +
                              dbArgs)
                     .exitCode,
                 1);
        QCOMPARE(runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("update"),
                                          QStringLiteral("nope")} +
                              dbArgs)
                     .exitCode,
                 1);

        QCOMPARE(
            runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("update"),
                                     QStringLiteral("stripe"), QStringLiteral("--subscriber-path"),
                                     QStringLiteral("data.account.id")} +
                         dbArgs)
                .exitCode,
            0);
        const QJsonArray endpoints =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("list"),
                                         QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .array();
        bool found = false;
        for (const QJsonValue &endpoint : endpoints) {
            if (endpoint[QStringLiteral("name")].toString() == u"stripe") {
                QCOMPARE(endpoint[QStringLiteral("subscriber_path")].toString(),
                         QStringLiteral("data.account.id"));
                found = true;
            }
        }
        QVERIFY(found);
    }

    void subscriberMapping()
    {
        const QString db = store(QStringLiteral("subscribers-cli.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        const QProcessEnvironment environment = environmentWithSecret();
        QCOMPARE(
            runHookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("add"),
                                     QStringLiteral("hh"), QStringLiteral("--path"),
                                     QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
                                     QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
                                     QStringLiteral("HOOKSCOPE_TEST_SECRET")} +
                             dbArgs,
                         environment)
                .exitCode,
            0);
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        for (const QByteArray &id : {QByteArray("1"), QByteArray("2"), QByteArray("2")}) {
            const QByteArray body = "{\"event_type\":\"subscriber.created\",\"event_id\":\"evt_" +
                                    id + "\",\"data\":{\"id\":\"sub_" + id +
                                    "\",\"name\":\"Customer " + id + "\"}}";
            HeaderList headers;
            headers.append("HostedHooks-Signature",
                           TestSupport::hostedHooksSignature(
                               Secret, QDateTime::currentSecsSinceEpoch(), body));
            QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);
        }
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const Result listed = runHookscope(
            QStringList{QStringLiteral("subscribers"), QStringLiteral("--json")} + dbArgs);
        QCOMPARE(listed.exitCode, 0);
        const QJsonArray subscribers = QJsonDocument::fromJson(listed.out).array();
        QCOMPARE(subscribers.size(), 2);
        for (const char *key : {"subscriber_id", "endpoint", "local_reference", "notes", "verified",
                                "first_seen", "last_seen", "created_event_id", "fields"})
            QVERIFY2(subscribers[0].toObject().contains(QLatin1String(key)), key);
        QVERIFY(subscribers[0][QStringLiteral("verified")].toBool());

        const Result set = runHookscope(
            QStringList{QStringLiteral("subscribers"), QStringLiteral("set"),
                        QStringLiteral("sub_1"), QStringLiteral("--ref"), QStringLiteral("acct-1"),
                        QStringLiteral("--notes"), QStringLiteral("first, \"best\" customer")} +
            dbArgs);
        QVERIFY2(set.exitCode == 0, set.err.constData());
        QCOMPARE(runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("set"),
                                          QStringLiteral("sub_9"), QStringLiteral("--ref"),
                                          QStringLiteral("x")} +
                              dbArgs)
                     .exitCode,
                 1);
        QCOMPARE(runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("set"),
                                          QStringLiteral("sub_1")} +
                              dbArgs)
                     .exitCode,
                 2);

        const QString csv = TestSupport::temporaryPath(QStringLiteral("subscribers-cli.csv"));
        const Result exported =
            runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("export"),
                                     QStringLiteral("--csv"), csv} +
                         dbArgs);
        QCOMPARE(exported.exitCode, 0);
        QVERIFY(exported.out.contains("exported 2 subscribers"));
        struct stat exportInfo = {};
        QCOMPARE(::stat(QFile::encodeName(csv).constData(), &exportInfo), 0);
        QCOMPARE(exportInfo.st_mode & 0777, 0600u);
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.readAll().contains("\"sub_1\",\"acct-1\",\"first, \"\"best\"\" customer\""));

        const QString import = TestSupport::temporaryPath(QStringLiteral("import-cli.csv"));
        QFile out(import);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("sub_2,acct-2\nsub_1,acct-other\nsub_3,acct-3\n");
        out.close();
        const Result imported = runHookscope(
            QStringList{QStringLiteral("subscribers"), QStringLiteral("import"), import} + dbArgs);
        QCOMPARE(imported.exitCode, 1);
        QVERIFY2(imported.out.contains("applied 1, unchanged 0, not applied 2"),
                 imported.out.constData());
        QVERIFY(imported.out.contains("line 2: sub_1: already mapped to \"acct-1\""));
        QVERIFY(imported.out.contains("line 3: sub_3: no such subscriber"));

        QCOMPARE(runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("delete"),
                                          QStringLiteral("sub_2")} +
                              dbArgs)
                     .exitCode,
                 0);
        const Result text = runHookscope(QStringList{QStringLiteral("subscribers")} + dbArgs);
        QVERIFY(text.out.contains("acct-1"));
        QVERIFY(!text.out.contains("sub_2"));
        QCOMPARE(runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("export")} +
                              dbArgs)
                     .exitCode,
                 2);
    }

    // An auto endpoint takes its scheme from the headers: a sample has none to take, and a
    // re-signed replay uses the scheme the delivery was verified with. Nothing is ever sent
    // unsigned and reported as a success.
    void signingForAnAutoEndpointUsesAKnownScheme()
    {
        const QString db = store(QStringLiteral("auto-sign.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addAutoEndpoint(dbArgs));
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);

        const Result unsignedSample = runHookscope(
            QStringList{QStringLiteral("send-sample"), QStringLiteral("subscriber.created"),
                        QStringLiteral("--endpoint"), QStringLiteral("any"), QStringLiteral("--to"),
                        url} +
            dbArgs);
        QCOMPARE(unsignedSample.exitCode, 2);
        QVERIFY2(unsignedSample.err.contains("uses the auto scheme") &&
                     unsignedSample.err.contains("github") &&
                     unsignedSample.err.contains("--scheme"),
                 unsignedSample.err.constData());
        QVERIFY(unsignedSample.out.isEmpty());

        const Result signedSample = runHookscope(
            QStringList{QStringLiteral("send-sample"), QStringLiteral("subscriber.created"),
                        QStringLiteral("--endpoint"), QStringLiteral("any"), QStringLiteral("--to"),
                        url, QStringLiteral("--scheme"), QStringLiteral("github")} +
            dbArgs);
        QVERIFY2(signedSample.exitCode == 0, signedSample.err.constData());
        QVERIFY2(signedSample.out.contains("signed github"), signedSample.out.constData());
        const Result genericOnAuto = runHookscope(
            QStringList{QStringLiteral("send-sample"), QStringLiteral("subscriber.created"),
                        QStringLiteral("--endpoint"), QStringLiteral("any"), QStringLiteral("--to"),
                        url, QStringLiteral("--scheme"), QStringLiteral("generic-hmac")} +
            dbArgs);
        QCOMPARE(genericOnAuto.exitCode, 2);

        // Delivery 1: the github sample. Delivery 2: no signature at all.
        QCOMPARE(sendRaw(port, buildRequest("POST", "/in", {}, "{\"type\":\"x\"}")).status, 200);
        const Result resigned =
            runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("1"),
                                     QStringLiteral("--to"), url, QStringLiteral("--resign")} +
                         dbArgs);
        QVERIFY2(resigned.exitCode == 0, resigned.err.constData());
        QVERIFY2(resigned.out.contains("(re-signed, github)"), resigned.out.constData());
        const Result noScheme =
            runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("2"),
                                     QStringLiteral("--to"), url, QStringLiteral("--resign")} +
                         dbArgs);
        QCOMPARE(noScheme.exitCode, 2);
        QVERIFY2(noScheme.err.contains("carries none it recognises") &&
                     noScheme.err.contains("stripe") && noScheme.err.contains("--scheme"),
                 noScheme.err.constData());
        const Result chosen =
            runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("2"),
                                     QStringLiteral("--to"), url, QStringLiteral("--resign"),
                                     QStringLiteral("--scheme"), QStringLiteral("stripe")} +
                         dbArgs);
        QVERIFY2(chosen.exitCode == 0, chosen.err.constData());
        QVERIFY2(chosen.out.contains("(re-signed, stripe)"), chosen.out.constData());
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const QJsonArray deliveries = listDeliveries(dbArgs);
        QCOMPARE(deliveries.size(), 4);
        QCOMPARE(deliveries[3][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(deliveries[2][QStringLiteral("verdict")].toString(), QStringLiteral("missing"));
        QCOMPARE(deliveries[1][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(deliveries[0][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
    }

    // A sample is stored marked as one (listed, filterable) and leaves the subscriber mapping
    // alone, unless --update-mapping asks it to add its subscriber.
    void samplesAreMarkedAndLeaveTheMappingAlone()
    {
        const QString db = store(QStringLiteral("samples.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addHostedHooksEndpoint(dbArgs));
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        const QStringList sample{
            QStringLiteral("send-sample"), QStringLiteral("subscriber.created"),
            QStringLiteral("--endpoint"),  QStringLiteral("hh"),
            QStringLiteral("--to"),        url};
        const Result sent = runHookscope(sample + dbArgs);
        QVERIFY2(sent.exitCode == 0, sent.err.constData());
        QVERIFY2(sent.out.contains("answered 200"), sent.out.constData());
        QVERIFY(listDeliveries(dbArgs).size() == 1);
        QCOMPARE(QJsonDocument::fromJson(runHookscope(QStringList{QStringLiteral("subscribers"),
                                                                  QStringLiteral("--json")} +
                                                      dbArgs)
                                             .out)
                     .array()
                     .size(),
                 0);
        const Result mapped =
            runHookscope(sample + QStringList{QStringLiteral("--update-mapping")} + dbArgs);
        QVERIFY2(mapped.exitCode == 0, mapped.err.constData());
        const Result unknown = runHookscope(
            QStringList{QStringLiteral("send-sample"), QStringLiteral("nothing.happened"),
                        QStringLiteral("--endpoint"), QStringLiteral("hh"), QStringLiteral("--to"),
                        url} +
            dbArgs);
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains("no sample for \"nothing.happened\""));
        // One delivery from the sender itself, not a sample.
        const QByteArray body = R"({"event_type":"ping","event_id":"evt_real"})";
        HeaderList headers;
        headers.append(
            "HostedHooks-Signature",
            TestSupport::hostedHooksSignature(Secret, QDateTime::currentSecsSinceEpoch(), body));
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const QJsonArray deliveries = listDeliveries(dbArgs);
        QCOMPARE(deliveries.size(), 3);
        QVERIFY(!deliveries[0][QStringLiteral("sample")].toBool());
        QVERIFY(deliveries[1][QStringLiteral("sample")].toBool());
        QVERIFY(deliveries[2][QStringLiteral("sample")].toBool());
        QCOMPARE(deliveries[2][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(listDeliveries(dbArgs, {QStringLiteral("--filter"), QStringLiteral("sample:yes")})
                     .size(),
                 2);
        QCOMPARE(listDeliveries(dbArgs, {QStringLiteral("--filter"), QStringLiteral("sample:no")})
                     .size(),
                 1);
        const Result table = runHookscope(QStringList{QStringLiteral("deliveries")} + dbArgs);
        QVERIFY2(table.out.contains("subscriber.created (sample)"), table.out.constData());
        const QJsonArray subscribers =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .array();
        QCOMPARE(subscribers.size(), 1);
        QVERIFY(subscribers[0][QStringLiteral("verified")].toBool());
        QVERIFY(subscribers[0][QStringLiteral("subscriber_id")].toString().startsWith(
            QStringLiteral("sub_sample_")));
    }

    void replayAsRecordedAndResigned()
    {
        const QString db = store(QStringLiteral("replay.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addHostedHooksEndpoint(dbArgs));
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        // Signed an hour ago: stale when it arrives, and as stale when replayed as recorded.
        const QByteArray body = "{\"event_type\":\"ping\",\"event_id\":\"evt_old\"}";
        HeaderList headers;
        headers.append("HostedHooks-Signature",
                       TestSupport::hostedHooksSignature(
                           Secret, QDateTime::currentSecsSinceEpoch() - 3600, body));
        headers.append("X-Trace", "kept");
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh?x=1", headers, body)).status, 200);

        const Result asRecorded =
            runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("1"),
                                     QStringLiteral("--to"), url} +
                         dbArgs);
        QVERIFY2(asRecorded.exitCode == 0, asRecorded.err.constData());
        QVERIFY(asRecorded.out.contains("answered 200"));
        const Result resigned =
            runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("1"),
                                     QStringLiteral("--to"), url, QStringLiteral("--resign")} +
                         dbArgs);
        QVERIFY2(resigned.exitCode == 0, resigned.err.constData());
        QVERIFY(resigned.out.contains("(re-signed, hostedhooks)"));
        const Result curl = runHookscope(
            QStringList{QStringLiteral("replay"), QStringLiteral("1"), QStringLiteral("--to"), url,
                        QStringLiteral("--resign"), QStringLiteral("--curl")} +
            dbArgs);
        QCOMPARE(curl.exitCode, 0);
        const QByteArray expectedStart = "curl -X POST '" + url.toLatin1() + "/hooks/hh?x=1'";
        QVERIFY2(curl.out.startsWith(expectedStart), curl.out.constData());
        QVERIFY(curl.out.contains("-H 'X-Trace: kept'"));
        QVERIFY(curl.out.contains("-H 'HostedHooks-Signature: t="));
        QCOMPARE(runHookscope(QStringList{QStringLiteral("replay"), QStringLiteral("99")} + dbArgs)
                     .exitCode,
                 1);
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));

        const QJsonArray deliveries =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("deliveries"), QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .array();
        QCOMPARE(deliveries.size(), 3);
        QCOMPARE(deliveries[2][QStringLiteral("verdict")].toString(), QStringLiteral("stale"));
        QCOMPARE(deliveries[1][QStringLiteral("verdict")].toString(), QStringLiteral("stale"));
        QCOMPARE(deliveries[0][QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(deliveries[0][QStringLiteral("path")].toString(), QStringLiteral("/hooks/hh?x=1"));
        const QJsonObject original =
            QJsonDocument::fromJson(
                runHookscope(QStringList{QStringLiteral("show"), QStringLiteral("1"),
                                         QStringLiteral("--json")} +
                             dbArgs)
                    .out)
                .object();
        const QJsonArray replays = original[QStringLiteral("replays")].toArray();
        QCOMPARE(replays.size(), 2);
        QCOMPARE(replays[0][QStringLiteral("status")].toInt(), 200);
        QVERIFY(!replays[0][QStringLiteral("resigned")].toBool());
        QVERIFY(replays[1][QStringLiteral("resigned")].toBool());
    }

    void printedCurlCommandsSendTheExactBytes_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("quotedText");
        QTest::addColumn<QByteArray>("readable"); // shown as it is in the command
        QTest::newRow("json") << QByteArray(
                                     "{\"event_type\":\"ping\",\"note\":\"it's 100% \\\\ ok\"}")
                              << true << QByteArray("it'\\''s 100% \\\\ ok");
        QTest::newRow("utf-8 text with line breaks")
            << QByteArray("{\n  \"name\": \"Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac\"\n}\n") << true
            << QByteArray("Zo\xc3\xab");
        QTest::newRow("binary: NUL, invalid UTF-8, ESC, quotes, percent, backslash")
            << QByteArray::fromHex("0001fffe1b5b324a27222573252525") + "\\n\\" +
                   QByteArray(1, '\0') + "end\r\n\t"
            << false
            << QByteArray("\\377\\376\\033[2J\\047\"%%s%%%%%%\\\\n\\\\\\000end\\015\\n\\011");
        QTest::newRow("bidi override") << QByteArray("{\"a\":\"\xe2\x80\xae"
                                                     "evil\"}")
                                       << false << QByteArray("\\342\\200\\256evil");
        QByteArray large;
        for (int i = 0; large.size() < 300 * 1024; ++i)
            large += "{\"line\":" + QByteArray::number(i) + ",\"text\":\"caf\xc3\xa9 '%'\"}\n";
        QTest::newRow("300 KiB of text, more than one argument may hold")
            << large << false << QByteArray("caf\xc3\xa9 \\047%%\\047");
    }

    // replay --curl prints a command that, run as printed by sh (dash) and bash, sends the
    // stored body byte for byte; re-signed, it verifies.
    void printedCurlCommandsSendTheExactBytes()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, quotedText);
        QFETCH(QByteArray, readable);
        static int row = 0;
        const QString db = store(QStringLiteral("curl-%1.db").arg(++row));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addHostedHooksEndpoint(dbArgs));
        QProcess serve;
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        HeaderList headers;
        headers.append("HostedHooks-Signature",
                       TestSupport::hostedHooksSignature(Secret, 1700000000, body));
        headers.append("Content-Type", "application/octet-stream");
        headers.append("X-Name", "Zo\xc3\xab");
        QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);

        const Result printed = runHookscope(
            QStringList{QStringLiteral("replay"), QStringLiteral("1"), QStringLiteral("--to"), url,
                        QStringLiteral("--resign"), QStringLiteral("--curl")} +
            dbArgs);
        QCOMPARE(printed.exitCode, 0);
        QVERIFY(printed.out.endsWith('\n'));
        const QByteArray command = printed.out.chopped(1);
        // Nothing in it a terminal acts on: printable text and line breaks only.
        for (const char c : command)
            QVERIFY2(uchar(c) >= 0x20 || c == '\n',
                     qPrintable(QStringLiteral("byte %1").arg(int(c))));
        QVERIFY(!command.contains("\xe2\x80\xae"));
        QCOMPARE(command.startsWith("printf "), !quotedText);
        QVERIFY2(command.contains(readable), command.left(300).constData());

        // Run from a file, as a paste into a shell is: a command line given to `sh -c` would
        // itself be one argument, which Linux limits to 128 KiB.
        const QString script = TestSupport::temporaryPath(QStringLiteral("curl-%1.sh").arg(row));
        {
            QFile file(script);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(command + " --silent --show-error\n");
        }
        qint64 next = 2;
        for (const QString &shell : {QStringLiteral("/bin/sh"), QStringLiteral("/bin/bash")}) {
            QProcess run;
            run.start(shell, {script});
            QVERIFY(run.waitForFinished(30000));
            QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
            const QJsonObject shown =
                QJsonDocument::fromJson(
                    runHookscope(QStringList{QStringLiteral("show"), QString::number(next++),
                                             QStringLiteral("--json")} +
                                 dbArgs)
                        .out)
                    .object();
            const QByteArray received =
                shown.contains(QStringLiteral("body_base64"))
                    ? QByteArray::fromBase64(
                          shown[QStringLiteral("body_base64")].toString().toLatin1())
                    : shown[QStringLiteral("body")].toString().toUtf8();
            QCOMPARE(received.size(), body.size());
            QVERIFY2(received == body, qPrintable(shell));
            QCOMPARE(shown[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
            const QJsonArray sentHeaders = shown[QStringLiteral("headers")].toArray();
            const bool nameKept =
                std::any_of(sentHeaders.begin(), sentHeaders.end(), [](const QJsonValue &header) {
                    return header[0].toString() == u"X-Name" &&
                           header[1].toString().toLatin1() == "Zo\xc3\xab";
                });
            QVERIFY2(nameKept, qPrintable(shell));
        }
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));
    }

    // What the sender sends, from the command line, while `serve` keeps learning too: the
    // event types, a schema and its JSON Schema, a retry compared with the attempt before it,
    // and the drift of that retry.
    void eventsSchemaAndDiff()
    {
        const QString db = store(QStringLiteral("events.db"));
        const QStringList dbArgs{QStringLiteral("--db"), db};
        QVERIFY(addHostedHooksEndpoint(dbArgs));
        QProcess serve;
        serve.setProcessEnvironment(environmentWithSecret());
        const quint16 port = startServe(serve, dbArgs);
        QVERIFY(port != 0);
        const QList<QByteArray> bodies{
            "{\"event_type\":\"order.created\",\"event_id\":\"evt_1\",\"data\":{\"id\":\"o1\","
            "\"amount\":10}}",
            "{\"event_type\":\"order.created\",\"event_id\":\"evt_2\",\"data\":{\"id\":\"o2\","
            "\"amount\":12}}",
            "{\"event_type\":\"order.created\",\"event_id\":\"evt_2\",\"data\":{\"id\":\"o2\","
            "\"amount\":12.50,\"note\":\"late\"}}",
            "{\"event_type\":\"refund.created\",\"event_id\":\"evt_3\",\"data\":{\"id\":\"r1\"}}",
        };
        for (const QByteArray &body : bodies) {
            HeaderList headers;
            headers.append("Content-Type", "application/json");
            headers.append("HostedHooks-Signature",
                           TestSupport::hostedHooksSignature(
                               Secret, QDateTime::currentSecsSinceEpoch(), body));
            QCOMPARE(sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status, 200);
        }

        const Result events =
            runHookscope(QStringList{QStringLiteral("events"), QStringLiteral("--json")} + dbArgs);
        QCOMPARE(events.exitCode, 0);
        const QJsonArray types = QJsonDocument::fromJson(events.out).array();
        QCOMPARE(types.size(), 2);
        QCOMPARE(types[0][QStringLiteral("event_type")].toString(),
                 QStringLiteral("order.created"));
        QCOMPARE(types[0][QStringLiteral("endpoint")].toString(), QStringLiteral("hh"));
        QCOMPARE(types[0][QStringLiteral("deliveries")].toInt(), 3);
        QCOMPARE(types[0][QStringLiteral("drifted")].toInt(), 1);
        QCOMPARE(types[0][QStringLiteral("last_delivery_id")].toInt(), 3);
        QCOMPARE(types[1][QStringLiteral("event_type")].toString(),
                 QStringLiteral("refund.created"));
        QCOMPARE(types[1][QStringLiteral("deliveries")].toInt(), 1);

        const Result schema = runHookscope(
            QStringList{QStringLiteral("schema"), QStringLiteral("order.created")} + dbArgs);
        QCOMPARE(schema.exitCode, 0);
        QVERIFY2(schema.out.contains("order.created on hh: 3 deliveries, 1 drifted"),
                 schema.out.constData());
        const QStringList amount =
            QString::fromUtf8(schema.out).split(u'\n').filter(QStringLiteral("data.amount"));
        QCOMPARE(amount.size(), 1);
        QCOMPARE(amount[0].simplified(),
                 QStringLiteral("data.amount integer|number 3 (100%) 10, 12, 12.50"));
        const Result jsonSchema =
            runHookscope(QStringList{QStringLiteral("schema"), QStringLiteral("order.created"),
                                     QStringLiteral("--json-schema")} +
                         dbArgs);
        QCOMPARE(jsonSchema.exitCode, 0);
        const QJsonObject data = QJsonDocument::fromJson(jsonSchema.out)
                                     .object()[QStringLiteral("properties")][QStringLiteral("data")]
                                     .toObject();
        QCOMPARE(data[QStringLiteral("required")].toArray(),
                 (QJsonArray{QStringLiteral("amount"), QStringLiteral("id")}));
        QCOMPARE(
            data[QStringLiteral("properties")][QStringLiteral("amount")][QStringLiteral("type")]
                .toString(),
            QStringLiteral("number"));

        // The retry against the attempt before it: the body's changes with their values as
        // sent, then the headers.
        const Result diff = runHookscope(
            QStringList{QStringLiteral("diff"), QStringLiteral("3"), QStringLiteral("--json")} +
            dbArgs);
        QCOMPARE(diff.exitCode, 0);
        const QJsonObject changes = QJsonDocument::fromJson(diff.out).object();
        QCOMPARE(changes[QStringLiteral("before")].toInt(), 2);
        QCOMPARE(changes[QStringLiteral("after")].toInt(), 3);
        QCOMPARE(changes[QStringLiteral("basis")].toString(), QStringLiteral("previous-attempt"));
        QStringList seen;
        for (const QJsonValue &c : changes[QStringLiteral("changes")].toArray())
            seen.append(c[QStringLiteral("part")].toString() + u' ' +
                        c[QStringLiteral("change")].toString() + u' ' +
                        c[QStringLiteral("path")].toString() + u' ' +
                        c[QStringLiteral("before")].toString() + u' ' +
                        c[QStringLiteral("after")].toString());
        QCOMPARE(seen.mid(0, 2), (QStringList{QStringLiteral("body changed data.amount 12 12.50"),
                                              QStringLiteral("body added data.note  \"late\"")}));
        QVERIFY2(seen.filter(QStringLiteral("header changed HostedHooks-Signature")).size() == 1,
                 qPrintable(seen.join(u'\n')));
        const Result text = runHookscope(
            QStringList{QStringLiteral("diff"), QStringLiteral("1"), QStringLiteral("2")} + dbArgs);
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("data.amount") && text.out.contains("10 -> 12"),
                 text.out.constData());

        const Result shown = runHookscope(
            QStringList{QStringLiteral("show"), QStringLiteral("3"), QStringLiteral("--json")} +
            dbArgs);
        QCOMPARE(QJsonDocument::fromJson(shown.out).object()[QStringLiteral("drift")].toArray(),
                 (QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("data.amount")},
                                         {QStringLiteral("kind"), QStringLiteral("type-changed")},
                                         {QStringLiteral("before"), QStringLiteral("integer")},
                                         {QStringLiteral("now"), QStringLiteral("number")}},
                             QJsonObject{{QStringLiteral("path"), QStringLiteral("data.note")},
                                         {QStringLiteral("kind"), QStringLiteral("new-field")},
                                         {QStringLiteral("before"), QJsonValue()},
                                         {QStringLiteral("now"), QStringLiteral("string")}}}));
        const QJsonArray drifted =
            listDeliveries(dbArgs, {QStringLiteral("--filter"), QStringLiteral("drift:yes")});
        QCOMPARE(drifted.size(), 1);
        QCOMPARE(drifted[0][QStringLiteral("id")].toInt(), 3);
        QCOMPARE(
            listDeliveries(dbArgs, {QStringLiteral("--filter"), QStringLiteral("has:data.note")})
                .size(),
            1);

        // A delivery as a test fixture: the body byte for byte, and a curl command re-signed for
        // now that the running receiver verifies.
        const QString fixtures =
            TestSupport::temporaryPath(QStringLiteral("fixtures-") + QString::number(fileOnly()));
        const Result fixture =
            runHookscope(QStringList{QStringLiteral("fixture"), QStringLiteral("3"),
                                     QStringLiteral("--out"), fixtures, QStringLiteral("--to"),
                                     QStringLiteral("http://127.0.0.1:%1").arg(port)} +
                             dbArgs,
                         environmentWithSecret());
        QCOMPARE(fixture.exitCode, 0);
        QVERIFY(!fixture.out.contains(Secret));
        QFile fixtureBody(fixtures + QStringLiteral("/delivery-3.json"));
        QVERIFY(fixtureBody.open(QIODevice::ReadOnly));
        QCOMPARE(fixtureBody.readAll(), bodies[2]);
        QFile request(fixtures + QStringLiteral("/delivery-3.request.json"));
        QVERIFY(request.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(request.readAll()).object()[QStringLiteral("event_id")],
                 QStringLiteral("evt_2"));
        QProcess curl;
        curl.start(QStringLiteral("sh"), {fixtures + QStringLiteral("/delivery-3.curl.sh")});
        QVERIFY(curl.waitForFinished(30000));
        QCOMPARE(curl.exitCode(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(listDeliveries(dbArgs).size(), 5, 10000);
        const QJsonObject sentAgain = listDeliveries(dbArgs).at(0).toObject();
        QCOMPARE(sentAgain[QStringLiteral("verdict")].toString(), QStringLiteral("valid"));
        QCOMPARE(sentAgain[QStringLiteral("event_id")].toString(), QStringLiteral("evt_2"));
        const Result again =
            runHookscope(QStringList{QStringLiteral("fixture"), QStringLiteral("3"),
                                     QStringLiteral("--out"), fixtures} +
                         dbArgs);
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("exists already"));

        // Mistakes and absences: exit 2 and 1, one clear line.
        const Result unknownType = runHookscope(
            QStringList{QStringLiteral("schema"), QStringLiteral("nope.created")} + dbArgs);
        QCOMPARE(unknownType.exitCode, 1);
        QVERIFY(unknownType.err.contains("no JSON delivery of nope.created"));
        const Result first =
            runHookscope(QStringList{QStringLiteral("diff"), QStringLiteral("1")} + dbArgs);
        QCOMPARE(first.exitCode, 1);
        QVERIFY(first.err.contains("give a second id"));
        const Result notAnId =
            runHookscope(QStringList{QStringLiteral("diff"), QStringLiteral("x1")} + dbArgs);
        QCOMPARE(notAnId.exitCode, 2);
        const Result badDrift =
            runHookscope(QStringList{QStringLiteral("deliveries"), QStringLiteral("--filter"),
                                     QStringLiteral("drift:sideways")} +
                         dbArgs);
        QCOMPARE(badDrift.exitCode, 2);
        QVERIFY(badDrift.err.contains("drift wants yes, no"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));
        QCOMPARE(serve.exitCode(), 0);
    }

    void serveTakesEndpointsAddedWhileRunning()
    {
        const QString db = store(QStringLiteral("live-endpoints.db"));
        QProcess serve;
        const quint16 port = startServe(serve, QStringList{QStringLiteral("--db"), db});
        QVERIFY(port != 0);
        QCOMPARE(sendRaw(port, buildRequest("POST", "/late", {}, "{}")).status, 404);
        QCOMPARE(runHookscope({QStringLiteral("endpoint"), QStringLiteral("add"),
                               QStringLiteral("late"), QStringLiteral("--path"),
                               QStringLiteral("/late"), QStringLiteral("--db"), db})
                     .exitCode,
                 0);
        QTRY_COMPARE_WITH_TIMEOUT(sendRaw(port, buildRequest("POST", "/late", {}, "{}")).status,
                                  200, 10000);
        QByteArray output;
        QTRY_VERIFY((output += serve.readAllStandardOutput()).contains("POST /late  late"));
        serve.terminate();
        QVERIFY(serve.waitForFinished(15000));
        QCOMPARE(serve.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
