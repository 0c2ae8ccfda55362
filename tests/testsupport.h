#pragma once

#include "headerlist.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>

namespace TestSupport {

// HMAC-SHA256 of `data` keyed with `key`, lower-case hex, computed by the openssl command line
// so that the code under test does not check itself.
QByteArray opensslHmacSha256Hex(const QByteArray &key, const QByteArray &data);
// The same for any digest openssl knows ("sha1", "sha256", "sha512"); raw bytes.
QByteArray opensslHmac(const QString &digest, const QByteArray &key, const QByteArray &data);

// A HostedHooks-Signature header value for `body` signed at `timestamp` with `secret`.
QByteArray hostedHooksSignature(const QByteArray &secret, qint64 timestamp, const QByteArray &body);

struct HttpResponse
{
    int status = 0; // 0: no answer (connection closed or timed out)
    HeaderList headers;
    QByteArray body;
    QByteArray raw;
};

// Sends each raw request on its own connection, all at once, and collects the answers.
QList<HttpResponse> sendRaw(quint16 port, const QList<QByteArray> &requests, int timeoutMs = 30000);
HttpResponse sendRaw(quint16 port, const QByteArray &request, int timeoutMs = 30000);

// Builds "METHOD PATH HTTP/1.1" with Host, Content-Length, the given headers and body.
QByteArray buildRequest(const QByteArray &method, const QByteArray &path, const HeaderList &headers,
                        const QByteArray &body);

// A tiny HTTP server for tests: answers GET requests for known paths with fixed JSON
// (a fake ngrok agent, a fake app).
class FakeHttpServer
{
public:
    FakeHttpServer();
    ~FakeHttpServer();
    void setResponse(const QByteArray &path, int status, const QByteArray &body);
    void setDelay(int ms);
    quint16 port() const;
    // Every request received, raw, in order.
    QList<QByteArray> requests() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// A temporary directory that is removed at the end of the test.
QString temporaryPath(const QString &name);

} // namespace TestSupport
