#include "database.h"
#include "pgcluster.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <csignal>
#include <span>

using TestSupport::buildRequest;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "copy-secret-hh-5e1b9c20d4";
const QByteArray OtherSecret = "copy-secret-gh-a71d03f8e6";
// A word only one body holds, after bytes that are not UTF-8.
const QByteArray SearchWord = "zebracorn";

struct Result
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QProcessEnvironment environment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOOKSCOPE_TEST_SECRET"), QString::fromLatin1(Secret));
    environment.insert(QStringLiteral("HOOKSCOPE_OTHER_SECRET"), QString::fromLatin1(OtherSecret));
    // The default file (where a team endpoint's secret is kept) stays out of the user's home,
    // and no secret goes to the keychain of whoever runs the tests.
    environment.insert(QStringLiteral("XDG_DATA_HOME"),
                       TestSupport::temporaryPath(QStringLiteral("xdg")));
    environment.insert(QStringLiteral("HOOKSCOPE_SECRET_STORAGE"), QStringLiteral("database"));
    return environment;
}

Result hookscope(const QStringList &arguments)
{
    QProcess process;
    process.setProcessEnvironment(environment());
    process.start(QStringLiteral(HOOKSCOPE_BINARY), arguments);
    if (!process.waitForFinished(240000)) {
        process.kill();
        process.waitForFinished();
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAllStandardOutput(), process.readAllStandardError()};
}

Result copy(const QString &from, const QString &to)
{
    return hookscope({QStringLiteral("db"), QStringLiteral("copy"), QStringLiteral("--from"), from,
                      QStringLiteral("--to"), to});
}

// Starts `hookscope serve` on a free port; its port, 0 when it did not say it listens.
quint16 startServe(QProcess &serve, const QStringList &arguments)
{
    serve.setProcessEnvironment(environment());
    serve.start(QStringLiteral(HOOKSCOPE_BINARY),
                QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:0")} +
                    arguments);
    if (!serve.waitForStarted())
        return 0;
    QDeadlineTimer deadline(15000);
    while (!serve.canReadLine() && !deadline.hasExpired())
        serve.waitForReadyRead(100);
    const QByteArray line = serve.readLine().trimmed();
    if (!line.startsWith("listening on http://127.0.0.1:"))
        return 0;
    return line.mid(line.lastIndexOf(':') + 1).toUShort();
}

int postHostedHooks(quint16 port, const QByteArray &body, const QByteArray &secret = Secret)
{
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                secret, QDateTime::currentSecsSinceEpoch(), body));
    return sendRaw(port, buildRequest("POST", "/hooks/hh", headers, body)).status;
}

QByteArray subscriberCreated(const QByteArray &eventId, const QByteArray &subscriberId,
                             const QByteArray &name)
{
    return "{\"event_type\":\"subscriber.created\",\"event_id\":\"" + eventId +
           "\",\"data\":{\"id\":\"" + subscriberId + "\",\"name\":\"" + name +
           "\",\"plan\":{\"seats\":3}}}";
}

// How a column is compared: the file keeps flags as integers where PostgreSQL has boolean.
enum class Kind
{
    Integer,
    Flag,
    Text,
    Bytes
};

struct Column
{
    const char *name;
    Kind kind;
};

using Columns = std::span<const Column>;
using Rows = QList<QVariantList>;

const Column DeliveryColumns[] = {
    {"id", Kind::Integer},          {"received_at", Kind::Integer},
    {"remote_address", Kind::Text}, {"method", Kind::Text},
    {"path", Kind::Text},           {"http_version", Kind::Text},
    {"headers", Kind::Bytes},       {"body", Kind::Bytes},
    {"body_size", Kind::Integer},   {"endpoint", Kind::Text},
    {"event_type", Kind::Text},     {"event_id", Kind::Text},
    {"subscriber_id", Kind::Text},  {"verdict", Kind::Text},
    {"verification", Kind::Text},   {"response_status", Kind::Integer},
    {"handling_us", Kind::Integer}, {"source", Kind::Text},
    {"external_id", Kind::Text},    {"truncated", Kind::Flag},
    {"trailers", Kind::Bytes},      {"sample", Kind::Flag},
};

const Column ReplayColumns[] = {
    {"id", Kind::Integer},
    {"delivery_id", Kind::Integer},
    {"sent_at", Kind::Integer},
    {"url", Kind::Text},
    {"resigned", Kind::Flag},
    {"request_headers", Kind::Bytes},
    {"request_body", Kind::Bytes},
    {"status", Kind::Integer},
    {"response_headers", Kind::Bytes},
    {"response_body", Kind::Bytes},
    {"latency_ms", Kind::Integer},
    {"error", Kind::Text},
    {"kind", Kind::Text},
};

const Column SubscriberColumns[] = {
    {"endpoint", Kind::Text},
    {"subscriber_id", Kind::Text},
    {"id", Kind::Integer},
    {"verified", Kind::Flag},
    {"fields", Kind::Text},
    {"data", Kind::Text},
    {"first_seen", Kind::Integer},
    {"last_seen", Kind::Integer},
    {"created_event_id", Kind::Text},
    {"created_delivery_id", Kind::Integer},
    {"local_reference", Kind::Text},
    {"notes", Kind::Text},
};

