#include "listenerserver.h"

#include "stagecounters.h"

#include "deliveryprocessor.h"
#include "deliverystore.h"
#include "guardedtcpserver.h"
#include "httpconnection.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QTimer>

namespace {

QByteArray answerBody(const DeliverySummary &summary, const QString &error)
{
    if (!error.isEmpty()) {
        const QJsonObject object{
            {QStringLiteral("stored"), false},
            {QStringLiteral("error"),
             QStringLiteral("the delivery could not be stored: %1").arg(error)}};
        return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    }
    // Every stored delivery gets one of two fixed shapes, with the keys in the order
    // QJsonDocument writes them; put together directly, as it is written for each delivery.
    QByteArray body;
    body.reserve(80);
    body += "{\"delivery\":";
    body += QByteArray::number(summary.id);
    if (summary.endpoint.isEmpty()) {
        body += ",\"error\":\"no endpoint covers this path\",\"stored\":true}\n";
    } else {
        body += ",\"stored\":true,\"verdict\":\"";
        body += verdictName(summary.verdict).toLatin1(); // a fixed identifier
        body += "\"}\n";
    }
    return body;
}

} // namespace

ListenerServer::ListenerServer(DeliveryStore &store)
    : m_store(store)
    , m_mailbox(std::make_shared<Mailbox>())
{
    m_mailbox->server = this;
}

ListenerServer::~ListenerServer()
{
    std::lock_guard lock(m_mailbox->mutex);
    m_mailbox->server = nullptr;
}

quint16 ListenerServer::bindAndListen(const QHostAddress &address, quint16 port,
                                      const ListenerLimits &limits, QString *error, bool *inUse)
{
    auto *tcpServer = new GuardedTcpServer(
        limits,
        [this](const FramingRefusal &refusal, const QString &peer, std::function<void(bool)> done) {
            keepRefused(refusal, peer, std::move(done));
        },
        this);
    if (!tcpServer->listen(address, port)) {
        if (error)
            *error = tcpServer->errorString();
        if (inUse)
            *inUse = tcpServer->serverError() == QAbstractSocket::AddressInUseError;
        delete tcpServer;
        return 0;
    }
    bind(tcpServer);
    return tcpServer->serverPort();
}

void ListenerServer::stopAccepting()
{
    m_stopping = true;
    for (QTcpServer *server : servers())
        server->close();
    for (HttpConnection *connection : connections())
        connection->stop();
}

QList<HttpConnection *> ListenerServer::connections() const
{
    QList<HttpConnection *> all;
    for (const GuardedTcpServer *server : findChildren<GuardedTcpServer *>())
        all += server->connections();
    return all;
}

bool ListenerServer::drained() const
{
    if (!m_owed.empty())
        return false;
    const QList<HttpConnection *> open = connections();
    return std::all_of(open.cbegin(), open.cend(),
                       [](const HttpConnection *connection) { return connection->isClosed(); });
}

void ListenerServer::setEndpoints(const QList<Endpoint> &endpoints)
{
    std::lock_guard lock(m_endpointsMutex);
    m_endpoints = endpoints;
}

QList<Endpoint> ListenerServer::endpoints() const
{
    std::lock_guard lock(m_endpointsMutex);
    return m_endpoints;
}

bool ListenerServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const auto requestEnd = DeliveryStore::Clock::now();
    // QHttpServer read a canonical request on the connection's inner socket; the request
    // itself is the one the connection's framer decided.
    HttpConnection *connection = HttpConnection::ofInnerSocket(socket);
    std::optional<FramedRequest> framed =
        connection ? connection->takeCurrentRequest() : std::nullopt;
    if (!framed) {
        socket->disconnectFromHost();
        return true;
    }
    QTcpSocket *client = connection->clientSocket();
    std::optional<StageTimer> processing(std::in_place, StageCounters::Process);
    Delivery delivery =
        DeliveryProcessor::process(framed->head, framed->body, connection->peer(),
                                   QDateTime::currentMSecsSinceEpoch(), endpoints());
    processing.reset();
    delivery.trailers = framed->trailers;
    const quint64 ticket = m_nextTicket++;
    const Endpoint *endpoint = Endpoint::match(endpoints(), delivery.pathWithoutQuery());
    OwedAnswer owed;
    owed.socket = client;
    owed.connection = connection;
    owed.closeAfter = framed->closeAfter;
    owed.headRequest = framed->head.method == u"HEAD";
    owed.responder = std::make_unique<QHttpServerResponder>(makeResponder(request, client));
    owed.summary = DeliverySummary::of(delivery);
    owed.policy = endpoint ? endpoint->response : ResponsePolicy();
    if (endpoint && !endpoint->forwardUrl.isEmpty()) {
        owed.forwardUrl = endpoint->forwardUrl;
        owed.answerWithApp = endpoint->answerWithApp;
        owed.head = framed->head;
        owed.body = delivery.body;
    }
    m_owed.emplace(ticket, std::move(owed));

    // The completion runs on the store's thread; the answer is written on this one.
    // The store finishes a batch's deliveries one after another on its thread; the listener
    // thread is woken once for the batch, and answers in that order.
    m_store.submit(std::move(delivery), requestEnd,
                   [mailbox = m_mailbox, ticket](qint64 id, int status, const QString &error) {
                       std::lock_guard lock(mailbox->mutex);
                       ListenerServer *server = mailbox->server;
                       if (server && mailbox->completed.push({ticket, id, status, error})) {
                           QMetaObject::invokeMethod(
                               server, [server] { server->answerCompleted(); },
                               Qt::QueuedConnection);
                       }
                   });
    return true;
}

