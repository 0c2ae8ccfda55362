#include "output.h"

#include <cstdio>

namespace Output {

void out(const QString &text)
{
    outBytes(text.toUtf8());
}

void outLine(const QString &line)
{
    outBytes(line.toUtf8() + '\n');
}

void outBytes(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

void errorLine(const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
    std::fflush(stderr);
}

} // namespace Output
