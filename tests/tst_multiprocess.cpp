// Several processes on one database file at once, as people run them: the window (or
// `hookscope serve`) receiving, the command line reading and writing the same file, a second
// window opened and closed meanwhile, and the receiving process killed or stopped at random
// moments. A delivery answered 2xx must be in the file, and visible at once to every process
// started after the answer; a delivery in the file must have been answered.

#include "headerlist.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <memory>
#include <optional>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

const QByteArray Secret = "multiprocess-secret";
const QString SecretVariable = QStringLiteral("MULTIPROCESS_SECRET");
const QString Binary = QStringLiteral(HOOKSCOPE_BINARY);

// One clock for the moments deliveries are answered and command-line processes start.
qint64 nowNs()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer started;
        started.start();
        return started;
    }();
    return clock.nsecsElapsed();
}

// Runs the event loop until `condition` holds or `timeoutMs` pass; whether it holds. The
// deadlines bound every wait; where one passes, what was (not) reached is checked after.
template<typename Condition> bool waitUntil(Condition condition, int timeoutMs)
{
    return QTest::qWaitFor(condition, timeoutMs);
}

QRandomGenerator &randomGenerator()
{
    static QRandomGenerator generator = [] {
        const quint32 seed = qEnvironmentVariableIsSet("HOOKSCOPE_TEST_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("HOOKSCOPE_TEST_SEED"))
                                 : QRandomGenerator::global()->generate();
        qInfo("random seed %u (set HOOKSCOPE_TEST_SEED to repeat)", seed);
        return QRandomGenerator(seed);
    }();
    return generator;
}

int randomBetween(int lowest, int highest)
{
    return lowest + int(randomGenerator().bounded(highest - lowest + 1));
}

// Thousands of deliveries are signed here, too many for an openssl process each; initTestCase
// checks this signer against TestSupport's, which is openssl's.
QByteArray hostedHooksSignature(qint64 timestamp, const QByteArray &body)
{
    const QByteArray t = QByteArray::number(timestamp);
    return "t=" + t + ",s=" +
           QMessageAuthenticationCode::hash(t + '.' + body, Secret, QCryptographicHash::Sha256)
               .toHex();
}

// A HostedHooks subscriber.created event, as in resources/samples: delivery n has event id
// evt_n and subscriber id sub_n.
QByteArray subscriberCreated(int n)
{
    const QByteArray number = QByteArray::number(n);
    const QByteArray created =
        QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    return R"({"version":"1.0","event_type":"subscriber.created","event_id":"evt_)" + number +
           R"(","created":")" + created + R"(","data":{"id":"sub_)" + number +
           R"(","name":"Subscriber )" + number + R"(","email":"subscriber)" + number +
           R"(@subscriber.example","app":"Multiprocess","created_at":")" + created + "\"}}";
}

QByteArray signedDelivery(int n, bool closeAfter)
{
    const QByteArray body = subscriberCreated(n);
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature",
                   hostedHooksSignature(QDateTime::currentSecsSinceEpoch(), body));
    if (closeAfter)
        headers.append("Connection", "close");
    return TestSupport::buildRequest("POST", "/hooks/hh", headers, body);
}

int numberOf(const QString &id, QStringView prefix)
{
    bool ok = false;
    const int n = id.startsWith(prefix) ? id.mid(prefix.size()).toInt(&ok) : -1;
    return ok ? n : -1;
}

QString examples(const QSet<int> &numbers, const char *prefix = "evt_")
{
    QList<int> sorted(numbers.cbegin(), numbers.cend());
    std::sort(sorted.begin(), sorted.end());
    QStringList shown;
    for (qsizetype i = 0; i < std::min<qsizetype>(sorted.size(), 5); ++i)
        shown.append(QString::fromLatin1(prefix) + QString::number(sorted[i]));
    if (sorted.size() > 5)
        shown.append(QStringLiteral("…"));
    return shown.join(QStringLiteral(", "));
}

QProcessEnvironment processEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOOKSCOPE_SECRET_STORAGE"), QStringLiteral("database"));
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(SecretVariable, QString::fromLatin1(Secret));
    // The window remembers its layout and last filter: in folders of the test's own.
    for (const char *variable : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"}) {
        const QString folder = TestSupport::temporaryPath(QString::fromLatin1(variable));
        QDir().mkpath(folder);
        environment.insert(QString::fromLatin1(variable), folder);
    }
    return environment;
}

// What each descriptor of a running process points at (files, "socket:[inode]", ...).
QStringList openFiles(qint64 pid)
{
    QStringList targets;
    const QString folder = QStringLiteral("/proc/%1/fd").arg(pid);
    const QStringList entries =
        QDir(folder).entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        char target[4096];
        const QByteArray link = QFile::encodeName(folder + u'/' + entry);
        const ssize_t length = ::readlink(link.constData(), target, sizeof target);
        if (length > 0)
            targets.append(QFile::decodeName(QByteArray(target, length)));
    }
    return targets;
}

// The TCP port a process listens on, 0 while it listens on none: the window prints nothing,
// so the port it picked is read from /proc.
quint16 listeningPort(qint64 pid)
{
    QSet<QByteArray> sockets;
    for (const QString &target : openFiles(pid)) {
        if (target.startsWith(u"socket:[") && target.endsWith(u']'))
            sockets.insert(target.mid(8).chopped(1).toLatin1());
    }
    if (sockets.isEmpty())
        return 0;
    for (const QString &table :
         {QStringLiteral("/proc/net/tcp"), QStringLiteral("/proc/net/tcp6")}) {
        QFile file(table);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> lines = file.readAll().split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            const QList<QByteArray> fields = lines[i].simplified().split(' ');
            if (fields.size() < 10 || fields[3] != "0A" || !sockets.contains(fields[9]))
                continue;
            const QByteArray local = fields[1];
            return local.mid(local.lastIndexOf(':') + 1).toUShort(nullptr, 16);
        }
    }
    return 0;
}

