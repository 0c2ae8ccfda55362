#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "handoff.h"
#include "httpconnection.h"
#include "httpsender.h"
#include "listenerlimits.h"
#include "requesthead.h"

#include <QAbstractHttpServer>
#include <QHostAddress>
#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpSocket>

#include <memory>
#include <mutex>
#include <unordered_map>

class DeliveryStore;

// The QHttpServer behind Listener; lives on the listener thread.
class ListenerServer : public QAbstractHttpServer
{
    Q_OBJECT

public:
    explicit ListenerServer(DeliveryStore &store);
    ~ListenerServer() override;

    // Runs on the listener thread. Returns the bound port, 0 on failure.
    quint16 bindAndListen(const QHostAddress &address, quint16 port, const ListenerLimits &limits,
                          QString *error, bool *inUse = nullptr);
    // Stops taking connections and requests: a request read from now on is answered 503 (not
    // stored) so that its sender retries elsewhere or later; every answer still owed is sent
    // with "Connection: close"; idle connections are closed.
    void stopAccepting();
    // Whether every answer owed has been written out and every connection is closed.
    bool drained() const;

    void setEndpoints(const QList<Endpoint> &endpoints);

Q_SIGNALS:
    void answered(const DeliverySummary &delivery, const QString &error);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct OwedAnswer
    {
        QPointer<QTcpSocket> socket; // the client's
        QPointer<HttpConnection> connection;
        std::unique_ptr<QHttpServerResponder> responder;
        DeliverySummary summary;
        ResponsePolicy policy;
        QString forwardUrl;
        bool answerWithApp = false;
        RequestHead head; // kept only when forwarding
        QByteArray body;
        bool closeAfter = false;  // HTTP/1.0 without keep-alive, or Connection: close
        bool headRequest = false; // answered without a body (RFC 9110 §9.3.2)
    };

    void keepRefused(const FramingRefusal &refusal, const QString &peer,
                     std::function<void(bool)> done);
    QList<HttpConnection *> connections() const;
    void answerDone(const OwedAnswer &owed) const;

    struct Completed
    {
        quint64 ticket = 0;
        qint64 id = 0;
        int status = 0;
        QString error;
    };
    // The answers whose deliveries the store has finished with, in the order it finished them.
    void answerCompleted();
    void answer(quint64 ticket, qint64 id, int status, const QString &error);
    void write(OwedAnswer &owed, const QString &error);
    // Passes the delivery on to the endpoint's app; with answerWithApp, answers the sender
    // with what the app says once it has said it.
    void forward(quint64 ticket);
    void writeAppAnswer(OwedAnswer &owed, const HttpSender::Answer &answer);
    // The framing headers and the body that end every answer; closes when the answer must.
    void finishAnswer(OwedAnswer &owed, const QByteArray &body) const;
    QList<Endpoint> endpoints() const;

    // Lets store completions reach this server, or find it gone, without a race against its
    // destruction on another thread.
    struct Mailbox
    {
        std::mutex mutex;
        ListenerServer *server = nullptr;
        // Written on the store's thread, a whole batch before the listener thread is woken.
        Handoff<Completed> completed;
    };

    DeliveryStore &m_store;
    std::shared_ptr<Mailbox> m_mailbox;
    mutable std::mutex m_endpointsMutex;
    QList<Endpoint> m_endpoints;
    std::unordered_map<quint64, OwedAnswer> m_owed;
    quint64 m_nextTicket = 1;
    bool m_stopping = false;
    HttpSender *m_forwarder = nullptr;
};
