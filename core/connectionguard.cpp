#include "connectionguard.h"

#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>

ConnectionGuard::ConnectionGuard(QTcpSocket *socket, const ListenerLimits &limits)
    : QObject(socket)
    , m_socket(socket)
    , m_limits(limits)
    , m_idle(new QTimer(this))
{
    setObjectName(QStringLiteral("hookscope-connection-guard"));
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    http_parser_settings_init(&m_settings);
    m_settings.on_message_begin = &ConnectionGuard::onMessageBegin;
    m_settings.on_url = &ConnectionGuard::onUrl;
    m_settings.on_header_field = &ConnectionGuard::onHeaderField;
    m_settings.on_header_value = &ConnectionGuard::onHeaderValue;
    m_settings.on_headers_complete = &ConnectionGuard::onHeadersComplete;
    m_settings.on_body = &ConnectionGuard::onBody;
    m_settings.on_message_complete = &ConnectionGuard::onMessageComplete;
    connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
    m_idle->setSingleShot(true);
    m_idle->setInterval(m_limits.idleTimeoutMs);
    connect(m_idle, &QTimer::timeout, this, &ConnectionGuard::onIdle);
    m_idle->start();
}

ConnectionGuard *ConnectionGuard::of(QTcpSocket *socket)
{
    return socket->findChild<ConnectionGuard *>(QStringLiteral("hookscope-connection-guard"),
                                                Qt::FindDirectChildrenOnly);
}

RequestHead ConnectionGuard::takeHead()
{
    RequestHead head = std::move(m_heads.front());
    m_heads.pop_front();
    return head;
}

void ConnectionGuard::onReadyRead()
{
    if (m_rejected) {
        // Nothing more is read from a refused client: what it still sends is dropped.
        m_socket->skip(m_socket->bytesAvailable());
        return;
    }
    m_idle->start();
    // Peek only: QHttpServer's slot, connected after this one, consumes the same bytes.
    const QByteArray data = m_socket->peek(m_socket->bytesAvailable());
    const size_t parsed = http_parser_execute(&m_parser, &m_settings, data.constData(),
                                              static_cast<size_t>(data.size()));
    if (m_oversized) {
        refuseOversized(false);
        return;
    }
    const auto error = static_cast<http_errno>(m_parser.http_errno);
    if (m_limitStatus == 431 || error == HPE_HEADER_OVERFLOW) {
        reject(431, "Request Header Fields Too Large",
               QByteArray("The request has more headers than HookScope accepts (") +
                   QByteArray::number(m_limits.maxHeaderCount) + " headers, " +
                   QByteArray::number(m_limits.maxHeaderBytes) + " bytes).\n");
    } else if (error != HPE_OK || parsed != static_cast<size_t>(data.size())) {
        reject(400, "Bad Request",
               QByteArray("The request could not be parsed as HTTP/1.x: ") +
                   http_errno_description(error) + '\n');
    }
}

void ConnectionGuard::refuseOversized(bool now)
{
    if (m_rejected)
        return;
    // The refused delivery keeps its head and the first part of its body: wait for that part
    // (the rest is never read), unless the body ended or the client went quiet first.
    if (!now && m_inMessage && m_bodyStart.size() < ListenerLimits::KeptBodyBytes)
        return;
    const RequestHead head = m_current;
    const QByteArray start = m_bodyStart;
    const QString reason = m_oversizedReason;
    reject(413, "Content Too Large", reason.toUtf8() + '\n');
    Q_EMIT refused(head, start, 413, reason);
}

void ConnectionGuard::onIdle()
{
    if (m_rejected)
        return;
    if (m_oversized) {
        refuseOversized(true);
        return;
    }
    if (m_busy && m_busy()) {
        m_idle->start(); // the answer is being prepared: the silence is ours
        return;
    }
    if (m_inMessage) {
        reject(408, "Request Timeout",
               QByteArray("The request was not completed within ") +
                   QByteArray::number(m_limits.idleTimeoutMs / 1000) + " s.\n");
    } else {
        m_rejected = true;
        m_socket->disconnectFromHost();
    }
}

void ConnectionGuard::reject(int status, const QByteArray &reason, const QByteArray &detail)
{
    m_rejected = true;
    QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    response += "Content-Type: text/plain; charset=utf-8\r\n";
    response += "Content-Length: " + QByteArray::number(detail.size()) + "\r\n";
    response += "Connection: close\r\n\r\n";
    response += detail;
    m_socket->write(response);
    // What was only peeked at is dropped here, before QHttpServer's own slot would read it.
    m_socket->skip(m_socket->bytesAvailable());
    // Closing while the client is still sending (the rest of a body too large, say) makes the
    // kernel answer with a reset, which can destroy the answer before the client has read it.
    // So the close is a lingering one: the answer goes out, then the sending side is shut,
    // what the client still sends is read and dropped until it closes its side, and a client
    // that never does is cut off after a short while.
    const auto halfClose = [this] {
        if (m_socket->bytesToWrite() == 0 && m_socket->socketDescriptor() >= 0)
            ::shutdown(static_cast<int>(m_socket->socketDescriptor()), SHUT_WR);
    };
    connect(m_socket, &QTcpSocket::bytesWritten, this, halfClose);
    m_socket->flush();
    halfClose();
    m_idle->stop();
    QTimer::singleShot(LingerMs, m_socket, &QTcpSocket::abort);
}

