#include "pgcluster.h"

#include "postgres.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QVersionNumber>

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int kProcessTimeoutMs = 60000;
// pg_ctl waits up to 60 s itself (-t 60); a little longer here so that its own, more telling
// message arrives before the process is killed.
constexpr int kPgCtlTimeoutMs = kProcessTimeoutMs + 15000;
constexpr int kLogTailLines = 40;

bool runningAsRoot()
{
    return ::geteuid() == 0;
}

struct Account
{
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<Account> nobody()
{
    const passwd *pw = ::getpwnam("nobody");
    if (!pw)
        return std::nullopt;
    Account account{pw->pw_uid, pw->pw_gid};
    if (const group *gr = ::getgrnam("nogroup"))
        account.gid = gr->gr_gid;
    return account;
}

// The environment of the tools: none of the caller's PG* settings (PGHOST, PGDATA, PGUSER...)
// may redirect them, and English messages keep errors readable in the report.
QProcessEnvironment toolEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys) {
        if (key.startsWith(QLatin1String("PG")))
            env.remove(key);
    }
    env.remove(QStringLiteral("LC_ALL"));
    env.insert(QStringLiteral("LC_MESSAGES"), QStringLiteral("C"));
    // A stopped server refuses at once, but an unanswering one must not hold a client forever.
    env.insert(QStringLiteral("PGCONNECT_TIMEOUT"), QStringLiteral("10"));
    return env;
}

// The newest installed server, e.g. /usr/lib/postgresql/15/bin.
QString findBinDir()
{
    const QDir root(QStringLiteral("/usr/lib/postgresql"));
    QVersionNumber best;
    QString bestDir;
    const QStringList entries = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        const QVersionNumber version = QVersionNumber::fromString(entry);
        const QString bin = root.filePath(entry + QStringLiteral("/bin"));
        if (version.isNull() || !QFileInfo(bin + QStringLiteral("/initdb")).isExecutable() ||
            !QFileInfo(bin + QStringLiteral("/pg_ctl")).isExecutable())
            continue;
        if (bestDir.isEmpty() || version > best) {
            best = version;
            bestDir = bin;
        }
    }
    return bestDir;
}

QString quoteIdentifier(const QString &name)
{
    QString quoted = name;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

} // namespace

PostgresCluster::PostgresCluster() = default;

PostgresCluster::~PostgresCluster()
{
    if (!m_directory)
        return;
    // Also after a failed or timed-out start, which may have left a server behind.
    if (m_running || QFileInfo::exists(dataDirectory() + QStringLiteral("/postmaster.pid")))
        stopServer(QStringLiteral("immediate"));
    if (!m_directory->remove())
        qWarning("PostgresCluster: could not remove %s", qPrintable(m_directory->path()));
    m_directory.reset();
}

QString PostgresCluster::superuser() const
{
    return QStringLiteral("hookscope_admin");
}

QString PostgresCluster::directory() const
{
    return m_directory ? m_directory->path() : QString();
}

QString PostgresCluster::dataDirectory() const
{
    return m_directory ? m_directory->filePath(QStringLiteral("data")) : QString();
}

QString PostgresCluster::logFile() const
{
    return m_directory ? m_directory->filePath(QStringLiteral("server.log")) : QString();
}

QString PostgresCluster::url(const QString &database, const QString &user) const
{
    return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3")
        .arg(user.isEmpty() ? superuser() : user)
        .arg(m_port)
        .arg(database);
}

