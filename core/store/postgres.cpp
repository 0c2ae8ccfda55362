#include "postgres.h"

#include "endpointrepository.h"
#include "hmac.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>
#include <QVariant>

namespace Postgres {

namespace {

// The schema, statement by statement. Deliveries keep the same columns as in the SQLite file
// (see Database), plus the receiver that stored each and its text-search vector.
const char *const SchemaStatements[] = {
    "CREATE TABLE hookscope_meta (name text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE endpoints ("
    " id bigserial PRIMARY KEY,"
    " name text NOT NULL UNIQUE,"
    " path text NOT NULL,"
    " scheme text NOT NULL,"
    " tolerance_seconds integer NOT NULL DEFAULT 300,"
    " created_at bigint NOT NULL,"
    " scheme_options text NOT NULL DEFAULT '',"
    " subscriber_path text NOT NULL DEFAULT '',"
    " response_policy text NOT NULL DEFAULT '',"
    " forward_url text NOT NULL DEFAULT '',"
    " answer_with_app integer NOT NULL DEFAULT 0,"
    // [{"label": ..., "fingerprint": ...}]: never a secret's value (see fingerprint()).
    " secret_fingerprints text NOT NULL DEFAULT '[]')",
    "CREATE TABLE deliveries ("
    " id bigserial PRIMARY KEY,"
    " received_at bigint NOT NULL,"
    " remote_address text NOT NULL,"
    " method text NOT NULL,"
    " path text NOT NULL,"
    " http_version text NOT NULL,"
    " headers bytea NOT NULL,"
    " body bytea NOT NULL,"
    " body_size bigint NOT NULL,"
    " endpoint text NOT NULL DEFAULT '',"
    " event_type text NOT NULL DEFAULT '',"
    " event_id text NOT NULL DEFAULT '',"
    " subscriber_id text NOT NULL DEFAULT '',"
    " verdict text NOT NULL,"
    " verification text NOT NULL,"
    " response_status integer NOT NULL,"
    " handling_us bigint NOT NULL,"
    " source text NOT NULL DEFAULT '',"
    " external_id text NOT NULL DEFAULT '',"
    " truncated integer NOT NULL DEFAULT 0,"
    " trailers bytea NOT NULL DEFAULT '',"
    " sample integer NOT NULL DEFAULT 0,"
    " receiver text NOT NULL DEFAULT '',"
    " search tsvector NOT NULL)",
    "CREATE INDEX deliveries_event_id ON deliveries (event_id) WHERE event_id <> ''",
    "CREATE INDEX deliveries_endpoint ON deliveries (endpoint, id)",
    "CREATE INDEX deliveries_event_type ON deliveries (event_type, id)",
    "CREATE UNIQUE INDEX deliveries_external_id ON deliveries (external_id) "
    "WHERE external_id <> ''",
    "CREATE INDEX deliveries_search ON deliveries USING gin (search)",
    "CREATE TABLE subscribers ("
    " id bigserial PRIMARY KEY,"
    " endpoint text NOT NULL,"
    " subscriber_id text NOT NULL,"
    " verified integer NOT NULL,"
    " fields text NOT NULL DEFAULT '{}',"
    " data text NOT NULL DEFAULT '',"
    " first_seen bigint NOT NULL,"
    " last_seen bigint NOT NULL,"
    " created_event_id text NOT NULL,"
    " created_delivery_id bigint NOT NULL,"
    " local_reference text NOT NULL DEFAULT '',"
    " notes text NOT NULL DEFAULT '',"
    " UNIQUE (endpoint, subscriber_id))",
    // Once per event id, across every receiver: the first to commit the event's row here
    // applies it (see DeliveryStore's PostgreSQL writer).
    "CREATE TABLE subscriber_events ("
    " endpoint text NOT NULL,"
    " event_id text NOT NULL,"
    " delivery_id bigint NOT NULL,"
    " PRIMARY KEY (endpoint, event_id))",
    "CREATE TABLE replays ("
    " id bigserial PRIMARY KEY,"
    " delivery_id bigint NOT NULL,"
    " sent_at bigint NOT NULL,"
    " url text NOT NULL,"
    " resigned integer NOT NULL,"
    " request_headers bytea NOT NULL,"
    " request_body bytea NOT NULL,"
    " status integer NOT NULL,"
    " response_headers bytea NOT NULL,"
    " response_body bytea NOT NULL,"
    " latency_ms bigint NOT NULL,"
    " error text NOT NULL DEFAULT '',"
    " kind text NOT NULL DEFAULT 'replay')",
    "CREATE INDEX replays_delivery ON replays (delivery_id, id)",
    // What the file keeps of event schemas and drift (see SchemaKeeper), so that the same
    // queries read them. A file learns up to a watermark; here learned_up_to counts what the
    // learners committed, and the deliveries left to learn wait in schema_queue (version 2).
    "CREATE TABLE schema_state (id integer PRIMARY KEY CHECK (id = 1), learned_up_to bigint NOT "
    "NULL)",
    "INSERT INTO schema_state VALUES (1, 0)",
    "CREATE TABLE event_schemas (endpoint text NOT NULL, event_type text NOT NULL, deliveries "
    "bigint NOT NULL, drifted bigint NOT NULL, first_seen bigint NOT NULL, last_seen bigint NOT "
    "NULL, last_delivery_id bigint NOT NULL, PRIMARY KEY (endpoint, event_type))",
    "CREATE TABLE schema_fields (endpoint text NOT NULL, event_type text NOT NULL, path text NOT "
    "NULL, types integer NOT NULL, deliveries bigint NOT NULL, occurrences bigint NOT NULL, "
    "objects bigint NOT NULL, strings bigint NOT NULL, formats integer NOT NULL, first_seen "
    "bigint NOT NULL, last_seen bigint NOT NULL, first_delivery_id bigint NOT NULL, examples "
    "text NOT NULL, PRIMARY KEY (endpoint, event_type, path))",
    "CREATE TABLE drift (delivery_id bigint NOT NULL, path text NOT NULL, kind text NOT NULL, "
    "before text NOT NULL, now text NOT NULL, UNIQUE (delivery_id, path, kind))",
    "CREATE INDEX drift_kind ON drift (kind, delivery_id)",
    // A body as JSON when it is JSON (UTF-8 text that parses), else NULL: for has:PATH, which
    // must not fail on a body that is not.
    "CREATE FUNCTION hookscope_json(body bytea) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$ "
    "BEGIN RETURN convert_from(body, 'UTF8')::jsonb; EXCEPTION WHEN others THEN RETURN NULL; "
    "END $$",
};

// Version 1 -> 2: event schemas learned on the team database. Several receivers commit ids out
// of order, so a watermark would pass over a lower id committed late: every new delivery is
// queued instead, by a trigger in its own transaction (whoever inserts it, `db copy` too), and
// learners take the queue in id order (see SchemaKeeper).
const char *const LearningStatements[] = {
    "CREATE TABLE schema_queue (delivery_id bigint PRIMARY KEY)",
    "INSERT INTO schema_queue SELECT id FROM deliveries",
    "CREATE FUNCTION hookscope_queue_schemas() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO schema_queue (delivery_id) SELECT id FROM new_rows; RETURN NULL; END $$",
    "CREATE TRIGGER deliveries_queue_schemas AFTER INSERT ON deliveries REFERENCING NEW TABLE "
    "AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hookscope_queue_schemas()",
    // A delivery's drift in the order it was found (the file's rowid order).
    "ALTER TABLE drift ADD COLUMN position integer NOT NULL DEFAULT 0",
};

// What each role may do. Column grants keep a viewer to the subscribers' own fields and a
// receiver to what the mapping updates.
const char *const GrantStatements[] = {
    "GRANT USAGE ON SCHEMA public TO hookscope_receiver, hookscope_viewer",
    "GRANT SELECT ON hookscope_meta, endpoints TO hookscope_receiver",
    "GRANT SELECT, INSERT ON deliveries, subscriber_events, replays TO hookscope_receiver",
    "GRANT UPDATE (response_status) ON deliveries TO hookscope_receiver",
    "GRANT SELECT, INSERT ON subscribers TO hookscope_receiver",
    "GRANT UPDATE (verified, fields, data, last_seen) ON subscribers TO hookscope_receiver",
    "GRANT USAGE ON SEQUENCE deliveries_id_seq, subscribers_id_seq, replays_id_seq "
    "TO hookscope_receiver",
    "GRANT SELECT ON hookscope_meta, endpoints, deliveries, subscribers, subscriber_events, "
    "replays, schema_state, event_schemas, schema_fields, drift TO hookscope_viewer",
    "GRANT SELECT ON schema_state, event_schemas, schema_fields, drift TO hookscope_receiver",
    // Receivers learn the schemas (and may forget them, to learn them again).
    "GRANT SELECT, INSERT, DELETE ON schema_queue TO hookscope_receiver",
    "GRANT INSERT, UPDATE, DELETE ON event_schemas, schema_fields, drift TO hookscope_receiver",
    "GRANT UPDATE ON schema_state TO hookscope_receiver",
    "GRANT SELECT ON schema_queue TO hookscope_viewer",
    "GRANT UPDATE (local_reference, notes) ON subscribers TO hookscope_viewer",
};

// The label a secret's fingerprint is the HMAC of.
constexpr QByteArrayView FingerprintLabel = "HookScope secret fingerprint v1";

bool exec(const QSqlDatabase &db, const QString &statement, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(statement)) {
        *error = errorText(query.lastError());
        return false;
    }
    return true;
}

// A role name as SQL wants it: quoted, so that any letters are kept as given.
std::optional<QString> quotedRole(const QString &name, QString *error)
{
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$"));
    if (!valid.match(name).hasMatch()) {
        *error = QStringLiteral("'%1' is not a role name HookScope creates (letters, digits, "
                                "_ . @ -, at most 63)")
                     .arg(name);
        return std::nullopt;
    }
    return u'"' + name + u'"';
}

bool ensureRole(const QSqlDatabase &db, const QString &quoted, bool login, QString *error)
{
    // CREATE ROLE has no IF NOT EXISTS; two inits at once may still race, and the loser's
    // error says so.
    QString name = quoted.mid(1, quoted.size() - 2);
    name.replace(u'\'', QStringLiteral("''"));
    return exec(db,
                QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                               "'%1') THEN CREATE ROLE %2 %3; END IF; END $$")
                    .arg(name, quoted, login ? QStringLiteral("LOGIN") : QStringLiteral("NOLOGIN")),
                error);
}