// Files of the database (db, -wal, -shm) a process still holds open after they were deleted:
// what it writes there nobody else will ever read.
QStringList deletedDatabaseFiles(qint64 pid, const QString &db)
{
    QStringList deleted;
    const QString path = QFileInfo(db).absoluteFilePath();
    for (const QString &target : openFiles(pid)) {
        if (target.startsWith(path) && target.endsWith(u" (deleted)"))
            deleted.append(target);
    }
    deleted.removeDuplicates();
    return deleted;
}

int descriptorsOn(qint64 pid, const QString &db)
{
    const QString path = QFileInfo(db).absoluteFilePath();
    const QStringList targets = openFiles(pid);
    return int(std::count(targets.cbegin(), targets.cend(), path));
}

// Sends `signal` to the process while it runs. Never to pid 0: that would be the test's own
// process group.
void signalProcess(const QProcess *process, int signal)
{
    if (process && process->state() == QProcess::Running && process->processId() > 0)
        ::kill(pid_t(process->processId()), signal);
}

// One finished command-line process.
struct CommandRun
{
    QStringList arguments;
    qint64 startedNs = 0;
    bool finished = false; // exited by itself within its time
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    QString describe() const
    {
        QString text = QStringLiteral("`hookscope %1`").arg(arguments.join(u' '));
        if (!finished)
            return text + QStringLiteral(" did not finish");
        text += QStringLiteral(" exited %1").arg(exitCode);
        const QByteArray firstError = err.trimmed().split('\n').constFirst();
        if (!firstError.isEmpty())
            text += QStringLiteral(": ") + QString::fromUtf8(firstError);
        return text;
    }
};

CommandRun runCommand(const QStringList &arguments, const QString &db, int timeoutMs = 30000)
{
    CommandRun run;
    run.arguments = arguments + QStringList{QStringLiteral("--db"), db};
    QProcess process;
    process.setProcessEnvironment(processEnvironment());
    run.startedNs = nowNs();
    process.start(Binary, run.arguments);
    run.finished =
        process.waitForFinished(timeoutMs) && process.exitStatus() == QProcess::NormalExit;
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
    }
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

bool addEndpoint(const QString &db, QString *failure)
{
    const CommandRun add = runCommand(
        {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
         QStringLiteral("--path"), QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
         QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"), SecretVariable},
        db);
    if (add.finished && add.exitCode == 0)
        return true;
    *failure = add.describe();
    return false;
}

// The values of `key` in a JSON array of objects printed by a command, as numbers after
// `prefix`; nullopt when the output is not such an array.
std::optional<QList<int>> listedNumbers(const QByteArray &json, const QString &key,
                                        QStringView prefix)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray())
        return std::nullopt;
    QList<int> numbers;
    for (const QJsonValue &value : document.array())
        numbers.append(numberOf(value.toObject().value(key).toString(), prefix));
    return numbers;
}

enum class Kind
{
    Serve,
    Window
};

QString kindName(Kind kind)
{
    return kind == Kind::Serve ? QStringLiteral("serve") : QStringLiteral("window");
}

Kind kindFromName(const QString &name)
{
    return name == u"serve" ? Kind::Serve : Kind::Window;
}

// The process that receives: `hookscope serve` or the window, listening on a port it picks.
class Receiver
{
public:
    bool start(Kind kind, const QString &db, QString *error)
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessEnvironment(processEnvironment());
        m_process->setStandardErrorFile(db + QStringLiteral(".%1.log").arg(kindName(kind)),
                                        QIODevice::Append);
        if (kind == Kind::Serve) {
            m_process->start(Binary, {QStringLiteral("serve"), QStringLiteral("--listen"),
                                      QStringLiteral("127.0.0.1:0"), QStringLiteral("--db"), db});
            waitUntil([this] { return m_process->canReadLine() || !running(); }, 30000);
            const QByteArray line = m_process->readLine().trimmed();
            m_port = line.mid(line.lastIndexOf(':') + 1).toUShort();
            // One line per delivery follows: read and dropped, so that the pipe never fills.
            QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
                             [process = m_process.get()] { process->readAllStandardOutput(); });
        } else {
            m_process->setStandardOutputFile(QProcess::nullDevice());
            m_process->start(Binary, {QStringLiteral("--db"), db, QStringLiteral("--listen"),
                                      QStringLiteral("127.0.0.1:0")});
            waitUntil([this] { return !running() || (m_port = listeningPort(pid())) != 0; }, 30000);
            // The window is settled once its list has a connection of its own to the file
            // too; how long that takes varies, and it matters to what others see.
            if (m_port != 0)
                waitUntil([this, &db] { return descriptorsOn(pid(), db) >= 2; }, 3000);
        }
        if (m_port == 0) {
            *error = QStringLiteral("%1 did not start listening (%2)")
                         .arg(kindName(kind),
                              running() ? QStringLiteral("still running")
                                        : QStringLiteral("exited %1").arg(m_process->exitCode()));
            kill(SIGKILL);
            waitForExit(5000);
            return false;
        }
        return true;
    }

    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    bool running() const { return m_process && m_process->state() != QProcess::NotRunning; }

    void kill(int signal) { signalProcess(m_process.get(), signal); }

    // The event loop runs meanwhile: senders and command lines carry on.
    bool waitForExit(int timeoutMs)
    {
        return waitUntil([this] { return !running(); }, timeoutMs);
    }

    bool exitedCleanly() const
    {
        return m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
    }

    QString exitDescription() const
    {
        return m_process->exitStatus() == QProcess::NormalExit
                   ? QStringLiteral("exited %1").arg(m_process->exitCode())
                   : QStringLiteral("was killed by signal %1").arg(m_process->exitCode());
    }

