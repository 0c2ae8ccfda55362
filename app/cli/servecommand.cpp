#include "servecommand.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "deliveryjson.h"
#include "deliverystore.h"
#include "handoff.h"
#include "listener.h"
#include "output.h"
#include "platform.h"
#include "postgres.h"
#include "signalwatcher.h"
#include "stagecounters.h"

#include <QBasicTimer>
#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTimerEvent>
#include <QUrl>

using namespace CommandParsing;
using Output::errorLine;
using Output::outLine;

namespace {

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

// The delivery lines of standard output. The listener thread reports each answer; this
// thread is woken once for a run of them and formats them, and the lines are written together
// at most every FlushIntervalMs instead of one write (and flush) per delivery.
class LineBatcher : public QObject
{
public:
    static constexpr int FlushIntervalMs = 20;

    explicit LineBatcher(bool json)
        : m_json(json)
    {}
    ~LineBatcher() override
    {
        format();
        flush();
    }

    // Called on the listener thread.
    void answered(const DeliverySummary &delivery, const QString &failure)
    {
        if (m_answered.push({delivery, failure}))
            QMetaObject::invokeMethod(this, &LineBatcher::format, Qt::QueuedConnection);
    }

private:
    void format()
    {
        for (const auto &[delivery, failure] : m_answered.take()) {
            if (m_json) {
                QJsonObject object = DeliveryJson::summary(delivery);
                if (!failure.isEmpty())
                    object.insert(QStringLiteral("error"), failure);
                m_pending += QJsonDocument(object).toJson(QJsonDocument::Compact);
            } else {
                m_pending += Output::terminalSafe(deliveryLine(delivery, failure), false).toUtf8();
            }
            m_pending += '\n';
        }
        if (!m_pending.isEmpty() && !m_timer.isActive())
            m_timer.start(FlushIntervalMs, Qt::PreciseTimer, this);
    }

    void flush()
    {
        m_timer.stop();
        if (m_pending.isEmpty())
            return;
        Output::outBytes(m_pending);
        m_pending.clear();
    }

protected:
    void timerEvent(QTimerEvent *event) override
    {
        if (event->timerId() == m_timer.timerId())
            flush();
        else
            QObject::timerEvent(event);
    }

private:
    const bool m_json;
    Handoff<std::pair<DeliverySummary, QString>> m_answered;
    QByteArray m_pending;
    QBasicTimer m_timer;
};

} // namespace

