#include "samplecommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "endpointrepository.h"
#include "httpsender.h"
#include "listener.h"
#include "output.h"
#include "sampledelivery.h"
#include "signaturesigner.h"

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
    parser.addOption({QStringLiteral("scheme"),
                      QStringLiteral("Sign with this scheme instead of the endpoint's; an auto "
                                     "endpoint needs one (%1).")
                          .arg(SignatureSigner::signingSchemeNames().join(QStringLiteral(", "))),
                      QStringLiteral("SCHEME")});
    parser.addOption({QStringLiteral("update-mapping"),
                      QStringLiteral("Let a subscriber.created sample add its subscriber to the "
                                     "mapping (samples leave it alone otherwise).")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(
            parser, QStringLiteral("send-sample EVENT_TYPE --endpoint NAME "
                                   "[--scheme SCHEME] [--update-mapping] [--to URL] [--db FILE]")))
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
    std::optional<SignatureScheme> scheme;
    if (parser.isSet(QStringLiteral("scheme"))) {
        scheme = schemeFromName(parser.value(QStringLiteral("scheme")));
        if (!scheme) {
            errorLine(QStringLiteral("%1 %2: unknown scheme '%3' (choose one of %4)")
                          .arg(Program, command, parser.value(QStringLiteral("scheme")),
                               SignatureSigner::signingSchemeNames().join(QStringLiteral(", "))));
            return CommandLine::Failure;
        }
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
        SampleDelivery::build(*endpoint, parser.positionalArguments().constFirst(), target, &error,
                              scheme, parser.isSet(QStringLiteral("update-mapping")));
    if (!sample) {
        errorLine(QStringLiteral("%1 %2: %3%4")
                      .arg(Program, command, error,
                           error.contains(QStringLiteral("choose")) ? QStringLiteral(" (--scheme)")
                                                                    : QString()));
        return CommandLine::Failure;
    }
    const HttpSender::Answer answer =
        HttpSender::sendAndWait(QStringLiteral("POST"), sample->url, sample->headers, sample->body);
    if (answer.status == 0) {
        errorLine(QStringLiteral("%1 %2: no answer from %3: %4")
                      .arg(Program, command, sample->url.toString(), answer.error));
        return CommandLine::Failure;
    }
    outLine(QStringLiteral("sent %1 (event %2, %3) to %4: answered %5 in %6 ms")
                .arg(parser.positionalArguments().constFirst(), sample->eventId,
                     sample->signedWith == SignatureScheme::None
                         ? QStringLiteral("unsigned")
                         : QStringLiteral("signed %1").arg(schemeName(sample->signedWith)),
                     sample->url.toString())
                .arg(answer.status)
                .arg(answer.latencyMs));
    if (!answer.body.isEmpty())
        outLine(QString::fromUtf8(answer.body.left(2000)).trimmed());
    return answer.status >= 200 && answer.status < 300 ? CommandLine::Success
                                                       : CommandLine::NotFound;
}
