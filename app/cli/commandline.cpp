#include "commandline.h"

#include "commandparsing.h"
#include "database.h"
#include "deliveryjson.h"
#include "deliveryreader.h"
#include "endpointrepository.h"
#include "ngrokcommand.h"
#include "output.h"
#include "payloaddecoder.h"
#include "postgres.h"
#include "providermetadata.h"
#include "replaycommand.h"
#include "replayrepository.h"
#include "reverifier.h"
#include "samplecommand.h"
#include "schemacommand.h"
#include "schemakeeper.h"
#include "servecommand.h"
#include "subscriberscommand.h"
#include "teamcommands.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

using Output::errorLine;
using Output::outLine;
using Output::outText;

namespace {

using namespace CommandParsing;

void printJson(const QJsonDocument &document)
{
    Output::outBytes(document.toJson(QJsonDocument::Indented));
}

QString orDash(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("-") : text;
}

QString padded(const QString &text, qsizetype width)
{
    return text.leftJustified(width, u' ');
}

// Prints rows as aligned columns.
void printTable(const QStringList &header, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &title : header)
        widths.append(title.size());
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    auto line = [&widths](const QStringList &cells) {
        QString text;
        for (qsizetype i = 0; i < cells.size(); ++i)
            text += i + 1 < cells.size() ? padded(cells[i], widths[i] + 2) : cells[i];
        return text;
    };
    outLine(line(header));
    for (const QStringList &row : rows)
        outLine(line(row));
}

// Reads every --secret-env and --secret-file, in that order. Each secret is labelled by where
// it came from, so that a verdict can name it without showing it.
std::optional<QList<EndpointSecret>> readSecrets(const QCommandLineParser &parser,
                                                 const QString &command)
{
    QList<EndpointSecret> secrets;
    for (const QString &variable : parser.values(QStringLiteral("secret-env"))) {
        const QByteArray value = qgetenv(variable.toLocal8Bit().constData());
        if (value.isEmpty()) {
            errorLine(QStringLiteral("%1 %2: the environment variable %3 is not set or empty")
                          .arg(Program, command, variable));
            return std::nullopt;
        }
        secrets.append({QStringLiteral("$%1").arg(variable), value});
    }
    for (const QString &file : parser.values(QStringLiteral("secret-file"))) {
        QFile secretFile(file);
        if (!secretFile.open(QIODevice::ReadOnly)) {
            errorLine(QStringLiteral("%1 %2: cannot read the secret file %3: %4")
                          .arg(Program, command, file, secretFile.errorString()));
            return std::nullopt;
        }
        QByteArray value = secretFile.readAll();
        // Editors and `echo` end files with a newline that is not part of the secret.
        if (value.endsWith('\n'))
            value.chop(1);
        if (value.endsWith('\r'))
            value.chop(1);
        if (value.isEmpty()) {
            errorLine(
                QStringLiteral("%1 %2: the secret file %3 is empty").arg(Program, command, file));
            return std::nullopt;
        }
        secrets.append({QFileInfo(file).fileName(), value});
    }
    return secrets;
}

