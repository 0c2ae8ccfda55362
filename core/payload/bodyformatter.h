#pragma once

#include <QByteArray>
#include <QString>

// Text views of a body for display: pretty JSON (values untouched) and a hex dump.
namespace BodyFormatter {

// Two-space indented JSON with every string and number exactly as sent. The input must be
// valid JSON.
QString prettyJson(const QByteArray &json);
// "00000000  7b 22 61 22 ...  {"a"..." lines of 16 bytes, at most `maxBytes` of the body.
// Offset, `bytesPerLine` bytes in hex (16, or 8 for a narrow pane) and their printable ASCII.
QString hexDump(const QByteArray &bytes, qsizetype maxBytes, int bytesPerLine = 16);
// Whether the bytes are valid UTF-8 without control characters other than tab, CR and LF.
bool isText(const QByteArray &bytes);

} // namespace BodyFormatter
