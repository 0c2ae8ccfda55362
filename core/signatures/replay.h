#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QUrl>

#include <optional>

// One sending of a stored delivery again, as recorded or re-signed, and what came back.
struct Replay
{
    qint64 id = 0;
    qint64 deliveryId = 0;
    qint64 sentAtMs = 0;
    QUrl url;
    bool resigned = false;
    SignatureScheme signedWith = SignatureScheme::None; // when re-signed
    HeaderList requestHeaders;
    QByteArray requestBody;
    int status = 0; // 0: no answer
    HeaderList responseHeaders;
    QByteArray responseBody;
    qint64 latencyMs = 0;
    QString error;
    QString kind = QStringLiteral("replay"); // or "forward": passed on to the app by the listener

    // The request for `delivery` to `url`: its headers and body as recorded, or (with
    // `endpoint`, when re-signing) with the scheme's signature headers made anew for now.
    // `body` and `headers`, when given, replace the recorded ones first (an edited replay).
    // The scheme is SignatureSigner::schemeToSign's: `scheme` when given, else the endpoint's,
    // else (an auto endpoint) the one the delivery's verification names.
    static std::optional<Replay> prepare(const Delivery &delivery, const QUrl &url,
                                         const Endpoint *resignWith, QString *error,
                                         const std::optional<QByteArray> &body = std::nullopt,
                                         const std::optional<HeaderList> &headers = std::nullopt,
                                         std::optional<SignatureScheme> scheme = std::nullopt);

    // A command for sh, bash or zsh that sends the same request with curl: the same body bytes
    // and headers. Text goes between single quotes; a body that is not printable text (or is
    // long) is written by printf with octal escapes into curl's standard input. The command
    // itself holds only printable characters and line breaks, safe to show and to paste.
    QString curlCommand(const QString &method) const;
};
