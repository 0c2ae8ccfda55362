#pragma once

#include <QTcpServer>

// A QTcpServer that gives every accepted socket its ConnectionGuard before QHttpServer sees it.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT

public:
    using QTcpServer::QTcpServer;

protected:
    void incomingConnection(qintptr socketDescriptor) override;
};