private:
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

// What became of one numbered delivery.
struct Attempt
{
    qint64 sentNs = 0;
    qint64 answeredNs = 0;
    int status = 0; // 0: no answer
    bool resolved = false;
};

// Clients sending numbered, signed deliveries as fast as they are answered: some on keep-alive
// connections, some on a connection each (`Connection: close`). Every answer is recorded with
// the moment it arrived.
class Senders : public QObject
{
public:
    explicit Senders(int clients)
    {
        for (int i = 0; i < clients; ++i)
            m_clients.push_back(Client{nullptr, true, -1, {}});
    }

    ~Senders() override
    {
        for (Client &client : m_clients)
            drop(client);
    }

    // The first `keepAliveClients` keep their connection open, the others close it after each
    // answer.
    void start(quint16 port, int keepAliveClients)
    {
        m_port = port;
        m_running = true;
        for (size_t i = 0; i < m_clients.size(); ++i) {
            m_clients[i].keepAlive = int(i) < keepAliveClients;
            connectClient(i);
        }
    }

    // No new request; each one outstanding is answered or its connection closes (bounded).
    void stop()
    {
        m_running = false;
        waitUntil(
            [this] {
                return std::none_of(m_clients.cbegin(), m_clients.cend(),
                                    [](const Client &client) { return client.outstanding >= 0; });
            },
            15000);
        for (Client &client : m_clients) {
            resolveOutstanding(client, 0);
            drop(client);
        }
    }

    const QMap<int, Attempt> &attempts() const { return m_attempts; }

    QSet<int> acknowledged() const
    {
        QSet<int> numbers;
        for (auto it = m_attempts.cbegin(); it != m_attempts.cend(); ++it) {
            if (it->status >= 200 && it->status < 300)
                numbers.insert(it.key());
        }
        return numbers;
    }

    // Acknowledged strictly before `momentNs`.
    QSet<int> acknowledgedBefore(qint64 momentNs) const
    {
        QSet<int> numbers;
        for (auto it = m_attempts.cbegin(); it != m_attempts.cend(); ++it) {
            if (it->status >= 200 && it->status < 300 && it->answeredNs < momentNs)
                numbers.insert(it.key());
        }
        return numbers;
    }

private:
    struct Client
    {
        QTcpSocket *socket;
        bool keepAlive;
        int outstanding; // the delivery waiting for its answer, -1 for none
        QByteArray buffer;
    };

    void connectClient(size_t index)
    {
        Client &client = m_clients[index];
        if (!m_running || client.socket)
            return;
        client.socket = new QTcpSocket(this);
        client.buffer.clear();
        QTcpSocket *socket = client.socket;
        connect(socket, &QTcpSocket::connected, this, [this, index] { sendNext(index); });
        connect(socket, &QTcpSocket::readyRead, this, [this, index] { readAnswer(index); });
        connect(socket, &QTcpSocket::disconnected, this, [this, index] { closed(index); });
        connect(socket, &QTcpSocket::errorOccurred, this, [this, index] { closed(index); });
        socket->connectToHost(QHostAddress::LocalHost, m_port);
    }

    void sendNext(size_t index)
    {
        Client &client = m_clients[index];
        if (!m_running || !client.socket || client.outstanding >= 0)
            return;
        const int n = m_next++;
        client.outstanding = n;
        m_attempts[n].sentNs = nowNs();
        client.socket->write(signedDelivery(n, !client.keepAlive));
    }

    void readAnswer(size_t index)
    {
        Client &client = m_clients[index];
        if (!client.socket)
            return;
        client.buffer += client.socket->readAll();
        const qsizetype headEnd = client.buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const QList<QByteArray> lines = client.buffer.left(headEnd).split('\n');
        qsizetype length = 0;
        bool closing = false;
        for (const QByteArray &line : lines) {
            const QByteArray lower = line.trimmed().toLower();
            if (lower.startsWith("content-length:"))
                length = lower.mid(15).trimmed().toLongLong();
            else if (lower.startsWith("connection:") && lower.contains("close"))
                closing = true;
        }
        if (client.buffer.size() < headEnd + 4 + length)
            return;
        const int status = lines.constFirst().split(' ').value(1).toInt();
        client.buffer.remove(0, headEnd + 4 + length);
        resolveOutstanding(client, status);
        if (client.keepAlive && !closing) {
            sendNext(index);
            return;
        }
        drop(client);
        QTimer::singleShot(0, this, [this, index] { connectClient(index); });
    }

    void closed(size_t index)
    {
        Client &client = m_clients[index];
        if (!client.socket)
            return;
        // An answer may have come with the close.
        readAnswer(index);
        if (!client.socket)
            return;
        resolveOutstanding(client, 0);
        drop(client);
        // The receiver is gone or going: try again shortly, as a sender would.
        QTimer::singleShot(20, this, [this, index] { connectClient(index); });
    }

