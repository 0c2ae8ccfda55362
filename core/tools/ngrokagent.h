#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QJsonDocument>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

// A running ngrok agent, through its local API (http://127.0.0.1:4040 by default): which
// public URL forwards to our listener, and the requests it recorded while HookScope was not
// running.
class NgrokAgent : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *DefaultApi = "http://127.0.0.1:4040";

    struct Tunnel
    {
        QString name;
        QUrl publicUrl;
        QString address; // what the tunnel forwards to, as ngrok reports it
        int port = 0;    // the local port of that address, 0 when there is none
    };

    // What the agent says about our listener's port.
    struct Status
    {
        bool agentRunning = false;
        QString error; // why the agent could not be asked
        QList<Tunnel> tunnels;
        std::optional<Tunnel> ours; // a tunnel to our port (https preferred)
        QString advice;             // one sentence for the user
    };

    explicit NgrokAgent(const QUrl &api = QUrl(QString::fromLatin1(DefaultApi)),
                        QObject *parent = nullptr);

    void status(quint16 listenerPort, std::function<void(const Status &)> done);
    // The recorded requests, oldest first, made into deliveries (not yet verified against
    // endpoints: pass them through DeliveryProcessor).
    struct Recorded
    {
        QString id;
        qint64 startedAtMs = 0;
        QString remoteAddress;
        QByteArray raw;
        int answeredStatus = 0; // what the sender was told (ngrok's own 502 when nothing listened)
    };
    // Recorded requests made into deliveries, verified and decoded like any other; marked as
    // recovered from ngrok, with its request id as their external id.
    static QList<Delivery> toDeliveries(const QList<Recorded> &recorded,
                                        const QList<Endpoint> &endpoints, QStringList *problems);
    void recordedRequests(std::function<void(const QList<Recorded> &, const QString &error)> done);

    static Status statusFrom(const QJsonDocument &tunnels, quint16 listenerPort);
    static QList<Recorded> recordedFrom(const QJsonDocument &requests);

private:
    void get(const QString &path, std::function<void(const QByteArray &, const QString &)> done);

    QUrl m_api;
    QNetworkAccessManager *m_network;
};