QJsonArray fingerprintsOf(const QList<EndpointSecret> &secrets)
{
    QJsonArray list;
    for (qsizetype i = 0; i < secrets.size(); ++i) {
        const EndpointSecret &secret = secrets.at(i);
        list.append(QJsonObject{
            {QStringLiteral("label"),
             secret.label.isEmpty() ? QStringLiteral("secret %1").arg(i + 1) : secret.label},
            {QStringLiteral("fingerprint"), fingerprint(secret.value)},
        });
    }
    return list;
}

} // namespace

QString errorText(const QSqlError &error)
{
    // The server's first line ("ERROR:  ..."); its DETAIL may quote a row's values, which
    // would carry payload text into logs and answers.
    QString text = error.databaseText().trimmed();
    if (text.isEmpty())
        text = error.driverText().trimmed();
    text = text.section(u'\n', 0, 0).trimmed();
    if (text.startsWith(u"ERROR:"))
        text = text.mid(6).trimmed();
    return text.isEmpty() ? QStringLiteral("the team database gave no reason") : text;
}

QString text(const QByteArray &utf8)
{
    QString value = QString::fromUtf8(utf8);
    if (value.isNull())
        return QStringLiteral("");
    value.replace(QChar(u'\0'), QChar(QChar::ReplacementCharacter));
    return value;
}

