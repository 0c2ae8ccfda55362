#include "replay.h"

#include "signaturesigner.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QStringDecoder>

namespace {

// Characters that are safe between single quotes in a command a user pastes into a terminal:
// printable text. Controls (a tab can trigger completion when pasted, ESC and the C1 controls
// act on the terminal, CR rewrites the line), DEL and bidirectional overrides are not.
bool isPastable(char32_t c)
{
    if (c == u'\n')
        return true;
    return !(c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
             (c >= 0x2066 && c <= 0x2069) || c == 0xfeff);
}

// Valid UTF-8 made only of pastable characters.
bool isPastableText(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(bytes);
    if (decoder.hasError())
        return false;
    const QList<uint> codePoints = text.toUcs4();
    return std::all_of(codePoints.cbegin(), codePoints.cend(),
                       [](uint c) { return isPastable(char32_t(c)); });
}

QString singleQuoted(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

// A printf(1) format that writes exactly `bytes`: pastable UTF-8 as it is, every other byte as
// a three-digit octal escape, which sh, dash, bash and zsh all read the same way. Quoted for
// the shell.
QString printfFormat(QByteArrayView bytes)
{
    QString format;
    format.reserve(bytes.size() + 2);
    format += u'\'';
    auto octal = [&format](uchar byte) {
        format += QStringLiteral("\\%1").arg(uint(byte), 3, 8, QLatin1Char('0'));
    };
    qsizetype i = 0;
    while (i < bytes.size()) {
        const uchar byte = uchar(bytes[i]);
        if (byte < 0x80) {
            if (byte == '\\')
                format += QStringLiteral("\\\\");
            else if (byte == '%')
                format += QStringLiteral("%%");
            else if (byte == '\n')
                format += QStringLiteral("\\n");
            else if (byte == '\'' || !isPastable(byte))
                octal(byte);
            else
                format += QLatin1Char(char(byte));
            ++i;
            continue;
        }
        // One UTF-8 sequence: kept when valid and pastable; else its first byte is escaped and
        // what follows is looked at again.
        const qsizetype length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        const QByteArrayView sequence = bytes.sliced(i, std::min(length, bytes.size() - i));
        if (length > 1 && sequence.size() == length && isPastableText(sequence)) {
            format += QString::fromUtf8(sequence);
            i += length;
        } else {
            octal(byte);
            ++i;
        }
    }
    format += u'\'';
    return format;
}

// One shell word that is exactly `bytes`.
QString shellWord(QByteArrayView bytes)
{
    if (isPastableText(bytes))
        return singleQuoted(QString::fromUtf8(bytes));
    return QStringLiteral("\"$(printf %1)\"").arg(printfFormat(bytes));
}

// The longest body given to curl as an argument: Linux refuses a single argument over
// 128 KiB (MAX_ARG_STRLEN), and a long line is hard to read anyway.
constexpr qsizetype MaxBodyArgument = 16 * 1024;

} // namespace

std::optional<Replay> Replay::prepare(const Delivery &delivery, const QUrl &url,
                                      const Endpoint *resignWith, QString *error,
                                      const std::optional<QByteArray> &body,
                                      const std::optional<HeaderList> &headers,
                                      std::optional<SignatureScheme> scheme)
{
    Replay replay;
    replay.deliveryId = delivery.id;
    replay.url = url;
    replay.requestBody = body.value_or(delivery.body);
    const HeaderList source = headers.value_or(delivery.headers);
    QList<QByteArray> dropped{"Host", "Content-Length", "Connection", "Transfer-Encoding"};
    QByteArray messageId;
    if (resignWith) {
        const auto signAs =
            SignatureSigner::schemeToSign(*resignWith, delivery.verification.scheme, scheme, error);
        if (!signAs)
            return std::nullopt;
        if (!resignWith->hasSecret()) {
            if (error)
                *error = QStringLiteral("endpoint \"%1\" has no secret to sign with")
                             .arg(resignWith->name);
            return std::nullopt;
        }
        replay.resigned = true;
        replay.signedWith = *signAs;
        const QList<QByteArray> signatureHeaders =
            SignatureSigner::signatureHeaders(*signAs, resignWith->generic);
        // Standard Webhooks and Svix keep the message id, from either header family: a replay
        // is the same message.
        if (*signAs == SignatureScheme::Svix)
            messageId = source.value("svix-id").isEmpty() ? source.value("webhook-id")
                                                          : source.value("svix-id");
        else if (*signAs == SignatureScheme::StandardWebhooks)
            messageId = source.value("webhook-id").isEmpty() ? source.value("svix-id")
                                                             : source.value("webhook-id");
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
        if (messageId.isEmpty())
            messageId = "msg_" + QByteArray::number(QRandomGenerator::global()->generate64(), 36);
        const auto signature = SignatureSigner::sign(
            replay.signedWith, resignWith->secrets.constFirst().value, replay.requestBody,
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
    const bool plainMethod =
        !method.isEmpty() && std::all_of(method.cbegin(), method.cend(), [](QChar c) {
            return (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z');
        });
    QStringList parts{QStringLiteral("curl"), QStringLiteral("-X"),
                      plainMethod ? method : shellWord(method.toLatin1()),
                      shellWord(url.toEncoded())};
    for (const auto &[name, value] : requestHeaders.entries())
        parts << QStringLiteral("-H") << shellWord(QByteArray(name + ": " + value));
    // curl adds these headers of its own unless told not to; "Name:" removes one.
    for (const QByteArray name : {"Content-Type", "Accept", "User-Agent"}) {
        if (!requestHeaders.contains(name))
            parts << QStringLiteral("-H") << shellWord(QByteArray(name + ':'));
    }
    if (requestBody.isEmpty())
        return parts.join(u' ');
    parts << QStringLiteral("-H") << QStringLiteral("'Expect:'");
    if (requestBody.size() <= MaxBodyArgument && isPastableText(requestBody)) {
        parts << QStringLiteral("--data-binary") << shellWord(requestBody);
        return parts.join(u' ');
    }
    // Bytes that are not text, or too many for one argument: printf writes them to curl's
    // standard input, in any POSIX shell, and no copy of the payload is left in a file.
    parts << QStringLiteral("--data-binary") << QStringLiteral("@-");
    return QStringLiteral("printf %1 | ").arg(printfFormat(requestBody)) + parts.join(u' ');
}
