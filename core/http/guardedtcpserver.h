#pragma once

#include "httpconnection.h"
#include "listenerlimits.h"

#include <QHash>
#include <QTcpServer>

// The listener's TCP server. Every accepted client gets an HttpConnection, which frames its
// requests; QHttpServer is handed only the connection's inner socket. Connections beyond the
// limit are refused at once (503, closed), and so are those of one peer beyond its share, so
// that one client cannot take every slot while others are turned away.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT

public:
    GuardedTcpServer(const ListenerLimits &limits, HttpConnection::KeepRefused keepRefused,
                     QObject *parent = nullptr);

    int openConnections() const { return m_open; }
    QList<HttpConnection *> connections() const;
    // The most connections one peer address may hold.
    int perPeerLimit() const;

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void refuse(QTcpSocket *socket, const QString &detail);

    ListenerLimits m_limits;
    HttpConnection::KeepRefused m_keepRefused;
    int m_open = 0;
    QHash<QString, int> m_perPeer;
};