void ListenerServer::answerCompleted()
{
    for (const Completed &completed : m_mailbox->completed.take())
        answer(completed.ticket, completed.id, completed.status, completed.error);
}

void ListenerServer::missingHandler(const QHttpServerRequest &, QTcpSocket *socket)
{
    // handleRequest takes every request; nothing reaches here.
    socket->disconnectFromHost();
}

void ListenerServer::answer(quint64 ticket, qint64 id, int status, const QString &error)
{
    auto it = m_owed.find(ticket);
    if (it == m_owed.end())
        return;
    OwedAnswer &owed = it->second;
    owed.summary.id = id;
    owed.summary.responseStatus = error.isEmpty() ? status : 503;
    if (error.isEmpty() && !owed.forwardUrl.isEmpty()) {
        forward(ticket);
        if (owed.answerWithApp)
            return; // answered when the app answers
    }
    if (error.isEmpty() && owed.policy.delayMs > 0) {
        // A slow receiver, on purpose; the answer is still owed until then.
        QTimer::singleShot(owed.policy.delayMs, this, [this, ticket, error] {
            auto delayed = m_owed.find(ticket);
            if (delayed != m_owed.end()) {
                OwedAnswer owedAnswer = std::move(delayed->second);
                m_owed.erase(delayed);
                write(owedAnswer, error);
            }
        });
        return;
    }
    OwedAnswer owedAnswer = std::move(owed);
    m_owed.erase(it);
    write(owedAnswer, error);
}

void ListenerServer::write(OwedAnswer &owed, const QString &error)
{
    const StageTimer timer(StageCounters::Answer);
    const DeliverySummary &summary = owed.summary;
    if (owed.socket && owed.socket->state() == QAbstractSocket::ConnectedState) {
        const auto status = static_cast<QHttpServerResponder::StatusCode>(summary.responseStatus);
        QHttpServerResponder &responder = *owed.responder;
        // The policy's body and headers replace HookScope's own answer, except on a 503 for
        // a delivery that could not be stored: the sender must learn to retry.
        const bool custom =
            error.isEmpty() && (!owed.policy.body.isEmpty() || !owed.policy.headers.isEmpty());
        const QByteArray body =
            custom && !owed.policy.body.isEmpty() ? owed.policy.body : answerBody(summary, error);
        responder.writeStatusLine(status);
        bool hasContentType = false;
        if (custom) {
            for (const auto &[name, value] : owed.policy.headers) {
                if (HeaderList::namesMatch(name, "Content-Length") ||
                    HeaderList::namesMatch(name, "Transfer-Encoding"))
                    continue;
                hasContentType = hasContentType || HeaderList::namesMatch(name, "Content-Type");
                responder.writeHeader(name, value);
            }
        }
        if (!hasContentType)
            responder.writeHeader("Content-Type", custom && !owed.policy.body.isEmpty()
                                                      ? "text/plain; charset=utf-8"
                                                      : "application/json");
        if (error.isEmpty())
            responder.writeHeader("X-HookScope-Delivery", QByteArray::number(summary.id));
        else
            responder.writeHeader("Retry-After", "5"); // the sender retries on 503
        finishAnswer(owed, body);
    }
    answerDone(owed);
    Q_EMIT answered(summary, error);
}

