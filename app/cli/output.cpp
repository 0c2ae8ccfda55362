#include "output.h"

#include <QList>

#include <algorithm>
#include <cstdio>

namespace Output {

namespace {

// Characters a terminal acts on rather than shows: C0 controls (ESC starts colour, cursor,
// clear-screen and title sequences; CR and LF forge lines), DEL, C1 controls (CSI and OSC have
// one-byte forms) and the bidirectional overrides that reorder what is shown.
bool actsOnTerminal(char32_t c, bool keepLineBreaks)
{
    if (c == u'\t' || (keepLineBreaks && c == u'\n'))
        return false;
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

void write(const QString &text, FILE *stream)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stream);
    std::fflush(stream);
}

} // namespace

QString terminalSafe(const QString &text, bool keepLineBreaks)
{
    // Every character acted on is in the Basic Multilingual Plane, and no half of a surrogate
    // pair is one of them, so UTF-16 units can be checked one by one. Most lines have none,
    // and are returned as they are.
    const auto acts = [keepLineBreaks](QChar unit) {
        return actsOnTerminal(unit.unicode(), keepLineBreaks);
    };
    const auto first = std::find_if(text.cbegin(), text.cend(), acts);
    if (first == text.cend())
        return text;
    QString safe;
    safe.reserve(text.size() + 16);
    safe.append(text.constData(), first - text.cbegin());
    for (auto it = first; it != text.cend(); ++it) {
        const char16_t c = it->unicode();
        if (!actsOnTerminal(c, keepLineBreaks)) {
            safe += *it;
        } else if (c == u'\n') {
            safe += QStringLiteral("\\n");
        } else if (c == u'\r') {
            safe += QStringLiteral("\\r");
        } else if (c < 0x100) {
            safe += QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0'));
        } else {
            safe += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        }
    }
    return safe;
}

void out(const QString &text)
{
    write(text, stdout);
}

void outLine(const QString &line)
{
    write(terminalSafe(line, false) + u'\n', stdout);
}

void outText(const QString &text)
{
    write(terminalSafe(text, true) + u'\n', stdout);
}

void outBytes(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

void errorLine(const QString &line)
{
    write(terminalSafe(line, false) + u'\n', stderr);
}

} // namespace Output