void addEndpointOptions(QCommandLineParser &parser, bool pathRequired)
{
    parser.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("Name of the endpoint."));
    parser.addOption({QStringLiteral("path"),
                      pathRequired
                          ? QStringLiteral("Path prefix, e.g. /hooks/hostedhooks (required).")
                          : QStringLiteral("New path prefix."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("scheme"),
                      QStringLiteral("Signature scheme: %1 (default: none).")
                          .arg(schemeNames().join(QStringLiteral(", "))),
                      QStringLiteral("SCHEME")});
    parser.addOption({QStringLiteral("secret-env"),
                      QStringLiteral("Read a signing secret from environment variable VAR. Repeat "
                                     "for several secrets (rotation)."),
                      QStringLiteral("VAR")});
    parser.addOption({QStringLiteral("secret-file"),
                      QStringLiteral("Read a signing secret from FILE (one trailing newline is "
                                     "ignored). Repeat for several secrets."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("tolerance"),
                      QStringLiteral("Accepted timestamp skew in seconds, both ways (default: %1).")
                          .arg(Endpoint::DefaultToleranceSeconds),
                      QStringLiteral("SECONDS")});
    parser.addOption({QStringLiteral("header"),
                      QStringLiteral("generic-hmac: the signature header (default: X-Signature)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("prefix"),
                      QStringLiteral("generic-hmac: text before the signature, e.g. sha256=."),
                      QStringLiteral("TEXT")});
    parser.addOption({QStringLiteral("algorithm"),
                      QStringLiteral("generic-hmac: sha1, sha256 or sha512 (default: sha256)."),
                      QStringLiteral("ALGORITHM")});
    parser.addOption({QStringLiteral("encoding"),
                      QStringLiteral("generic-hmac: hex or base64 (default: hex)."),
                      QStringLiteral("ENCODING")});
    parser.addOption({QStringLiteral("template"),
                      QStringLiteral("generic-hmac: what is signed, over {body}, {timestamp} and "
                                     "{id} (default: {body})."),
                      QStringLiteral("TEXT")});
    parser.addOption({QStringLiteral("timestamp-header"),
                      QStringLiteral("generic-hmac: header whose value is {timestamp}."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("id-header"),
                      QStringLiteral("generic-hmac: header whose value is {id}."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("status"),
                      QStringLiteral("Status to answer once a delivery is stored (default: 200)."),
                      QStringLiteral("CODE")});
    parser.addOption({QStringLiteral("response-body"),
                      QStringLiteral("Body of the answer instead of HookScope's own JSON."),
                      QStringLiteral("TEXT")});
    parser.addOption(
        {QStringLiteral("response-header"),
         QStringLiteral("A header of the answer, \"Name: value\"; repeat for several."),
         QStringLiteral("HEADER")});
    parser.addOption({QStringLiteral("delay-ms"),
                      QStringLiteral("Wait this long before answering (a slow receiver)."),
                      QStringLiteral("MS")});
    parser.addOption({QStringLiteral("fail-first"),
                      QStringLiteral("Answer the first N attempts of each event id with "
                                     "--fail-status, to exercise the sender's retries."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("fail-status"),
                      QStringLiteral("Status of the failed attempts (default: 500)."),
                      QStringLiteral("CODE")});
    parser.addOption({QStringLiteral("reject-invalid"),
                      QStringLiteral("Answer 401 when a signature does not verify, like a strict "
                                     "production receiver.")});
    parser.addOption(
        {QStringLiteral("accept-invalid"),
         QStringLiteral("Answer every stored delivery with --status again (the default).")});
    parser.addOption({QStringLiteral("forward"),
                      QStringLiteral("Pass each delivery on to the app at URL (exact body and "
                                     "headers) and keep its answer; empty to stop."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("answer-with-app"),
                      QStringLiteral("Answer the sender with the app's answer (502 when it does "
                                     "not answer) instead of the policy's.")});
    parser.addOption({QStringLiteral("answer-with-policy"),
                      QStringLiteral("Answer the sender by the policy again (the default).")});
    parser.addOption({QStringLiteral("subscriber-path"),
                      QStringLiteral("Where subscriber.created carries the subscriber id, e.g. "
                                     "data.account.id (default: data.id, data.subscriber_id or "
                                     "data.subscriber.id)."),
                      QStringLiteral("PATH")});
    parser.addOption(dbOption());
}

// Applies the options given to `endpoint`; options not given leave it as it is.
bool applyEndpointOptions(const QCommandLineParser &parser, Endpoint &endpoint,
                          const QString &command)
{
    auto fail = [&command](const QString &message) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, message));
        return false;
    };
    if (parser.isSet(QStringLiteral("path"))) {
        if (parser.value(QStringLiteral("path")).trimmed().isEmpty())
            return fail(QStringLiteral("--path must not be empty"));
        endpoint.path = Endpoint::normalizePath(parser.value(QStringLiteral("path")));
    }
    if (parser.isSet(QStringLiteral("scheme"))) {
        const auto scheme = schemeFromName(parser.value(QStringLiteral("scheme")));
        if (!scheme)
            return fail(QStringLiteral("unknown scheme '%1' (known: %2)")
                            .arg(parser.value(QStringLiteral("scheme")),
                                 schemeNames().join(QStringLiteral(", "))));
        endpoint.scheme = *scheme;
    }
    if (parser.isSet(QStringLiteral("tolerance"))) {
        bool ok = false;
        const int tolerance = parser.value(QStringLiteral("tolerance")).toInt(&ok);
        if (!ok || tolerance < 0)
            return fail(QStringLiteral("--tolerance wants a whole number of seconds, got '%1'")
                            .arg(parser.value(QStringLiteral("tolerance"))));
        endpoint.toleranceSeconds = tolerance;
    }
    GenericHmacOptions &generic = endpoint.generic;
    if (parser.isSet(QStringLiteral("header")))
        generic.header = parser.value(QStringLiteral("header")).trimmed().toLatin1();
    if (parser.isSet(QStringLiteral("prefix")))
        generic.prefix = parser.value(QStringLiteral("prefix")).toLatin1();
    if (parser.isSet(QStringLiteral("algorithm"))) {
        const auto algorithm = algorithmFromName(parser.value(QStringLiteral("algorithm")));
        if (!algorithm)
            return fail(QStringLiteral("unknown algorithm '%1' (known: sha1, sha256, sha512)")
                            .arg(parser.value(QStringLiteral("algorithm"))));
        generic.algorithm = *algorithm;
    }
    if (parser.isSet(QStringLiteral("encoding"))) {
        const auto encoding = encodingFromName(parser.value(QStringLiteral("encoding")));
        if (!encoding)
            return fail(QStringLiteral("unknown encoding '%1' (known: hex, base64)")
                            .arg(parser.value(QStringLiteral("encoding"))));
        generic.encoding = *encoding;
    }
    if (parser.isSet(QStringLiteral("template")))
        generic.signedTemplate = parser.value(QStringLiteral("template")).toUtf8();
    if (parser.isSet(QStringLiteral("timestamp-header")))
        generic.timestampHeader =
            parser.value(QStringLiteral("timestamp-header")).trimmed().toLatin1();
    if (parser.isSet(QStringLiteral("id-header")))
        generic.idHeader = parser.value(QStringLiteral("id-header")).trimmed().toLatin1();
    if (endpoint.scheme == SignatureScheme::GenericHmac) {
        if (generic.header.isEmpty())
            return fail(QStringLiteral("--header must name the signature header"));
        if (!generic.signedTemplate.contains("{body}"))
            return fail(QStringLiteral("--template must contain {body}"));
        if (generic.signedTemplate.contains("{timestamp}") && generic.timestampHeader.isEmpty())
            return fail(QStringLiteral(
                "--template uses {timestamp}: name its header with --timestamp-header"));
        if (generic.signedTemplate.contains("{id}") && generic.idHeader.isEmpty())
            return fail(QStringLiteral("--template uses {id}: name its header with --id-header"));
    }
    ResponsePolicy &response = endpoint.response;
    auto statusOption = [&](const QString &name, int *target) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        const int code = parser.value(name).toInt(&ok);
        if (!ok || code < 100 || code > 599)
            return fail(QStringLiteral("--%1 wants an HTTP status between 100 and 599, got '%2'")
                            .arg(name, parser.value(name)));
        *target = code;
        return true;
    };
    auto countOption = [&](const QString &name, int *target) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        const int value = parser.value(name).toInt(&ok);
        if (!ok || value < 0)
            return fail(QStringLiteral("--%1 wants a whole number, got '%2'")
                            .arg(name, parser.value(name)));
        *target = value;
        return true;
    };
    if (!statusOption(QStringLiteral("status"), &response.status) ||
        !statusOption(QStringLiteral("fail-status"), &response.failStatus) ||
        !countOption(QStringLiteral("delay-ms"), &response.delayMs) ||
        !countOption(QStringLiteral("fail-first"), &response.failFirstAttempts))
        return false;
    if (parser.isSet(QStringLiteral("response-body")))
        response.body = parser.value(QStringLiteral("response-body")).toUtf8();
    if (parser.isSet(QStringLiteral("response-header"))) {
        response.headers.clear();
        for (const QString &header : parser.values(QStringLiteral("response-header"))) {
            const qsizetype colon = header.indexOf(u':');
            if (colon <= 0 || header.left(colon).trimmed().contains(u' '))
                return fail(QStringLiteral("--response-header wants \"Name: value\", got '%1'")
                                .arg(header));
            response.headers.append({header.left(colon).trimmed().toLatin1(),
                                     header.mid(colon + 1).trimmed().toLatin1()});
        }
    }
    if (parser.isSet(QStringLiteral("reject-invalid")) &&
        parser.isSet(QStringLiteral("accept-invalid")))
        return fail(QStringLiteral("give --reject-invalid or --accept-invalid, not both"));
    if (parser.isSet(QStringLiteral("reject-invalid")))
        response.rejectInvalid = true;
    if (parser.isSet(QStringLiteral("accept-invalid")))
        response.rejectInvalid = false;
    if (parser.isSet(QStringLiteral("forward"))) {
        const QString forward = parser.value(QStringLiteral("forward")).trimmed();
        const QUrl url(forward);
        if (!forward.isEmpty() &&
            (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")))
            return fail(QStringLiteral("--forward wants an http:// or https:// URL, got '%1'")
                            .arg(forward));
        endpoint.forwardUrl = forward;
    }
    if (parser.isSet(QStringLiteral("answer-with-app")) &&
        parser.isSet(QStringLiteral("answer-with-policy")))
        return fail(QStringLiteral("give --answer-with-app or --answer-with-policy, not both"));
    if (parser.isSet(QStringLiteral("answer-with-app")))
        endpoint.answerWithApp = true;
    if (parser.isSet(QStringLiteral("answer-with-policy")))
        endpoint.answerWithApp = false;
    if (parser.isSet(QStringLiteral("subscriber-path")))
        endpoint.subscriberPath = parser.value(QStringLiteral("subscriber-path")).trimmed();
    const auto secrets = readSecrets(parser, command);
    if (!secrets)
        return false;
    if (!secrets->isEmpty())
        endpoint.secrets = *secrets;
    return true;
}

QString describeEndpoint(const Endpoint &endpoint)
{
    return QStringLiteral("path %1, scheme %2, %3, tolerance %4 s")
        .arg(endpoint.path, schemeName(endpoint.scheme),
             endpoint.secrets.size() == 1 ? QStringLiteral("1 secret")
             : endpoint.hasSecret() ? QStringLiteral("%1 secrets").arg(endpoint.secrets.size())
                                    : QStringLiteral("no secret"))
        .arg(endpoint.toleranceSeconds);
}

void warnAboutMissingSecret(const Endpoint &endpoint, const QString &command)
{
    if (endpoint.scheme != SignatureScheme::None && !endpoint.hasSecret())
        errorLine(QStringLiteral("%1 %2: warning: no secret given, so signatures to %3 will not be "
                                 "checked (verdict \"unverified\")")
                      .arg(Program, command, endpoint.name));
}

// Says where the secrets just written went; the database is the fallback the user should know of.
void reportSecretStorage(const EndpointRepository::SecretStorage &storage, const QString &command)
{
    if (storage.inKeychain > 0 && storage.inDatabase == 0)
        outLine(QStringLiteral("secrets are kept in the desktop keychain; the database holds only "
                               "a key naming them"));
    if (storage.inDatabase > 0)
        errorLine(QStringLiteral("%1 %2: note: the desktop keychain is not available (%3), so "
                                 "the secret is stored in the database file (created readable "
                                 "only by you)")
                      .arg(Program, command, storage.keychainError));
}

// On a team database the secrets stay on this machine: says so, with what the team sees.
void reportTeamFingerprints(const Database &database, const Endpoint &endpoint)
{
    if (!database.isTeam() || !endpoint.hasSecret())
        return;
    QStringList prints;
    for (const EndpointSecret &secret : endpoint.secrets)
        prints.append(Postgres::fingerprint(secret.value));
    outLine(QStringLiteral("the secret stays on this machine (%1); the team database holds only "
                           "its fingerprint %2")
                .arg(Database::defaultPath(), prints.join(QStringLiteral(", "))));
}

void printReverification(const Reverifier::Result &result)
{
    outLine(QStringLiteral("re-verified %1 deliveries: %2 changed verdict")
                .arg(result.checked)
                .arg(result.changedVerdict));
}

int endpointAdd(const QStringList &arguments)
{
    const QString command = QStringLiteral("endpoint add");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Add an endpoint: deliveries whose path starts "
                                                    "with PATH are verified with its scheme."));
    addEndpointOptions(parser, true);
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("endpoint add NAME --path PATH [options]")))
        return CommandLine::Success;

    Endpoint endpoint;
    endpoint.name = parser.positionalArguments().constFirst().trimmed();
    if (endpoint.name.isEmpty()) {
        errorLine(QStringLiteral("%1 %2: the name must not be empty").arg(Program, command));
        return CommandLine::Failure;
    }
    if (!parser.isSet(QStringLiteral("path")) ||
        parser.value(QStringLiteral("path")).trimmed().isEmpty()) {
        errorLine(QStringLiteral("%1 %2: --path PATH is required").arg(Program, command));
        return CommandLine::Failure;
    }
    if (!applyEndpointOptions(parser, endpoint, command))
        return CommandLine::Failure;

    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    EndpointRepository::SecretStorage storage;
    if (!EndpointRepository(database).add(endpoint, &error, &storage)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    outLine(QStringLiteral("added endpoint %1: %2").arg(endpoint.name, describeEndpoint(endpoint)));
    reportSecretStorage(storage, command);
    reportTeamFingerprints(database, endpoint);
    warnAboutMissingSecret(endpoint, command);
    return CommandLine::Success;
}

