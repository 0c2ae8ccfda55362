#include "ngrokcommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "deliverystore.h"
#include "listener.h"
#include "ngrokagent.h"
#include "output.h"

#include <QEventLoop>
#include <QThread>

#include <atomic>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

namespace {

QCommandLineOption apiOption()
{
    return {QStringLiteral("api"),
            QStringLiteral("The ngrok agent's local API (default: %1).")
                .arg(QString::fromLatin1(NgrokAgent::DefaultApi)),
            QStringLiteral("URL")};
}

QUrl apiUrl(const QCommandLineParser &parser)
{
    return QUrl(parser.isSet(QStringLiteral("api")) ? parser.value(QStringLiteral("api"))
                                                    : QString::fromLatin1(NgrokAgent::DefaultApi));
}

int status(const QStringList &arguments)
{
    const QString command = QStringLiteral("ngrok");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Show which ngrok tunnel forwards to the listener."));
    parser.addOption(apiOption());
    parser.addOption(
        {QStringLiteral("port"),
         QStringLiteral("The listener's port (default: %1).").arg(Listener::DefaultPort),
         QStringLiteral("PORT")});
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("ngrok [--api URL] [--port PORT]")))
        return CommandLine::Success;
    const quint16 port = parser.isSet(QStringLiteral("port"))
                             ? parser.value(QStringLiteral("port")).toUShort()
                             : Listener::DefaultPort;
    NgrokAgent agent(apiUrl(parser));
    QEventLoop loop;
    NgrokAgent::Status result;
    agent.status(port, [&](const NgrokAgent::Status &status) {
        result = status;
        loop.quit();
    });
    loop.exec();
    for (const NgrokAgent::Tunnel &tunnel : std::as_const(result.tunnels))
        outLine(QStringLiteral("tunnel %1: %2 -> %3")
                    .arg(tunnel.name, tunnel.publicUrl.toString(), tunnel.address));
    if (result.ours)
        outLine(QStringLiteral("public URL: %1").arg(result.ours->publicUrl.toString()));
    (result.ours ? outLine(result.advice) : errorLine(result.advice));
    return result.ours ? CommandLine::Success : CommandLine::NotFound;
}

int import(const QStringList &arguments)
{
    const QString command = QStringLiteral("ngrok import");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Store the requests the ngrok agent recorded (while HookScope was not running) "
        "as deliveries, verified like any other. Requests stored before are skipped."));
    parser.addOption(apiOption());
    parser.addOption(dbOption());
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("ngrok import [--api URL] [--db FILE]")))
        return CommandLine::Success;
    NgrokAgent agent(apiUrl(parser));
    QEventLoop loop;
    QList<NgrokAgent::Recorded> recorded;
    QString error;
    agent.recordedRequests(
        [&](const QList<NgrokAgent::Recorded> &requests, const QString &failure) {
            recorded = requests;
            error = failure;
            loop.quit();
        });
    loop.exec();
    if (!error.isEmpty()) {
        errorLine(QStringLiteral("%1 %2: cannot ask the ngrok agent at %3: %4")
                      .arg(Program, command, apiUrl(parser).toString(), error));
        return CommandLine::Failure;
    }
    DeliveryStore store;
    DeliveryStore::Options options;
    options.path = databasePath(parser);
    if (!store.open(options, &error)) {
        errorLine(QStringLiteral("%1: %2").arg(Program, error));
        return CommandLine::Failure;
    }
    QStringList problems;
    const QList<Delivery> deliveries =
        NgrokAgent::toDeliveries(recorded, store.endpoints(), &problems);
    std::atomic<int> stored{0};
    std::atomic<int> already{0};
    std::atomic<int> failed{0};
    std::atomic<int> done{0};
    for (const Delivery &delivery : deliveries) {
        store.submit(delivery, DeliveryStore::Clock::now(),
                     [&](qint64 id, int, const QString &failure) {
                         if (id > 0)
                             ++stored;
                         else if (failure == QLatin1String(DeliveryStore::AlreadyStored))
                             ++already;
                         else
                             ++failed;
                         ++done;
                     });
    }
    while (done.load() < deliveries.size())
        QThread::msleep(2);
    store.close();
    outLine(QStringLiteral(
                "imported %1 requests from ngrok, %2 stored before, %3 unreadable, %4 not stored")
                .arg(stored.load())
                .arg(already.load())
                .arg(problems.size())
                .arg(failed.load()));
    for (const QString &problem : std::as_const(problems))
        outLine(QStringLiteral("  ") + problem);
    return failed.load() == 0 ? CommandLine::Success : CommandLine::Failure;
}

} // namespace

int NgrokCommand::run(const QStringList &arguments)
{
    if (arguments.value(0) == u"import")
        return import(arguments.mid(1));
    return status(arguments);
}
