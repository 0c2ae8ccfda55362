#include "samplecommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "endpointrepository.h"
#include "httpsender.h"
#include "listener.h"
#include "output.h"
#include "sampledelivery.h"

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

int SampleCommand::run(const QStringList &arguments)
{
    const QString command = QStringLiteral("send-sample");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral(
            "Send a correctly signed sample delivery (%1) for an endpoint, to HookScope's "
            "own listener or any URL.")
            .arg(SampleDelivery::eventTypes().join(QStringLiteral(", "))));
    parser.addPositionalArgument(QStringLiteral("EVENT_TYPE"),
                                 QStringLiteral("The sample's event type."));
    parser.addOption({QStringLiteral("endpoint"),
                      QStringLiteral("The endpoint whose scheme, secret and path to use."),
                      QStringLiteral("NAME")});
    parser.addOption(
        {QStringLiteral("to"),
         QStringLiteral("Where to send it (default: http://127.0.0.1:%1 and the endpoint's path).")
             .arg(Listener::DefaultPort),
         QStringLiteral("URL")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral(
                                  "send-sample EVENT_TYPE --endpoint NAME [--to URL] [--db FILE]")))
        return CommandLine::Success;
    if (!parser.isSet(QStringLiteral("endpoint"))) {
        errorLine(QStringLiteral("%1 %2: --endpoint NAME is required").arg(Program, command));
        return CommandLine::Failure;
    }
    QUrl target(parser.isSet(QStringLiteral("to"))
                    ? parser.value(QStringLiteral("to"))
                    : QStringLiteral("http://127.0.0.1:%1").arg(Listener::DefaultPort));
    if (!target.isValid() || (target.scheme() != u"http" && target.scheme() != u"https")) {
        errorLine(QStringLiteral("%1 %2: --to wants an http:// or https:// URL, got '%3'")
                      .arg(Program, command, parser.value(QStringLiteral("to"))));
        return CommandLine::Failure;
    }
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const auto endpoint =
        EndpointRepository(database).find(parser.value(QStringLiteral("endpoint")), &error);
    if (!endpoint) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::NotFound;
    }
    database.close();
    const auto sample =
        SampleDelivery::build(*endpoint, parser.positionalArguments().constFirst(), target, &error);
    if (!sample) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    const HttpSender::Answer answer =
        HttpSender::sendAndWait(QStringLiteral("POST"), sample->url, sample->headers, sample->body);
    if (answer.status == 0) {
        errorLine(QStringLiteral("%1 %2: no answer from %3: %4")
                      .arg(Program, command, sample->url.toString(), answer.error));
        return CommandLine::Failure;
    }
    outLine(
        QStringLiteral("sent %1 (event %2) to %3: answered %4 in %5 ms")
            .arg(parser.positionalArguments().constFirst(), sample->eventId, sample->url.toString())
            .arg(answer.status)
            .arg(answer.latencyMs));
    if (!answer.body.isEmpty())
        outLine(QString::fromUtf8(answer.body.left(2000)).trimmed());
    return answer.status >= 200 && answer.status < 300 ? CommandLine::Success
                                                       : CommandLine::NotFound;
}
