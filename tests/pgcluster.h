#pragma once

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QTemporaryDir;

// A throwaway PostgreSQL server for tests: a fresh cluster (initdb) in a temporary folder,
// listening on a free loopback port with trust authentication, removed with the object.
// Uses the newest server under /usr/lib/postgresql/*/bin. initdb and postgres refuse to run as
// root, so as root the server tools run as `nobody`, which then owns the folder.
class PostgresCluster
{
public:
    PostgresCluster();
    ~PostgresCluster();
    PostgresCluster(const PostgresCluster &) = delete;
    PostgresCluster &operator=(const PostgresCluster &) = delete;

    // Creates the cluster and starts the server; false with the tools' output and the tail of
    // the server log in `error`. Call once.
    bool start(QString *error);
    // pg_ctl -m fast stop: the data stays, so startAgain() can bring it back.
    void stop();
    // The same data folder on the same port again (after stop()).
    bool startAgain(QString *error);
    bool isRunning() const { return m_running; }

    int port() const { return m_port; }
    QString superuser() const;
    // The temporary folder holding the data folder, the socket and the server log.
    QString directory() const;
    QString dataDirectory() const;
    QString logFile() const;
    // postgresql://USER@127.0.0.1:PORT/DATABASE (USER: the superuser when empty).
    QString url(const QString &database = QStringLiteral("postgres"),
                const QString &user = QString()) const;

    bool createDatabase(const QString &name, QString *error);
    // A new database `name` set up as `hookscope db init` sets one up (Postgres::initialize):
    // its location as the superuser, or empty with `error`.
    QString createTeamDatabase(const QString &name, QString *error);
    // The cluster in `slot`, started the first time it is asked for; nullptr with `error` when
    // it cannot start. For tests that need a server only for some of their rows.
    static PostgresCluster *started(std::unique_ptr<PostgresCluster> &slot, QString *error);
    // Runs `sql` with psql on TCP (stops at the first error); the trimmed output of -A -t, or
    // nullopt with psql's error output in `error`.
    std::optional<QString> psql(const QString &sql, QString *error,
                                const QString &database = QStringLiteral("postgres"),
                                const QString &user = QString()) const;

    // A QPSQL connection named `connectionName` set up for this server, not opened yet.
    // Remove it with QSqlDatabase::removeDatabase() when done.
    QSqlDatabase addConnection(const QString &connectionName,
                               const QString &database = QStringLiteral("postgres"),
                               const QString &user = QString()) const;

private:
    struct Result
    {
        bool ok = false;
        int exitCode = -1;
        QString standardOutput;
        QString standardError;
        QString failure; // could not start, crashed, timed out
        QString output() const;
    };
    Result runServerTool(const QString &tool, const QStringList &arguments, int timeoutMs) const;
    Result run(const QString &program, const QStringList &arguments, int timeoutMs) const;
    bool initialize(QString *error);
    bool startServer(QString *error);
    void stopServer(const QString &mode);
    QString logTail(qint64 from = 0) const;
    QString describe(const QString &what, const Result &result, qint64 logFrom = -1) const;

    std::unique_ptr<QTemporaryDir> m_directory;
    QString m_binDir;
    int m_port = 0;
    bool m_running = false;
};