int endpointUpdate(const QStringList &arguments)
{
    const QString command = QStringLiteral("endpoint update");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Change an endpoint; options not given stay as they are. Secrets given "
                       "replace all of its secrets. Its stored deliveries are verified again."));
    addEndpointOptions(parser, false);
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("endpoint update NAME [options]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    auto endpoint =
        EndpointRepository(database).find(parser.positionalArguments().constFirst(), &error);
    if (!endpoint) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return error.startsWith(QStringLiteral("no endpoint")) ? CommandLine::NotFound
                                                               : CommandLine::Failure;
    }
    if (!endpoint->secretProblem.isEmpty() && !parser.isSet(QStringLiteral("secret-env")) &&
        !parser.isSet(QStringLiteral("secret-file"))) {
        // Saving would leave out the secret that could not be read.
        errorLine(QStringLiteral("%1 %2: for endpoint %3, %4; unlock the keychain, or give the "
                                 "secrets again with --secret-env or --secret-file")
                      .arg(Program, command, endpoint->name, endpoint->secretProblem));
        return CommandLine::Failure;
    }
    if (!applyEndpointOptions(parser, *endpoint, command))
        return CommandLine::Failure;
    EndpointRepository::SecretStorage storage;
    const EndpointRepository repository(database);
    if (!repository.update(*endpoint, &error, &storage)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    outLine(
        QStringLiteral("updated endpoint %1: %2").arg(endpoint->name, describeEndpoint(*endpoint)));
    reportSecretStorage(storage, command);
    // A receiver's login gives this machine's secret only: the team's endpoint, and the
    // verdicts stored with it, stay as they are.
    const bool teamOwner =
        !database.isTeam() || Postgres::mayChangeEndpoints(database.connection());
    if (teamOwner)
        reportTeamFingerprints(database, *endpoint);
    else
        outLine(QStringLiteral("this machine's secret for %1 is kept in %2; the team's endpoint "
                               "is unchanged")
                    .arg(endpoint->name, Database::defaultPath()));
    for (const QString &warning : repository.secretWarnings())
        errorLine(QStringLiteral("%1 %2: warning: %3").arg(Program, command, warning));
    warnAboutMissingSecret(*endpoint, command);
    if (!teamOwner)
        return CommandLine::Success;
    const auto result = Reverifier::run(database, endpoint->name, &error);
    if (!result) {
        errorLine(QStringLiteral("%1 %2: re-verifying its deliveries failed: %3")
                      .arg(Program, command, error));
        return CommandLine::Failure;
    }
    printReverification(*result);
    return CommandLine::Success;
}