    void resolveOutstanding(Client &client, int status)
    {
        if (client.outstanding < 0)
            return;
        Attempt &attempt = m_attempts[client.outstanding];
        attempt.status = status;
        attempt.answeredNs = nowNs();
        attempt.resolved = true;
        client.outstanding = -1;
    }

    void drop(Client &client)
    {
        if (!client.socket)
            return;
        client.socket->disconnect(this);
        client.socket->abort();
        client.socket->deleteLater();
        client.socket = nullptr;
    }

    std::vector<Client> m_clients;
    QMap<int, Attempt> m_attempts;
    quint16 m_port = 0;
    bool m_running = false;
    int m_next = 1;
};

// Command-line processes on the file, one after another, for as long as it runs: listings,
// details, endpoints, the subscriber mapping, verification again, an export.
class CommandLoop : public QObject
{
public:
    CommandLoop(const QString &db, const QString &exportFile)
        : m_db(db)
        , m_exportFile(exportFile)
    {}

    void start()
    {
        m_running = true;
        next();
    }

    // Lets the command running finish (bounded), starts no other.
    void stop()
    {
        m_running = false;
        waitUntil([this] { return !m_process; }, 40000);
        if (m_process) {
            m_process->kill();
            waitUntil([this] { return !m_process; }, 5000);
        }
    }

    QList<CommandRun> takeRuns() { return std::exchange(m_runs, {}); }
    int count() const { return m_count; }

private:
    QStringList nextArguments()
    {
        const QString limit = QStringLiteral("1000000");
        // Every other command lists the deliveries: the listings are what is checked most.
        if (m_index++ % 2 == 0)
            return {QStringLiteral("deliveries"), QStringLiteral("--json"),
                    QStringLiteral("--limit"), limit};
        switch ((m_index / 2) % 5) {
        case 0:
            if (m_lastId > 0)
                return {QStringLiteral("show"), QString::number(m_lastId),
                        QStringLiteral("--json")};
            return {QStringLiteral("deliveries"), QStringLiteral("--json"),
                    QStringLiteral("--limit"), limit};
        case 1:
            return {QStringLiteral("endpoint"), QStringLiteral("list")};
        case 2:
            return {QStringLiteral("subscribers"), QStringLiteral("--json")};
        case 3:
            return {QStringLiteral("verify")};
        default:
            return {QStringLiteral("subscribers"), QStringLiteral("export"),
                    QStringLiteral("--json"), m_exportFile};
        }
    }

    void next()
    {
        if (!m_running || m_process)
            return;
        m_current = CommandRun();
        m_current.arguments = nextArguments() + QStringList{QStringLiteral("--db"), m_db};
        m_process = new QProcess(this);
        m_process->setProcessEnvironment(processEnvironment());
        connect(m_process, &QProcess::finished, this,
                [this](int exitCode, QProcess::ExitStatus status) {
                    m_current.finished = status == QProcess::NormalExit;
                    m_current.exitCode = exitCode;
                    m_current.out = m_process->readAllStandardOutput();
                    m_current.err = m_process->readAllStandardError();
                    if (m_current.arguments.constFirst() == u"deliveries") {
                        const QJsonArray listed = QJsonDocument::fromJson(m_current.out).array();
                        if (!listed.isEmpty())
                            m_lastId = listed.first().toObject().value(u"id").toInteger();
                    }
                    m_runs.append(m_current);
                    m_process->deleteLater();
                    m_process = nullptr;
                    QTimer::singleShot(randomBetween(0, 40), this, [this] { next(); });
                });
        ++m_count;
        m_current.startedNs = nowNs();
        m_process->start(Binary, m_current.arguments);
        // A command that hangs is killed: reported as not finished.
        QTimer::singleShot(30000, m_process, [process = m_process] { process->kill(); });
    }

    QString m_db;
    QString m_exportFile;
    bool m_running = false;
    QProcess *m_process = nullptr;
    CommandRun m_current;
    QList<CommandRun> m_runs;
    int m_index = 0;
    int m_count = 0;
    qint64 m_lastId = 0;
};

// A second window on the file, opened, kept a moment once it has opened the file, and closed,
// again and again. SIGTERM closes it: the window offers no other way from outside.
class WindowCycle : public QObject
{
public:
    explicit WindowCycle(const QString &db)
        : m_db(db)
    {
        m_poll.setInterval(25);
        connect(&m_poll, &QTimer::timeout, this, [this] { poll(); });
    }

    void start()
    {
        m_running = true;
        open();
    }

    void stop()
    {
        m_running = false;
        m_poll.stop();
        if (!m_process)
            return;
        signalProcess(m_process, SIGTERM);
        if (!waitUntil([this] { return !m_process; }, 5000) && m_process) {
            m_process->kill();
            waitUntil([this] { return !m_process; }, 5000);
        }
    }

    int opened() const { return m_opened; }
    QStringList takeProblems() { return std::exchange(m_problems, {}); }

private:
    void open()
    {
        if (!m_running || m_process)
            return;
        m_process = new QProcess(this);
        m_process->setProcessEnvironment(processEnvironment());
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->setStandardErrorFile(QProcess::nullDevice());
        connect(m_process, &QProcess::finished, this, [this] {
            m_poll.stop();
            m_process->deleteLater();
            m_process = nullptr;
            QTimer::singleShot(randomBetween(50, 300), this, [this] { open(); });
        });
        m_process->start(Binary, {QStringLiteral("--db"), m_db, QStringLiteral("--listen"),
                                  QStringLiteral("127.0.0.1:0")});
        m_startedNs = nowNs();
        m_listening = false;
        m_poll.start();
    }

