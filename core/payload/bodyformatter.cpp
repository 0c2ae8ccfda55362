#include "bodyformatter.h"

#include "jsonreserializer.h"

#include <QStringDecoder>

namespace BodyFormatter {

QString prettyJson(const QByteArray &json)
{
    JsonReserializer::Style style;
    style.layout = JsonReserializer::Layout::Indented2;
    style.reencodeStrings = false;
    return QString::fromUtf8(JsonReserializer::rewrite(json, style));
}

QString hexDump(const QByteArray &bytes, qsizetype maxBytes, int bytesPerLine)
{
    static const char digits[] = "0123456789abcdef";
    const qsizetype shown = std::min(bytes.size(), maxBytes);
    const int half = bytesPerLine / 2;
    QString out;
    out.reserve(shown / bytesPerLine * (bytesPerLine * 4 + 14) + 80);
    for (qsizetype line = 0; line < shown; line += bytesPerLine) {
        out += QStringLiteral("%1  ").arg(line, 8, 16, QLatin1Char('0'));
        for (qsizetype i = 0; i < bytesPerLine; ++i) {
            if (line + i < shown) {
                const auto c = static_cast<unsigned char>(bytes[line + i]);
                out += QLatin1Char(digits[c >> 4]);
                out += QLatin1Char(digits[c & 0xf]);
                out += u' ';
            } else {
                out += QStringLiteral("   ");
            }
            if (i == half - 1)
                out += u' ';
        }
        out += u' ';
        for (qsizetype i = 0; i < bytesPerLine && line + i < shown; ++i) {
            const auto c = static_cast<unsigned char>(bytes[line + i]);
            out += (c >= 0x20 && c < 0x7f) ? QLatin1Char(static_cast<char>(c)) : QLatin1Char('.');
        }
        out += u'\n';
    }
    if (bytes.size() > shown)
        out += QStringLiteral("… %1 more bytes not shown\n").arg(bytes.size() - shown);
    return out;
}

bool isText(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(bytes);
    if (decoder.hasError())
        return false;
    return std::none_of(text.cbegin(), text.cend(), [](QChar c) {
        return c.unicode() < 0x20 && c != u'\n' && c != u'\r' && c != u'\t';
    });
}

} // namespace BodyFormatter