int verify(const QStringList &arguments)
{
    const QString command = QStringLiteral("verify");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Verify stored deliveries again against the endpoints as configured now, "
                       "and print how many changed verdict."));
    parser.addOption({QStringLiteral("endpoint"),
                      QStringLiteral("Only the deliveries of endpoint NAME."),
                      QStringLiteral("NAME")});
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("verify [--endpoint NAME] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    const auto result = Reverifier::run(database, parser.value(QStringLiteral("endpoint")), &error);
    if (!result) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return error.startsWith(QStringLiteral("no endpoint")) ? CommandLine::NotFound
                                                               : CommandLine::Failure;
    }
    printReverification(*result);
    return CommandLine::Success;
}

int endpointList(const QStringList &arguments)
{
    const QString command = QStringLiteral("endpoint list");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the endpoints (secrets are never shown)."));
    parser.addOption(jsonOption(QStringLiteral("the endpoints")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("endpoint list [--json] [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const EndpointRepository repository(database);
    const auto endpoints = repository.list(&error);
    if (!endpoints) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    for (const QString &warning : repository.secretWarnings())
        errorLine(QStringLiteral("%1 %2: warning: %3").arg(Program, command, warning));
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const Endpoint &endpoint : *endpoints)
            array.append(DeliveryJson::endpoint(endpoint));
        printJson(QJsonDocument(array));
        return CommandLine::Success;
    }
    QList<QStringList> rows;
    for (const Endpoint &endpoint : *endpoints) {
        rows.append(
            {endpoint.name, endpoint.path, schemeName(endpoint.scheme),
             QString::number(endpoint.secrets.size()),
             endpoint.secretStorage().isEmpty() ? QStringLiteral("-") : endpoint.secretStorage(),
             QStringLiteral("%1 s").arg(endpoint.toleranceSeconds)});
    }
    printTable({QStringLiteral("NAME"), QStringLiteral("PATH"), QStringLiteral("SCHEME"),
                QStringLiteral("SECRETS"), QStringLiteral("KEPT IN"), QStringLiteral("TOLERANCE")},
               rows);
    return CommandLine::Success;
}

int endpointRemove(const QStringList &arguments)
{
    const QString command = QStringLiteral("endpoint remove");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Remove an endpoint. Its deliveries stay."));
    parser.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("Name of the endpoint."));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("endpoint remove NAME [--db FILE]")))
        return CommandLine::Success;
    Database database;
    if (!openDatabase(database, parser, Use::Write))
        return CommandLine::Failure;
    QString error;
    const QString name = parser.positionalArguments().constFirst();
    if (!EndpointRepository(database).find(name, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return error.startsWith(QStringLiteral("no endpoint")) ? CommandLine::NotFound
                                                               : CommandLine::Failure;
    }
    if (!EndpointRepository(database).remove(name, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    outLine(QStringLiteral("removed endpoint %1").arg(name));
    return CommandLine::Success;
}

int endpoint(const QStringList &arguments)
{
    const QString action = arguments.value(0);
    const QStringList rest = arguments.mid(1);
    if (action == u"add")
        return endpointAdd(rest);
    if (action == u"list")
        return endpointList(rest);
    if (action == u"remove")
        return endpointRemove(rest);
    if (action == u"update")
        return endpointUpdate(rest);
    if (action == u"--help" || action == u"-h") {
        outLine(QStringLiteral("Usage: %1 endpoint (add|update|list|remove) ...").arg(Program));
        return CommandLine::Success;
    }
    errorLine(action.isEmpty()
                  ? QStringLiteral("%1 endpoint: missing action (add, update, list or remove)")
                        .arg(Program)
                  : QStringLiteral("%1 endpoint: unknown action '%2' (add, update, list or remove)")
                        .arg(Program, action));
    return CommandLine::Failure;
}

int deliveries(const QStringList &arguments)
{
    const QString command = QStringLiteral("deliveries");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List stored deliveries, newest first."));
    parser.addOption({QStringLiteral("limit"),
                      QStringLiteral("Show at most N deliveries (default: 50)."),
                      QStringLiteral("N"), QStringLiteral("50")});
    parser.addOption({QStringLiteral("filter"),
                      QStringLiteral("Only deliveries matching FILTER, as in the window's filter "
                                     "field: free text and event:, verdict:, endpoint:, status:, "
                                     "subscriber:, since:, until:."),
                      QStringLiteral("FILTER")});
    parser.addOption(jsonOption(QStringLiteral("the deliveries")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral(
                                  "deliveries [--limit N] [--filter FILTER] [--json] [--db FILE]")))
        return CommandLine::Success;
    bool ok = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit <= 0) {
        errorLine(QStringLiteral("%1 %2: --limit wants a positive number, got '%3'")
                      .arg(Program, command, parser.value(QStringLiteral("limit"))));
        return CommandLine::Failure;
    }
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const DeliveryFilter filter =
        DeliveryFilter::parse(parser.value(QStringLiteral("filter")), &error);
    if (!error.isEmpty()) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    // Drift is learned after the commits: everything stored is learned before it is asked.
    if (!filter.drift.isEmpty() && !SchemaKeeper::bringUpToDate(database, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    const auto rows = DeliveryReader(database).pageBefore(filter, 0, limit, &error);
    if (!rows) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const DeliverySummary &row : *rows)
            array.append(DeliveryJson::summary(row));
        printJson(QJsonDocument(array));
        return CommandLine::Success;
    }
    QList<QStringList> table;
    for (const DeliverySummary &row : *rows) {
        table.append({QString::number(row.id), DeliveryJson::timestamp(row.receivedAtMs),
                      row.method, row.path, orDash(row.endpoint),
                      row.sample ? orDash(row.eventType) + QStringLiteral(" (sample)")
                                 : orDash(row.eventType),
                      verdictName(row.verdict), QString::number(row.responseStatus),
                      QString::number(row.bodySize)});
    }
    printTable({QStringLiteral("ID"), QStringLiteral("RECEIVED (UTC)"), QStringLiteral("METHOD"),
                QStringLiteral("PATH"), QStringLiteral("ENDPOINT"), QStringLiteral("EVENT"),
                QStringLiteral("VERDICT"), QStringLiteral("STATUS"), QStringLiteral("BYTES")},
               table);
    return CommandLine::Success;
}

void printDelivery(const Delivery &d)
{
    const Verification &v = d.verification;
    outLine(QStringLiteral("Delivery %1").arg(d.id));
    outLine(QStringLiteral("  received   %1 from %2")
                .arg(DeliveryJson::timestamp(d.receivedAtMs), d.remoteAddress));
    outLine(QStringLiteral("  request    %1 %2 HTTP/%3").arg(d.method, d.path, d.httpVersion));
    outLine(QStringLiteral("  endpoint   %1").arg(orDash(d.endpoint)));
    const DecodedPayload payload = PayloadDecoder::decode(d.body, d.headers.value("Content-Type"));
    const ProviderMetadata::Identity identity = ProviderMetadata::identifyStored(d, payload);
    auto from = [](const QString &source) {
        return source.isEmpty() ? QString() : QStringLiteral(", from %1").arg(source);
    };
    outLine(QStringLiteral("  event      %1%2")
                .arg(orDash(d.eventType), from(identity.typeSourceOf(d.eventType))));
    outLine(QStringLiteral("  event id   %1%2")
                .arg(orDash(d.eventId), from(identity.idSourceOf(d.eventId))));
    if (identity.provider != SignatureScheme::Auto)
        outLine(QStringLiteral("  provider   %1").arg(schemeName(identity.provider)));
    for (const ProviderMetadata::Found &found : identity.details)
        outLine(QStringLiteral("  %1 %2 (%3)")
                    .arg(found.label, -10)
                    .arg(found.value, found.source.describe()));
    if (!d.subscriberId.isEmpty())
        outLine(QStringLiteral("  subscriber %1").arg(d.subscriberId));
    outLine(QStringLiteral("  answered   %1 after %2 ms")
                .arg(d.responseStatus)
                .arg(d.handlingMicros / 1000.0, 0, 'f', 2));
    outLine(QString());
    outLine(QStringLiteral("Verification: %1").arg(verdictName(v.verdict).toUpper()));
    if (!v.reason.isEmpty())
        outLine(QStringLiteral("  %1").arg(v.reason));
    if (!v.diagnosis.isEmpty())
        outLine(QStringLiteral("  Likely cause: %1").arg(v.diagnosis));
    if (!v.scheme.isEmpty())
        outLine(QStringLiteral("  scheme     %1").arg(v.scheme));
    if (!v.signedString.isEmpty())
        outLine(QStringLiteral("  signed     %1").arg(v.signedString));
    if (!v.expected.isEmpty())
        outLine(QStringLiteral("  expected   %1").arg(v.expected));
    if (!v.received.isEmpty())
        outLine(QStringLiteral("  received   %1").arg(v.received));
    if (v.timestamp)
        outLine(QStringLiteral("  timestamp  %1 (skew %2 s)")
                    .arg(*v.timestamp)
                    .arg(v.skewSeconds.value_or(0)));
    if (!v.matchedSecret.isEmpty())
        outLine(QStringLiteral("  secret     %1").arg(v.matchedSecret));
    outLine(QString());
    outLine(QStringLiteral("Headers:"));
    for (const auto &[name, value] : d.headers.entries())
        outLine(
            QStringLiteral("  %1: %2").arg(QString::fromLatin1(name), QString::fromLatin1(value)));
    outLine(QString());
    outLine(
        QStringLiteral("Body (%1 bytes, %2):").arg(d.body.size()).arg(formatName(payload.format)));
    outText(Verification::displayBytes(d.body, 64 * 1024));
    if (!payload.fields.isEmpty()) {
        outLine(QString());
        outLine(QStringLiteral("Fields:"));
        for (const DecodedField &field : payload.fields) {
            if (field.type == u"object" || field.type == u"array")
                continue;
            outLine(QStringLiteral("  %1 = %2 (%3)").arg(field.path, field.value, field.type));
        }
    }
}

int show(const QStringList &arguments)
{
    const QString command = QStringLiteral("show");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Show one delivery: request, verification, "
                                                    "headers, body and decoded fields."));
    parser.addPositionalArgument(QStringLiteral("ID"), QStringLiteral("Delivery id."));
    parser.addOption(jsonOption(QStringLiteral("the delivery")));
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 1, 1))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("show ID [--json] [--db FILE]")))
        return CommandLine::Success;
    bool ok = false;
    const qint64 id = parser.positionalArguments().constFirst().toLongLong(&ok);
    if (!ok || id <= 0) {
        errorLine(QStringLiteral("%1 %2: '%3' is not a delivery id")
                      .arg(Program, command, parser.positionalArguments().constFirst()));
        return CommandLine::Failure;
    }
    Database database;
    if (!openDatabase(database, parser, Use::Read))
        return CommandLine::Failure;
    QString error;
    const auto delivery = DeliveryReader(database).find(id, &error);
    if (!delivery) {
        if (!error.isEmpty()) {
            errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
            return CommandLine::Failure;
        }
        errorLine(QStringLiteral("%1 %2: no delivery with id %3").arg(Program, command).arg(id));
        return CommandLine::NotFound;
    }
    const QList<Replay> replays =
        ReplayRepository(database).ofDelivery(id, &error).value_or(QList<Replay>());
    // What it carried against the deliveries of its type before it: learned first if it was
    // not yet.
    QList<SchemaDrift> drift;
    if (!SchemaKeeper::bringUpToDate(database, &error) ||
        !SchemaKeeper::driftOf(database, id, &error).has_value()) {
        errorLine(QStringLiteral("%1 %2: drift not known: %3").arg(Program, command, error));
    } else {
        drift = *SchemaKeeper::driftOf(database, id, &error);
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonObject object = DeliveryJson::full(*delivery);
        object.insert(QStringLiteral("drift"), DeliveryJson::drift(drift));
        QJsonArray replayArray;
        for (const Replay &replay : replays) {
            replayArray.append(
                QJsonObject{{QStringLiteral("sent_at"), DeliveryJson::timestamp(replay.sentAtMs)},
                            {QStringLiteral("url"), replay.url.toString()},
                            {QStringLiteral("resigned"), replay.resigned},
                            {QStringLiteral("kind"), replay.kind},
                            {QStringLiteral("status"), replay.status},
                            {QStringLiteral("latency_ms"), replay.latencyMs},
                            {QStringLiteral("error"), replay.error}});
        }
        object.insert(QStringLiteral("replays"), replayArray);
        printJson(QJsonDocument(object));
    } else {
        printDelivery(*delivery);
        if (!drift.isEmpty()) {
            outLine(QString());
            outLine(QStringLiteral("Drift from the %1 deliveries before it:")
                        .arg(delivery->eventType.isEmpty() ? QStringLiteral("untyped")
                                                           : delivery->eventType));
            for (const SchemaDrift &d : drift)
                outLine(QStringLiteral("  %1  %2%3")
                            .arg(SchemaDrift::kindName(d.kind).leftJustified(12),
                                 d.path.isEmpty() ? QStringLiteral("(body)") : d.path,
                                 d.kind == SchemaDrift::Kind::NewField
                                     ? QStringLiteral(" (%1)").arg(d.now)
                                 : d.kind == SchemaDrift::Kind::Missing
                                     ? QStringLiteral(" (was %1)").arg(d.before)
                                     : QStringLiteral(": %1 -> %2").arg(d.before, d.now)));
        }
        if (!replays.isEmpty()) {
            outLine(QString());
            outLine(QStringLiteral("Replays:"));
            for (const Replay &replay : replays)
                outLine(QStringLiteral("  %1  %2 %3%4  %5")
                            .arg(DeliveryJson::timestamp(replay.sentAtMs), replay.kind,
                                 replay.url.toString(),
                                 replay.resigned ? QStringLiteral(" (re-signed)") : QString(),
                                 replay.status ? QString::number(replay.status) : replay.error));
        }
    }
    return CommandLine::Success;
}

} // namespace