    // Listening means it has opened the file.
    void poll()
    {
        if (!m_process || m_listening)
            return;
        if (listeningPort(m_process->processId()) != 0) {
            m_listening = true;
            ++m_opened;
            m_poll.stop();
            QTimer::singleShot(randomBetween(50, 500), m_process,
                               [process = m_process] { signalProcess(process, SIGTERM); });
        } else if (nowNs() - m_startedNs > 30'000'000'000LL) {
            m_problems.append(QStringLiteral("a second window did not open the file in 30 s"));
            m_poll.stop();
            signalProcess(m_process, SIGTERM);
        }
    }

    QString m_db;
    QTimer m_poll;
    QProcess *m_process = nullptr;
    bool m_running = false;
    bool m_listening = false;
    qint64 m_startedNs = 0;
    int m_opened = 0;
    QStringList m_problems;
};

// What went wrong, each said in full in the log as it is found, and summed up for the failure
// message (which QTest cuts at about a thousand characters).
class Problems
{
public:
    void add(const QString &problem)
    {
        qWarning("%s", qPrintable(problem));
        m_all.append(problem);
    }

    bool isEmpty() const { return m_all.isEmpty(); }

    QString summary(const QString &what) const
    {
        QString text = QStringLiteral("%1: %2 problems (each is in the log above), the first:")
                           .arg(what)
                           .arg(m_all.size());
        for (qsizetype i = 0; i < std::min<qsizetype>(m_all.size(), 4); ++i)
            text += QStringLiteral("\n  ") + m_all[i].left(220);
        return text;
    }

private:
    QStringList m_all;
};

// What the file holds, read in the test's own read-only connection once nothing else runs.
struct FileContents
{
    QString error;
    QString integrity;
    QMap<int, int> deliveries;  // how many rows carry each event number
    QMap<int, int> subscribers; // how many mapping rows carry each subscriber number
    // Subscribers of deliveries stored above the mapping's watermark: the mapping follows the
    // commits, and the next process to open the file applies them.
    QSet<int> pendingSubscribers;
    int rows = 0;
};

FileContents readFile(const QString &db)
{
    static int connections = 0;
    const QString name = QStringLiteral("multiprocess-check-%1").arg(++connections);
    FileContents contents;
    {
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        database.setDatabaseName(db);
        // Read-only: closing it must not checkpoint or remove anything the next round uses.
        database.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (!database.open()) {
            contents.error = database.lastError().text();
        } else {
            QSqlQuery query(database);
            QStringList integrity;
            if (query.exec(QStringLiteral("PRAGMA integrity_check"))) {
                while (query.next())
                    integrity.append(query.value(0).toString());
            } else {
                integrity.append(query.lastError().text());
            }
            contents.integrity = integrity.join(u"; ");
            if (query.exec(QStringLiteral("SELECT event_id, count(*) FROM deliveries GROUP BY "
                                          "event_id"))) {
                while (query.next()) {
                    contents.deliveries[numberOf(query.value(0).toString(), u"evt_")] =
                        query.value(1).toInt();
                    contents.rows += query.value(1).toInt();
                }
            } else {
                contents.error = query.lastError().text();
            }
            if (query.exec(QStringLiteral("SELECT subscriber_id, count(*) FROM subscribers GROUP "
                                          "BY subscriber_id"))) {
                while (query.next())
                    contents.subscribers[numberOf(query.value(0).toString(), u"sub_")] =
                        query.value(1).toInt();
            } else {
                contents.error = query.lastError().text();
            }
            if (query.exec(QStringLiteral("SELECT subscriber_id FROM deliveries WHERE "
                                          "event_type = 'subscriber.created' AND id > (SELECT "
                                          "mapped_up_to FROM mapping_state)"))) {
                while (query.next())
                    contents.pendingSubscribers.insert(
                        numberOf(query.value(0).toString(), u"sub_"));
            } else {
                contents.error = query.lastError().text();
            }
        }
    }
    QSqlDatabase::removeDatabase(name);
    return contents;
}

QSet<int> keysOf(const QMap<int, int> &map)
{
    const QList<int> keys = map.keys();
    return QSet<int>(keys.cbegin(), keys.cend());
}

// Checks that a listing printed by the command line (`deliveries --json`, `subscribers --json`)
// holds everything answered 2xx before its process started.
struct Listings
{
    int checked = 0;
    int failed = 0;

