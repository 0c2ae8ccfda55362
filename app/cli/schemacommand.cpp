#include "schemacommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "deliverydiff.h"
#include "deliveryjson.h"
#include "deliveryreader.h"
#include "endpointrepository.h"
#include "listener.h"
#include "output.h"
#include "payloaddecoder.h"
#include "schemakeeper.h"
#include "testfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

namespace {

QCommandLineOption endpointOption()
{
    return QCommandLineOption(QStringLiteral("endpoint"),
                              QStringLiteral("Only the event types of this endpoint."),
                              QStringLiteral("NAME"));
}

// Learns what is left to learn, saying how far it got on stderr when that takes a while.
bool learn(const Database &database, const QString &command, QString *error)
{
    qint64 said = 0;
    return SchemaKeeper::bringUpToDate(database, error, [&](qint64 done, qint64 total) {
        if (total < 20000 || done - said < 100000) {
            if (done < total || said == 0)
                return;
        }
        said = done;
        errorLine(QStringLiteral("%1 %2: learned %3 of %4 deliveries")
                      .arg(Program, command)
                      .arg(done)
                      .arg(total));
    });
}

QStringList table(const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size(); ++i) {
            if (widths.size() <= i)
                widths.append(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    QStringList lines;
    for (const QStringList &row : rows) {
        QString line;
        for (qsizetype i = 0; i < row.size(); ++i)
            line += i + 1 < row.size() ? row[i].leftJustified(widths[i] + 2) : row[i];
        lines.append(line);
    }
    return lines;
}

QString shownType(const QString &eventType)
{
    return eventType.isEmpty() ? QStringLiteral("(none)") : eventType;
}

QString shownPath(const QString &path)
{
    return path.isEmpty() ? QStringLiteral("(body)") : path;
}

int events(const QStringList &arguments)
{
    const QString command = QStringLiteral("events");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the event types each endpoint received, with how many deliveries, "
                       "how many drifted from the ones before them, and their fields."));
    parser.addOption(endpointOption());
    parser.addOption(QCommandLineOption(QStringLiteral("rebuild"),
                                        QStringLiteral("Forget what was learned and learn it again "
                                                       "from every stored delivery.")));
    parser.addOption(jsonOption(QStringLiteral("the event types")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser,
                      QStringLiteral("events [--endpoint NAME] [--rebuild] [--json] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    const bool rebuild = parser.isSet(QStringLiteral("rebuild"));
    if (!openDatabase(database, parser, rebuild ? Use::Write : Use::Read))
        return CommandLine::Failure;
    QString error;
    if (rebuild && !SchemaKeeper::reset(database, &error))
        return fail(command, error);
    if (!learn(database, command, &error))
        return fail(command, error);
    const QString endpoint = parser.isSet(QStringLiteral("endpoint"))
                                 ? parser.value(QStringLiteral("endpoint"))
                                 : QString();
    const auto types = SchemaKeeper::eventTypes(database, endpoint, &error);
    if (!types)
        return fail(command, error);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const SchemaKeeper::EventType &t : *types) {
            array.append(QJsonObject{
                {QStringLiteral("endpoint"), t.endpoint},
                {QStringLiteral("event_type"), t.eventType},
                {QStringLiteral("deliveries"), t.deliveries},
                {QStringLiteral("drifted"), t.drifted},
                {QStringLiteral("fields"), t.fields},
                {QStringLiteral("first_seen"), DeliveryJson::timestamp(t.firstSeenMs)},
                {QStringLiteral("last_seen"), DeliveryJson::timestamp(t.lastSeenMs)},
                {QStringLiteral("last_delivery_id"), t.lastDeliveryId},
            });
        }
        Output::outBytes(QJsonDocument(array).toJson(QJsonDocument::Indented));
        return CommandLine::Success;
    }
    if (types->isEmpty()) {
        outLine(QStringLiteral("No JSON deliveries learned yet."));
        return CommandLine::Success;
    }
    QList<QStringList> rows{{QStringLiteral("ENDPOINT"), QStringLiteral("EVENT TYPE"),
                             QStringLiteral("DELIVERIES"), QStringLiteral("DRIFTED"),
                             QStringLiteral("FIELDS"), QStringLiteral("LAST SEEN")}};
    for (const SchemaKeeper::EventType &t : *types)
        rows.append({t.endpoint.isEmpty() ? QStringLiteral("-") : t.endpoint,
                     shownType(t.eventType), QString::number(t.deliveries),
                     QString::number(t.drifted), QString::number(t.fields),
                     DeliveryJson::timestamp(t.lastSeenMs)});
    for (const QString &line : table(rows))
        outLine(line);
    return CommandLine::Success;
}

QString presence(qint64 count, qint64 of)
{
    if (of <= 0)
        return QString::number(count);
    const double percent = 100.0 * double(count) / double(of);
    return QStringLiteral("%1 (%2%)")
        .arg(count)
        .arg(count == of ? QStringLiteral("100") : QString::number(percent, 'f', 1));
}

int schema(const QStringList &arguments)
{
    const QString command = QStringLiteral("schema");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Show what the deliveries of one event type carried: every field, its types, how many "
        "deliveries carried it, its string format and examples; or export it as JSON Schema."));
    parser.addPositionalArgument(QStringLiteral("EVENT_TYPE"),
                                 QStringLiteral("The event type (\"\" for deliveries without "
                                                "one)."));
    parser.addOption(endpointOption());
    parser.addOption(QCommandLineOption(QStringLiteral("json-schema"),
                                        QStringLiteral("Print it as JSON Schema (draft 2020-12): "
                                                       "every delivery learned validates.")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("schema EVENT_TYPE [--endpoint NAME] "
                                             "[--json-schema] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    if (!learn(database, command, &error))
        return fail(command, error);
    const QString eventType = parser.positionalArguments().constFirst();
    QString endpoint = parser.value(QStringLiteral("endpoint"));
    if (!parser.isSet(QStringLiteral("endpoint"))) {
        const auto types = SchemaKeeper::eventTypes(database, QString(), &error);
        if (!types)
            return fail(command, error);
        QStringList endpoints;
        for (const SchemaKeeper::EventType &t : *types) {
            if (t.eventType == eventType)
                endpoints.append(t.endpoint.isEmpty() ? QStringLiteral("\"\"") : t.endpoint);
        }
        if (endpoints.size() > 1)
            return fail(command,
                        QStringLiteral("%1 came to more than one endpoint (%2): name one "
                                       "with --endpoint")
                            .arg(shownType(eventType), endpoints.join(QStringLiteral(", "))));
        if (endpoints.size() == 1)
            endpoint = endpoints.constFirst() == u"\"\"" ? QString() : endpoints.constFirst();
    }
    const auto learned = SchemaKeeper::schema(database, endpoint, eventType, &error);
    if (!learned)
        return fail(command, error);
    if (learned->deliveries == 0)
        return fail(command,
                    QStringLiteral("no JSON delivery of %1%2 was stored")
                        .arg(shownType(eventType),
                             endpoint.isEmpty() ? QString() : QStringLiteral(" on ") + endpoint),
                    CommandLine::NotFound);
    if (parser.isSet(QStringLiteral("json-schema"))) {
        Output::outBytes(QJsonDocument(learned->toJsonSchema()).toJson(QJsonDocument::Indented));
        return CommandLine::Success;
    }
    outLine(QStringLiteral("%1%2: %3 deliveries, %4 drifted, first %5, last %6")
                .arg(shownType(eventType),
                     endpoint.isEmpty() ? QString() : QStringLiteral(" on ") + endpoint)
                .arg(learned->deliveries)
                .arg(learned->drifted)
                .arg(DeliveryJson::timestamp(learned->firstSeenMs),
                     DeliveryJson::timestamp(learned->lastSeenMs)));
    QList<QStringList> rows{{QStringLiteral("FIELD"), QStringLiteral("TYPES"),
                             QStringLiteral("DELIVERIES"), QStringLiteral("FORMAT"),
                             QStringLiteral("EXAMPLES")}};
    for (const QString &path : learned->paths()) {
        const SchemaField &f = learned->fields.at(path);
        rows.append({shownPath(path), SchemaTypes::names(f.types),
                     presence(f.deliveries, learned->deliveries),
                     f.strings > 0 ? StringFormats::names(f.formats) : QString(),
                     f.examples.join(QStringLiteral(", "))});
    }
    outLine(QString());
    for (const QString &line : table(rows))
        outLine(line);
    return CommandLine::Success;
}

std::optional<qint64> previousOf(const Database &database, const Delivery &d, QString *basis,
                                 QString *error)
{
    if (!d.eventId.isEmpty()) {
        auto query =
            database.run(QStringLiteral("SELECT max(id) FROM deliveries WHERE event_id = "
                                        "? AND event_id <> '' AND endpoint = ? AND id < ?"),
                         {d.eventId, d.endpoint, d.id}, error);
        if (!query)
            return std::nullopt;
        if (query->next() && !query->value(0).isNull()) {
            *basis = QStringLiteral("previous-attempt");
            return query->value(0).toLongLong();
        }
    }
    auto query = database.run(QStringLiteral("SELECT max(id) FROM deliveries WHERE event_type = "
                                             "? AND endpoint = ? AND id < ?"),
                              {d.eventType, d.endpoint, d.id}, error);
    if (!query)
        return std::nullopt;
    if (query->next() && !query->value(0).isNull()) {
        *basis = QStringLiteral("previous-of-type");
        return query->value(0).toLongLong();
    }
    return 0;
}

std::optional<qint64> idArgument(const QString &command, const QString &text)
{
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0) {
        fail(command, QStringLiteral("'%1' is not a delivery id").arg(text));
        return std::nullopt;
    }
    return id;
}

int diff(const QStringList &arguments)
{
    const QString command = QStringLiteral("diff");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Compare two deliveries: body fields added, removed and changed, with exact values, "
        "then headers. With one id: against the previous attempt of the same event, or else the "
        "previous delivery of the same type on the same endpoint."));
    parser.addPositionalArgument(QStringLiteral("ID1"), QStringLiteral("A delivery id."));
    parser.addPositionalArgument(QStringLiteral("ID2"),
                                 QStringLiteral("The delivery to compare it with."),
                                 QStringLiteral("[ID2]"));
    parser.addOption(jsonOption(QStringLiteral("the changes")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 2))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("diff ID1 [ID2] [--json] [--db FILE]")))
        return CommandLine::Success;
    const QStringList ids = parser.positionalArguments();
    const std::optional<qint64> first = idArgument(command, ids.constFirst());
    const std::optional<qint64> second =
        ids.size() > 1 ? idArgument(command, ids.constLast()) : std::optional<qint64>(0);
    if (!first || !second)
        return CommandLine::Failure;
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    DeliveryReader reader(database);
    const auto load = [&](qint64 id) -> std::optional<Delivery> {
        auto d = reader.find(id, &error);
        if (!d && error.isEmpty())
            error = QStringLiteral("no delivery with id %1").arg(id);
        return d;
    };
    const std::optional<Delivery> one = load(*first);
    if (!one)
        return fail(command, error, CommandLine::NotFound);
    QString basis = QStringLiteral("given");
    std::optional<Delivery> other;
    if (*second > 0) {
        other = load(*second);
    } else {
        const std::optional<qint64> previous = previousOf(database, *one, &basis, &error);
        if (!previous)
            return fail(command, error);
        if (*previous == 0)
            return fail(command,
                        QStringLiteral("delivery %1 has no earlier attempt of its event, nor an "
                                       "earlier delivery of its type on its endpoint: give a "
                                       "second id")
                            .arg(*first),
                        CommandLine::NotFound);
        other = load(*previous);
    }
    if (!other)
        return fail(command, error, CommandLine::NotFound);
    // Without a second id the earlier one comes first.
    const Delivery &before = *second > 0 ? *one : *other;
    const Delivery &after = *second > 0 ? *other : *one;
    const QList<DeliveryChange> changes = DeliveryDiff::between(before, after);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const DeliveryChange &change : changes)
            array.append(change.toJson());
        Output::outBytes(QJsonDocument(QJsonObject{{QStringLiteral("before"), before.id},
                                                   {QStringLiteral("after"), after.id},
                                                   {QStringLiteral("basis"), basis},
                                                   {QStringLiteral("changes"), array}})
                             .toJson(QJsonDocument::Indented));
        return CommandLine::Success;
    }
    QString why;
    if (basis == u"previous-attempt")
        why = QStringLiteral(" (the attempt of event %1 before it)").arg(after.eventId);
    else if (basis == u"previous-of-type")
        why = QStringLiteral(" (the %1 before it)").arg(shownType(after.eventType));
    outLine(QStringLiteral("Delivery %1%2 -> delivery %3").arg(before.id).arg(why).arg(after.id));
    if (changes.isEmpty()) {
        outLine(QStringLiteral("No differences in the body or the headers."));
        return CommandLine::Success;
    }
    QList<QStringList> rows;
    for (const DeliveryChange &c : changes) {
        QString value;
        switch (c.kind) {
        case DeliveryChange::Kind::Added:
            value = c.after;
            break;
        case DeliveryChange::Kind::Removed:
            value = c.before;
            break;
        case DeliveryChange::Kind::Changed:
            value = c.before + QStringLiteral(" -> ") + c.after;
            break;
        }
        rows.append({c.part == DeliveryChange::Part::Body ? QStringLiteral("body")
                                                          : QStringLiteral("header"),
                     DeliveryChange::kindName(c.kind),
                     c.part == DeliveryChange::Part::Body ? shownPath(c.path) : c.path, value});
    }
    for (const QString &line : table(rows))
        outLine(line);
    return CommandLine::Success;
}

