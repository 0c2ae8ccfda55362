#include "teamcommands.h"

#include "commandparsing.h"
#include "copycommand.h"
#include "output.h"
#include "postgres.h"

#include <QCommandLineParser>

using Output::errorLine;
using Output::outLine;

namespace TeamCommands {

using namespace CommandParsing;

namespace {

int counter = 0;

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
        outLine(QStringLiteral("Usage: %1 db init URL [--receiver LOGIN]... [--viewer LOGIN]...\n"
                               "       %1 db copy --from FILE|URL --to URL|FILE")
                    .arg(Program));
        return CommandLine::Success;
    }
    if (action == u"copy")
        return CopyCommand::run(arguments.mid(1));
    if (action != u"init") {
        return fail(QStringLiteral("db"),
                    action.isEmpty()
                        ? QStringLiteral("missing action (init, copy)")
                        : QStringLiteral("unknown action '%1' (init, copy)").arg(action));
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

} // namespace TeamCommands
