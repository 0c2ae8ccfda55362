#pragma once

// What the team-store tests share: a machine of the team (its own folders), the command line,
// `serve` on the team database, and senders of signed HostedHooks deliveries.
// Needs HOOKSCOPE_BINARY (every test has it).

#include "testsupport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QSet>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <deque>
#include <functional>
#include <memory>

namespace TeamSupport {

inline const QString Binary = QStringLiteral(HOOKSCOPE_BINARY);
inline const QByteArray Secret = "team-store-secret";

// Thousands are signed here: Qt's HMAC, checked against openssl's in initTestCase.
inline QByteArray signature(qint64 timestamp, const QByteArray &body,
                            const QByteArray &secret = Secret)
{
    const QByteArray t = QByteArray::number(timestamp);
    return "t=" + t + ",s=" +
           QMessageAuthenticationCode::hash(t + '.' + body, secret, QCryptographicHash::Sha256)
               .toHex();
}

// A HostedHooks subscriber.created event: event evt_N creates subscriber sub_N.
inline QByteArray subscriberCreated(int n)
{
    const QByteArray number = QByteArray::number(n);
    return "{\"version\":\"1.0\",\"event_type\":\"subscriber.created\",\"event_id\":\"evt_" +
           number + "\",\"data\":{\"id\":\"sub_" + number + "\",\"name\":\"Subscriber " + number +
           "\",\"plan\":\"pro\",\"seats\":" + number + "}}";
}

inline QByteArray signedRequest(const QByteArray &body, const QByteArray &secret = Secret)
{
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature",
                   signature(QDateTime::currentSecsSinceEpoch(), body, secret));
    return TestSupport::buildRequest("POST", "/hooks/hh", headers, body);
}

// A machine of the team: its own folder for its own file (where its secrets are kept).
inline QProcessEnvironment machine(const QString &name)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOOKSCOPE_SECRET_STORAGE"), QStringLiteral("database"));
    environment.remove(QStringLiteral("HOOKSCOPE_DB"));
    for (const char *variable : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"}) {
        const QString folder =
            TestSupport::temporaryPath(name + u'-' + QString::fromLatin1(variable));
        QDir().mkpath(folder);
        environment.insert(QString::fromLatin1(variable), folder);
    }
    return environment;
}

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

