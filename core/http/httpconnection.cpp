#include "httpconnection.h"

#include "stagecounters.h"

#include "platform.h"

#include <QPointer>

#include <QTcpSocket>
#include <QTimer>
#include <algorithm>

namespace {

// What QHttpServer is given for each framed request: a request it cannot read otherwise.
// The request itself (method, target, headers, body) is never taken from QHttpServer; its
// handler reads what the framer decided.
const QByteArray CanonicalRequest =
    "POST / HTTP/1.1\r\nHost: hookscope\r\nContent-Length: 0\r\n\r\n";

const QString NotHandled = QStringLiteral("HookScope could not handle the request.");

QHostAddress plainAddress(const QHostAddress &address)
{
    bool isIpv4 = false;
    const quint32 ipv4 = address.toIPv4Address(&isIpv4);
    return isIpv4 ? QHostAddress(ipv4) : address;
}

} // namespace

QByteArray HttpConnection::plainAnswer(int status, const QByteArray &reasonPhrase,
                                       const QString &detail, const QByteArray &extraHeaders)
{
    const QByteArray body = detail.toUtf8() + '\n';
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase + "\r\n" + extraHeaders +
           "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

HttpConnection::HttpConnection(QTcpSocket *client, const ListenerLimits &limits,
                               KeepRefused keepRefused, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_limits(limits)
    , m_keepRefused(std::move(keepRefused))
    , m_framer(limits)
    , m_idle(new QTimer(this))
    , m_headerDeadline(new QTimer(this))
{
    setObjectName(QStringLiteral("hookscope-connection"));
    m_client->setParent(this);
    // Qt stops reading from the kernel once this much waits unread: a client sending faster
    // than its requests are answered is held back by TCP itself.
    m_client->setReadBufferSize(ReadChunk);
    m_peerAddress = plainAddress(m_client->peerAddress());
    m_peer = m_peerAddress.toString();
    connect(m_client, &QTcpSocket::readyRead, this, &HttpConnection::readClient);
    connect(m_client, &QTcpSocket::disconnected, this, &HttpConnection::finish);

    m_idle->setSingleShot(true);
    m_idle->setInterval(m_limits.idleTimeoutMs);
    connect(m_idle, &QTimer::timeout, this, &HttpConnection::onIdle);
    m_headerDeadline->setSingleShot(true);
    m_headerDeadline->setInterval(m_limits.headerTimeoutMs);
    connect(m_headerDeadline, &QTimer::timeout, this, &HttpConnection::onHeaderDeadline);

    // This end only ever writes one small canonical request at a time, after the answer to
    // the one before: a plain socket, not one the event loop watches.
    qintptr pair[2] = {-1, -1};
    if (Platform::makeSocketPair(pair)) {
        m_theirs = new QTcpSocket(this);
        if (m_theirs->setSocketDescriptor(pair[1])) {
            m_ours = pair[0];
        } else {
            delete m_theirs;
            m_theirs = nullptr;
            Platform::closeSocket(pair[0]);
            Platform::closeSocket(pair[1]);
        }
    }
    if (!m_theirs) {
        answerAndClose(plainAnswer(503, "Service Unavailable",
                                   QStringLiteral("HookScope could not take the connection."),
                                   "Retry-After: 1\r\n"));
        return;
    }
    // QHttpServer answers on the client socket, never on the pair; it closes its end only
    // when it cannot read a canonical request, which would leave the current one unanswered.
    connect(m_theirs, &QTcpSocket::disconnected, this, [this] {
        if (!m_closing)
            answerAndClose(plainAnswer(500, "Internal Server Error", NotHandled));
    });
    m_idle->start();
    if (m_client->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::readClient, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection()
{
    if (m_ours >= 0)
        Platform::closeSocket(m_ours);
}

HttpConnection *HttpConnection::ofInnerSocket(QTcpSocket *socket)
{
    auto *connection = qobject_cast<HttpConnection *>(socket ? socket->parent() : nullptr);
    return connection && connection->m_theirs == socket ? connection : nullptr;
}

std::optional<FramedRequest> HttpConnection::takeCurrentRequest()
{
    if (m_queue.empty() || !m_queue.front().started)
        return std::nullopt;
    auto *request = std::get_if<FramedRequest>(&m_queue.front().item);
    if (!request)
        return std::nullopt;
    FramedRequest taken = std::move(*request);
    *request = FramedRequest();
    return taken;
}

void HttpConnection::answerWritten(bool closeAfter)
{
    if (!m_queue.empty())
        m_queue.pop_front();
    if (closeAfter) {
        m_queue.clear();
        closeLingering();
        return;
    }
    pump();
    // What waits in the socket's buffer raised no signal of its own while reading was held.
    readClient();
}

void HttpConnection::stop()
{
    m_stopping = true;
    pump();
}

void HttpConnection::readClient()
{
    const StageTimer timer(StageCounters::Receive);
    if (m_closing || m_framer.finished() || m_stopping) {
        // A refused, closing or finished client: what it still sends is read and dropped.
        m_client->skip(m_client->bytesAvailable());
        return;
    }
    if (m_client->bytesAvailable() > 0 || !m_unread.isEmpty())
        m_idle->start();
    // One request may wait behind the one being answered; more are not read.
    while (m_queue.size() < 2) {
        if (m_unread.isEmpty()) {
            m_unread = m_client->read(std::min(m_client->bytesAvailable(), ReadChunk));
            if (m_unread.isEmpty())
                break;
        }
        qsizetype consumed = 0;
        const HttpFramer::Event event =
            m_framer.feed(m_unread.constData(), m_unread.size(), &consumed);
        m_unread.remove(0, consumed);
        if (!handle(event))
            break;
    }
    updateHeaderDeadline();
}

bool HttpConnection::handle(HttpFramer::Event event)
{
    switch (event) {
    case HttpFramer::Event::NeedMore:
        return true;
    case HttpFramer::Event::ContinueExpected:
        // Not while an answer is owed: the interim answer would come before it.
        if (m_queue.empty())
            writeInterimContinue();
        else
            m_continueOwed = true;
        return true;
    case HttpFramer::Event::Request:
        m_queue.push_back({m_framer.takeRequest()});
        pump();
        return !m_framer.finished();
    case HttpFramer::Event::Refused:
        m_unread.clear();
        m_idle->stop();
        m_headerDeadline->stop();
        m_queue.push_back({m_framer.refusal()});
        pump();
        return false;
    }
    return false;
}

void HttpConnection::pump()
{
    if (m_closing)
        return;
    if (m_queue.empty()) {
        if (m_stopping) {
            closeLingering();
        } else if (m_continueOwed) {
            m_continueOwed = false;
            if (m_framer.inMessage())
                writeInterimContinue();
        }
        return;
    }
    Pending &next = m_queue.front();
    if (next.started)
        return;
    next.started = true;
    if (std::holds_alternative<FramedRequest>(next.item)) {
        if (m_stopping) {
            // Stored now, it might never be answered: the process is about to end.
            answerAndClose(
                plainAnswer(503, "Service Unavailable",
                            QStringLiteral("HookScope is stopping; send this delivery again."),
                            "Retry-After: 5\r\n"));
            return;
        }
        // Small and alone in the pair's buffer: written whole at once.
        if (Platform::sendOnSocket(m_ours, CanonicalRequest) != CanonicalRequest.size())
            answerAndClose(plainAnswer(500, "Internal Server Error", NotHandled));
        return;
    }
    const FramingRefusal refusal = std::get<FramingRefusal>(next.item);
    if (refusal.keep && m_keepRefused) {
        // Kept first, answered after: the answer says what was stored.
        QPointer<HttpConnection> self(this);
        m_keepRefused(refusal, m_peer, [self, refusal](bool stored) {
            if (!self || self->m_closing)
                return;
            self->answerAndClose(
                stored ? refusalAnswer(refusal)
                       : plainAnswer(503, "Service Unavailable",
                                     QStringLiteral("The request could not be stored; send it "
                                                    "again."),
                                     "Retry-After: 5\r\n"));
        });
        return;
    }
    answerAndClose(refusalAnswer(refusal));
}

QByteArray HttpConnection::refusalAnswer(const FramingRefusal &refusal)
{
    return plainAnswer(refusal.status, refusal.reasonPhrase, refusal.detail);
}

void HttpConnection::answerAndClose(const QByteArray &answer)
{
    m_client->write(answer);
    m_queue.clear();
    closeLingering();
}

void HttpConnection::writeInterimContinue()
{
    m_client->write("HTTP/1.1 100 Continue\r\n\r\n");
}

void HttpConnection::closeLingering()
{
    if (m_closing)
        return;
    m_closing = true;
    m_idle->stop();
    m_headerDeadline->stop();
    // Closing while the client still sends (the rest of a body too large, a pipelined
    // request) makes the kernel answer with a reset, which can destroy the answer before
    // the client has read it. So the answer goes out, then the sending side is shut, what
    // the client still sends is read and dropped until it closes its side, and a client that
    // never does is cut off after a short while.
    const auto halfClose = [this] {
        if (m_client->bytesToWrite() == 0 && m_client->socketDescriptor() >= 0)
            Platform::shutdownSending(m_client->socketDescriptor());
    };
    connect(m_client, &QTcpSocket::bytesWritten, this, halfClose);
    m_client->flush();
    halfClose();
    m_client->skip(m_client->bytesAvailable());
    QTimer::singleShot(LingerMs, this, [this] {
        m_client->abort();
        finish();
    });
}

void HttpConnection::finish()
{
    if (m_closed)
        return;
    m_closed = true;
    m_closing = true;
    m_idle->stop();
    m_headerDeadline->stop();
    if (m_ours >= 0) {
        Platform::closeSocket(m_ours);
        m_ours = -1;
    }
    Q_EMIT closed();
    deleteLater();
}

void HttpConnection::onIdle()
{
    if (m_closing)
        return;
    if (!m_queue.empty()) {
        m_idle->start(); // an answer is being prepared: the silence is ours
        return;
    }
    if (m_framer.inMessage()) {
        handle(m_framer.timeOut(false));
        return;
    }
    // Quiet between requests: closed without a word, as any server does.
    m_closing = true;
    m_client->disconnectFromHost();
}

void HttpConnection::onHeaderDeadline()
{
    if (!m_closing && m_framer.inHead())
        handle(m_framer.timeOut(true));
}

void HttpConnection::updateHeaderDeadline()
{
    if (m_closing || !m_framer.inHead())
        m_headerDeadline->stop();
    else if (!m_headerDeadline->isActive())
        m_headerDeadline->start();
}