bool PostgresCluster::start(QString *error)
{
    if (m_directory) {
        setError(error, QStringLiteral("PostgresCluster::start() called twice"));
        return false;
    }
    m_binDir = findBinDir();
    if (m_binDir.isEmpty()) {
        setError(error, QStringLiteral("no PostgreSQL server found under /usr/lib/postgresql/*/bin "
                                       "(install postgresql)"));
        return false;
    }

    // Under /tmp rather than $TMPDIR: every parent is traversable by `nobody`, and the path stays
    // short enough for the server's Unix socket.
    m_directory = std::make_unique<QTemporaryDir>(QStringLiteral("/tmp/hookscope-pg-XXXXXX"));
    if (!m_directory->isValid()) {
        setError(error, QStringLiteral("cannot create a temporary folder in /tmp: ") +
                            m_directory->errorString());
        m_directory.reset();
        return false;
    }
    if (runningAsRoot()) {
        const std::optional<Account> account = nobody();
        if (!account) {
            setError(error, QStringLiteral("running as root, but there is no user `nobody` to "
                                           "run the server as"));
            return false;
        }
        const QByteArray path = QFile::encodeName(directory());
        if (::chown(path.constData(), account->uid, account->gid) != 0 ||
            ::chmod(path.constData(), 0700) != 0) {
            setError(error, QStringLiteral("cannot hand %1 to nobody: %2")
                                .arg(directory(), QString::fromLocal8Bit(::strerror(errno))));
            return false;
        }
    }

    if (!initialize(error))
        return false;

    // The free port is only known free until it is closed here: another process may take it
    // before the server binds, so a lost race is retried on a new port.
    for (int attempt = 1;; ++attempt) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0)) {
            setError(error, QStringLiteral("cannot find a free port: ") + probe.errorString());
            return false;
        }
        m_port = probe.serverPort();
        probe.close();

        const qint64 logFrom = QFileInfo(logFile()).size();
        if (startServer(error))
            return true;
        if (attempt >= 3 || !logTail(logFrom).contains(QLatin1String("could not bind")))
            return false;
    }
}

bool PostgresCluster::startAgain(QString *error)
{
    if (!m_directory || m_port == 0) {
        setError(error, QStringLiteral("PostgresCluster::startAgain() before start()"));
        return false;
    }
    if (m_running)
        return true;
    return startServer(error);
}

void PostgresCluster::stop()
{
    if (m_running)
        stopServer(QStringLiteral("fast"));
}

bool PostgresCluster::initialize(QString *error)
{
    QStringList arguments{QStringLiteral("-D"),           dataDirectory(),
                          QStringLiteral("-U"),           superuser(),
                          QStringLiteral("--auth=trust"), QStringLiteral("-E"),
                          QStringLiteral("UTF8"),         QStringLiteral("--locale=C.UTF-8")};
    const Result first = runServerTool(QStringLiteral("initdb"), arguments, kProcessTimeoutMs);
    if (first.ok)
        return true;
    // Without the C.UTF-8 locale (older C libraries), the plain C locale is as good for tests.
    QDir(dataDirectory()).removeRecursively();
    arguments.last() = QStringLiteral("--no-locale");
    const Result second = runServerTool(QStringLiteral("initdb"), arguments, kProcessTimeoutMs);
    if (second.ok)
        return true;
    setError(error, describe(QStringLiteral("initdb --locale=C.UTF-8"), first) + QLatin1Char('\n') +
                        describe(QStringLiteral("initdb --no-locale"), second));
    return false;
}

bool PostgresCluster::startServer(QString *error)
{
    const qint64 logFrom = QFileInfo(logFile()).size();
    // pg_ctl hands these to the server through /bin/sh: the socket folder is quoted.
    const QString options =
        QStringLiteral("-p %1 -k '%2' -c listen_addresses=127.0.0.1 -c fsync=on "
                       "-c max_connections=100")
            .arg(m_port)
            .arg(directory());
    const Result result =
        runServerTool(QStringLiteral("pg_ctl"),
                      {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-l"), logFile(),
                       QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"),
                       QStringLiteral("-o"), options, QStringLiteral("start")},
                      kPgCtlTimeoutMs);
    if (result.ok) {
        m_running = true;
        return true;
    }
    setError(error,
             describe(QStringLiteral("pg_ctl start on port %1").arg(m_port), result, logFrom));
    // A start that timed out may still come up later: take it down now.
    if (QFileInfo::exists(dataDirectory() + QStringLiteral("/postmaster.pid")))
        stopServer(QStringLiteral("immediate"));
    return false;
}