    QString check(const CommandRun &run, const Senders &senders)
    {
        const QString command = run.arguments.constFirst();
        const bool deliveries = command == u"deliveries";
        const bool subscribers = command == u"subscribers" && run.arguments.value(1) == u"--json";
        if (!deliveries && !subscribers)
            return {};
        const QString shown =
            deliveries ? QStringLiteral("deliveries --json") : QStringLiteral("subscribers --json");
        const auto listed = deliveries
                                ? listedNumbers(run.out, QStringLiteral("event_id"), u"evt_")
                                : listedNumbers(run.out, QStringLiteral("subscriber_id"), u"sub_");
        ++checked;
        if (!listed) {
            ++failed;
            return QStringLiteral("`%1` printed no JSON array: %2")
                .arg(shown, QString::fromUtf8(run.out.left(200)));
        }
        const QSet<int> seen(listed->cbegin(), listed->cend());
        QString problem;
        if (seen.size() != listed->size())
            problem = QStringLiteral("`%1` lists %2 rows for %3 different ids. ")
                          .arg(shown)
                          .arg(listed->size())
                          .arg(seen.size());
        const QSet<int> before = senders.acknowledgedBefore(run.startedNs);
        QSet<int> missing = before;
        missing.subtract(seen);
        if (!missing.isEmpty())
            problem += QStringLiteral("`%1` did not show %2 of the %3 %4 answered 2xx before it "
                                      "started: %5")
                           .arg(shown)
                           .arg(missing.size())
                           .arg(before.size())
                           .arg(deliveries ? QStringLiteral("deliveries")
                                           : QStringLiteral("subscribers of deliveries"))
                           .arg(examples(missing, deliveries ? "evt_" : "sub_"));
        if (!problem.isEmpty())
            ++failed;
        return problem.trimmed();
    }
};

} // namespace

