#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QList>
#include <QSqlDatabase>
#include <QSqlError>
#include <QString>
#include <QStringList>

#include <optional>

// The team store: one PostgreSQL database that several receivers write to and every
// teammate's window reads, through Qt's QPSQL driver. What differs from the SQLite file is
// kept here, in one place: the location's form, the schema, the roles, endpoint settings
// without their secrets.
namespace Postgres {

// The schema this HookScope writes and reads (table hookscope_meta, row schema_version).
constexpr int SchemaVersion = 2;

// The roles `db init` creates: receivers insert deliveries and keep the mapping; viewers read,
// and change only the subscribers' own fields (local reference, notes).
inline constexpr const char *ReceiverRole = "hookscope_receiver";
inline constexpr const char *ViewerRole = "hookscope_viewer";

// The advisory lock a team database's schema learners take, one at a time (see SchemaKeeper).
constexpr qint64 LearningLock = 4867244;

// Whether a --db value (or HOOKSCOPE_DB) names a PostgreSQL database rather than a file:
// postgresql://user@host:port/name (postgres:// too).
bool isLocation(const QString &location);
// The location with any password left out, for messages.
QString displayLocation(const QString &location);

// Opens a connection named `connectionName` to the database at `location` on the calling
// thread, with synchronous_commit on. On failure the connection is removed again.
bool connect(const QString &location, const QString &connectionName, QString *error);
void disconnect(const QString &connectionName);

// Checks that the database was set up by `db init` with the schema this HookScope knows.
bool checkSchema(const QSqlDatabase &db, QString *error);

// Creates the schema and the two roles with their grants when they are not there yet (run
// again, it changes nothing), and grants each login named its role, creating the login role
// (without a password: the server's own authentication decides) when it does not exist.
bool initialize(const QSqlDatabase &db, const QStringList &receivers, const QStringList &viewers,
                QString *error);

// A secret's fingerprint: HMAC-SHA256 of a fixed label keyed with the secret, 16 hex digits.
// Equal secrets give equal fingerprints; the secret cannot be read back from it.
QString fingerprint(const QByteArray &secret);

// The endpoints' settings as the team database holds them: no secret values, only each
// secret's label and fingerprint in EndpointSecret::value (see fingerprintsOf()).
std::optional<QList<Endpoint>> endpoints(const QSqlDatabase &db, QString *error);
// Adds or replaces the endpoint of that name with `endpoint`'s settings and its secrets'
// fingerprints.
bool publishEndpoint(const QSqlDatabase &db, const Endpoint &endpoint, QString *error);
bool removeEndpoint(const QSqlDatabase &db, const QString &name, QString *error);
// Whether this login may learn the event schemas (receivers and the owner may; viewers read
// what they learned).
bool mayLearnSchemas(const QSqlDatabase &db);
// Whether this login may add and change the team's endpoints (their owner may; receivers and
// viewers may not).
bool mayChangeEndpoints(const QSqlDatabase &db);

// The team's endpoints with this machine's secrets: each takes the secrets of the local
// endpoint of its name. `warnings` says where this machine has no secret for an endpoint, or
// one whose fingerprint differs from the team's.
QList<Endpoint> withLocalSecrets(const QList<Endpoint> &team, const QList<Endpoint> &local,
                                 QStringList *warnings);

// A value for a text column: PostgreSQL text cannot hold U+0000, so the character is shown as
// U+FFFD there (the body keeps every byte, as bytea); never NULL.
QString text(const QByteArray &utf8);

// What a delivery's text-search vector is made of: its event type, event id, path and body as
// text. SearchVector turns it into the vector in SQL, with the words' positions, which phrases
// need ("sub_12" is the phrase "sub 12"). A tsvector holds at most 1 MB: the body is cut at
// SearchTextLimit bytes, which keeps words and positions well within it.
constexpr qsizetype SearchTextLimit = 256 * 1024;
QString searchText(const Delivery &delivery);
// Text as the index reads it (and a query must be read): words of letters and digits, without
// diacritics; 'simple' then folds case.
QString searchWords(const QString &text);
inline const QString SearchVector = QStringLiteral("to_tsvector('simple', ?)");

// The first line of what the server said, without the row values its details may quote.
QString errorText(const QSqlError &error);

// Whether the connection to the server is gone (rather than a statement having failed).
bool isConnectionLost(const QSqlDatabase &db);

} // namespace Postgres
