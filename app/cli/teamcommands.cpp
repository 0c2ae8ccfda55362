#include "teamcommands.h"

#include "commandparsing.h"
#include "database.h"
#include "deliveryjson.h"
#include "output.h"
#include "postgres.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using Output::errorLine;
using Output::outLine;

namespace TeamCommands {

using namespace CommandParsing;

namespace {

int counter = 0;

// This machine's own file, where the secrets of the team's endpoints are kept.
bool openLocal(Database &local, const QString &localPath, const QString &command)
{
    QString error;
    if (!local.open(localPath, &error)) {
        fail(command, QStringLiteral("this machine's file %1 (where the secrets are kept): %2")
                          .arg(localPath, error));
        return false;
    }
    return true;
}

} // namespace

Connection::Connection(const QString &location, const QString &command, bool forInit)
    : m_name(QStringLiteral("hookscope-team-command-%1").arg(++counter))
{
    QString error;
    if (!Postgres::connect(location, m_name, &error)) {
        fail(command, error);
        return;
    }
    if (!forInit && !Postgres::checkSchema(database(), &error)) {
        fail(command, error);
        Postgres::disconnect(m_name);
        return;
    }
    m_open = true;
}

Connection::~Connection()
{
    Postgres::disconnect(m_name);
}

QSqlDatabase Connection::database() const
{
    return QSqlDatabase::database(m_name, false);
}

int db(const QStringList &arguments)
{
    const QString action = arguments.value(0);
    if (action == u"--help" || action == u"-h") {
        outLine(QStringLiteral("Usage: %1 db init URL [--receiver LOGIN]... [--viewer LOGIN]...")
                    .arg(Program));
        return CommandLine::Success;
    }
    if (action != u"init") {
        return fail(QStringLiteral("db"),
                    action.isEmpty() ? QStringLiteral("missing action (init)")
                                     : QStringLiteral("unknown action '%1' (init)").arg(action));
    }
    const QString command = QStringLiteral("db init");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Set up a PostgreSQL database as the team's store: HookScope's tables, the roles "
        "hookscope_receiver (stores deliveries) and hookscope_viewer (reads; edits only the "
        "subscribers' own fields), and each login named given its role. Safe to run again."));
    parser.addPositionalArgument(QStringLiteral("URL"),
                                 QStringLiteral("postgresql://ADMIN@HOST:PORT/DATABASE"));
    parser.addOption({QStringLiteral("receiver"),
                      QStringLiteral("Give login LOGIN the receiver role (created when missing)."),
                      QStringLiteral("LOGIN")});
    parser.addOption({QStringLiteral("viewer"),
                      QStringLiteral("Give login LOGIN the viewer role (created when missing)."),
                      QStringLiteral("LOGIN")});
    if (!parse(parser, command, arguments.mid(1), 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("db init URL [--receiver LOGIN]... [--viewer "
                                             "LOGIN]...")))
        return CommandLine::Success;
    const QString location = parser.positionalArguments().constFirst();
    if (!Postgres::isLocation(location))
        return fail(command, QStringLiteral("'%1' is not a PostgreSQL location "
                                            "(postgresql://USER@HOST:PORT/DATABASE)")
                                 .arg(location));
    Connection connection(location, command, true);
    if (!connection.isOpen())
        return CommandLine::Failure;
    QString error;
    const QStringList receivers = parser.values(QStringLiteral("receiver"));
    const QStringList viewers = parser.values(QStringLiteral("viewer"));
    if (!Postgres::initialize(connection.database(), receivers, viewers, &error))
        return fail(command, error);
    outLine(QStringLiteral("%1 is ready for HookScope (schema %2)")
                .arg(Postgres::displayLocation(location))
                .arg(Postgres::SchemaVersion));
    for (const QString &login : receivers)
        outLine(QStringLiteral("%1 may store deliveries (%2)")
                    .arg(login, QLatin1String(Postgres::ReceiverRole)));
    for (const QString &login : viewers)
        outLine(QStringLiteral("%1 may read (%2)").arg(login, QLatin1String(Postgres::ViewerRole)));
    return CommandLine::Success;
}