void PostgresCluster::stopServer(const QString &mode)
{
    const Result result = runServerTool(
        QStringLiteral("pg_ctl"),
        {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-m"), mode, QStringLiteral("-w"),
         QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("stop")},
        kPgCtlTimeoutMs);
    m_running = false;
    if (result.ok)
        return;

    // pg_ctl failed or hung: no server may outlive the test, so kill the postmaster outright.
    QFile pidFile(dataDirectory() + QStringLiteral("/postmaster.pid"));
    if (!pidFile.open(QIODevice::ReadOnly))
        return; // not running
    const pid_t pid = static_cast<pid_t>(pidFile.readLine().trimmed().toLongLong());
    if (pid <= 0 || ::kill(pid, 0) != 0)
        return;
    qWarning("PostgresCluster: %s; killing the server (pid %d)",
             qPrintable(describe(QStringLiteral("pg_ctl stop -m ") + mode, result)),
             static_cast<int>(pid));
    ::kill(pid, SIGKILL);
    QDeadlineTimer deadline(10000);
    while (::kill(pid, 0) == 0 && !deadline.hasExpired())
        QThread::msleep(20);
}

PostgresCluster::Result PostgresCluster::runServerTool(const QString &tool,
                                                       const QStringList &arguments,
                                                       int timeoutMs) const
{
    const QString program = m_binDir + QLatin1Char('/') + tool;
    if (!runningAsRoot())
        return run(program, arguments, timeoutMs);

    // initdb and postgres refuse root: run them as nobody. setpriv needs no PAM session and
    // sets real and effective ids alike, as postgres requires; runuser is the fallback.
    const std::optional<Account> account = nobody();
    if (!account) {
        Result result;
        result.failure = QStringLiteral("there is no user `nobody` to run %1 as").arg(tool);
        return result;
    }
    const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
    if (!setpriv.isEmpty()) {
        return run(setpriv,
                   QStringList{QStringLiteral("--reuid=%1").arg(account->uid),
                               QStringLiteral("--regid=%1").arg(account->gid),
                               QStringLiteral("--clear-groups"), QStringLiteral("--"), program} +
                       arguments,
                   timeoutMs);
    }
    QString runuser = QStandardPaths::findExecutable(QStringLiteral("runuser"));
    if (runuser.isEmpty())
        runuser = QStandardPaths::findExecutable(
            QStringLiteral("runuser"), {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    if (runuser.isEmpty()) {
        Result result;
        result.failure = QStringLiteral("running as root, and neither setpriv nor runuser is "
                                        "there to run %1 as nobody")
                             .arg(tool);
        return result;
    }
    return run(
        runuser,
        QStringList{QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"), program} +
            arguments,
        timeoutMs);
}

QString PostgresCluster::Result::output() const
{
    const QString out = standardOutput.trimmed();
    const QString err = standardError.trimmed();
    if (out.isEmpty() || err.isEmpty())
        return out + err;
    return out + QLatin1Char('\n') + err;
}

PostgresCluster::Result PostgresCluster::run(const QString &program, const QStringList &arguments,
                                             int timeoutMs) const
{
    Result result;
    QProcess process;
    process.setProcessEnvironment(toolEnvironment());
    // A folder `nobody` may enter: the server tools complain about a working directory they
    // cannot read.
    process.setWorkingDirectory(m_directory ? directory() : QDir::rootPath());
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(program, arguments);
    if (!process.waitForStarted(kProcessTimeoutMs)) {
        result.failure =
            QStringLiteral("%1 could not be started: %2").arg(program, process.errorString());
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5000);
        result.failure = QStringLiteral("%1 did not finish within %2 s")
                             .arg(QFileInfo(program).fileName())
                             .arg(timeoutMs / 1000);
    } else if (process.exitStatus() != QProcess::NormalExit) {
        result.failure = QStringLiteral("%1 crashed").arg(QFileInfo(program).fileName());
    }
    result.standardOutput = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.standardError = QString::fromLocal8Bit(process.readAllStandardError());
    result.exitCode = process.exitCode();
    result.ok = result.failure.isEmpty() && result.exitCode == 0;
    return result;
}

QString PostgresCluster::logTail(qint64 from) const
{
    QFile log(logFile());
    if (!log.open(QIODevice::ReadOnly))
        return QString();
    if (from > 0 && from <= log.size())
        log.seek(from);
    QStringList lines = QString::fromLocal8Bit(log.readAll()).split(QLatin1Char('\n'));
    if (lines.size() > kLogTailLines)
        lines = lines.mid(lines.size() - kLogTailLines);
    return lines.join(QLatin1Char('\n')).trimmed();
}

QString PostgresCluster::describe(const QString &what, const Result &result, qint64 logFrom) const
{
    QString message =
        what + QStringLiteral(" failed (") +
        (result.failure.isEmpty() ? QStringLiteral("exit code %1").arg(result.exitCode)
                                  : result.failure) +
        QStringLiteral(")");
    const QString output = result.output();
    if (!output.isEmpty())
        message += QStringLiteral(":\n") + output;
    if (logFrom >= 0) {
        const QString tail = logTail(logFrom);
        message += QStringLiteral("\n--- server log (%1) ---\n").arg(logFile()) +
                   (tail.isEmpty() ? QStringLiteral("(empty)") : tail);
    }
    return message;
}

bool PostgresCluster::createDatabase(const QString &name, QString *error)
{
    return psql(QStringLiteral("CREATE DATABASE ") + quoteIdentifier(name), error).has_value();
}

std::optional<QString> PostgresCluster::psql(const QString &sql, QString *error,
                                             const QString &database, const QString &user) const
{
    // A client: fine as root, and over TCP it needs no access to the socket folder.
    const Result result =
        run(QStringLiteral("/usr/bin/psql"),
            {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("-v"),
             QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
             QStringLiteral("-p"), QString::number(m_port), QStringLiteral("-U"),
             user.isEmpty() ? superuser() : user, QStringLiteral("-d"), database,
             QStringLiteral("-c"), sql},
            kProcessTimeoutMs);
    if (!result.ok) {
        // Only psql's messages: its output before the error is not the caller's concern.
        setError(error,
                 describe(QStringLiteral("psql"), Result{result.ok, result.exitCode, QString(),
                                                         result.standardError, result.failure}));
        return std::nullopt;
    }
    return result.standardOutput.trimmed();
}

QSqlDatabase PostgresCluster::addConnection(const QString &connectionName, const QString &database,
                                            const QString &user) const
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
    db.setHostName(QStringLiteral("127.0.0.1"));
    db.setPort(m_port);
    db.setDatabaseName(database);
    db.setUserName(user.isEmpty() ? superuser() : user);
    db.setConnectOptions(QStringLiteral("connect_timeout=10"));
    return db;
}

QString PostgresCluster::createTeamDatabase(const QString &name, QString *error)
{
    if (!createDatabase(name, error))
        return {};
    const QString location = url(name);
    const QString connection = QStringLiteral("hookscope-test-init-") + name;
    const bool ready = Postgres::connect(location, connection, error) &&
                       Postgres::initialize(QSqlDatabase::database(connection), {}, {}, error);
    Postgres::disconnect(connection);
    return ready ? location : QString();
}

PostgresCluster *PostgresCluster::started(std::unique_ptr<PostgresCluster> &slot, QString *error)
{
    if (!slot) {
        auto cluster = std::make_unique<PostgresCluster>();
        if (!cluster->start(error))
            return nullptr;
        slot = std::move(cluster);
    }
    return slot.get();
}