class TestMultiprocess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // The signer used here agrees with openssl's.
        const QByteArray body = subscriberCreated(42);
        QCOMPARE(hostedHooksSignature(1764338681, body),
                 TestSupport::hostedHooksSignature(Secret, 1764338681, body));
        QVERIFY2(QFileInfo::exists(QStringLiteral("/proc/self/fd")),
                 "the ports windows listen on are read from /proc");
    }

    void theWindowKeepsWhatItAcknowledgesWhileOthersOpenTheFile_data()
    {
        QTest::addColumn<bool>("secondWindow");
        QTest::newRow("command line") << false;
        QTest::newRow("second window") << true;
    }

    void theWindowKeepsWhatItAcknowledgesWhileOthersOpenTheFile()
    {
        QFETCH(bool, secondWindow);
        const QString db = TestSupport::temporaryPath(
            secondWindow ? QStringLiteral("shared-window.db") : QStringLiteral("shared-cli.db"));
        QString failure;
        QVERIFY2(addEndpoint(db, &failure), qPrintable(failure));

        Receiver window;
        QVERIFY2(window.start(Kind::Window, db, &failure), qPrintable(failure));
        Problems problems;
        QSet<int> acknowledged;
        constexpr int Deliveries = 3;
        for (int n = 1; n <= Deliveries; ++n) {
            // Someone else opens and closes the file...
            if (secondWindow) {
                Receiver second;
                QVERIFY2(second.start(Kind::Window, db, &failure), qPrintable(failure));
                second.kill(SIGTERM);
                QVERIFY(second.waitForExit(10000));
            } else {
                const CommandRun list =
                    runCommand({QStringLiteral("endpoint"), QStringLiteral("list")}, db);
                QVERIFY2(list.finished && list.exitCode == 0, qPrintable(list.describe()));
            }
            // ... while the window receives.
            const TestSupport::HttpResponse answer =
                TestSupport::sendRaw(window.port(), signedDelivery(n, false), 15000);
            QVERIFY2(answer.status == 200, qPrintable(QStringLiteral("evt_%1 was answered %2: %3")
                                                          .arg(n)
                                                          .arg(answer.status)
                                                          .arg(QString::fromUtf8(answer.raw))));
            QVERIFY2(answer.body.contains("\"stored\":true"), answer.body.constData());
            acknowledged.insert(n);

            // Another process sees it at once.
            const CommandRun listing =
                runCommand({QStringLiteral("deliveries"), QStringLiteral("--json")}, db);
            QVERIFY2(listing.finished && listing.exitCode == 0, qPrintable(listing.describe()));
            const auto listed = listedNumbers(listing.out, QStringLiteral("event_id"), u"evt_");
            QVERIFY2(listed, listing.out.constData());
            QSet<int> missing = acknowledged;
            missing.subtract(QSet<int>(listed->cbegin(), listed->cend()));
            if (!missing.isEmpty())
                problems.add(QStringLiteral("after delivery %1, `deliveries --json` started "
                                            "after %2 were answered 200 listed %3 of them; "
                                            "missing %4")
                                 .arg(n)
                                 .arg(acknowledged.size())
                                 .arg(acknowledged.size() - missing.size())
                                 .arg(examples(missing)));
            const QStringList deleted = deletedDatabaseFiles(window.pid(), db);
            if (!deleted.isEmpty())
                problems.add(QStringLiteral("after delivery %1 the window writes to deleted "
                                            "files: %2")
                                 .arg(n)
                                 .arg(deleted.join(u", ")));
        }

        window.kill(SIGTERM);
        QVERIFY(window.waitForExit(10000));
        const FileContents contents = readFile(db);
        QVERIFY2(contents.error.isEmpty(), qPrintable(contents.error));
        QCOMPARE(contents.integrity, QStringLiteral("ok"));
        QSet<int> lost = acknowledged;
        lost.subtract(keysOf(contents.deliveries));
        if (!lost.isEmpty())
            problems.add(QStringLiteral("after the window ended the file holds %1 of the %2 "
                                        "deliveries answered 200; lost %3")
                             .arg(acknowledged.size() - lost.size())
                             .arg(acknowledged.size())
                             .arg(examples(lost)));
        QVERIFY2(problems.isEmpty(),
                 qPrintable(problems.summary(
                     QStringLiteral("%1 of %2 deliveries the window answered 200 lost")
                         .arg(lost.size())
                         .arg(acknowledged.size()))));
    }

    void tortureWindow() { torture(Kind::Window); }
    void tortureServe() { torture(Kind::Serve); }

    void stoppingAnswersWhatIsInFlight_data()
    {
        QTest::addColumn<QString>("kindText");
        QTest::newRow("serve") << QStringLiteral("serve");
        QTest::newRow("window") << QStringLiteral("window");
    }

    // SIGTERM while 8 clients send: whatever was stored was answered, whatever was answered
    // 2xx is stored, and the process exits 0 within a few seconds.
    void stoppingAnswersWhatIsInFlight()
    {
        QFETCH(QString, kindText);
        const Kind kind = kindFromName(kindText);
        const QString db =
            TestSupport::temporaryPath(QStringLiteral("stop-%1.db").arg(kindName(kind)));
        QString failure;
        QVERIFY2(addEndpoint(db, &failure), qPrintable(failure));

        Senders senders(8);
        Problems problems;
        constexpr int Rounds = 9;
        constexpr int ExitWithinMs = 5000;
        qint64 slowestStopMs = 0;
        int uncleanExits = 0;
        QSet<int> unanswered;
        QSet<int> lost;
        int stored = 0;
        QElapsedTimer total;
        total.start();
        for (int round = 1; round <= Rounds; ++round) {
            Receiver receiver;
            QVERIFY2(receiver.start(kind, db, &failure), qPrintable(failure));
            // All on keep-alive connections, all on a connection each, and half and half.
            const int keepAlive = (round % 3) * 4;
            senders.start(receiver.port(), keepAlive);
            // Early in the process's life as often as late: log-uniform between 5 ms and 1.5 s.
            QTest::qWait(int(5 * std::pow(300.0, randomGenerator().generateDouble())));
            QElapsedTimer stopping;
            stopping.start();
            receiver.kill(SIGTERM);
            if (!receiver.waitForExit(ExitWithinMs)) {
                problems.add(QStringLiteral("round %1: still running %2 ms after SIGTERM")
                                 .arg(round)
                                 .arg(ExitWithinMs));
                receiver.kill(SIGKILL);
                QVERIFY(receiver.waitForExit(10000));
            } else if (!receiver.exitedCleanly()) {
                ++uncleanExits;
                problems.add(QStringLiteral("round %1: on SIGTERM it %2, not exit 0")
                                 .arg(round)
                                 .arg(receiver.exitDescription()));
            }
            slowestStopMs = std::max(slowestStopMs, stopping.elapsed());
            senders.stop();

            const FileContents contents = readFile(db);
            QVERIFY2(contents.error.isEmpty(), qPrintable(contents.error));
            QCOMPARE(contents.integrity, QStringLiteral("ok"));
            const QSet<int> acknowledged = senders.acknowledged();
            const QSet<int> inFile = keysOf(contents.deliveries);
            stored = int(inFile.size());
            QSet<int> newlyUnanswered = inFile;
            newlyUnanswered.subtract(acknowledged);
            newlyUnanswered.subtract(unanswered);
            QSet<int> newlyLost = acknowledged;
            newlyLost.subtract(inFile);
            newlyLost.subtract(lost);
            if (!newlyUnanswered.isEmpty())
                problems.add(QStringLiteral("round %1 (%2 of 8 clients on keep-alive): %3 "
                                            "deliveries are stored whose sender got no 2xx answer "
                                            "(it will send them again): %4")
                                 .arg(round)
                                 .arg(keepAlive)
                                 .arg(newlyUnanswered.size())
                                 .arg(examples(newlyUnanswered)));
            if (!newlyLost.isEmpty())
                problems.add(QStringLiteral("round %1: %2 deliveries answered 2xx are not in the "
                                            "file: %3")
                                 .arg(round)
                                 .arg(newlyLost.size())
                                 .arg(examples(newlyLost)));
            unanswered.unite(newlyUnanswered);
            lost.unite(newlyLost);
        }

        int answeredOtherwise = 0;
        for (int n : std::as_const(unanswered)) {
            if (senders.attempts().value(n).status != 0)
                ++answeredOtherwise;
        }
        qInfo("stopping %s: %d rounds of 8 clients, %d sent, %d acknowledged, %d stored, "
              "%d stored without a 2xx answer (%d of them answered otherwise), %d acknowledged "
              "but lost, %d of %d stops not an exit 0, slowest stop %lld ms, %lld ms in all",
              qPrintable(kindName(kind)), Rounds, int(senders.attempts().size()),
              int(senders.acknowledged().size()), stored, int(unanswered.size()), answeredOtherwise,
              int(lost.size()), uncleanExits, Rounds, slowestStopMs, total.elapsed());
        QVERIFY(!senders.acknowledged().isEmpty());
        QVERIFY2(problems.isEmpty(),
                 qPrintable(problems.summary(
                     QStringLiteral("%1 stopped with SIGTERM, %2 deliveries stored without a 2xx "
                                    "answer, %3 answered 2xx but lost, %4 of %5 stops not an "
                                    "exit 0")
                         .arg(kindName(kind))
                         .arg(unanswered.size())
                         .arg(lost.size())
                         .arg(uncleanExits)
                         .arg(Rounds))));
    }

