#include "guardedtcpserver.h"

#include <QTcpSocket>

#include <algorithm>

GuardedTcpServer::GuardedTcpServer(const ListenerLimits &limits,
                                   HttpConnection::KeepRefused keepRefused, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
    , m_keepRefused(std::move(keepRefused))
{}

QList<HttpConnection *> GuardedTcpServer::connections() const
{
    return findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly);
}

int GuardedTcpServer::perPeerLimit() const
{
    // An eighth of the slots (at least one) stays for other peers. Behind a tunnel every
    // sender arrives from its agent on 127.0.0.1, which keeps the rest.
    return std::max(1, m_limits.maxConnections - std::max(1, m_limits.maxConnections / 8));
}

void GuardedTcpServer::refuse(QTcpSocket *socket, const QString &detail)
{
    // Refused cleanly: an answer the client can read, then the close. The clients already
    // connected are served as before.
    socket->write(
        HttpConnection::plainAnswer(503, "Service Unavailable", detail, "Retry-After: 1\r\n"));
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    if (m_open >= m_limits.maxConnections) {
        refuse(socket, QStringLiteral("HookScope has %1 connections open, its limit; try again "
                                      "shortly.")
                           .arg(m_open));
        return;
    }
    const QString peer = socket->peerAddress().toString();
    if (m_perPeer.value(peer) >= perPeerLimit()) {
        refuse(socket, QStringLiteral("This client has %1 connections open, its share of "
                                      "HookScope's %2; try again shortly.")
                           .arg(m_perPeer.value(peer))
                           .arg(m_limits.maxConnections));
        return;
    }
    ++m_open;
    ++m_perPeer[peer];
    auto *connection = new HttpConnection(socket, m_limits, m_keepRefused, this);
    connect(connection, &QObject::destroyed, this, [this, peer] {
        --m_open;
        if (--m_perPeer[peer] <= 0)
            m_perPeer.remove(peer);
    });
    if (QTcpSocket *inner = connection->innerSocket())
        addPendingConnection(inner);
}