int fixture(const QStringList &arguments)
{
    const QString command = QStringLiteral("fixture");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write a delivery out as a test fixture: its body byte for byte, its request line and "
        "headers as JSON, and a curl command that sends it again, re-signed for now with the "
        "endpoint's secret when it has one (the secret itself is never written)."));
    parser.addPositionalArgument(QStringLiteral("ID"), QStringLiteral("A delivery id."));
    parser.addOption(QCommandLineOption(QStringLiteral("out"),
                                        QStringLiteral("The folder to write to (made when "
                                                       "missing; files there are not replaced)."),
                                        QStringLiteral("DIR")));
    parser.addOption(QCommandLineOption(
        QStringLiteral("to"),
        QStringLiteral("Where the curl command sends it (default: HookScope's own listener)."),
        QStringLiteral("URL")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("fixture ID --out DIR [--to URL] [--db FILE]")))
        return CommandLine::Success;
    const std::optional<qint64> id = idArgument(command, parser.positionalArguments().constFirst());
    if (!id)
        return CommandLine::Failure;
    if (!parser.isSet(QStringLiteral("out")))
        return fail(command, QStringLiteral("--out DIR is needed: the folder to write to"));
    QUrl url(parser.isSet(QStringLiteral("to"))
                 ? parser.value(QStringLiteral("to"))
                 : QStringLiteral("http://127.0.0.1:%1").arg(Listener::DefaultPort));
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https"))
        return fail(command, QStringLiteral("--to wants an http:// or https:// URL, got '%1'")
                                 .arg(parser.value(QStringLiteral("to"))));
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const std::optional<Delivery> d = DeliveryReader(database).find(*id, &error);
    if (!d)
        return error.isEmpty() ? fail(command, QStringLiteral("no delivery with id %1").arg(*id),
                                      CommandLine::NotFound)
                               : fail(command, error);
    std::optional<Endpoint> endpoint;
    if (!d->endpoint.isEmpty())
        endpoint = EndpointRepository(database).find(d->endpoint, &error);
    const std::optional<TestFixture> made =
        TestFixture::of(*d, endpoint ? &*endpoint : nullptr, url, &error);
    if (!made)
        return fail(command, error);
    QStringList written;
    if (!made->writeTo(parser.value(QStringLiteral("out")), &written, &error))
        return fail(command, error);
    for (const QString &path : std::as_const(written))
        outLine(path);
    outLine(made->signingNote());
    return CommandLine::Success;
}

} // namespace

int SchemaCommand::run(const QString &command, const QStringList &arguments)
{
    if (command == u"events")
        return events(arguments);
    if (command == u"schema")
        return schema(arguments);
    if (command == u"fixture")
        return fixture(arguments);
    return diff(arguments);
}