QString searchWords(const QString &text)
{
    // As SQLite's unicode61 tokenizer reads text for the file's index: letters and digits make
    // words, everything else separates them, and diacritics are dropped ("zoë" is "zoe").
    const QString decomposed = text.normalized(QString::NormalizationForm_KD);
    QString words;
    words.reserve(decomposed.size());
    for (const QChar c : decomposed) {
        if (c.category() == QChar::Mark_NonSpacing)
            continue;
        words.append(c.isLetterOrNumber() ? c : QChar(u' '));
    }
    return words;
}

QString searchText(const Delivery &d)
{
    return searchWords(text(d.eventType.toUtf8() + ' ' + d.eventId.toUtf8() + ' ' +
                            d.path.toUtf8() + ' ' + d.body.left(SearchTextLimit)));
}

bool isLocation(const QString &location)
{
    return location.startsWith(u"postgresql://", Qt::CaseInsensitive) ||
           location.startsWith(u"postgres://", Qt::CaseInsensitive);
}

QString displayLocation(const QString &location)
{
    QUrl url(location);
    url.setPassword(QString());
    return url.toString();
}

bool connect(const QString &location, const QString &connectionName, QString *error)
{
    const QUrl url(location, QUrl::StrictMode);
    if (!url.isValid() || !isLocation(location)) {
        *error = QStringLiteral("'%1' is not a PostgreSQL location (postgresql://USER@HOST:PORT/"
                                "DATABASE)")
                     .arg(displayLocation(location));
        return false;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        *error = QStringLiteral("Qt's PostgreSQL driver is not installed (Debian: "
                                "libqt6sql6-psql)");
        return false;
    }
    const QUrlQuery query(url);
    // libpq's own form for a Unix socket folder: ?host=/run/postgresql.
    QString host = query.queryItemValue(QStringLiteral("host"), QUrl::FullyDecoded);
    if (host.isEmpty())
        host = url.host(QUrl::FullyDecoded);
    QStringList options{QStringLiteral("connect_timeout=5"),
                        QStringLiteral("application_name=hookscope")};
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (name == u"host")
            continue;
        static const QRegularExpression safe(QStringLiteral("^[A-Za-z_]+$"));
        if (!safe.match(name).hasMatch() || value.contains(u';')) {
            *error =
                QStringLiteral("the PostgreSQL location's option '%1' is not understood").arg(name);
            return false;
        }
        options.append(name + u'=' + value);
    }
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
        db.setHostName(host.isEmpty() ? QStringLiteral("localhost") : host);
        if (url.port() > 0)
            db.setPort(url.port());
        db.setDatabaseName(url.path(QUrl::FullyDecoded).mid(1));
        db.setUserName(url.userName(QUrl::FullyDecoded));
        db.setPassword(url.password(QUrl::FullyDecoded));
        db.setConnectOptions(options.join(u';'));
        if (!db.open()) {
            *error = QStringLiteral("cannot connect to %1: %2")
                         .arg(displayLocation(location), errorText(db.lastError()));
        } else if (QString setError;
                   // Notices ("already a member") are not for the user's terminal.
                   !exec(db, QStringLiteral("SET client_min_messages = warning"), &setError) ||
                   !exec(db, QStringLiteral("SET synchronous_commit = on"), &setError)) {
            *error = setError;
        } else {
            return true;
        }
    }
    disconnect(connectionName);
    return false;
}