inline Run hookscope(const QStringList &arguments, const QProcessEnvironment &environment,
                     const QByteArray &secret = Secret)
{
    QProcess process;
    QProcessEnvironment withSecret = environment;
    withSecret.insert(QStringLiteral("TEAM_SECRET"), QString::fromLatin1(secret));
    process.setProcessEnvironment(withSecret);
    process.start(Binary, arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("timed out");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

// `hookscope serve` on the team database, listening on a port it picks.
class Serve
{
public:
    bool start(const QString &url, const QProcessEnvironment &environment)
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessEnvironment(environment);
        m_process->start(Binary, {QStringLiteral("serve"), QStringLiteral("--listen"),
                                  QStringLiteral("127.0.0.1:0"), QStringLiteral("--db"), url});
        QObject::connect(m_process.get(), &QProcess::readyReadStandardError, m_process.get(),
                         [this] { m_err += m_process->readAllStandardError(); });
        if (!QTest::qWaitFor([this] { return m_process->canReadLine() || !running(); }, 30000))
            return false;
        const QByteArray line = m_process->readLine().trimmed();
        m_port = line.mid(line.lastIndexOf(':') + 1).toUShort();
        // A line per delivery follows: read and dropped so that the pipe never fills.
        QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
                         [this] { m_process->readAllStandardOutput(); });
        return m_port != 0;
    }

    quint16 port() const { return m_port; }
    bool running() const { return m_process && m_process->state() != QProcess::NotRunning; }
    QString errors() const { return QString::fromUtf8(m_err); }

    void signal(int number)
    {
        if (running())
            ::kill(pid_t(m_process->processId()), number);
    }

    bool stop(int number = SIGTERM)
    {
        signal(number);
        return QTest::qWaitFor([this] { return !running(); }, 30000);
    }

    ~Serve()
    {
        if (running()) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

private:
    std::unique_ptr<QProcess> m_process;
    QByteArray m_err;
    quint16 m_port = 0;
};

// Sends numbered requests on keep-alive connections, a few per receiver at once, and records
// each answer's status (0: none). A request is made when it is sent, so that its signature's
// time is fresh.
class Senders : public QObject
{
public:
    struct Job
    {
        quint16 port = 0;
        int key = 0;
        std::function<QByteArray()> request;
    };

    // False when the jobs were not all answered (or refused) in time.
    bool run(std::deque<Job> jobs, int connectionsPerPort, int timeoutMs = 240000)
    {
        QSet<quint16> ports;
        for (const Job &job : jobs)
            ports.insert(job.port);
        m_jobs = std::move(jobs);
        for (quint16 port : ports) {
            for (int i = 0; i < connectionsPerPort; ++i) {
                auto *client = new Client{port, nullptr, {}, -1};
                m_clients.push_back(client);
                next(client);
            }
        }
        const bool done =
            QTest::qWaitFor([this] { return m_jobs.empty() && m_busy == 0; }, timeoutMs);
        for (Client *client : m_clients) {
            if (client->socket)
                client->socket->abort();
            delete client;
        }
        m_clients.clear();
        return done;
    }

    QHash<int, int> statuses;
    std::function<void(int key, int status)> onAnswer;

private:
    struct Client
    {
        quint16 port;
        QTcpSocket *socket;
        QByteArray buffer;
        int key;
    };

    void next(Client *client)
    {
        // The first job for this client's receiver.
        const auto it = std::find_if(m_jobs.begin(), m_jobs.end(),
                                     [client](const Job &job) { return job.port == client->port; });
        if (it == m_jobs.end())
            return;
        Job job = std::move(*it);
        m_jobs.erase(it);
        if (!client->socket) {
            client->socket = new QTcpSocket(this);
            client->buffer.clear();
            QTcpSocket *socket = client->socket;
            QObject::connect(socket, &QTcpSocket::readyRead, this, [this, client, socket] {
                if (client->socket == socket)
                    read(client);
            });
            // A refused connection says so with an error alone.
            const auto gone = [this, client, socket] {
                if (client->socket == socket)
                    closed(client);
            };
            QObject::connect(socket, &QTcpSocket::disconnected, this, gone);
            QObject::connect(socket, &QTcpSocket::errorOccurred, this, gone);
            client->socket->connectToHost(QHostAddress::LocalHost, client->port);
        }
        client->key = job.key;
        ++m_busy;
        client->socket->write(job.request());
    }

    void read(Client *client)
    {
        client->buffer += client->socket->readAll();
        const qsizetype headEnd = client->buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const QList<QByteArray> lines = client->buffer.left(headEnd).split('\n');
        qsizetype length = 0;
        for (const QByteArray &line : lines) {
            const QByteArray lower = line.trimmed().toLower();
            if (lower.startsWith("content-length:"))
                length = lower.mid(15).trimmed().toLongLong();
        }
        if (client->buffer.size() < headEnd + 4 + length)
            return;
        client->buffer.remove(0, headEnd + 4 + length);
        finish(client, lines.constFirst().split(' ').value(1).toInt());
        next(client);
    }

    void closed(Client *client)
    {
        // An answer may have come with the close.
        if (client->socket->isOpen())
            read(client);
        if (client->key >= 0)
            finish(client, 0);
        client->socket->disconnect(this);
        client->socket->deleteLater();
        client->socket = nullptr;
        next(client);
    }

    void finish(Client *client, int status)
    {
        statuses[client->key] = status;
        if (onAnswer)
            onAnswer(client->key, status);
        client->key = -1;
        --m_busy;
    }

    std::deque<Job> m_jobs;
    std::vector<Client *> m_clients;
    int m_busy = 0;
};

// `events` subscriber.created events, each sent twice: first to one receiver, then (a retry,
// signed anew) to the other, alternating, the two attempts racing each other. Job 2n is event
// n's first attempt, 2n + 1 its retry.
inline std::deque<Senders::Job> crossingRetries(int events, quint16 portA, quint16 portB)
{
    std::deque<Senders::Job> jobs;
    for (int n = 0; n < events; ++n) {
        const QByteArray body = subscriberCreated(n);
        const quint16 first = n % 2 ? portA : portB;
        const quint16 second = n % 2 ? portB : portA;
        jobs.push_back({first, 2 * n, [body] {
                            return signedRequest(body);
                        }});
        jobs.push_back({second, 2 * n + 1, [body] {
                            return signedRequest(body);
                        }});
    }
    return jobs;
}

// How many jobs were answered 200.
inline int acknowledged(const Senders &senders)
{
    int count = 0;
    for (const int status : std::as_const(senders.statuses))
        count += status == 200 ? 1 : 0;
    return count;
}

} // namespace TeamSupport
