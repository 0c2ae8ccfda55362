#include "httpsender.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSslSocket>
#include <QTimer>

#include <http_parser.h>

#include <memory>

namespace {

// One request on one connection. The request is written byte for byte as given (a client
// library would add Accept-Encoding, User-Agent and the like); the answer is read with
// http_parser, chunked or not.
class Exchange : public QObject
{
public:
    Exchange(QObject *parent, std::function<void(const HttpSender::Answer &)> done)
        : QObject(parent)
        , m_done(std::move(done))
    {
        http_parser_init(&m_parser, HTTP_RESPONSE);
        m_parser.data = this;
        http_parser_settings_init(&m_settings);
        m_settings.on_header_field = [](http_parser *p, const char *at, size_t length) {
            auto *self = static_cast<Exchange *>(p->data);
            if (self->m_inValue)
                self->flushHeader();
            self->m_field.append(at, qsizetype(length));
            return 0;
        };
        m_settings.on_header_value = [](http_parser *p, const char *at, size_t length) {
            auto *self = static_cast<Exchange *>(p->data);
            self->m_inValue = true;
            self->m_value.append(at, qsizetype(length));
            return 0;
        };
        m_settings.on_headers_complete = [](http_parser *p) {
            auto *self = static_cast<Exchange *>(p->data);
            self->flushHeader();
            self->m_answer.status = int(p->status_code);
            return 0;
        };
        m_settings.on_body = [](http_parser *p, const char *at, size_t length) {
            static_cast<Exchange *>(p->data)->m_answer.body.append(at, qsizetype(length));
            return 0;
        };
        m_settings.on_message_complete = [](http_parser *p) {
            static_cast<Exchange *>(p->data)->m_complete = true;
            return 0;
        };
    }

    void start(const QUrl &url, const QByteArray &request, int timeoutMs)
    {
        m_timer.start();
        const bool tls = url.scheme() == u"https";
        m_socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::readyRead, this, [this] { read(); });
        connect(m_socket, &QTcpSocket::disconnected, this, [this] {
            // A body that runs until the connection closes ends here.
            http_parser_execute(&m_parser, &m_settings, nullptr, 0);
            finish(m_complete || m_answer.status
                       ? QString()
                       : QStringLiteral("the connection closed before an answer"));
        });
        connect(m_socket, &QTcpSocket::errorOccurred, this,
                [this](QAbstractSocket::SocketError error) {
                    if (error != QAbstractSocket::RemoteHostClosedError)
                        finish(m_socket->errorString());
                });
        const quint16 port = quint16(url.port(tls ? 443 : 80));
        if (tls) {
            auto *ssl = static_cast<QSslSocket *>(m_socket);
            connect(ssl, &QSslSocket::encrypted, this,
                    [this, request] { m_socket->write(request); });
            ssl->connectToHostEncrypted(url.host(), port);
        } else {
            connect(m_socket, &QTcpSocket::connected, this,
                    [this, request] { m_socket->write(request); });
            m_socket->connectToHost(url.host(), port);
        }
        QTimer::singleShot(timeoutMs, this, [this, timeoutMs] {
            finish(QStringLiteral("no answer within %1 s").arg(timeoutMs / 1000));
        });
    }

private:
    void flushHeader()
    {
        if (!m_field.isEmpty())
            m_answer.headers.append(m_field, m_value);
        m_field.clear();
        m_value.clear();
        m_inValue = false;
    }

    void read()
    {
        const QByteArray data = m_socket->readAll();
        http_parser_execute(&m_parser, &m_settings, data.constData(), size_t(data.size()));
        if (HTTP_PARSER_ERRNO(&m_parser) != HPE_OK)
            finish(QStringLiteral("the answer is not HTTP: %1")
                       .arg(QString::fromLatin1(
                           http_errno_description(HTTP_PARSER_ERRNO(&m_parser)))));
        else if (m_complete)
            finish(QString());
    }

    void finish(const QString &error)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_answer.latencyMs = m_timer.elapsed();
        if (!error.isEmpty()) {
            m_answer.status = 0;
            m_answer.error = error;
        }
        m_socket->disconnect(this);
        m_socket->abort();
        m_done(m_answer);
        deleteLater();
    }

    std::function<void(const HttpSender::Answer &)> m_done;
    QTcpSocket *m_socket = nullptr;
    http_parser m_parser;
    http_parser_settings m_settings;
    HttpSender::Answer m_answer;
    QByteArray m_field;
    QByteArray m_value;
    bool m_inValue = false;
    bool m_complete = false;
    bool m_finished = false;
    QElapsedTimer m_timer;
};

} // namespace

HttpSender::HttpSender(QObject *parent)
    : QObject(parent)
{}

void HttpSender::send(const QString &method, const QUrl &url, const HeaderList &headers,
                      const QByteArray &body, std::function<void(const Answer &)> done,
                      int timeoutMs)
{
    QByteArray target = url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    const bool defaultPort =
        url.port() < 0 || (url.scheme() == u"https" ? url.port() == 443 : url.port() == 80);
    QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';
    if (!defaultPort)
        host += ':' + QByteArray::number(url.port());

    QByteArray request = method.toLatin1() + ' ' + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    for (const auto &[name, value] : headers.entries()) {
        // The target's own: Host above, the framing below; the rest exactly as recorded.
        if (HeaderList::namesMatch(name, "Host") ||
            HeaderList::namesMatch(name, "Content-Length") ||
            HeaderList::namesMatch(name, "Connection") ||
            HeaderList::namesMatch(name, "Transfer-Encoding"))
            continue;
        request += name + ": " + value + "\r\n";
    }
    request += "Content-Length: " + QByteArray::number(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body;
    auto *exchange = new Exchange(this, std::move(done));
    exchange->start(url, request, timeoutMs);
}

HttpSender::Answer HttpSender::sendAndWait(const QString &method, const QUrl &url,
                                           const HeaderList &headers, const QByteArray &body,
                                           int timeoutMs)
{
    HttpSender sender;
    QEventLoop loop;
    Answer result;
    bool finished = false;
    sender.send(
        method, url, headers, body,
        [&](const Answer &answer) {
            result = answer;
            finished = true;
            loop.quit();
        },
        timeoutMs);
    if (!finished)
        loop.exec();
    return result;
}