void ListenerServer::forward(quint64 ticket)
{
    OwedAnswer &owed = m_owed.at(ticket);
    QUrl url(owed.forwardUrl);
    const QUrl original(owed.head.target);
    if (url.path().isEmpty() || url.path() == u"/")
        url.setPath(original.path());
    if (!url.hasQuery() && original.hasQuery())
        url.setQuery(original.query());
    if (!m_forwarder)
        m_forwarder = new HttpSender(this);
    Replay record;
    record.kind = QStringLiteral("forward");
    record.deliveryId = owed.summary.id;
    record.sentAtMs = QDateTime::currentMSecsSinceEpoch();
    record.url = url;
    record.requestHeaders = owed.head.headers;
    record.requestBody = owed.body;
    const bool answerWithApp = owed.answerWithApp;
    m_forwarder->send(
        owed.head.method, url, owed.head.headers, owed.body,
        [this, ticket, record, answerWithApp](const HttpSender::Answer &answer) mutable {
            record.status = answer.status;
            record.responseHeaders = answer.headers;
            record.responseBody = answer.body;
            record.latencyMs = answer.latencyMs;
            record.error = answer.error;
            // An app that does not answer gets the sender a 502.
            const int answered = answer.status ? answer.status : 502;
            m_store.recordForward(record, answerWithApp ? answered : -1);
            if (!answerWithApp)
                return;
            auto it = m_owed.find(ticket);
            if (it == m_owed.end())
                return;
            OwedAnswer owedAnswer = std::move(it->second);
            m_owed.erase(it);
            owedAnswer.summary.responseStatus = answered;
            writeAppAnswer(owedAnswer, answer);
        });
}

void ListenerServer::finishAnswer(OwedAnswer &owed, const QByteArray &body) const
{
    QHttpServerResponder &responder = *owed.responder;
    // While stopping, the connection ends with this answer.
    owed.closeAfter = owed.closeAfter || m_stopping;
    if (owed.closeAfter)
        responder.writeHeader("Connection", "close");
    responder.writeHeader("Content-Length", QByteArray::number(body.size()));
    responder.writeBody(owed.headRequest ? QByteArray() : body);
}

void ListenerServer::answerDone(const OwedAnswer &owed) const
{
    // The connection closes after it, or hands QHttpServer its next request.
    if (owed.connection)
        owed.connection->answerWritten(owed.closeAfter || m_stopping);
}

void ListenerServer::writeAppAnswer(OwedAnswer &owed, const HttpSender::Answer &answer)
{
    if (owed.socket && owed.socket->state() == QAbstractSocket::ConnectedState) {
        QHttpServerResponder &responder = *owed.responder;
        const QByteArray body =
            answer.status ? answer.body
                          : QByteArray("The app did not answer: ") + answer.error.toUtf8() + '\n';
        responder.writeStatusLine(
            static_cast<QHttpServerResponder::StatusCode>(owed.summary.responseStatus));
        if (answer.status) {
            for (const auto &[name, value] : answer.headers.entries()) {
                const bool framing = HeaderList::namesMatch(name, "Content-Length") ||
                                     HeaderList::namesMatch(name, "Transfer-Encoding") ||
                                     HeaderList::namesMatch(name, "Connection");
                if (!framing)
                    responder.writeHeader(name, value);
            }
        } else {
            responder.writeHeader("Content-Type", "text/plain; charset=utf-8");
        }
        responder.writeHeader("X-HookScope-Delivery", QByteArray::number(owed.summary.id));
        finishAnswer(owed, body);
    }
    answerDone(owed);
    Q_EMIT answered(owed.summary, QString());
}

void ListenerServer::keepRefused(const FramingRefusal &refusal, const QString &peer,
                                 std::function<void(bool)> done)
{
    // A refused request is kept too, truncated: the sender did send it, and the user must see
    // why it was refused.
    Delivery delivery = DeliveryProcessor::process(
        refusal.head, refusal.bodyStart, peer, QDateTime::currentMSecsSinceEpoch(), endpoints());
    delivery.responseStatus = refusal.status;
    delivery.truncated = true;
    delivery.failFirstAttempts = 0;
    delivery.verification.reason = refusal.detail + u' ' + delivery.verification.reason;
    const DeliverySummary summary = DeliverySummary::of(delivery);
    m_store.submit(std::move(delivery), DeliveryStore::Clock::now(),
                   [mailbox = m_mailbox, summary, done = std::move(done)](qint64 id, int,
                                                                          const QString &error) {
                       std::lock_guard lock(mailbox->mutex);
                       if (ListenerServer *server = mailbox->server) {
                           QMetaObject::invokeMethod(
                               server,
                               [server, summary, id, error, done] {
                                   DeliverySummary stored = summary;
                                   stored.id = id;
                                   done(error.isEmpty());
                                   Q_EMIT server->answered(stored, error);
                               },
                               Qt::QueuedConnection);
                       }
                   });
}
