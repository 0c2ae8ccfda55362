#include "replaycommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "deliveryreader.h"
#include "endpointrepository.h"
#include "httpsender.h"
#include "listener.h"
#include "output.h"
#include "replayrepository.h"
#include "signaturesigner.h"

#include <QDateTime>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

int ReplayCommand::run(const QStringList &arguments)
{
    const QString command = QStringLiteral("replay");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Send a stored delivery again, as recorded or re-signed, and keep the answer "
        "with it."));
    parser.addPositionalArgument(QStringLiteral("ID"), QStringLiteral("Delivery id."));
    parser.addOption({QStringLiteral("to"),
                      QStringLiteral("Where to send it (default: http://127.0.0.1:%1 and the "
                                     "delivery's path; a URL without a path gets the delivery's).")
                          .arg(Listener::DefaultPort),
                      QStringLiteral("URL")});
    parser.addOption(
        {QStringLiteral("resign"),
         QStringLiteral("Sign it anew (fresh timestamp) with its endpoint's scheme and "
                        "first secret.")});
    parser.addOption({QStringLiteral("scheme"),
                      QStringLiteral("With --resign: sign with this scheme (%1). Default: the "
                                     "endpoint's, or for an auto endpoint the one the delivery "
                                     "was verified with.")
                          .arg(SignatureSigner::signingSchemeNames().join(QStringLiteral(", "))),
                      QStringLiteral("SCHEME")});
    parser.addOption(
        {QStringLiteral("curl"), QStringLiteral("Print the curl command instead of sending.")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(
            parser, QStringLiteral(
                        "replay ID [--to URL] [--resign [--scheme SCHEME]] [--curl] [--db FILE]")))
        return CommandLine::Success;
    auto fail = [&command](const QString &message, int code = CommandLine::Failure) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, message));
        return code;
    };
    bool ok = false;
    const qint64 id = parser.positionalArguments().constFirst().toLongLong(&ok);
    if (!ok || id <= 0)
        return fail(QStringLiteral("'%1' is not a delivery id")
                        .arg(parser.positionalArguments().constFirst()));
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    const auto delivery = DeliveryReader(database).find(id, &error);
    if (!delivery)
        return error.isEmpty()
                   ? fail(QStringLiteral("no delivery with id %1").arg(id), CommandLine::NotFound)
                   : fail(error);

    QUrl url(parser.isSet(QStringLiteral("to"))
                 ? parser.value(QStringLiteral("to"))
                 : QStringLiteral("http://127.0.0.1:%1").arg(Listener::DefaultPort));
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https"))
        return fail(QStringLiteral("--to wants an http:// or https:// URL, got '%1'")
                        .arg(parser.value(QStringLiteral("to"))));
    if (url.path().isEmpty() || url.path() == u"/")
        url = url.resolved(QUrl(delivery->path));

    std::optional<SignatureScheme> scheme;
    if (parser.isSet(QStringLiteral("scheme"))) {
        if (!parser.isSet(QStringLiteral("resign")))
            return fail(QStringLiteral("--scheme goes with --resign"));
        scheme = schemeFromName(parser.value(QStringLiteral("scheme")));
        if (!scheme)
            return fail(QStringLiteral("unknown scheme '%1' (choose one of %2)")
                            .arg(parser.value(QStringLiteral("scheme")),
                                 SignatureSigner::signingSchemeNames().join(QStringLiteral(", "))));
    }
    std::optional<Endpoint> endpoint;
    if (parser.isSet(QStringLiteral("resign"))) {
        if (delivery->endpoint.isEmpty())
            return fail(
                QStringLiteral(
                    "delivery %1 belongs to no endpoint, so there is no scheme to sign with")
                    .arg(id));
        endpoint = EndpointRepository(database).find(delivery->endpoint, &error);
        if (!endpoint)
            return fail(error);
    }
    auto replay = Replay::prepare(*delivery, url, endpoint ? &*endpoint : nullptr, &error,
                                  std::nullopt, std::nullopt, scheme);
    if (!replay)
        return fail(error.contains(QStringLiteral("choose")) ? error + QStringLiteral(" (--scheme)")
                                                             : error);
    if (parser.isSet(QStringLiteral("curl"))) {
        // Made only of printable text and line breaks, whatever the body holds.
        Output::outText(replay->curlCommand(delivery->method));
        return CommandLine::Success;
    }
    replay->sentAtMs = QDateTime::currentMSecsSinceEpoch();
    const HttpSender::Answer answer = HttpSender::sendAndWait(
        delivery->method, replay->url, replay->requestHeaders, replay->requestBody);
    replay->status = answer.status;
    replay->responseHeaders = answer.headers;
    replay->responseBody = answer.body;
    replay->latencyMs = answer.latencyMs;
    replay->error = answer.error;
    if (!ReplayRepository(database).add(*replay, &error))
        return fail(QStringLiteral("sent, but the answer could not be kept: %1").arg(error));
    if (answer.status == 0)
        return fail(
            QStringLiteral("no answer from %1: %2").arg(replay->url.toString(), answer.error));
    outLine(QStringLiteral("replayed delivery %1%2 to %3: answered %4 in %5 ms")
                .arg(id)
                .arg(replay->resigned
                         ? QStringLiteral(" (re-signed, %1)").arg(schemeName(replay->signedWith))
                         : QString(),
                     replay->url.toString())
                .arg(answer.status)
                .arg(answer.latencyMs));
    return answer.status >= 200 && answer.status < 300 ? CommandLine::Success
                                                       : CommandLine::NotFound;
}
