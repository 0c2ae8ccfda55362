#pragma once

#include <QByteArray>
#include <QString>

// Writes to stdout/stderr, flushed at once so that a reading process sees each line as it
// happens.
namespace Output {

void out(const QString &text);
void outLine(const QString &line);
void outBytes(const QByteArray &bytes);
void errorLine(const QString &line);

} // namespace Output