QString CommandLine::usage()
{
    return QStringLiteral(
               "HookScope %1 - inspect webhook deliveries\n"
               "\n"
               "Usage:\n"
               "  hookscope [--db FILE] [--listen HOST:PORT] [--no-listen]   (the window)\n"
               "  hookscope serve [--listen HOST:PORT] [--db FILE] [--json] [--max-body BYTES]\n"
               "        [--idle-timeout SECONDS] [--header-timeout SECONDS]\n"
               "        [--max-connections N] [--stats]\n"
               "  hookscope endpoint add NAME --path PATH [--scheme SCHEME]\n"
               "        [--secret-env VAR | --secret-file FILE]... [--tolerance SECONDS]\n"
               "        [--header NAME] [--prefix TEXT] [--algorithm sha1|sha256|sha512]\n"
               "        [--encoding hex|base64] [--template TEXT] [--timestamp-header NAME]\n"
               "        [--id-header NAME] [--subscriber-path PATH] [--status CODE]\n"
               "        [--response-body TEXT] [--response-header \"Name: value\"]...\n"
               "        [--delay-ms MS] [--fail-first N] [--fail-status CODE]\n"
               "        [--reject-invalid | --accept-invalid] [--forward URL]\n"
               "        [--answer-with-app | --answer-with-policy] [--db FILE]\n"
               "  hookscope endpoint update NAME [the options of add] [--db FILE]\n"
               "  hookscope endpoint list [--json] [--db FILE]\n"
               "  hookscope endpoint remove NAME [--db FILE]\n"
               "  hookscope deliveries [--limit N] [--filter FILTER] [--json] [--db FILE]\n"
               "  hookscope show ID [--json] [--db FILE]\n"
               "  hookscope verify [--endpoint NAME] [--db FILE]\n"
               "  hookscope subscribers [--json] [--db FILE]\n"
               "  hookscope subscribers set SUBSCRIBER_ID [--endpoint NAME] [--ref REF]\n"
               "        [--notes TEXT] [--db FILE]\n"
               "  hookscope subscribers delete SUBSCRIBER_ID [--endpoint NAME] [--db FILE]\n"
               "  hookscope subscribers export (--csv FILE | --json FILE) [--db FILE]\n"
               "  hookscope subscribers import FILE [--db FILE]\n"
               "  hookscope events [--endpoint NAME] [--rebuild] [--json] [--db FILE]\n"
               "  hookscope schema EVENT_TYPE [--endpoint NAME] [--json-schema] [--db FILE]\n"
               "  hookscope diff ID1 [ID2] [--json] [--db FILE]\n"
               "  hookscope fixture ID --out DIR [--to URL] [--db FILE]\n"
               "  hookscope send-sample EVENT_TYPE --endpoint NAME [--scheme SCHEME] "
               "[--update-mapping] [--to URL] "
               "[--db FILE]\n"
               "  hookscope replay ID [--to URL] [--resign [--scheme SCHEME]] [--curl] "
               "[--db FILE]\n"
               "  hookscope ngrok [--api URL] [--port PORT]\n"
               "  hookscope ngrok import [--api URL] [--db FILE]\n"
               "  hookscope db init URL [--receiver LOGIN]... [--viewer LOGIN]...\n"
               "  hookscope db copy --from FILE|URL --to URL|FILE\n"
               "  hookscope --help | --version\n"
               "\n"
               "Schemes: %2.\n"
               "Each command has its own --help. The database defaults to $HOOKSCOPE_DB, else\n"
               "  %3\n"
               "--db also takes a team database, postgresql://USER@HOST:PORT/NAME.\n")
        .arg(QCoreApplication::applicationVersion(), schemeNames().join(QStringLiteral(", ")),
             Database::defaultPath());
}

