#include "subscriberscommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "deliveryjson.h"
#include "output.h"
#include "privatefile.h"
#include "subscriberrepository.h"

#include <QFile>

#include <variant>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

namespace {

QString orDash(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("-") : text;
}

int list(const QStringList &arguments)
{
    const QString command = QStringLiteral("subscribers");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the subscriber mapping kept from "
                                                    "HostedHooks subscriber.created events."));
    parser.addOption(jsonOption(QStringLiteral("the subscribers")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("subscribers [--json] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const auto subscribers = SubscriberRepository(database).list(&error);
    if (!subscribers)
        return fail(command, error);
    if (parser.isSet(QStringLiteral("json"))) {
        Output::outBytes(SubscriberRepository::toJson(*subscribers));
        return CommandLine::Success;
    }
    QList<QStringList> rows;
    QList<qsizetype> widths{8, 13, 8, 4, 15, 5};
    for (const Subscriber &s : *subscribers) {
        const QString name = s.field(QStringLiteral("name")).isEmpty()
                                 ? s.field(QStringLiteral("email"))
                                 : s.field(QStringLiteral("name"));
        rows.append({s.endpoint, s.subscriberId,
                     s.verified ? QStringLiteral("yes") : QStringLiteral("NO"), orDash(name),
                     orDash(s.localReference), s.notes.simplified()});
        for (int i = 0; i < widths.size(); ++i)
            widths[i] = std::max(widths[i], rows.constLast()[i].size());
    }
    const QStringList header{QStringLiteral("ENDPOINT"),        QStringLiteral("SUBSCRIBER ID"),
                             QStringLiteral("VERIFIED"),        QStringLiteral("NAME"),
                             QStringLiteral("LOCAL REFERENCE"), QStringLiteral("NOTES")};
    auto line = [&widths](const QStringList &cells) {
        QString text;
        for (int i = 0; i < cells.size(); ++i)
            text += i + 1 < cells.size() ? cells[i].leftJustified(widths[i] + 2) : cells[i];
        return text;
    };
    outLine(line(header));
    for (const QStringList &row : std::as_const(rows))
        outLine(line(row));
    return CommandLine::Success;
}

// The one row SUBSCRIBER_ID [--endpoint NAME] names, or an exit code.
std::variant<Subscriber, int> one(const Database &database, const QCommandLineParser &parser,
                                  const QString &command)
{
    const QString id = parser.positionalArguments().constFirst();
    const QString endpoint = parser.value(QStringLiteral("endpoint"));
    QString error;
    const auto matches = SubscriberRepository(database).find(id, endpoint, &error);
    if (!matches)
        return fail(command, error);
    if (matches->isEmpty())
        return fail(
            command,
            endpoint.isEmpty()
                ? QStringLiteral("no subscriber with id \"%1\"").arg(id)
                : QStringLiteral("no subscriber \"%1\" on endpoint \"%2\"").arg(id, endpoint),
            CommandLine::NotFound);
    if (matches->size() > 1) {
        QStringList endpoints;
        for (const Subscriber &s : *matches)
            endpoints.append(s.endpoint);
        return fail(
            command,
            QStringLiteral("\"%1\" is known on several endpoints (%2): say which with --endpoint")
                .arg(id, endpoints.join(QStringLiteral(", "))));
    }
    return matches->constFirst();
}

QCommandLineOption endpointChoiceOption()
{
    return {QStringLiteral("endpoint"),
            QStringLiteral("The endpoint, when the id is known on several."),
            QStringLiteral("NAME")};
}

int set(const QStringList &arguments)
{
    const QString command = QStringLiteral("subscribers set");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Set the local reference and notes of a subscriber."));
    parser.addPositionalArgument(QStringLiteral("SUBSCRIBER_ID"),
                                 QStringLiteral("The HostedHooks subscriber id."));
    parser.addOption(endpointChoiceOption());
    parser.addOption({QStringLiteral("ref"),
                      QStringLiteral("The id of the matching account in your system."),
                      QStringLiteral("REF")});
    parser.addOption(
        {QStringLiteral("notes"), QStringLiteral("Free notes."), QStringLiteral("TEXT")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("subscribers set SUBSCRIBER_ID [--endpoint NAME] "
                                             "[--ref REF] [--notes TEXT] [--db FILE]")))
        return CommandLine::Success;
    if (!parser.isSet(QStringLiteral("ref")) && !parser.isSet(QStringLiteral("notes")))
        return fail(command, QStringLiteral("give --ref, --notes or both"));
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    const auto found = one(database, parser, command);
    if (const int *code = std::get_if<int>(&found))
        return *code;
    const Subscriber &subscriber = std::get<Subscriber>(found);
    QString error;
    // A null QString leaves a field as it is; an option given empty clears it.
    auto given = [&parser](const QString &name) {
        if (!parser.isSet(name))
            return QString();
        const QString value = parser.value(name);
        return value.isNull() ? QStringLiteral("") : value;
    };
    if (!SubscriberRepository(database).setUserFields(subscriber.id, given(QStringLiteral("ref")),
                                                      given(QStringLiteral("notes")), &error))
        return fail(command, error);
    outLine(QStringLiteral("updated %1 on %2").arg(subscriber.subscriberId, subscriber.endpoint));
    return CommandLine::Success;
}

int remove(const QStringList &arguments)
{
    const QString command = QStringLiteral("subscribers delete");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Delete a subscriber from the mapping (its deliveries stay)."));
    parser.addPositionalArgument(QStringLiteral("SUBSCRIBER_ID"),
                                 QStringLiteral("The HostedHooks subscriber id."));
    parser.addOption(endpointChoiceOption());
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(
            parser,
            QStringLiteral("subscribers delete SUBSCRIBER_ID [--endpoint NAME] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    const auto found = one(database, parser, command);
    if (const int *code = std::get_if<int>(&found))
        return *code;
    const Subscriber &subscriber = std::get<Subscriber>(found);
    QString error;
    if (!SubscriberRepository(database).remove(subscriber.id, &error))
        return fail(command, error);
    outLine(QStringLiteral("deleted %1 on %2").arg(subscriber.subscriberId, subscriber.endpoint));
    return CommandLine::Success;
}

int exportTo(const QStringList &arguments)
{
    const QString command = QStringLiteral("subscribers export");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Export the subscriber mapping."));
    parser.addOption(
        {QStringLiteral("csv"), QStringLiteral("Write CSV to FILE."), QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("json"), QStringLiteral("Write JSON to FILE."), QStringLiteral("FILE")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser,
                      QStringLiteral("subscribers export (--csv FILE | --json FILE) [--db FILE]")))
        return CommandLine::Success;
    const bool csv = parser.isSet(QStringLiteral("csv"));
    if (csv == parser.isSet(QStringLiteral("json")))
        return fail(command, QStringLiteral("give one of --csv FILE or --json FILE"));
    const QString file = parser.value(csv ? QStringLiteral("csv") : QStringLiteral("json"));
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const auto subscribers = SubscriberRepository(database).list(&error);
    if (!subscribers)
        return fail(command, error);
    // Exports hold what the payloads said about people: readable by their owner only.
    if (!PrivateFile::write(file,
                            csv ? SubscriberRepository::toCsv(*subscribers)
                                : SubscriberRepository::toJson(*subscribers),
                            &error))
        return fail(command, error);
    outLine(QStringLiteral("exported %1 subscribers to %2").arg(subscribers->size()).arg(file));
    return CommandLine::Success;
}

int importFrom(const QStringList &arguments)
{
    const QString command = QStringLiteral("subscribers import");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Merge a CSV of subscriber_id,local_reference[,notes] into the mapping by "
                       "subscriber id. Rows that cannot be applied are listed; exit code 1 when "
                       "there are any."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The CSV file."));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("subscribers import FILE [--db FILE]")))
        return CommandLine::Success;
    const QString file = parser.positionalArguments().constFirst();
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return fail(command, QStringLiteral("cannot read %1: %2").arg(file, in.errorString()));
    const QByteArray csv = in.readAll();
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    const auto report = SubscriberRepository(database).importCsv(csv, &error);
    if (!report)
        return fail(command, QStringLiteral("%1: %2").arg(file, error));
    outLine(QStringLiteral("applied %1, unchanged %2, not applied %3")
                .arg(report->applied)
                .arg(report->unchanged)
                .arg(report->problems.size()));
    for (const QString &problem : report->problems)
        outLine(QStringLiteral("  ") + problem);
    return report->problems.isEmpty() ? CommandLine::Success : CommandLine::NotFound;
}

} // namespace

int SubscribersCommand::run(const QStringList &arguments)
{
    const QString action = arguments.value(0);
    if (action == u"set")
        return set(arguments.mid(1));
    if (action == u"export")
        return exportTo(arguments.mid(1));
    if (action == u"import")
        return importFrom(arguments.mid(1));
    if (action == u"delete")
        return remove(arguments.mid(1));
    if (action == u"list")
        return list(arguments.mid(1));
    if (action.isEmpty() || action.startsWith(u'-'))
        return list(arguments);
    return fail(
        QStringLiteral("subscribers"),
        QStringLiteral("unknown action '%1' (list, set, delete, export or import)").arg(action));
}
