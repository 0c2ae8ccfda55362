#include "replay.h"

#include "signaturesigner.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace {

QString shellQuote(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

} // namespace

std::optional<Replay> Replay::prepare(const Delivery &delivery, const QUrl &url,
                                      const Endpoint *resignWith, QString *error,
                                      const std::optional<QByteArray> &body,
                                      const std::optional<HeaderList> &headers)
{
    Replay replay;
    replay.deliveryId = delivery.id;
    replay.url = url;
    replay.requestBody = body.value_or(delivery.body);
    const HeaderList source = headers.value_or(delivery.headers);
    QList<QByteArray> dropped{"Host", "Content-Length", "Connection", "Transfer-Encoding"};
    QByteArray messageId;
    if (resignWith) {
        replay.resigned = true;
        const QList<QByteArray> signatureHeaders =
            SignatureSigner::signatureHeaders(resignWith->scheme, resignWith->generic);
        // Standard Webhooks keeps the message id: a replay is the same message.
        for (const QByteArray &name : signatureHeaders) {
            if (name.endsWith("-id") && source.contains(name))
                messageId = source.value(name);
        }
        dropped += signatureHeaders;
    }
    for (const HeaderList::Entry &header : source.entries()) {
        const bool drop =
            std::any_of(dropped.cbegin(), dropped.cend(), [&header](const QByteArray &d) {
                return HeaderList::namesMatch(header.first, d);
            });
        if (!drop)
            replay.requestHeaders.append(header.first, header.second);
    }
    if (resignWith) {
        if (!resignWith->hasSecret()) {
            if (error)
                *error = QStringLiteral("endpoint \"%1\" has no secret to sign with")
                             .arg(resignWith->name);
            return std::nullopt;
        }
        if (messageId.isEmpty())
            messageId = "msg_" + QByteArray::number(QRandomGenerator::global()->generate64(), 36);
        const auto signature = SignatureSigner::sign(
            resignWith->scheme, resignWith->secrets.constFirst().value, replay.requestBody,
            QDateTime::currentSecsSinceEpoch(), messageId, resignWith->generic, error);
        if (!signature)
            return std::nullopt;
        for (const auto &[name, value] : signature->entries())
            replay.requestHeaders.append(name, value);
    }
    return replay;
}

QString Replay::curlCommand(const QString &method) const
{
    QStringList parts{QStringLiteral("curl"), QStringLiteral("-X"), method,
                      shellQuote(url.toString())};
    for (const auto &[name, value] : requestHeaders.entries())
        parts << QStringLiteral("-H")
              << shellQuote(QString::fromLatin1(name) + QStringLiteral(": ") +
                            QString::fromLatin1(value));
    if (!requestBody.isEmpty())
        parts << QStringLiteral("--data-binary") << shellQuote(QString::fromUtf8(requestBody));
    return parts.join(u' ');
}
