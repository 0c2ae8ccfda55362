#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

// Writes well-formed JSON the way common serializers would after parsing it: the texts a
// sender may have signed when it re-serialised a payload instead of signing the bytes it sent.
// Numbers keep their text; only whitespace and string escapes change.
class JsonReserializer
{
public:
    enum class Layout
    {
        Minified,  // {"a":1,"b":[2]}
        Spaced,    // {"a": 1, "b": [2]}  (Python's json.dumps)
        Indented2, // JSON.stringify(value, null, 2)
    };

    struct Style
    {
        Layout layout = Layout::Minified;
        bool reencodeStrings = true; // false: string literals are copied exactly as sent
        bool escapeSlash = false;    // "/" written as "\/" (PHP)
        bool escapeNonAscii = false; // non-ASCII written as \uXXXX (Python, PHP)
        bool escapeHtml = false;     // <, > and & written as \u003c... (Go)
        QString description;
    };

    // The input must be valid JSON; the caller decodes it first.
    static QByteArray rewrite(const QByteArray &json, const Style &style);

    // The serializers whose output senders most often sign by mistake.
    static const QList<Style> &commonStyles();
};