const Column SubscriberEventColumns[] = {
    {"endpoint", Kind::Text},
    {"event_id", Kind::Text},
    {"delivery_id", Kind::Integer},
};

// Text as a team database keeps it: PostgreSQL text cannot hold U+0000.
QString teamText(QString text)
{
    text.replace(QChar(u'\0'), QChar(QChar::ReplacementCharacter));
    return text;
}

QVariant normal(const QVariant &value, Kind kind, bool teamForm)
{
    switch (kind) {
    case Kind::Integer:
        return value.toLongLong();
    case Kind::Flag:
        return value.toBool();
    case Kind::Text: {
        const QString text = value.toString().isNull() ? QStringLiteral("") : value.toString();
        return teamForm ? teamText(text) : text;
    }
    case Kind::Bytes:
        return value.toByteArray().isNull() ? QByteArray("") : value.toByteArray();
    }
    return value;
}

// Every row of `table` in the order of `order`, each value in one form whichever database it
// came from; with `teamForm` text as a team database would keep it.
Rows rows(const QSqlDatabase &db, const QString &table, Columns columns, const QString &order,
          bool teamForm = false)
{
    QStringList names;
    for (const Column &column : columns)
        names.append(QLatin1String(column.name));
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.exec(QStringLiteral("SELECT %1 FROM %2 ORDER BY %3")
                        .arg(names.join(QStringLiteral(", ")), table, order))) {
        qWarning("%s: %s", qPrintable(table), qPrintable(query.lastError().text()));
        return {};
    }
    Rows result;
    while (query.next()) {
        QVariantList row;
        for (qsizetype i = 0; i < qsizetype(columns.size()); ++i)
            row.append(normal(query.value(int(i)), columns[size_t(i)].kind, teamForm));
        result.append(row);
    }
    return result;
}

// Where two lists of rows differ (names only, never a value), or an empty string.
QString difference(const Rows &expected, const Rows &actual, Columns columns)
{
    if (expected.size() != actual.size())
        return QStringLiteral("%1 rows expected, %2 found").arg(expected.size()).arg(actual.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        for (qsizetype j = 0; j < expected.at(i).size(); ++j) {
            if (expected.at(i).at(j) != actual.at(i).at(j))
                return QStringLiteral("row %1 (%2 %3): %4 differs")
                    .arg(i)
                    .arg(QLatin1String(columns[0].name), expected.at(i).at(0).toString(),
                         QLatin1String(columns[size_t(j)].name));
        }
    }
    return QString();
}

qint64 scalar(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    if (!query.exec(sql) || !query.next()) {
        qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return -1;
    }
    return query.value(0).toLongLong();
}

// A connection for the test's own reading, removed with the object.
class Connection
{
public:
    // A HookScope file.
    explicit Connection(const QString &file)
        : m_name(QStringLiteral("tst_storecopy_%1").arg(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(file);
        db.open();
    }
    // A database of the test's server.
    Connection(const PostgresCluster &cluster, const QString &database)
        : m_name(QStringLiteral("tst_storecopy_%1").arg(++s_count))
    {
        cluster.addConnection(m_name, database).open();
    }
    ~Connection() { QSqlDatabase::removeDatabase(m_name); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }
    bool isOpen() const { return db().isOpen(); }

private:
    static inline int s_count = 0;
    QString m_name;
};

// The deliveries, replays, subscribers and subscriber events of `actual` against `expected`
// (a file), text compared as a team database keeps it.
QString historyDifference(const QSqlDatabase &expected, const QSqlDatabase &actual)
{
    const struct
    {
        const char *table;
        Columns columns;
        const char *order;
    } tables[] = {
        {"deliveries", DeliveryColumns, "id"},
        {"replays", ReplayColumns, "id"},
        {"subscribers", SubscriberColumns, "endpoint, subscriber_id"},
        {"subscriber_events", SubscriberEventColumns, "endpoint, event_id"},
    };
    for (const auto &table : tables) {
        const QString name = QLatin1String(table.table);
        const QString order = QLatin1String(table.order);
        const Rows want = rows(expected, name, table.columns, order, true);
        if (want.isEmpty())
            return QStringLiteral("%1: nothing to compare").arg(name);
        const QString different =
            difference(want, rows(actual, name, table.columns, order, true), table.columns);
        if (!different.isEmpty())
            return name + QStringLiteral(": ") + different;
    }
    return QString();
}

// The first progress line's numbers from `copy` (stderr), having killed it with SIGKILL right
// after that line.
std::optional<std::pair<qint64, qint64>> killAfterFirstProgress(QProcess &copy)
{
    static const QRegularExpression progress(
        QStringLiteral("^copied (\\d+) of (\\d+) deliveries$"));
    copy.setReadChannel(QProcess::StandardError);
    QDeadlineTimer deadline(120000);
    while (!deadline.hasExpired()) {
        if (!copy.canReadLine() && !copy.waitForReadyRead(100)) {
            if (copy.state() == QProcess::NotRunning)
                return std::nullopt;
            continue;
        }
        while (copy.canReadLine()) {
            const QString line = QString::fromUtf8(copy.readLine()).trimmed();
            const QRegularExpressionMatch match = progress.match(line);
            if (match.hasMatch()) {
                ::kill(pid_t(copy.processId()), SIGKILL);
                copy.waitForFinished(10000);
                return std::pair{match.captured(1).toLongLong(), match.captured(2).toLongLong()};
            }
        }
    }
    return std::nullopt;
}

} // namespace

