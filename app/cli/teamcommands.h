#pragma once

#include "endpoint.h"
#include "endpointrepository.h"

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

// The command line on a team database (--db postgresql://..., see Postgres): `db init`, and the
// endpoint commands, which keep settings in the team database and each secret on this machine.
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

// `endpoint` is complete (options applied); its secrets are written to this machine's own
// file (`localPath`) and only their fingerprints to the team database.
int endpointAdd(const QString &location, const QString &localPath, Endpoint endpoint,
                const QString &command);
int endpointList(const QString &location, const QString &localPath, bool json,
                 const QString &command);
int endpointRemove(const QString &location, const QString &localPath, const QString &name,
                   const QString &command);

} // namespace TeamCommands
