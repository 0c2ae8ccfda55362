#include "copycommand.h"

#include "commandparsing.h"
#include "output.h"
#include "postgres.h"
#include "storecopy.h"

#include <QCommandLineParser>

using Output::errorLine;
using Output::outLine;

namespace CopyCommand {

using namespace CommandParsing;

int run(const QStringList &arguments)
{
    const QString command = QStringLiteral("db copy");
    const QString synopsis = QStringLiteral("db copy --from SRC --to DST");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Copy the history of a HookScope file into a team database, or a team database's into a "
        "file: endpoints (the team database gets only the secrets' fingerprints), deliveries "
        "with their ids, replays and the subscriber mapping with your references and notes. "
        "Run it again to go on after an interruption, or to bring over what came since; a "
        "target holding deliveries from elsewhere is refused."));
    parser.addOption({QStringLiteral("from"),
                      QStringLiteral("Copy from SRC: a HookScope file, or "
                                     "postgresql://USER@HOST:PORT/DATABASE."),
                      QStringLiteral("SRC")});
    parser.addOption({QStringLiteral("to"),
                      QStringLiteral("Copy into DST: a team database when SRC is a file (set up "
                                     "with db init), else a HookScope file (created when "
                                     "missing)."),
                      QStringLiteral("DST")});
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, synopsis))
        return CommandLine::Success;
    const QString from = parser.value(QStringLiteral("from"));
    const QString to = parser.value(QStringLiteral("to"));
    if (from.isEmpty() || to.isEmpty())
        return fail(command, QStringLiteral("missing %1. Try '%2 %3 --help'.")
                                 .arg(from.isEmpty() ? QStringLiteral("--from SRC")
                                                     : QStringLiteral("--to DST"),
                                      Program, command));
    if (Postgres::isLocation(from) == Postgres::isLocation(to))
        return fail(command,
                    Postgres::isLocation(from)
                        ? QStringLiteral("both are team databases; copy between a HookScope "
                                         "file and a team database (postgresql://...)")
                        : QStringLiteral("both are files; copy between a HookScope file and a "
                                         "team database (postgresql://...)"));
    const auto shown = [](const QString &location) {
        return Postgres::isLocation(location) ? Postgres::displayLocation(location) : location;
    };

    StoreCopy::Summary summary;
    QString error;
    const bool copied = StoreCopy::copy(
        from, to,
        [](qint64 done, qint64 total) {
            errorLine(QStringLiteral("copied %1 of %2 deliveries").arg(done).arg(total));
        },
        &summary, &error);
    for (const QString &note : summary.notes)
        errorLine(QStringLiteral("%1 %2: note: %3").arg(Program, command, note));
    if (!copied)
        return fail(command, error);
    outLine(QStringLiteral("copied %1 deliveries%2, %3 endpoints, %4 subscribers, %5 replays from "
                           "%6 to %7")
                .arg(summary.deliveries)
                .arg(summary.alreadyThere > 0
                         ? QStringLiteral(" (%1 were there already)").arg(summary.alreadyThere)
                         : QString())
                .arg(summary.endpoints)
                .arg(summary.subscribers)
                .arg(summary.replays)
                .arg(shown(from), shown(to)));
    return CommandLine::Success;
}

} // namespace CopyCommand