void disconnect(const QString &connectionName)
{
    if (!QSqlDatabase::contains(connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
}

bool checkSchema(const QSqlDatabase &db, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("SELECT value FROM hookscope_meta WHERE name = "
                                   "'schema_version'")) ||
        !query.next()) {
        *error =
            QStringLiteral("the database has no HookScope schema; create it with: hookscope "
                           "db init %1")
                .arg(displayLocation(
                    db.hostName().startsWith(u'/')
                        ? QStringLiteral("postgresql:///%1?host=%2")
                              .arg(db.databaseName(), db.hostName())
                        : QStringLiteral("postgresql://%1@%2%3/%4")
                              .arg(db.userName(), db.hostName(),
                                   db.port() > 0 ? u':' + QString::number(db.port()) : QString(),
                                   db.databaseName())));
        return false;
    }
    const int version = query.value(0).toInt();
    if (version != SchemaVersion) {
        *error = version > SchemaVersion
                     ? QStringLiteral("the database was set up by a newer HookScope (schema %1; "
                                      "this one knows %2)")
                           .arg(version)
                           .arg(SchemaVersion)
                     : QStringLiteral("the database's schema %1 is older than this HookScope's "
                                      "(%2); its owner upgrades it with: hookscope db init URL")
                           .arg(version)
                           .arg(SchemaVersion);
        return false;
    }
    return true;
}

