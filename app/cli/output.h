#pragma once

#include <QByteArray>
#include <QString>

// Writes to stdout/stderr, flushed at once so that a reading process sees each line as it
// happens. A line never carries what a terminal would act on: payloads are the senders' text,
// and an event type holding ESC[2J or a line break must not clear the screen or forge a line.
namespace Output {

// `text` with every character a terminal acts on written as an escape (\x1b, \n, \u202e);
// tabs stay, and line breaks when `keepLineBreaks`.
QString terminalSafe(const QString &text, bool keepLineBreaks);

// Text of HookScope's own (help): written as it is.
void out(const QString &text);
// One line; anything a terminal acts on is escaped.
void outLine(const QString &line);
// Several lines (a body): line breaks kept, anything else a terminal acts on escaped.
void outText(const QString &text);
void outBytes(const QByteArray &bytes);
void errorLine(const QString &line);

} // namespace Output
