#include "jsonreserializer.h"

namespace {

bool isJsonWhitespace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void appendUtf8(QByteArray &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

void appendEscapedUnit(QByteArray &out, char16_t unit)
{
    static const char digits[] = "0123456789abcdef";
    out += "\\u";
    out += digits[(unit >> 12) & 0xf];
    out += digits[(unit >> 8) & 0xf];
    out += digits[(unit >> 4) & 0xf];
    out += digits[unit & 0xf];
}

void appendCodePoint(QByteArray &out, char32_t cp, const JsonReserializer::Style &style)
{
    switch (cp) {
    case U'"':
        out += "\\\"";
        return;
    case U'\\':
        out += "\\\\";
        return;
    case U'\b':
        out += "\\b";
        return;
    case U'\f':
        out += "\\f";
        return;
    case U'\n':
        out += "\\n";
        return;
    case U'\r':
        out += "\\r";
        return;
    case U'\t':
        out += "\\t";
        return;
    case U'/':
        out += style.escapeSlash ? "\\/" : "/";
        return;
    default:
        break;
    }
    const bool html = style.escapeHtml &&
                      (cp == U'<' || cp == U'>' || cp == U'&' || cp == 0x2028 || cp == 0x2029);
    if (cp < 0x20 || html || (style.escapeNonAscii && cp >= 0x80)) {
        if (cp >= 0x10000) {
            const char32_t v = cp - 0x10000;
            appendEscapedUnit(out, static_cast<char16_t>(0xd800 + (v >> 10)));
            appendEscapedUnit(out, static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
        } else {
            appendEscapedUnit(out, static_cast<char16_t>(cp));
        }
        return;
    }
    appendUtf8(out, cp);
}

// Reads one string literal starting at json[i] == '"'; appends it re-encoded; returns the index
// after the closing quote.
qsizetype reencodeString(const QByteArray &json, qsizetype i, QByteArray &out,
                         const JsonReserializer::Style &style)
{
    out += '"';
    ++i;
    auto readUnit = [&json](qsizetype at) -> int {
        if (at + 4 > json.size())
            return -1;
        int value = 0;
        for (int k = 0; k < 4; ++k) {
            const int digit = hexValue(json[at + k]);
            if (digit < 0)
                return -1;
            value = value * 16 + digit;
        }
        return value;
    };
    while (i < json.size() && json[i] != '"') {
        const auto c = static_cast<unsigned char>(json[i]);
        if (c == '\\' && i + 1 < json.size()) {
            const char e = json[i + 1];
            i += 2;
            switch (e) {
            case 'b':
                appendCodePoint(out, U'\b', style);
                break;
            case 'f':
                appendCodePoint(out, U'\f', style);
                break;
            case 'n':
                appendCodePoint(out, U'\n', style);
                break;
            case 'r':
                appendCodePoint(out, U'\r', style);
                break;
            case 't':
                appendCodePoint(out, U'\t', style);
                break;
            case 'u': {
                int unit = readUnit(i);
                if (unit < 0)
                    return json.size();
                i += 4;
                char32_t cp = static_cast<char32_t>(unit);
                if (unit >= 0xd800 && unit < 0xdc00 && i + 6 <= json.size() && json[i] == '\\' &&
                    json[i + 1] == 'u') {
                    const int low = readUnit(i + 2);
                    if (low >= 0xdc00 && low < 0xe000) {
                        cp = 0x10000 + ((static_cast<char32_t>(unit) - 0xd800) << 10) +
                             (static_cast<char32_t>(low) - 0xdc00);
                        i += 6;
                    }
                }
                appendCodePoint(out, cp, style);
                break;
            }
            default: // \" \\ \/
                appendCodePoint(out, static_cast<char32_t>(static_cast<unsigned char>(e)), style);
                break;
            }
            continue;
        }
        // One UTF-8 sequence (the input has been validated as JSON, hence as UTF-8).
        int length = 1;
        char32_t cp = c;
        if (c >= 0xf0) {
            length = 4;
            cp = c & 0x07;
        } else if (c >= 0xe0) {
            length = 3;
            cp = c & 0x0f;
        } else if (c >= 0xc0) {
            length = 2;
            cp = c & 0x1f;
        }
        for (int k = 1; k < length && i + k < json.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(json[i + k]) & 0x3f);
        appendCodePoint(out, cp, style);
        i += length;
    }
    out += '"';
    return i + 1;
}

qsizetype copyString(const QByteArray &json, qsizetype i, QByteArray &out)
{
    const qsizetype start = i++;
    while (i < json.size() && json[i] != '"')
        i += json[i] == '\\' ? 2 : 1;
    ++i;
    out += json.mid(start, i - start);
    return i;
}

qsizetype nextSignificant(const QByteArray &json, qsizetype i)
{
    while (i < json.size() && isJsonWhitespace(json[i]))
        ++i;
    return i;
}

void newline(QByteArray &out, int depth)
{
    out += '\n';
    out += QByteArray(depth * 2, ' ');
}

} // namespace

QByteArray JsonReserializer::rewrite(const QByteArray &json, const Style &style)
{
    QByteArray out;
    out.reserve(json.size() + json.size() / 4);
    int depth = 0;
    qsizetype i = 0;
    while (i < json.size()) {
        const char c = json[i];
        if (isJsonWhitespace(c)) {
            ++i;
            continue;
        }
        if (c == '"') {
            i = style.reencodeStrings ? reencodeString(json, i, out, style)
                                      : copyString(json, i, out);
            continue;
        }
        switch (c) {
        case '{':
        case '[': {
            out += c;
            ++depth;
            const qsizetype next = nextSignificant(json, i + 1);
            const bool empty = next < json.size() && (json[next] == '}' || json[next] == ']');
            if (style.layout == Layout::Indented2 && !empty)
                newline(out, depth);
            i = empty ? next : i + 1;
            if (empty) {
                out += json[next];
                --depth;
                ++i;
            }
            continue;
        }
        case '}':
        case ']':
            --depth;
            if (style.layout == Layout::Indented2)
                newline(out, depth);
            out += c;
            break;
        case ',':
            out += ',';
            if (style.layout == Layout::Spaced)
                out += ' ';
            else if (style.layout == Layout::Indented2)
                newline(out, depth);
            break;
        case ':':
            out += ':';
            if (style.layout != Layout::Minified)
                out += ' ';
            break;
        default:
            out += c;
            break;
        }
        ++i;
    }
    return out;
}

const QList<JsonReserializer::Style> &JsonReserializer::commonStyles()
{
    static const QList<Style> styles{
        {Layout::Minified, false, false, false, false,
         QStringLiteral("the JSON with its whitespace removed")},
        {Layout::Minified, true, false, false, false,
         QStringLiteral("compact JSON as JSON.stringify or Ruby's to_json writes it")},
        {Layout::Spaced, true, false, true, false,
         QStringLiteral("JSON as Python's json.dumps writes it (spaces after , and :, non-ASCII "
                        "escaped)")},
        {Layout::Minified, true, true, true, false,
         QStringLiteral("JSON as PHP's json_encode writes it (\"/\" escaped, non-ASCII escaped)")},
        {Layout::Minified, true, false, false, true,
         QStringLiteral("JSON as Go's encoding/json writes it (<, > and & escaped)")},
        {Layout::Indented2, true, false, false, false,
         QStringLiteral("pretty-printed JSON (two-space indent)")},
    };
    return styles;
}
