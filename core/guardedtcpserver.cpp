#include "guardedtcpserver.h"

#include "connectionguard.h"

#include <QTcpSocket>

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    new ConnectionGuard(socket);
    addPendingConnection(socket);
}
