#pragma once

#include "listenerlimits.h"

#include <QTcpServer>

#include <functional>

class ConnectionGuard;

// A QTcpServer that gives every accepted socket its ConnectionGuard before QHttpServer sees it,
// and refuses connections beyond the limit at once (503, closed) without handing them on.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT

public:
    GuardedTcpServer(const ListenerLimits &limits, QObject *parent = nullptr);

    int openConnections() const { return m_open; }
    // Called with each new guard, for the listener to connect to it.
    void setGuardCreated(std::function<void(ConnectionGuard *)> created)
    {
        m_created = std::move(created);
    }

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    ListenerLimits m_limits;
    int m_open = 0;
    std::function<void(ConnectionGuard *)> m_created;
};