int CommandLine::run(const QStringList &arguments)
{
    const QString command = arguments.value(1);
    const QStringList rest = arguments.mid(2);
    if (command == u"--help" || command == u"-h" || command == u"help") {
        Output::out(usage());
        return Success;
    }
    if (command == u"--version" || command == u"-v") {
        outLine(QStringLiteral("hookscope %1").arg(QCoreApplication::applicationVersion()));
        return Success;
    }
    if (command == u"serve")
        return ServeCommand::run(rest);
    if (command == u"endpoint")
        return endpoint(rest);
    if (command == u"deliveries")
        return deliveries(rest);
    if (command == u"show")
        return show(rest);
    if (command == u"verify")
        return verify(rest);
    if (command == u"subscribers")
        return SubscribersCommand::run(rest);
    if (command == u"send-sample")
        return SampleCommand::run(rest);
    if (command == u"events" || command == u"schema" || command == u"diff" || command == u"fixture")
        return SchemaCommand::run(command, rest);
    if (command == u"db")
        return TeamCommands::db(rest);
    if (command == u"replay")
        return ReplayCommand::run(rest);
    if (command == u"ngrok")
        return NgrokCommand::run(rest);
    if (command.isEmpty())
        errorLine(QStringLiteral("%1: no command given").arg(Program));
    else if (command.startsWith(u'-'))
        errorLine(QStringLiteral("%1: unknown option '%2'").arg(Program, command));
    else
        errorLine(QStringLiteral("%1: unknown command '%2'").arg(Program, command));
    errorLine(usage());
    return Failure;
}
