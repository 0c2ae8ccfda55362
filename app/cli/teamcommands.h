#pragma once

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

// The commands that only a team database has (--db postgresql://..., see Postgres): `db init`.
namespace TeamCommands {

// A connection to the team database for one command; closed when it goes.
class Connection
{
public:
    // Connects and checks the schema (unless `forInit`); says why not on stderr as
    // "hookscope COMMAND: ...".
    Connection(const QString &location, const QString &command, bool forInit = false);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    bool isOpen() const { return m_open; }
    QSqlDatabase database() const;

private:
    QString m_name;
    bool m_open = false;
};

// hookscope db init URL [--receiver LOGIN]... [--viewer LOGIN]...
int db(const QStringList &arguments);

} // namespace TeamCommands