int endpointAdd(const QString &location, const QString &localPath, Endpoint endpoint,
                const QString &command)
{
    Connection team(location, command);
    if (!team.isOpen())
        return CommandLine::Failure;
    Database local;
    if (!openLocal(local, localPath, command))
        return CommandLine::Failure;
    QString error;
    // This machine's copy carries the secret; another copy of the name here is replaced.
    EndpointRepository repository(local);
    EndpointRepository::SecretStorage storage;
    const bool known = repository.find(endpoint.name, &error).has_value();
    if (!(known ? repository.update(endpoint, &error, &storage)
                : repository.add(endpoint, &error, &storage)))
        return fail(command, QStringLiteral("this machine's file %1: %2").arg(localPath, error));
    if (!Postgres::publishEndpoint(team.database(), endpoint, &error))
        return fail(command, error);
    outLine(QStringLiteral("added endpoint %1 to %2: path %3, scheme %4")
                .arg(endpoint.name, Postgres::displayLocation(location), endpoint.path,
                     schemeName(endpoint.scheme)));
    if (endpoint.hasSecret()) {
        QStringList prints;
        for (const EndpointSecret &secret : endpoint.secrets)
            prints.append(Postgres::fingerprint(secret.value));
        outLine(QStringLiteral("the secret stays on this machine (%1); the team database holds "
                               "only its fingerprint %2")
                    .arg(storage.inKeychain > 0 ? QStringLiteral("desktop keychain") : localPath,
                         prints.join(QStringLiteral(", "))));
    }
    return CommandLine::Success;
}

int endpointList(const QString &location, const QString &localPath, bool json,
                 const QString &command)
{
    Connection team(location, command);
    if (!team.isOpen())
        return CommandLine::Failure;
    QString error;
    const auto endpoints = Postgres::endpoints(team.database(), &error);
    if (!endpoints)
        return fail(command, error);
    QList<Endpoint> local;
    Database own;
    if (own.openReadOnly(localPath, &error))
        local = EndpointRepository(own).list(&error).value_or(QList<Endpoint>());
    QStringList warnings;
    const QList<Endpoint> merged = Postgres::withLocalSecrets(*endpoints, local, &warnings);
    if (json) {
        QJsonArray array;
        for (qsizetype i = 0; i < merged.size(); ++i) {
            QJsonObject object = DeliveryJson::endpoint(merged.at(i));
            QJsonArray prints;
            for (const EndpointSecret &secret : endpoints->at(i).secrets)
                prints.append(QString::fromLatin1(secret.value));
            object.insert(QStringLiteral("team_fingerprints"), prints);
            array.append(object);
        }
        Output::out(QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented)));
    } else {
        for (const Endpoint &endpoint : merged) {
            outLine(
                QStringLiteral("%1\t%2\t%3\tsecret here: %4")
                    .arg(endpoint.name, endpoint.path, schemeName(endpoint.scheme),
                         endpoint.hasSecret() ? endpoint.secretStorage() : QStringLiteral("none")));
        }
    }
    for (const QString &warning : warnings)
        errorLine(QStringLiteral("%1 %2: warning: %3").arg(Program, command, warning));
    return CommandLine::Success;
}

int endpointRemove(const QString &location, const QString &localPath, const QString &name,
                   const QString &command)
{
    Connection team(location, command);
    if (!team.isOpen())
        return CommandLine::Failure;
    QString error;
    if (!Postgres::removeEndpoint(team.database(), name, &error))
        return fail(command, error,
                    error.startsWith(u"no endpoint") ? CommandLine::NotFound
                                                     : CommandLine::Failure);
    Database local;
    if (local.open(localPath, &error) && EndpointRepository(local).find(name, &error))
        EndpointRepository(local).remove(name, &error);
    outLine(QStringLiteral("removed endpoint %1 from %2")
                .arg(name, Postgres::displayLocation(location)));
    return CommandLine::Success;
}

} // namespace TeamCommands