ConnectionGuard *ConnectionGuard::self(http_parser *parser)
{
    return static_cast<ConnectionGuard *>(parser->data);
}

int ConnectionGuard::onMessageBegin(http_parser *parser)
{
    ConnectionGuard *guard = self(parser);
    guard->m_current = RequestHead();
    guard->m_field.clear();
    guard->m_value.clear();
    guard->m_inValue = false;
    guard->m_inMessage = true;
    guard->m_headerCount = 0;
    guard->m_headerBytes = 0;
    guard->m_bodyBytes = 0;
    guard->m_bodyStart.clear();
    return 0;
}

int ConnectionGuard::onUrl(http_parser *parser, const char *at, size_t length)
{
    self(parser)->m_current.target += QString::fromLatin1(at, static_cast<qsizetype>(length));
    return 0;
}

int ConnectionGuard::onHeaderField(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *guard = self(parser);
    if (guard->m_inValue || guard->m_field.isEmpty()) {
        if (guard->m_inValue)
            guard->m_current.headers.append(guard->m_field, guard->m_value);
        guard->m_field.clear();
        guard->m_value.clear();
        guard->m_inValue = false;
        if (++guard->m_headerCount > guard->m_limits.maxHeaderCount) {
            guard->m_limitStatus = 431;
            return 1;
        }
    }
    guard->m_headerBytes += qint64(length);
    if (guard->m_headerBytes > guard->m_limits.maxHeaderBytes) {
        guard->m_limitStatus = 431;
        return 1;
    }
    guard->m_field.append(at, static_cast<qsizetype>(length));
    return 0;
}

int ConnectionGuard::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *guard = self(parser);
    guard->m_inValue = true;
    guard->m_headerBytes += qint64(length);
    if (guard->m_headerBytes > guard->m_limits.maxHeaderBytes) {
        guard->m_limitStatus = 431;
        return 1;
    }
    guard->m_value.append(at, static_cast<qsizetype>(length));
    return 0;
}

int ConnectionGuard::onHeadersComplete(http_parser *parser)
{
    ConnectionGuard *guard = self(parser);
    if (!guard->m_field.isEmpty())
        guard->m_current.headers.append(guard->m_field, guard->m_value);
    guard->m_field.clear();
    guard->m_value.clear();
    guard->m_inValue = false;
    guard->m_current.method =
        QString::fromLatin1(http_method_str(static_cast<http_method>(parser->method)));
    guard->m_current.httpVersion =
        QStringLiteral("%1.%2").arg(parser->http_major).arg(parser->http_minor);
    // The declared size is known now: refuse before a byte of the body is buffered.
    if ((parser->flags & F_CONTENTLENGTH) &&
        static_cast<qint64>(parser->content_length) > guard->m_limits.maxBodyBytes) {
        guard->m_oversized = true;
        guard->m_oversizedReason =
            QStringLiteral("The body is %1 bytes; HookScope accepts at most %2.")
                .arg(static_cast<qint64>(parser->content_length))
                .arg(guard->m_limits.maxBodyBytes);
    } else {
        guard->m_heads.push_back(guard->m_current);
        // A client that asks first (curl does for bodies over 1 MB) would otherwise wait its
        // own timeout, a second for curl, before sending the body. Not while an answer is
        // still owed on the connection: the interim answer would precede it.
        if (parser->http_major == 1 && parser->http_minor >= 1 &&
            guard->m_current.headers.value("Expect").toLower() == "100-continue" &&
            !(guard->m_busy && guard->m_busy()))
            guard->m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return 0;
}

int ConnectionGuard::onBody(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *guard = self(parser);
    guard->m_bodyBytes += qint64(length);
    if (!guard->m_oversized && guard->m_bodyBytes > guard->m_limits.maxBodyBytes) {
        // A chunked body that grew past the limit.
        guard->m_oversized = true;
        guard->m_oversizedReason =
            QStringLiteral("The body grew past %1 bytes, the most HookScope accepts.")
                .arg(guard->m_limits.maxBodyBytes);
        if (!guard->m_heads.empty())
            guard->m_heads.pop_back();
    }
    if (guard->m_bodyStart.size() < ListenerLimits::KeptBodyBytes) {
        const qsizetype room = ListenerLimits::KeptBodyBytes - guard->m_bodyStart.size();
        guard->m_bodyStart.append(at, std::min<qsizetype>(room, static_cast<qsizetype>(length)));
    }
    return 0;
}

int ConnectionGuard::onMessageComplete(http_parser *parser)
{
    ConnectionGuard *guard = self(parser);
    guard->m_inMessage = false;
    return 0;
}
