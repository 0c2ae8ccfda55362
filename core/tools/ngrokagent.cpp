#include "ngrokagent.h"

#include "deliveryprocessor.h"
#include "rawrequestparser.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>

NgrokAgent::NgrokAgent(const QUrl &api, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_network(new QNetworkAccessManager(this))
{}

void NgrokAgent::get(const QString &path,
                     std::function<void(const QByteArray &, const QString &)> done)
{
    QUrl url = m_api;
    url.setPath(path);
    QNetworkRequest request(url);
    request.setTransferTimeout(3000);
    QNetworkReply *reply = m_network->get(request);
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        const QByteArray body = reply->readAll();
        const QString error =
            reply->error() == QNetworkReply::NoError ? QString() : reply->errorString();
        reply->deleteLater();
        done(body, error);
    });
}

NgrokAgent::Status NgrokAgent::statusFrom(const QJsonDocument &document, quint16 listenerPort)
{
    Status status;
    status.agentRunning = true;
    static const QRegularExpression portPattern(QStringLiteral(":(\\d+)/?$|^(\\d+)$"));
    for (const QJsonValue &value : document.object().value(QStringLiteral("tunnels")).toArray()) {
        const QJsonObject object = value.toObject();
        Tunnel tunnel;
        tunnel.name = object.value(QStringLiteral("name")).toString();
        tunnel.publicUrl = QUrl(object.value(QStringLiteral("public_url")).toString());
        tunnel.address = object.value(QStringLiteral("config"))
                             .toObject()
                             .value(QStringLiteral("addr"))
                             .toString();
        const QRegularExpressionMatch match = portPattern.match(tunnel.address);
        if (match.hasMatch())
            tunnel.port =
                (match.captured(1).isEmpty() ? match.captured(2) : match.captured(1)).toInt();
        else if (tunnel.address.startsWith(QStringLiteral("http://")))
            tunnel.port = 80;
        status.tunnels.append(tunnel);
        if (tunnel.port == listenerPort && (!status.ours || tunnel.publicUrl.scheme() == u"https"))
            status.ours = tunnel;
    }
    if (status.ours) {
        status.advice = QStringLiteral("ngrok forwards %1 to this listener.")
                            .arg(status.ours->publicUrl.toString());
    } else if (!status.tunnels.isEmpty()) {
        QStringList elsewhere;
        for (const Tunnel &tunnel : std::as_const(status.tunnels))
            elsewhere.append(
                QStringLiteral("%1 → %2").arg(tunnel.publicUrl.toString(), tunnel.address));
        status.advice =
            QStringLiteral(
                "ngrok is running, but no tunnel forwards to port %1 (%2). Run: ngrok http %1")
                .arg(listenerPort)
                .arg(elsewhere.join(QStringLiteral("; ")));
    } else {
        status.advice = QStringLiteral("ngrok is running without tunnels. Run: ngrok http %1")
                            .arg(listenerPort);
    }
    return status;
}

void NgrokAgent::status(quint16 listenerPort, std::function<void(const Status &)> done)
{
    get(QStringLiteral("/api/tunnels"), [listenerPort, done = std::move(done)](
                                            const QByteArray &body, const QString &error) {
        if (!error.isEmpty()) {
            Status status;
            status.error = error;
            status.advice =
                QStringLiteral("No ngrok agent answers. To expose the listener, run: ngrok http %1")
                    .arg(listenerPort);
            done(status);
            return;
        }
        done(statusFrom(QJsonDocument::fromJson(body), listenerPort));
    });
}

QList<NgrokAgent::Recorded> NgrokAgent::recordedFrom(const QJsonDocument &document)
{
    QList<Recorded> recorded;
    for (const QJsonValue &value : document.object().value(QStringLiteral("requests")).toArray()) {
        const QJsonObject object = value.toObject();
        Recorded r;
        r.id = object.value(QStringLiteral("id")).toString();
        r.startedAtMs = QDateTime::fromString(object.value(QStringLiteral("start")).toString(),
                                              Qt::ISODateWithMs)
                            .toMSecsSinceEpoch();
        r.remoteAddress = object.value(QStringLiteral("remote_addr")).toString();
        r.raw = QByteArray::fromBase64(object.value(QStringLiteral("request"))
                                           .toObject()
                                           .value(QStringLiteral("raw"))
                                           .toString()
                                           .toLatin1());
        r.answeredStatus = object.value(QStringLiteral("response"))
                               .toObject()
                               .value(QStringLiteral("status_code"))
                               .toInt();
        if (!r.id.isEmpty() && !r.raw.isEmpty())
            recorded.append(r);
    }
    // The API lists the newest first; deliveries are stored in the order they happened.
    std::sort(recorded.begin(), recorded.end(),
              [](const Recorded &a, const Recorded &b) { return a.startedAtMs < b.startedAtMs; });
    return recorded;
}

void NgrokAgent::recordedRequests(
    std::function<void(const QList<Recorded> &, const QString &)> done)
{
    get(QStringLiteral("/api/requests/http"),
        [done = std::move(done)](const QByteArray &body, const QString &error) {
            if (!error.isEmpty()) {
                done({}, error);
                return;
            }
            done(recordedFrom(QJsonDocument::fromJson(body)), QString());
        });
}

QList<Delivery> NgrokAgent::toDeliveries(const QList<Recorded> &recorded,
                                         const QList<Endpoint> &endpoints, QStringList *problems)
{
    QList<Delivery> deliveries;
    for (const Recorded &r : recorded) {
        QString error;
        const auto request = RawRequestParser::parse(r.raw, &error);
        if (!request) {
            if (problems)
                problems->append(QStringLiteral("ngrok request %1: %2").arg(r.id, error));
            continue;
        }
        // ngrok reports "ip:port"; the address is what the list shows.
        const QString remote = r.remoteAddress.left(r.remoteAddress.lastIndexOf(u':') > 0 &&
                                                            !r.remoteAddress.startsWith(u'[')
                                                        ? r.remoteAddress.lastIndexOf(u':')
                                                        : r.remoteAddress.size());
        Delivery d = DeliveryProcessor::process(request->head, request->body, remote, r.startedAtMs,
                                                endpoints);
        d.source = QStringLiteral("ngrok");
        d.externalId = QStringLiteral("ngrok:") + r.id;
        d.responseStatus = r.answeredStatus;
        d.failFirstAttempts = 0;
        deliveries.append(d);
    }
    return deliveries;
}