int ServeCommand::run(const QStringList &arguments)
{
    const QString command = QStringLiteral("serve");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Listen for webhook deliveries, verify and store each one, and print a line "
                       "per delivery. Stops on Ctrl+C (SIGINT) or SIGTERM; SIGUSR1 prints where "
                       "the time went, stage by stage, and goes on."));
    parser.addOption({QStringLiteral("listen"),
                      QStringLiteral("Address to listen on (default: 127.0.0.1:%1; port 0 picks a "
                                     "free port).")
                          .arg(Listener::DefaultPort),
                      QStringLiteral("HOST:PORT")});
    const ListenerLimits defaults;
    parser.addOption({QStringLiteral("max-body"),
                      QStringLiteral("Largest body accepted, in bytes (default: %1); larger is "
                                     "answered 413 and kept truncated.")
                          .arg(defaults.maxBodyBytes),
                      QStringLiteral("BYTES")});
    parser.addOption({QStringLiteral("idle-timeout"),
                      QStringLiteral("Seconds a client may stay silent mid-request (default: %1).")
                          .arg(defaults.idleTimeoutMs / 1000),
                      QStringLiteral("SECONDS")});
    parser.addOption({QStringLiteral("header-timeout"),
                      QStringLiteral("Seconds a request head may take from its first byte to its "
                                     "last, however slowly it trickles (default: %1).")
                          .arg(defaults.headerTimeoutMs / 1000),
                      QStringLiteral("SECONDS")});
    parser.addOption(
        {QStringLiteral("max-connections"),
         QStringLiteral("Connections served at once (default: %1).").arg(defaults.maxConnections),
         QStringLiteral("N")});
    parser.addOption(dbOption());
    parser.addOption(jsonOption(QStringLiteral("one JSON object per delivery")));
    parser.addOption({QStringLiteral("stats"),
                      QStringLiteral("On stopping, print where the time went, stage by stage "
                                     "and thread by thread, to standard error.")});
    if (!parse(parser, command, arguments, 0, 0))
        return CommandLine::Failure;
    if (helpRequested(parser, QStringLiteral("serve [--listen HOST:PORT] [--db FILE] [--json] "
                                             "[--max-body BYTES] [--idle-timeout SECONDS] "
                                             "[--header-timeout SECONDS] [--max-connections N] "
                                             "[--stats]")))
        return CommandLine::Success;

    QString error;
    ListenAddress listen{QHostAddress(QHostAddress::LocalHost), Listener::DefaultPort};
    if (parser.isSet(QStringLiteral("listen"))) {
        const auto parsed = parseListenAddress(parser.value(QStringLiteral("listen")), &error);
        if (!parsed) {
            errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
            return CommandLine::Failure;
        }
        listen = *parsed;
    }
    ListenerLimits limits;
    auto positive = [&](const QString &name, qint64 *target, qint64 scale) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        const qint64 value = parser.value(name).toLongLong(&ok);
        if (!ok || value <= 0) {
            errorLine(QStringLiteral("%1 %2: --%3 wants a positive number, got '%4'")
                          .arg(Program, command, name, parser.value(name)));
            return false;
        }
        *target = value * scale;
        return true;
    };
    qint64 idleMs = limits.idleTimeoutMs;
    qint64 headerMs = limits.headerTimeoutMs;
    qint64 connections = limits.maxConnections;
    if (!positive(QStringLiteral("max-body"), &limits.maxBodyBytes, 1) ||
        !positive(QStringLiteral("idle-timeout"), &idleMs, 1000) ||
        !positive(QStringLiteral("header-timeout"), &headerMs, 1000) ||
        !positive(QStringLiteral("max-connections"), &connections, 1))
        return CommandLine::Failure;
    limits.idleTimeoutMs = int(std::min<qint64>(idleMs, 24 * 3600 * 1000));
    limits.headerTimeoutMs = int(std::min<qint64>(headerMs, 24 * 3600 * 1000));
    limits.maxConnections = int(std::min<qint64>(connections, 100000));
    const bool json = parser.isSet(QStringLiteral("json"));

    DeliveryStore store;
    DeliveryStore::Options options;
    options.path = databasePath(parser);
    const bool team = Postgres::isLocation(options.path);
    options.setAsideDamaged =
        !team && !parser.isSet(QStringLiteral("db")) && qEnvironmentVariableIsEmpty("HOOKSCOPE_DB");
    options.waitForStorage = true;
    if (team)
        options.secretsPath = Database::defaultPath();
    if (!store.open(options, &error)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    Listener listener(store);
    if (!listener.start(listen.address, listen.port, &error, limits)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, error));
        return CommandLine::Failure;
    }
    outLine(QStringLiteral("listening on %1").arg(listener.url()));
    if (team)
        store.setReceiverName(QSysInfo::machineHostName() + u':' +
                              QString::number(QUrl(listener.url()).port()));
    errorLine(QStringLiteral("database %1")
                  .arg(team ? Postgres::displayLocation(store.path())
                            : QFileInfo(store.path()).absoluteFilePath()));
    if (team)
        errorLine(QStringLiteral("secrets from this machine's %1").arg(options.secretsPath));
    for (const QString &warning : store.endpointWarnings())
        errorLine(QStringLiteral("warning: %1").arg(warning));
    if (!store.setAsideFile().isEmpty())
        errorLine(
            QStringLiteral("warning: the database was damaged; it was kept as %1 and a new one "
                           "was started")
                .arg(store.setAsideFile()));
    const QString storageProblem = store.storageProblem();
    if (!storageProblem.isEmpty())
        errorLine(
            QStringLiteral("storage error: %1; answering 503 until it clears").arg(storageProblem));
    const QList<Endpoint> endpoints = store.endpoints();
    if (endpoints.isEmpty() && storageProblem.isEmpty()) {
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
    LineBatcher lines(json);
    // Reported on the listener thread, which is stopped before `lines` goes.
    QObject::connect(&listener, &Listener::answered, &lines, &LineBatcher::answered,
                     Qt::DirectConnection);
    QObject::connect(&store, &DeliveryStore::storageFailed, &context, [](const QString &failure) {
        errorLine(QStringLiteral("storage error: %1; answering 503 until it clears").arg(failure));
    });
    QObject::connect(&store, &DeliveryStore::storageRecovered, &context,
                     [&store, setAside = store.setAsideFile()]() mutable {
                         errorLine(QStringLiteral("storage recovered"));
                         if (store.setAsideFile() != setAside) {
                             setAside = store.setAsideFile();
                             errorLine(QStringLiteral("warning: the file found at the database's "
                                                      "path was damaged; it was kept as %1 and a "
                                                      "new one was started")
                                           .arg(setAside));
                         }
                     });
    QObject::connect(&store, &DeliveryStore::endpointsChanged, &context,
                     [](const QList<Endpoint> &changed) {
                         errorLine(QStringLiteral("endpoints reloaded (%1)").arg(changed.size()));
                     });

    const auto started = std::chrono::steady_clock::now();
    const auto printStats = [started] {
        QList<std::pair<QString, std::chrono::nanoseconds>> threads;
        for (const Platform::ThreadTime &thread : Platform::threadTimes())
            threads.append({thread.name, thread.cpu});
        const QString report =
            StageCounters::instance().report(std::chrono::steady_clock::now() - started, threads);
        for (const QString &line : report.split(u'\n'))
            errorLine(line);
    };
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::reportRequested, &context, printStats);
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &context,
                     [&listener, &store, printStats, stats = parser.isSet(u"stats"_qs)](int) {
                         // Before the threads end, so that each is in the table.
                         if (stats)
                             printStats();
                         listener.stop();
                         store.close();
                         QCoreApplication::exit(CommandLine::Success);
                     });
    const int code = QCoreApplication::exec();
    listener.stop();
    return code;
}