bool initialize(const QSqlDatabase &db, const QStringList &receivers, const QStringList &viewers,
                QString *error)
{
    QSqlDatabase connection = db;
    // Roles first: they are the cluster's, outside any one database's transaction.
    for (const char *role : {ReceiverRole, ViewerRole}) {
        if (!ensureRole(db, u'"' + QLatin1String(role) + u'"', false, error))
            return false;
    }
    if (!connection.transaction()) {
        *error = errorText(connection.lastError());
        return false;
    }
    const auto fail = [&connection] {
        connection.rollback();
        return false;
    };
    // One init at a time: a second waits, then finds the schema there.
    if (!exec(db, QStringLiteral("SELECT pg_advisory_xact_lock(4867243)"), error))
        return fail();
    QSqlQuery present(db);
    if (!present.exec(QStringLiteral("SELECT to_regclass('public.hookscope_meta') IS NOT NULL")) ||
        !present.next()) {
        *error = errorText(present.lastError());
        return fail();
    }
    int version = 0;
    if (present.value(0).toBool()) {
        QSqlQuery current(db);
        if (!current.exec(QStringLiteral("SELECT value FROM hookscope_meta WHERE name = "
                                         "'schema_version'")) ||
            !current.next()) {
            *error = QStringLiteral("the database has a hookscope_meta table without a schema "
                                    "version; it was not set up by HookScope");
            return fail();
        }
        version = current.value(0).toInt();
        if (version > SchemaVersion || version < 1) {
            checkSchema(db, error); // says which
            return fail();
        }
    } else {
        for (const char *statement : SchemaStatements) {
            if (!exec(db, QLatin1String(statement), error))
                return fail();
        }
        version = 1;
    }
    if (version < 2) {
        for (const char *statement : LearningStatements) {
            if (!exec(db, QLatin1String(statement), error))
                return fail();
        }
    }
    if (!exec(db,
              QStringLiteral("INSERT INTO hookscope_meta VALUES ('schema_version', '%1') ON "
                             "CONFLICT (name) DO UPDATE SET value = EXCLUDED.value")
                  .arg(SchemaVersion),
              error))
        return fail();
    for (const char *statement : GrantStatements) {
        if (!exec(db, QLatin1String(statement), error))
            return fail();
    }
    if (!connection.commit()) {
        *error = errorText(connection.lastError());
        return false;
    }
    for (const auto &[logins, role] :
         {std::pair{&receivers, ReceiverRole}, std::pair{&viewers, ViewerRole}}) {
        for (const QString &login : *logins) {
            const std::optional<QString> quoted = quotedRole(login, error);
            if (!quoted || !ensureRole(db, *quoted, true, error) ||
                !exec(db, QStringLiteral("GRANT %1 TO %2").arg(QLatin1String(role), *quoted),
                      error))
                return false;
        }
    }
    return true;
}

QString fingerprint(const QByteArray &secret)
{
    return QString::fromLatin1(
        Hmac::compute(Hmac::Algorithm::Sha256, secret, FingerprintLabel).toHex().left(16));
}

std::optional<QList<Endpoint>> endpoints(const QSqlDatabase &db, QString *error)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral(
            "SELECT id, name, path, scheme, tolerance_seconds, scheme_options, subscriber_path, "
            "response_policy, forward_url, answer_with_app, secret_fingerprints FROM endpoints "
            "ORDER BY name"))) {
        *error = errorText(query.lastError());
        return std::nullopt;
    }
    QList<Endpoint> list;
    while (query.next()) {
        Endpoint endpoint = EndpointRepository::settingsFrom(query);
        const QJsonArray prints = QJsonDocument::fromJson(query.value(10).toByteArray()).array();
        for (const QJsonValue &print : prints) {
            endpoint.secrets.append(
                {print[u"label"].toString(), print[u"fingerprint"].toString().toLatin1(), false});
        }
        list.append(endpoint);
    }
    return list;
}

