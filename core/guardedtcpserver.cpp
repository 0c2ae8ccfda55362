#include "guardedtcpserver.h"

#include "connectionguard.h"

#include <QTcpSocket>

GuardedTcpServer::GuardedTcpServer(const ListenerLimits &limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    if (m_open >= m_limits.maxConnections) {
        // Refused cleanly: an answer the client can read, then the close. The clients already
        // connected are served as before.
        const QByteArray detail = "HookScope has " + QByteArray::number(m_open) +
                                  " connections open, its limit; try again shortly.\n";
        socket->write("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                      QByteArray::number(detail.size()) + "\r\n\r\n" + detail);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        socket->disconnectFromHost();
        return;
    }
    ++m_open;
    connect(socket, &QObject::destroyed, this, [this] { --m_open; });
    auto *guard = new ConnectionGuard(socket, m_limits);
    if (m_created)
        m_created(guard);
    addPendingConnection(socket);
}
