#include "connectionguard.h"

#include <QTcpSocket>

ConnectionGuard::ConnectionGuard(QTcpSocket *socket)
    : QObject(socket)
    , m_socket(socket)
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
    connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
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
    if (m_rejected)
        return;
    // Peek only: QHttpServer's slot, connected after this one, consumes the same bytes.
    const QByteArray data = m_socket->peek(m_socket->bytesAvailable());
    const size_t parsed = http_parser_execute(&m_parser, &m_settings, data.constData(),
                                              static_cast<size_t>(data.size()));
    const auto error = static_cast<http_errno>(m_parser.http_errno);
    if (error != HPE_OK || parsed != static_cast<size_t>(data.size())) {
        reject(400, "Bad Request",
               QByteArray("The request could not be parsed as HTTP/1.x: ") +
                   http_errno_description(error) + '\n');
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
    m_socket->disconnectFromHost();
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
    if (guard->m_inValue) {
        guard->m_current.headers.append(guard->m_field, guard->m_value);
        guard->m_field.clear();
        guard->m_value.clear();
        guard->m_inValue = false;
    }
    guard->m_field.append(at, static_cast<qsizetype>(length));
    return 0;
}

int ConnectionGuard::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *guard = self(parser);
    guard->m_inValue = true;
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
    guard->m_heads.push_back(std::move(guard->m_current));
    guard->m_current = RequestHead();
    return 0;
}