bool publishEndpoint(const QSqlDatabase &db, const Endpoint &endpoint, QString *error)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "INSERT INTO endpoints (name, path, scheme, tolerance_seconds, created_at, "
        "scheme_options, subscriber_path, response_policy, forward_url, answer_with_app, "
        "secret_fingerprints) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO "
        "UPDATE SET path = excluded.path, scheme = excluded.scheme, tolerance_seconds = "
        "excluded.tolerance_seconds, scheme_options = excluded.scheme_options, subscriber_path = "
        "excluded.subscriber_path, response_policy = excluded.response_policy, forward_url = "
        "excluded.forward_url, answer_with_app = excluded.answer_with_app, secret_fingerprints "
        "= excluded.secret_fingerprints"));
    for (const QVariant &value : EndpointRepository::settingsRow(endpoint))
        query.addBindValue(value);
    query.addBindValue(QString::fromUtf8(
        QJsonDocument(fingerprintsOf(endpoint.secrets)).toJson(QJsonDocument::Compact)));
    if (!query.exec()) {
        *error = errorText(query.lastError());
        return false;
    }
    return true;
}

bool removeEndpoint(const QSqlDatabase &db, const QString &name, QString *error)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("DELETE FROM endpoints WHERE name = ?"));
    query.addBindValue(name);
    if (!query.exec()) {
        *error = errorText(query.lastError());
        return false;
    }
    if (query.numRowsAffected() == 0) {
        *error = QStringLiteral("no endpoint named \"%1\"").arg(name);
        return false;
    }
    return true;
}

bool mayLearnSchemas(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    return query.exec(QStringLiteral("SELECT has_table_privilege('schema_queue', 'DELETE') AND "
                                     "has_table_privilege('event_schemas', 'INSERT')")) &&
           query.next() && query.value(0).toBool();
}

bool mayChangeEndpoints(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    return query.exec(QStringLiteral("SELECT has_table_privilege('endpoints', 'INSERT') AND "
                                     "has_table_privilege('endpoints', 'UPDATE')")) &&
           query.next() && query.value(0).toBool();
}

QList<Endpoint> withLocalSecrets(const QList<Endpoint> &team, const QList<Endpoint> &local,
                                 QStringList *warnings)
{
    QList<Endpoint> merged;
    for (Endpoint endpoint : team) {
        QStringList teamPrints;
        for (const EndpointSecret &secret : endpoint.secrets)
            teamPrints.append(QString::fromLatin1(secret.value));
        endpoint.secrets.clear();
        const auto own = std::find_if(local.cbegin(), local.cend(), [&endpoint](const Endpoint &e) {
            return e.name == endpoint.name;
        });
        QStringList ownPrints;
        if (own != local.cend()) {
            endpoint.secrets = own->secrets;
            endpoint.secretProblem = own->secretProblem;
            for (const EndpointSecret &secret : own->secrets)
                ownPrints.append(fingerprint(secret.value));
        }
        if (warnings && !teamPrints.isEmpty() && ownPrints.isEmpty()) {
            warnings->append(
                QStringLiteral("endpoint %1: this machine has no secret for it (the team's "
                               "is fingerprint %2); give it with: hookscope endpoint update %1 "
                               "--secret-env VAR --db <the team's database>")
                    .arg(endpoint.name, teamPrints.join(QStringLiteral(", "))));
        } else if (warnings && ownPrints != teamPrints) {
            warnings->append(QStringLiteral("endpoint %1: this machine's secret differs from the "
                                            "team's (fingerprint %2 here, %3 in the database)")
                                 .arg(endpoint.name,
                                      ownPrints.isEmpty() ? QStringLiteral("none")
                                                          : ownPrints.join(QStringLiteral(", ")),
                                      teamPrints.isEmpty()
                                          ? QStringLiteral("none")
                                          : teamPrints.join(QStringLiteral(", "))));
        }
        merged.append(endpoint);
    }
    return merged;
}

bool isConnectionLost(const QSqlDatabase &db)
{
    // libpq knows whether its connection is still up; a statement error leaves it so.
    QSqlQuery probe(db);
    return !db.isOpen() || !probe.exec(QStringLiteral("SELECT 1"));
}

} // namespace Postgres
