#include "verification.h"

#include <QJsonValue>
#include <QStringDecoder>

namespace {

constexpr const char *VerdictNames[] = {"valid",   "invalid",   "stale",
                                        "missing", "malformed", "unverified"};

QJsonValue optionalToJson(const std::optional<qint64> &value)
{
    return value ? QJsonValue(static_cast<double>(*value)) : QJsonValue(QJsonValue::Null);
}

std::optional<qint64> optionalFromJson(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    return static_cast<qint64>(value.toDouble());
}

} // namespace

QString verdictName(Verdict verdict)
{
    return QString::fromLatin1(VerdictNames[static_cast<int>(verdict)]);
}

std::optional<Verdict> verdictFromName(const QString &name)
{
    for (int i = 0; i < static_cast<int>(std::size(VerdictNames)); ++i) {
        if (name == QLatin1String(VerdictNames[i]))
            return static_cast<Verdict>(i);
    }
    return std::nullopt;
}

QJsonObject Verification::toJson() const
{
    return QJsonObject{
        {QStringLiteral("verdict"), verdictName(verdict)},
        {QStringLiteral("scheme"), scheme},
        {QStringLiteral("reason"), reason},
        {QStringLiteral("signed_string"), signedString},
        {QStringLiteral("expected"), expected},
        {QStringLiteral("received"), received},
        {QStringLiteral("timestamp"), optionalToJson(timestamp)},
        {QStringLiteral("skew_seconds"), optionalToJson(skewSeconds)},
        {QStringLiteral("matched_secret"), matchedSecret},
        {QStringLiteral("diagnosis"), diagnosis},
    };
}

Verification Verification::fromJson(const QJsonObject &object)
{
    Verification v;
    v.verdict = verdictFromName(object.value(QStringLiteral("verdict")).toString())
                    .value_or(Verdict::Unverified);
    v.scheme = object.value(QStringLiteral("scheme")).toString();
    v.reason = object.value(QStringLiteral("reason")).toString();
    v.signedString = object.value(QStringLiteral("signed_string")).toString();
    v.expected = object.value(QStringLiteral("expected")).toString();
    v.received = object.value(QStringLiteral("received")).toString();
    v.timestamp = optionalFromJson(object.value(QStringLiteral("timestamp")));
    v.skewSeconds = optionalFromJson(object.value(QStringLiteral("skew_seconds")));
    v.matchedSecret = object.value(QStringLiteral("matched_secret")).toString();
    v.diagnosis = object.value(QStringLiteral("diagnosis")).toString();
    return v;
}

QString Verification::displayBytes(QByteArrayView bytes, qsizetype maxBytes)
{
    const QByteArrayView shown = bytes.first(std::min(bytes.size(), maxBytes));
    QString out;
    out.reserve(shown.size());
    qsizetype i = 0;
    while (i < shown.size()) {
        const auto c = static_cast<unsigned char>(shown[i]);
        if (c == '\\') {
            out += QStringLiteral("\\\\");
        } else if (c == '\n') {
            out += QStringLiteral("\\n");
        } else if (c == '\r') {
            out += QStringLiteral("\\r");
        } else if (c == '\t') {
            out += QStringLiteral("\\t");
        } else if (c < 0x20 || c == 0x7f) {
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
        } else if (c < 0x80) {
            out += QLatin1Char(static_cast<char>(c));
        } else {
            // Decode one UTF-8 sequence; bytes that are not valid UTF-8 are shown as \xNN.
            const int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (length > 1 && i + length <= shown.size()) {
                QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
                const QString decoded = decoder(shown.sliced(i, length));
                if (!decoder.hasError() && !decoded.contains(QChar::ReplacementCharacter)) {
                    out += decoded;
                    i += length;
                    continue;
                }
            }
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
        }
        ++i;
    }
    if (bytes.size() > maxBytes)
        out += QStringLiteral("… (%1 bytes in all)").arg(bytes.size());
    return out;
}
