#include "testsupport.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QHash>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

namespace TestSupport {

QByteArray opensslHmac(const QString &digest, const QByteArray &key, const QByteArray &data)
{
    QProcess openssl;
    // -macopt hexkey: keeps keys with any bytes intact on the command line.
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("dgst"), QStringLiteral("-") + digest, QStringLiteral("-mac"),
                   QStringLiteral("HMAC"), QStringLiteral("-macopt"),
                   QStringLiteral("hexkey:") + QString::fromLatin1(key.toHex())});
    if (!openssl.waitForStarted(10000))
        qFatal("openssl could not be started");
    openssl.write(data);
    openssl.closeWriteChannel();
    openssl.waitForFinished(10000);
    const QByteArray output = openssl.readAllStandardOutput().trimmed();
    // "SHA2-256(stdin)= <hex>"
    const QByteArray hex = output.mid(output.lastIndexOf(' ') + 1);
    if (hex.isEmpty() || hex.size() % 2 != 0)
        qFatal("unexpected openssl output: %s", output.constData());
    return QByteArray::fromHex(hex);
}

QByteArray opensslHmacSha256Hex(const QByteArray &key, const QByteArray &data)
{
    return opensslHmac(QStringLiteral("sha256"), key, data).toHex();
}

QByteArray hostedHooksSignature(const QByteArray &secret, qint64 timestamp, const QByteArray &body)
{
    const QByteArray t = QByteArray::number(timestamp);
    return "t=" + t + ",s=" + opensslHmacSha256Hex(secret, t + '.' + body);
}

namespace {

// Parses a complete response from `data`; false while more bytes are needed.
bool parseResponse(const QByteArray &data, HttpResponse &response)
{
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return false;
    const QList<QByteArray> lines = data.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    HttpResponse parsed;
    parsed.status = statusLine.value(1).toInt();
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed();
        const QByteArray value = line.mid(colon + 1).trimmed();
        parsed.headers.append(name, value);
        if (HeaderList::namesMatch(name, "Content-Length"))
            contentLength = value.toLongLong();
    }
    if (data.size() < headEnd + 4 + contentLength)
        return false;
    parsed.body = data.mid(headEnd + 4, contentLength);
    parsed.raw = data;
    response = parsed;
    return true;
}

} // namespace

QList<HttpResponse> sendRaw(quint16 port, const QList<QByteArray> &requests, int timeoutMs)
{
    QList<HttpResponse> responses(requests.size());
    QList<QByteArray> buffers(requests.size());
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    qsizetype finished = 0;
    QEventLoop loop;
    for (qsizetype i = 0; i < requests.size(); ++i) {
        auto socket = std::make_unique<QTcpSocket>();
        QTcpSocket *raw = socket.get();
        auto done = std::make_shared<bool>(false);
        auto finish = [&, done] {
            if (*done)
                return;
            *done = true;
            if (++finished == requests.size())
                loop.quit();
        };
        QObject::connect(raw, &QTcpSocket::connected, raw,
                         [raw, request = requests[i]] { raw->write(request); });
        QObject::connect(raw, &QTcpSocket::readyRead, raw, [&, raw, i, finish] {
            buffers[i] += raw->readAll();
            if (parseResponse(buffers[i], responses[i]))
                finish();
        });
        QObject::connect(raw, &QTcpSocket::disconnected, raw, [&, raw, i, finish] {
            buffers[i] += raw->readAll();
            parseResponse(buffers[i], responses[i]);
            if (responses[i].raw.isEmpty())
                responses[i].raw = buffers[i];
            finish();
        });
        QObject::connect(raw, &QTcpSocket::errorOccurred, raw,
                         [finish](QAbstractSocket::SocketError error) {
                             if (error != QAbstractSocket::RemoteHostClosedError)
                                 finish();
                         });
        raw->connectToHost(QHostAddress::LocalHost, port);
        sockets.push_back(std::move(socket));
    }
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!requests.isEmpty())
        loop.exec();
    for (auto &socket : sockets)
        socket->disconnect();
    return responses;
}

HttpResponse sendRaw(quint16 port, const QByteArray &request, int timeoutMs)
{
    return sendRaw(port, QList<QByteArray>{request}, timeoutMs).constFirst();
}

QByteArray buildRequest(const QByteArray &method, const QByteArray &path, const HeaderList &headers,
                        const QByteArray &body)
{
    QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto &[name, value] : headers.entries())
        request += name + ": " + value + "\r\n";
    request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    return request;
}

struct FakeHttpServer::Private
{
    QTcpServer server;
    QHash<QByteArray, QPair<int, QByteArray>> responses;
    QList<QByteArray> requests;
    int delayMs = 0;
};

FakeHttpServer::FakeHttpServer()
    : d(std::make_unique<Private>())
{
    d->server.listen(QHostAddress::LocalHost, 0);
    QObject::connect(&d->server, &QTcpServer::newConnection, &d->server, [this] {
        while (QTcpSocket *socket = d->server.nextPendingConnection()) {
            auto buffer = std::make_shared<QByteArray>();
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype headEnd = buffer->indexOf("\r\n\r\n");
                if (headEnd < 0)
                    return;
                // Wait for the whole body when a length is given.
                const QByteArray head = buffer->left(headEnd).toLower();
                const qsizetype lengthAt = head.indexOf("content-length:");
                if (lengthAt >= 0) {
                    qsizetype lineEnd = head.indexOf("\r\n", lengthAt);
                    if (lineEnd < 0)
                        lineEnd = head.size();
                    const qsizetype length =
                        head.mid(lengthAt + 15, lineEnd - lengthAt - 15).trimmed().toLongLong();
                    if (buffer->size() < headEnd + 4 + length)
                        return;
                }
                if (socket->property("answered").toBool())
                    return;
                socket->setProperty("answered", true);
                d->requests.append(*buffer);
                const QList<QByteArray> requestLine =
                    buffer->left(buffer->indexOf("\r\n")).split(' ');
                QByteArray path = requestLine.value(1);
                path = path.left(path.indexOf('?') < 0 ? path.size() : path.indexOf('?'));
                const auto response = d->responses.value(path, {404, QByteArray("{}")});
                const QByteArray answer = "HTTP/1.1 " + QByteArray::number(response.first) +
                                          " X\r\nContent-Type: application/json\r\nX-App: fake\r\n"
                                          "Content-Length: " +
                                          QByteArray::number(response.second.size()) +
                                          "\r\nConnection: close\r\n\r\n" + response.second;
                QTimer::singleShot(d->delayMs, socket, [socket, answer] {
                    socket->write(answer);
                    socket->disconnectFromHost();
                });
            });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
}

FakeHttpServer::~FakeHttpServer() = default;

void FakeHttpServer::setResponse(const QByteArray &path, int status, const QByteArray &body)
{
    d->responses.insert(path, {status, body});
}

void FakeHttpServer::setDelay(int ms)
{
    d->delayMs = ms;
}

QList<QByteArray> FakeHttpServer::requests() const
{
    return d->requests;
}

quint16 FakeHttpServer::port() const
{
    return d->server.serverPort();
}

QString temporaryPath(const QString &name)
{
    static QTemporaryDir directory;
    return directory.filePath(name);
}

} // namespace TestSupport