class TestStoreCopy : public QObject
{
    Q_OBJECT

private:
    PostgresCluster m_cluster;
    QString m_source; // a file with real deliveries, built by serve
    QString m_team;   // the source copied into it by initTestCase
    Result m_firstCopy;
    qint64 m_sourceDeliveries = 0;

    // A team database set up by `db init`.
    QString newTeamDatabase(const QString &name)
    {
        QString error;
        if (!m_cluster.createDatabase(name, &error)) {
            qWarning("%s", qPrintable(error));
            return QString();
        }
        const QString url = m_cluster.url(name);
        const Result init = hookscope({QStringLiteral("db"), QStringLiteral("init"), url});
        if (init.exitCode != 0) {
            qWarning("db init: %s", init.err.constData());
            return QString();
        }
        return url;
    }

    // The source: endpoints with secrets, subscriber.created events and their retries, a
    // failed signature, a body that is not UTF-8, a JSON \u0000, a binary body, trailers, a
    // request on no endpoint, a replay, and the user's own reference and notes.
    bool buildSource(QString *problem)
    {
        m_source = TestSupport::temporaryPath(QStringLiteral("source.db"));
        const QStringList db{QStringLiteral("--db"), m_source};
        const Result hh = hookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                        QStringLiteral("--path"), QStringLiteral("/hooks/hh"),
                        QStringLiteral("--scheme"), QStringLiteral("hostedhooks"),
                        QStringLiteral("--secret-env"), QStringLiteral("HOOKSCOPE_TEST_SECRET"),
                        QStringLiteral("--fail-first"), QStringLiteral("1")} +
            db);
        const Result gh = hookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("gh"),
                        QStringLiteral("--path"), QStringLiteral("/hooks/gh"),
                        QStringLiteral("--scheme"), QStringLiteral("github"),
                        QStringLiteral("--secret-env"), QStringLiteral("HOOKSCOPE_OTHER_SECRET")} +
            db);
        if (hh.exitCode != 0 || gh.exitCode != 0) {
            *problem = QString::fromUtf8(hh.err + gh.err);
            return false;
        }
        QProcess serve;
        const quint16 port = startServe(serve, db);
        if (port == 0) {
            *problem = QStringLiteral("serve did not start: ") +
                       QString::fromUtf8(serve.readAllStandardError());
            return false;
        }
        QList<int> statuses;
        // Each event's first attempt is answered 500 (--fail-first 1), and sent again.
        for (const auto &[event, subscriber, name] : {std::tuple{"evt_1", "sub_1", "Customer One"},
                                                      {"evt_2", "sub_2", "Customer Two"},
                                                      {"evt_3", "sub_1", "Customer One Renamed"}}) {
            const QByteArray body = subscriberCreated(event, subscriber, name);
            statuses << postHostedHooks(port, body) << postHostedHooks(port, body);
        }
        // Signed with another secret: kept, never mapped.
        statuses << postHostedHooks(port, subscriberCreated("evt_4", "sub_forged", "Forged"),
                                    "not-the-secret");
        // A JSON \u0000 in the event id and the data.
        statuses << postHostedHooks(
            port, "{\"event_type\":\"ping\",\"event_id\":\"evt_\\u0000nul\",\"data\":{\"text\":"
                  "\"a\\u0000b\"}}");
        statuses << postHostedHooks(
            port, "{\"event_type\":\"ping\",\"event_id\":\"evt_\\u0000nul\",\"data\":{\"text\":"
                  "\"a\\u0000b\"}}");
        // Bytes that are not UTF-8, signed the GitHub way.
        const QByteArray push =
            "{\"ref\":\"refs/heads/main\",\"note\":\"\xff\xfe\xc3\x28 " + SearchWord + "\"}";
        HeaderList github;
        github.append("Content-Type", "application/json");
        github.append("X-GitHub-Event", "push");
        github.append("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        github.append("X-Hub-Signature-256",
                      "sha256=" + TestSupport::opensslHmacSha256Hex(OtherSecret, push));
        statuses << sendRaw(port, buildRequest("POST", "/hooks/gh", github, push)).status;
        // A binary body with NUL bytes, unsigned.
        HeaderList binary;
        binary.append("Content-Type", "application/octet-stream");
        statuses << sendRaw(port, buildRequest("POST", "/hooks/gh?kind=raw", binary,
                                               QByteArray("\x00\x01\x02\xff\xfe\x00 end", 10)))
                        .status;
        // Chunked, with a trailer.
        const QByteArray chunk = "{\"event_type\":\"ping\",\"event_id\":\"evt_chunked\"}";
        statuses << sendRaw(port, "POST /hooks/hh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                  "Trailer: X-Checksum\r\n\r\n" +
                                      QByteArray::number(chunk.size(), 16) + "\r\n" + chunk +
                                      "\r\n0\r\nX-Checksum: sha256=00ff\r\n\r\n")
                        .status;
        // On no endpoint.
        statuses << sendRaw(port, buildRequest("GET", "/elsewhere?x=1", {}, {})).status;
        // A replay of the first delivery, to the same listener.
        const Result replay = hookscope(
            QStringList{QStringLiteral("replay"), QStringLiteral("2"), QStringLiteral("--to"),
                        QStringLiteral("http://127.0.0.1:%1").arg(port)} +
            db);
        serve.terminate();
        serve.waitForFinished(15000);
        if (statuses.mid(0, 6) != QList<int>{500, 200, 500, 200, 500, 200} ||
            statuses.contains(0) || replay.exitCode != 0) {
            *problem = QStringLiteral("unexpected answers: %1; replay: %2")
                           .arg(QString::number(statuses.size()), QString::fromUtf8(replay.err));
            return false;
        }
        // Reading the subscribers brings the mapping up to date; then the user's own fields.
        const Result listed =
            hookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("--json")} + db);
        const Result set =
            hookscope(QStringList{QStringLiteral("subscribers"), QStringLiteral("set"),
                                  QStringLiteral("sub_1"), QStringLiteral("--ref"),
                                  QStringLiteral("acct-1"), QStringLiteral("--notes"),
                                  QStringLiteral("first, \"best\" customer \u2713")} +
                      db);
        if (listed.exitCode != 0 || QJsonDocument::fromJson(listed.out).array().size() != 2 ||
            set.exitCode != 0) {
            *problem = QStringLiteral("subscribers: ") + QString::fromUtf8(listed.err + set.err);
            return false;
        }
        Connection source(m_source);
        m_sourceDeliveries = scalar(source.db(), QStringLiteral("SELECT count(*) FROM deliveries"));
        return m_sourceDeliveries == 14;
    }

    // `file` with its deliveries repeated (timestamps moved on) until it holds at least
    // `count`: copies of real rows.
    static bool grow(const QString &file, qint64 count)
    {
        Database db;
        QString error;
        if (!db.open(file, &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        const QString columns = QStringLiteral(
            "remote_address, method, path, http_version, headers, body, body_size, endpoint, "
            "event_type, event_id, subscriber_id, verdict, verification, response_status, "
            "handling_us, source, external_id, truncated, trailers, sample");
        for (int round = 1;; ++round) {
            auto held =
                db.run(QStringLiteral("SELECT count(*), max(id) FROM deliveries"), {}, &error);
            if (!held || !held->next())
                return false;
            const qint64 rowsHeld = held->value(0).toLongLong();
            const qint64 maxId = held->value(1).toLongLong();
            held.reset();
            if (rowsHeld >= count)
                break;
            if (!db.run(QStringLiteral("INSERT INTO deliveries (received_at, %1) SELECT "
                                       "received_at + ?, %1 FROM deliveries WHERE id <= ? "
                                       "ORDER BY id")
                            .arg(columns),
                        {qint64(round) * 3600000, maxId}, &error)) {
                qWarning("%s", qPrintable(error));
                return false;
            }
        }
        return db
            .run(QStringLiteral("UPDATE mapping_state SET mapped_up_to = (SELECT max(id) "
                                "FROM deliveries)"),
                 {}, &error)
            .has_value();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")),
                 qPrintable(QSqlDatabase::drivers().join(u' ')));
        QString error;
        // A failure, not a skip: the test machines have PostgreSQL installed.
        QVERIFY2(m_cluster.start(&error), qPrintable(error));
        QVERIFY2(buildSource(&error), qPrintable(error));
        m_team = newTeamDatabase(QStringLiteral("team"));
        QVERIFY(!m_team.isEmpty());
        m_firstCopy = copy(m_source, m_team);
    }

    void copiesAFileIntoATeamDatabase()
    {
        QVERIFY2(m_firstCopy.exitCode == 0, m_firstCopy.err.constData());
        QCOMPARE(QString::fromUtf8(m_firstCopy.out).trimmed(),
                 QStringLiteral("copied %1 deliveries, 2 endpoints, 2 subscribers, 1 replays from "
                                "%2 to %3")
                     .arg(m_sourceDeliveries)
                     .arg(m_source, m_team));
        QVERIFY2(m_firstCopy.err.trimmed().endsWith(
                     QStringLiteral("copied %1 of %1 deliveries").arg(m_sourceDeliveries).toUtf8()),
                 m_firstCopy.err.constData());

        Connection source(m_source);
        Connection team(m_cluster, QStringLiteral("team"));
        QVERIFY(source.isOpen() && team.isOpen());
        const QString different = historyDifference(source.db(), team.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));
        // The U+0000 of the JSON was in the source's event id; the team's shows U+FFFD.
        QCOMPARE(scalar(source.db(), QStringLiteral("SELECT count(*) FROM deliveries WHERE "
                                                    "instr(event_id, char(0)) > 0")),
                 2);
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries WHERE event_id "
                                                  "= 'evt_' || U&'\\FFFD' || 'nul'")),
                 2);
        // Bodies byte for byte, trailers apart from the headers.
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries WHERE body = "
                                                  "'\\x000102fffe0020656e64'::bytea")),
                 1);
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries WHERE "
                                                  "position('X-Checksum'::bytea IN trailers) > 0")),
                 1);

        // Copied rows name no receiver, and are found by text search like a receiver's.
        QCOMPARE(scalar(team.db(),
                        QStringLiteral("SELECT count(*) FROM deliveries WHERE receiver <> ''")),
                 0);
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT id FROM deliveries WHERE search @@ "
                                                  "to_tsquery('simple', '%1')")
                                       .arg(QString::fromLatin1(SearchWord))),
                 scalar(source.db(), QStringLiteral("SELECT id FROM deliveries WHERE "
                                                    "instr(body, '%1') > 0")
                                         .arg(QString::fromLatin1(SearchWord))));
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries WHERE "
                                                  "search = ''::tsvector")),
                 0);

        // The ids go on after the copied ones.
        for (const char *table : {"deliveries", "replays", "subscribers"}) {
            QCOMPARE(
                scalar(team.db(),
                       QStringLiteral("SELECT nextval('%1_id_seq')").arg(QLatin1String(table))),
                scalar(team.db(),
                       QStringLiteral("SELECT max(id) + 1 FROM %1").arg(QLatin1String(table))));
        }
    }

    void publishesFingerprintsNeverSecrets()
    {
        Connection team(m_cluster, QStringLiteral("team"));
        QSqlQuery query(team.db());
        QVERIFY(query.exec(QStringLiteral("SELECT name, path, scheme, secret_fingerprints FROM "
                                          "endpoints ORDER BY name")));
        QStringList seen;
        while (query.next()) {
            const QString name = query.value(0).toString();
            seen.append(name);
            const QByteArray secret = name == u"hh" ? Secret : OtherSecret;
            const QJsonArray prints = QJsonDocument::fromJson(query.value(3).toByteArray()).array();
            QCOMPARE(prints.size(), 1);
            // HMAC-SHA256 of the label, keyed with the secret, as openssl computes it.
            QCOMPARE(prints[0][QStringLiteral("fingerprint")].toString().toLatin1(),
                     TestSupport::opensslHmacSha256Hex(secret, "HookScope secret fingerprint v1")
                         .left(16));
            QCOMPARE(query.value(1).toString(), QStringLiteral("/hooks/") + name);
            QCOMPARE(query.value(2).toString(),
                     name == u"hh" ? QStringLiteral("hostedhooks") : QStringLiteral("github"));
        }
        QCOMPARE(seen, (QStringList{QStringLiteral("gh"), QStringLiteral("hh")}));

        // Nowhere in the whole database, in any encoding.
        QProcess dump;
        dump.start(QStringLiteral("/usr/bin/pg_dump"),
                   {QStringLiteral("--no-password"), QStringLiteral("-h"),
                    QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                    QString::number(m_cluster.port()), QStringLiteral("-U"), m_cluster.superuser(),
                    QStringLiteral("-d"), QStringLiteral("team")});
        QVERIFY(dump.waitForFinished(60000));
        const QByteArray dumped = dump.readAllStandardOutput();
        QVERIFY2(dump.exitCode() == 0 && dumped.contains("COPY public.deliveries"),
                 dump.readAllStandardError().constData());
        for (const QByteArray &secret : {Secret, OtherSecret}) {
            for (const QByteArray &form : {secret, secret.toHex(), secret.toBase64()})
                QVERIFY2(!dumped.contains(form), form.constData());
        }
    }

    void copiesATeamDatabaseIntoAFile()
    {
        const QString file = TestSupport::temporaryPath(QStringLiteral("back.db"));
        const Result back = copy(m_team, file);
        QVERIFY2(back.exitCode == 0, back.err.constData());
        QCOMPARE(QString::fromUtf8(back.out).trimmed(),
                 QStringLiteral("copied %1 deliveries, 2 endpoints, 2 subscribers, 1 replays from "
                                "%2 to %3")
                     .arg(m_sourceDeliveries)
                     .arg(m_team, file));
        // The secrets stay behind: the file is told how to add them.
        QVERIFY2(back.err.contains("endpoint hh was added without its secret"),
                 back.err.constData());

        Connection source(m_source);
        Connection copied(file);
        QVERIFY(source.isOpen() && copied.isOpen());
        const QString different = historyDifference(source.db(), copied.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));
        // Where nothing was lost to PostgreSQL's text, exactly the source's values.
        const Rows original =
            rows(source.db(), QStringLiteral("deliveries"), DeliveryColumns, QStringLiteral("id"));
        const Rows returned =
            rows(copied.db(), QStringLiteral("deliveries"), DeliveryColumns, QStringLiteral("id"));
        QCOMPARE(returned.size(), original.size());
        int exact = 0;
        for (qsizetype i = 0; i < original.size(); ++i)
            exact += original.at(i) == returned.at(i) ? 1 : 0;
        QCOMPARE(exact, original.size() - 2);
        // The file's mapper has nothing left to apply: the subscribers came as they were.
        QCOMPARE(scalar(copied.db(), QStringLiteral("SELECT mapped_up_to FROM mapping_state")),
                 m_sourceDeliveries);
        QCOMPARE(scalar(copied.db(), QStringLiteral("SELECT count(*) FROM endpoint_secrets")), 0);
        const QString endpointsSql =
            QStringLiteral("SELECT group_concat(name || ' ' || path || ' ' || scheme, ';') FROM "
                           "(SELECT * FROM endpoints ORDER BY name)");
        QSqlQuery sourceEndpoints(source.db());
        QSqlQuery copiedEndpoints(copied.db());
        QVERIFY(sourceEndpoints.exec(endpointsSql) && sourceEndpoints.next());
        QVERIFY(copiedEndpoints.exec(endpointsSql) && copiedEndpoints.next());
        QCOMPARE(copiedEndpoints.value(0).toString(), sourceEndpoints.value(0).toString());

        // The command line reads both alike.
        for (const QStringList &command :
             {QStringList{QStringLiteral("subscribers"), QStringLiteral("--json")},
              QStringList{QStringLiteral("deliveries"), QStringLiteral("--json"),
                          QStringLiteral("--limit"), QStringLiteral("100")},
              QStringList{QStringLiteral("show"), QStringLiteral("2"), QStringLiteral("--json")},
              // The file's search index and event schemas catch up with the copied rows.
              QStringList{QStringLiteral("deliveries"), QStringLiteral("--json"),
                          QStringLiteral("--filter"), QString::fromLatin1(SearchWord)},
              QStringList{QStringLiteral("events"), QStringLiteral("--json")}}) {
            const Result fromSource =
                hookscope(command + QStringList{QStringLiteral("--db"), m_source});
            const Result fromCopy = hookscope(command + QStringList{QStringLiteral("--db"), file});
            QCOMPARE(fromCopy.exitCode, 0);
            // Save for the U+0000 the team database could not keep.
            QCOMPARE(fromCopy.out, QByteArray(fromSource.out).replace("\\u0000", "\uFFFD"));
        }
        const Result found = hookscope({QStringLiteral("deliveries"), QStringLiteral("--json"),
                                        QStringLiteral("--filter"), QString::fromLatin1(SearchWord),
                                        QStringLiteral("--db"), file});
        QCOMPARE(QJsonDocument::fromJson(found.out).array().size(), 1);
        const Result events = hookscope(
            {QStringLiteral("events"), QStringLiteral("--json"), QStringLiteral("--db"), file});
        QVERIFY2(QJsonDocument::fromJson(events.out).array().size() == 2, events.out.constData());
    }

    void copyingAgainAddsNothing()
    {
        const Result again = copy(m_source, m_team);
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QVERIFY2(again.out.startsWith(QStringLiteral("copied 0 deliveries (%1 were there already)")
                                          .arg(m_sourceDeliveries)
                                          .toUtf8()),
                 again.out.constData());
        Connection source(m_source);
        Connection team(m_cluster, QStringLiteral("team"));
        const QString different = historyDifference(source.db(), team.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));
    }

    // A team database may commit a lower id after a higher one: what a copy found missing
    // below the target's largest id, the next one copies.
    void copiesIdsTheTargetLacks()
    {
        const QString fewer = TestSupport::temporaryPath(QStringLiteral("gap.db"));
        {
            Database source;
            QString error;
            QVERIFY2(source.openReadOnly(m_source, &error), qPrintable(error));
            QVERIFY2(source.backupTo(fewer, &error), qPrintable(error));
            Database edited;
            QVERIFY2(edited.open(fewer, &error), qPrintable(error));
            QVERIFY2(
                edited.run(QStringLiteral("DELETE FROM deliveries WHERE id IN (3, 9)"), {}, &error),
                qPrintable(error));
        }
        const QString url = newTeamDatabase(QStringLiteral("gaps"));
        QVERIFY(!url.isEmpty());
        Result result = copy(fewer, url);
        QVERIFY2(result.exitCode == 0, result.err.constData());
        result = copy(m_source, url);
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY2(result.out.startsWith(QStringLiteral("copied 2 deliveries (%1 were there already)")
                                           .arg(m_sourceDeliveries - 2)
                                           .toUtf8()),
                 result.out.constData());
        Connection source(m_source);
        Connection team(m_cluster, QStringLiteral("gaps"));
        const QString different = historyDifference(source.db(), team.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));
    }

    void keepsTheFilesOwnEndpoints()
    {
        const QString file = TestSupport::temporaryPath(QStringLiteral("own.db"));
        const Result added = hookscope(
            {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
             QStringLiteral("--path"), QStringLiteral("/mine"), QStringLiteral("--scheme"),
             QStringLiteral("stripe"), QStringLiteral("--secret-env"),
             QStringLiteral("HOOKSCOPE_TEST_SECRET"), QStringLiteral("--db"), file});
        QVERIFY2(added.exitCode == 0, added.err.constData());
        const Result copied = copy(m_team, file);
        QVERIFY2(copied.exitCode == 0, copied.err.constData());
        QVERIFY2(copied.out.contains(" 1 endpoints,"), copied.out.constData());

        Connection own(file);
        QSqlQuery query(own.db());
        QVERIFY(query.exec(QStringLiteral("SELECT e.name, e.path, e.scheme, s.secret FROM "
                                          "endpoints e LEFT JOIN endpoint_secrets s ON "
                                          "s.endpoint_id = e.id ORDER BY e.name")));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("gh"));
        QCOMPARE(query.value(1).toString(), QStringLiteral("/hooks/gh"));
        QVERIFY(query.value(3).isNull());
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("hh"));
        QCOMPARE(query.value(1).toString(), QStringLiteral("/mine"));
        QCOMPARE(query.value(2).toString(), QStringLiteral("stripe"));
        QCOMPARE(query.value(3).toByteArray(), Secret);
        QVERIFY(!query.next());
    }

    void resumesAfterBeingKilled()
    {
        // Enough batches that the copy is still running when its first progress line is read.
        const QString big = TestSupport::temporaryPath(QStringLiteral("big.db"));
        {
            Database source;
            QString error;
            QVERIFY2(source.openReadOnly(m_source, &error), qPrintable(error));
            QVERIFY2(source.backupTo(big, &error), qPrintable(error));
        }
        QVERIFY(grow(big, 28000));
        Connection bigFile(big);
        const qint64 total =
            scalar(bigFile.db(), QStringLiteral("SELECT count(*) FROM deliveries"));
        const QString url = newTeamDatabase(QStringLiteral("big"));
        QVERIFY(!url.isEmpty());
        Connection team(m_cluster, QStringLiteral("big"));

        // Into the team database.
        QProcess first;
        first.setProcessEnvironment(environment());
        first.start(QStringLiteral(HOOKSCOPE_BINARY),
                    {QStringLiteral("db"), QStringLiteral("copy"), QStringLiteral("--from"), big,
                     QStringLiteral("--to"), url});
        const auto progress = killAfterFirstProgress(first);
        QVERIFY2(progress, first.readAllStandardError().constData());
        QCOMPARE(progress->second, total);
        const qint64 partial = scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries"));
        QVERIFY2(partial >= progress->first && partial < total,
                 qPrintable(QStringLiteral("%1 of %2").arg(partial).arg(total)));
        // Whole transactions only, in id order.
        QCOMPARE(partial % 2000, 0);
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT max(id) FROM deliveries")), partial);

        const Result resumed = copy(big, url);
        QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
        QVERIFY2(resumed.out.startsWith(QStringLiteral("copied %1 deliveries (%2 were there "
                                                       "already)")
                                            .arg(total - partial)
                                            .arg(partial)
                                            .toUtf8()),
                 resumed.out.constData());
        QString different = historyDifference(bigFile.db(), team.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));

        // And back into a file.
        const QString file = TestSupport::temporaryPath(QStringLiteral("big-back.db"));
        QProcess second;
        second.setProcessEnvironment(environment());
        second.start(QStringLiteral(HOOKSCOPE_BINARY),
                     {QStringLiteral("db"), QStringLiteral("copy"), QStringLiteral("--from"), url,
                      QStringLiteral("--to"), file});
        const auto backProgress = killAfterFirstProgress(second);
        QVERIFY2(backProgress, second.readAllStandardError().constData());
        {
            Connection copied(file);
            const qint64 held =
                scalar(copied.db(), QStringLiteral("SELECT count(*) FROM deliveries"));
            QVERIFY2(held >= backProgress->first && held < total,
                     qPrintable(QStringLiteral("%1 of %2").arg(held).arg(total)));
            QCOMPARE(held % 2000, 0);
            // The watermark moved with the rows, in their transactions.
            QCOMPARE(scalar(copied.db(), QStringLiteral("SELECT mapped_up_to FROM mapping_state")),
                     held);
        }
        const Result back = copy(url, file);
        QVERIFY2(back.exitCode == 0, back.err.constData());
        Connection copied(file);
        different = historyDifference(bigFile.db(), copied.db());
        QVERIFY2(different.isEmpty(), qPrintable(different));
        QCOMPARE(scalar(copied.db(), QStringLiteral("SELECT mapped_up_to FROM mapping_state")),
                 total);
    }

    void refusesTargetsHoldingOtherDeliveries()
    {
        Connection team(m_cluster, QStringLiteral("team"));
        const qint64 teamRows =
            scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries"));

        // Another file's deliveries have the same ids, not the same rows.
        const QString other = TestSupport::temporaryPath(QStringLiteral("other.db"));
        const QStringList otherDb{QStringLiteral("--db"), other};
        QCOMPARE(
            hookscope(QStringList{QStringLiteral("endpoint"), QStringLiteral("add"),
                                  QStringLiteral("hh"), QStringLiteral("--path"),
                                  QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
                                  QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
                                  QStringLiteral("HOOKSCOPE_TEST_SECRET")} +
                      otherDb)
                .exitCode,
            0);
        {
            QProcess serve;
            const quint16 port = startServe(serve, otherDb);
            QVERIFY(port != 0);
            for (int i = 0; i < 3; ++i)
                QCOMPARE(postHostedHooks(port, "{\"event_type\":\"ping\",\"event_id\":\"evt_o" +
                                                   QByteArray::number(i) + "\"}"),
                         200);
            serve.terminate();
            QVERIFY(serve.waitForFinished(15000));
        }
        Result refused = copy(other, m_team);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("already holds deliveries that are not from"),
                 refused.err.constData());
        QCOMPARE(scalar(team.db(), QStringLiteral("SELECT count(*) FROM deliveries")), teamRows);
        refused = copy(m_team, other);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("its delivery 3 differs"), refused.err.constData());
        {
            Connection otherFile(other);
            QCOMPARE(scalar(otherFile.db(), QStringLiteral("SELECT count(*) FROM deliveries")), 3);
        }

        // A replay of that id in the target is another one: never replaced.
        QString error;
        QVERIFY2(m_cluster.psql(QStringLiteral("UPDATE replays SET sent_at = sent_at + 1"), &error,
                                QStringLiteral("team")),
                 qPrintable(error));
        refused = copy(m_source, m_team);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("holds a replay 1 that is not"), refused.err.constData());
        {
            Connection source(m_source);
            const QString sentAt = QStringLiteral("SELECT sent_at FROM replays WHERE id = 1");
            QCOMPARE(scalar(team.db(), sentAt), scalar(source.db(), sentAt) + 1);
        }
        QVERIFY2(m_cluster.psql(QStringLiteral("UPDATE replays SET sent_at = sent_at - 1"), &error,
                                QStringLiteral("team")),
                 qPrintable(error));

        // The target holds an id the source does not.
        const QString fewer = TestSupport::temporaryPath(QStringLiteral("fewer.db"));
        {
            Database source;
            QVERIFY2(source.openReadOnly(m_source, &error), qPrintable(error));
            QVERIFY2(source.backupTo(fewer, &error), qPrintable(error));
            Database edited;
            QVERIFY2(edited.open(fewer, &error), qPrintable(error));
            QVERIFY2(edited.run(QStringLiteral("DELETE FROM deliveries WHERE id = 3"), {}, &error),
                     qPrintable(error));
        }
        refused = copy(fewer, m_team);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("its delivery 3 is not in the source"),
                 refused.err.constData());

        // A team database a receiver stored into.
        const QString served = newTeamDatabase(QStringLiteral("served"));
        QVERIFY(!served.isEmpty());
        const QStringList servedDb{QStringLiteral("--db"), served};
        const Result added = hookscope(
            QStringList{QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                        QStringLiteral("--path"), QStringLiteral("/hooks/hh"),
                        QStringLiteral("--scheme"), QStringLiteral("hostedhooks"),
                        QStringLiteral("--secret-env"), QStringLiteral("HOOKSCOPE_TEST_SECRET")} +
            servedDb);
        QVERIFY2(added.exitCode == 0, added.err.constData());
        {
            QProcess serve;
            const quint16 port = startServe(serve, servedDb);
            QVERIFY2(port != 0, serve.readAllStandardError().constData());
            QCOMPARE(postHostedHooks(port, "{\"event_type\":\"ping\",\"event_id\":\"evt_team\"}"),
                     200);
            serve.terminate();
            QVERIFY(serve.waitForFinished(15000));
        }
        refused = copy(m_source, served);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("its delivery 1 differs"), refused.err.constData());
        Connection servedTeam(m_cluster, QStringLiteral("served"));
        QCOMPARE(scalar(servedTeam.db(), QStringLiteral("SELECT count(*) FROM deliveries")), 1);
    }

    void saysWhatItCannotCopy()
    {
        const QString file = TestSupport::temporaryPath(QStringLiteral("neither.db"));
        Result result = copy(m_source, file);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("both are files"), result.err.constData());
        QVERIFY(!QFile::exists(file));
        result = copy(m_team, m_team);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("both are team databases"), result.err.constData());
        result = hookscope(
            {QStringLiteral("db"), QStringLiteral("copy"), QStringLiteral("--from"), m_source});
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("missing --to DST"), result.err.constData());
        result =
            hookscope({QStringLiteral("db"), QStringLiteral("copy"), QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY2(result.out.contains("Usage: hookscope db copy --from SRC --to DST"),
                 result.out.constData());
        result = hookscope({QStringLiteral("db"), QStringLiteral("move")});
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("unknown action 'move' (init, copy)"), result.err.constData());

        // No source file: nothing is created in its place.
        const QString missing = TestSupport::temporaryPath(QStringLiteral("missing.db"));
        result = copy(missing, m_team);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("there is no HookScope database at"), result.err.constData());
        QVERIFY(!QFile::exists(missing));

        // A database `db init` has not set up.
        QString error;
        QVERIFY2(m_cluster.createDatabase(QStringLiteral("bare"), &error), qPrintable(error));
        result = copy(m_source, m_cluster.url(QStringLiteral("bare")));
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("hookscope db init"), result.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestStoreCopy)
#include "tst_storecopy.moc"
