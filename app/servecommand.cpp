#include "servecommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "deliveryjson.h"
#include "deliverystore.h"
#include "listener.h"
#include "output.h"
#include "signalwatcher.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

namespace {

struct ListenAddress
{
    QHostAddress address;
    quint16 port = 0;
};

// HOST:PORT, [IPv6]:PORT, or a bare PORT (on 127.0.0.1).
std::optional<ListenAddress> parseListen(const QString &text, QString *error)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]*)):(\d{1,5})$|^(\d{1,5})$)"));
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch()) {
        *error =
            QStringLiteral("--listen wants HOST:PORT (e.g. 127.0.0.1:8484), got '%1'").arg(text);
        return std::nullopt;
    }
    const QString portText = match.captured(4).isEmpty() ? match.captured(3) : match.captured(4);
    const uint port = portText.toUInt();
    if (port > 65535) {
        *error = QStringLiteral("port %1 is out of range (0-65535)").arg(port);
        return std::nullopt;
    }
    QString host = match.captured(1).isEmpty() ? match.captured(2) : match.captured(1);
    if (!match.captured(4).isEmpty() || host.isEmpty())
        host = QStringLiteral("127.0.0.1");
    if (host == u"localhost")
        host = QStringLiteral("127.0.0.1");
    QHostAddress address;
    if (!address.setAddress(host)) {
        *error =
            QStringLiteral("'%1' is not an IP address (use 127.0.0.1, 0.0.0.0 or ::1)").arg(host);
        return std::nullopt;
    }
    return ListenAddress{address, static_cast<quint16>(port)};
}

QString dashIfEmpty(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("-") : text;
}

QString deliveryLine(const DeliverySummary &d, const QString &error)
{
    QString line =
        QStringLiteral("%1  %2 %3  %4  %5  %6  %7")
            .arg(DeliveryJson::timestamp(d.receivedAtMs), d.method, d.path, dashIfEmpty(d.endpoint),
                 dashIfEmpty(d.eventType), verdictName(d.verdict))
            .arg(d.responseStatus);
    if (!error.isEmpty())
        line += QStringLiteral("  (not stored: %1)").arg(error);
    return line;
}

} // namespace

int ServeCommand::run(const QStringList &arguments)
{
    const QString command = QStringLiteral("serve");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Listen for webhook deliveries, verify and store each one, and print a line "
                       "per delivery. Stops on Ctrl+C (SIGINT) or SIGTERM."));
    parser.addOption({QStringLiteral("listen"),
                      QStringLiteral("Address to listen on (default: 127.0.0.1:%1; port 0 picks a "
                                     "free port).")
                          .arg(Listener::DefaultPort),
                      QStringLiteral("HOST:PORT")});
    parser.addOption(dbOption());
    parser.addOption(jsonOption(QStringLiteral("one JSON object per delivery")));
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("serve [--listen HOST:PORT] [--db FILE] [--json]")))
        return CommandLine::Success;

    QString error;
    ListenAddress listen{QHostAddress(QHostAddress::LocalHost), Listener::DefaultPort};
    if (parser.isSet(QStringLiteral("listen"))) {
        const auto parsed = parseListen(parser.value(QStringLiteral("listen")), &error);
        if (!parsed) {
            errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
            return CommandLine::Failure;
        }
        listen = *parsed;
    }
    const bool json = parser.isSet(QStringLiteral("json"));

    DeliveryStore store;
    DeliveryStore::Options options;
    options.path = databasePath(parser);
    if (!store.open(options, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    Listener listener(store);
    if (!listener.start(listen.address, listen.port, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    outLine(QStringLiteral("listening on %1").arg(listener.url()));
    errorLine(QStringLiteral("database %1").arg(QFileInfo(store.path()).absoluteFilePath()));
    const QList<Endpoint> endpoints = store.endpoints();
    if (endpoints.isEmpty()) {
        errorLine(QStringLiteral("no endpoints yet: every request is stored and answered 404. Add "
                                 "one with: hookscope endpoint add NAME --path /hooks --scheme "
                                 "hostedhooks --secret-env VAR"));
    }
    for (const Endpoint &endpoint : endpoints) {
        errorLine(QStringLiteral("endpoint %1: %2%3 (%4)")
                      .arg(endpoint.name, listener.url(),
                           endpoint.path == u"/" ? QString() : endpoint.path,
                           schemeName(endpoint.scheme)));
    }
    if (listen.address != QHostAddress(QHostAddress::LocalHost) &&
        listen.address != QHostAddress(QHostAddress::LocalHostIPv6)) {
        errorLine(QStringLiteral("warning: listening on %1 accepts deliveries from other machines")
                      .arg(listen.address.toString()));
    }

    QObject context;
    QObject::connect(&listener, &Listener::answered, &context,
                     [json](const DeliverySummary &delivery, const QString &failure) {
                         if (json) {
                             QJsonObject object = DeliveryJson::summary(delivery);
                             if (!failure.isEmpty())
                                 object.insert(QStringLiteral("error"), failure);
                             Output::outBytes(QJsonDocument(object).toJson(QJsonDocument::Compact) +
                                              '\n');
                         } else {
                             outLine(deliveryLine(delivery, failure));
                         }
                     });
    QObject::connect(&store, &DeliveryStore::storageFailed, &context, [](const QString &failure) {
        errorLine(QStringLiteral("storage error: %1; answering 503 until it clears").arg(failure));
    });
    QObject::connect(&store, &DeliveryStore::storageRecovered, &context,
                     [] { errorLine(QStringLiteral("storage recovered")); });
    QObject::connect(&store, &DeliveryStore::endpointsChanged, &context,
                     [](const QList<Endpoint> &changed) {
                         errorLine(QStringLiteral("endpoints reloaded (%1)").arg(changed.size()));
                     });

    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &context,
                     [&listener, &store](int) {
                         listener.stop();
                         store.close();
                         QCoreApplication::exit(CommandLine::Success);
                     });
    return QCoreApplication::exec();
}