private:
    void torture(Kind kind)
    {
        const QString db =
            TestSupport::temporaryPath(QStringLiteral("torture-%1.db").arg(kindName(kind)));
        QString failure;
        QVERIFY2(addEndpoint(db, &failure), qPrintable(failure));

        Senders senders(2);
        CommandLoop commands(db, db + QStringLiteral(".subscribers.json"));
        WindowCycle secondWindow(db);
        Problems problems;
        Listings listings;
        QSet<int> lost;
        int failedCommands = 0;
        FileContents contents;
        constexpr int Rounds = 10;
        int roundsRun = 0;
        QElapsedTimer total;
        total.start();
        for (int round = 1; round <= Rounds; ++round) {
            Receiver receiver;
            QVERIFY2(receiver.start(kind, db, &failure),
                     qPrintable(QStringLiteral("round %1: %2").arg(round).arg(failure)));
            // One sender on a keep-alive connection, one on a connection per delivery.
            senders.start(receiver.port(), 1);
            commands.start();
            secondWindow.start();
            // Killed at a random moment: mid-request, mid-commit, mid-answer.
            QTest::qWait(randomBetween(400, 2000));
            receiver.kill(SIGKILL);
            QVERIFY(receiver.waitForExit(10000));
            // The command line carries on a moment without it.
            QTest::qWait(randomBetween(0, 300));
            senders.stop();
            commands.stop();
            secondWindow.stop();

            roundsRun = round;
            contents = readFile(db);
            if (!contents.error.isEmpty()) {
                // Damaged beyond reading: the rounds after would only repeat it.
                problems.add(QStringLiteral("round %1: the file cannot be read any more: %2 "
                                            "(integrity_check: %3)")
                                 .arg(round)
                                 .arg(contents.error, contents.integrity.left(300)));
                break;
            }
            auto add = [&](const QString &problem) {
                problems.add(QStringLiteral("round %1: %2").arg(round).arg(problem));
            };
            if (contents.integrity != u"ok")
                add(QStringLiteral("integrity_check says %1").arg(contents.integrity.left(300)));
            const QSet<int> acknowledged = senders.acknowledged();
            QSet<int> newlyLost = acknowledged;
            newlyLost.subtract(keysOf(contents.deliveries));
            newlyLost.subtract(lost);
            if (!newlyLost.isEmpty())
                add(QStringLiteral("%1 more deliveries answered 2xx are not in the file (%2 of "
                                   "%3 in all): %4")
                        .arg(newlyLost.size())
                        .arg(lost.size() + newlyLost.size())
                        .arg(acknowledged.size())
                        .arg(examples(newlyLost)));
            lost.unite(newlyLost);
            QSet<int> twice;
            for (auto it = contents.deliveries.cbegin(); it != contents.deliveries.cend(); ++it) {
                if (it.value() > 1)
                    twice.insert(it.key());
            }
            if (!twice.isEmpty())
                add(QStringLiteral("%1 deliveries sent once are stored more than once: %2")
                        .arg(twice.size())
                        .arg(examples(twice)));
            QSet<int> unmapped = acknowledged;
            unmapped.subtract(keysOf(contents.subscribers));
            unmapped.subtract(contents.pendingSubscribers);
            QSet<int> mappedTwice;
            for (auto it = contents.subscribers.cbegin(); it != contents.subscribers.cend(); ++it) {
                if (it.value() > 1)
                    mappedTwice.insert(it.key());
            }
            if (!unmapped.isEmpty())
                add(QStringLiteral("%1 subscribers of deliveries answered 2xx are not in the "
                                   "mapping: %2")
                        .arg(unmapped.size())
                        .arg(examples(unmapped, "sub_")));
            if (!mappedTwice.isEmpty())
                add(QStringLiteral("%1 subscribers appear more than once in the mapping: %2")
                        .arg(mappedTwice.size())
                        .arg(examples(mappedTwice, "sub_")));
            for (const QString &problem : secondWindow.takeProblems())
                add(problem);
            const Listings before = listings;
            for (const CommandRun &run : commands.takeRuns()) {
                if (!run.finished || run.exitCode != 0) {
                    ++failedCommands;
                    add(run.describe());
                    continue;
                }
                // The first few in full; then only how many.
                const QString problem = listings.check(run, senders);
                if (!problem.isEmpty() && listings.failed - before.failed <= 3)
                    add(problem);
            }
            if (listings.failed > before.failed)
                add(QStringLiteral("%1 of %2 listings missed deliveries answered before they "
                                   "started")
                        .arg(listings.failed - before.failed)
                        .arg(listings.checked - before.checked));
        }

        qInfo("torture %s: %d rounds killed with SIGKILL, %d sent, %d acknowledged, %d stored, "
              "%d acknowledged but lost, %d command-line runs (%d failed; %d listings checked "
              "against the deliveries answered before they started, %d missed some), %d second "
              "windows opened and closed, %lld ms",
              qPrintable(kindName(kind)), roundsRun, int(senders.attempts().size()),
              int(senders.acknowledged().size()), contents.rows, int(lost.size()), commands.count(),
              failedCommands, listings.checked, listings.failed, secondWindow.opened(),
              total.elapsed());
        QVERIFY(!senders.acknowledged().isEmpty());
        QVERIFY2(problems.isEmpty(),
                 qPrintable(problems.summary(
                     QStringLiteral("%1 killed %2 times: %3 of %4 deliveries answered 2xx lost, "
                                    "%5 of %6 listings missed deliveries answered before they "
                                    "started, %7 commands failed")
                         .arg(kindName(kind))
                         .arg(roundsRun)
                         .arg(lost.size())
                         .arg(senders.acknowledged().size())
                         .arg(listings.failed)
                         .arg(listings.checked)
                         .arg(failedCommands))));
    }
};

QTEST_GUILESS_MAIN(TestMultiprocess)
#include "tst_multiprocess.moc"
