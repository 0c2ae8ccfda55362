#include "verdictstyle.h"

#include <QHash>

namespace VerdictStyle {

QIcon icon(Verdict verdict)
{
    static QHash<int, QIcon> cache;
    auto it = cache.find(static_cast<int>(verdict));
    if (it == cache.end())
        it =
            cache.insert(static_cast<int>(verdict),
                         QIcon(QStringLiteral(":/icons/verdict-%1.svg").arg(verdictName(verdict))));
    return *it;
}

QString word(Verdict verdict)
{
    return verdictName(verdict);
}

QColor color(Verdict verdict, const QPalette &palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    switch (verdict) {
    case Verdict::Valid:
        return dark ? QColor(0x7d, 0xd8, 0x8c) : QColor(0x1a, 0x7f, 0x37);
    case Verdict::Invalid:
        return dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xc6, 0x28, 0x28);
    case Verdict::Stale:
        return dark ? QColor(0xff, 0xc1, 0x59) : QColor(0x9a, 0x5b, 0x00);
    case Verdict::Missing:
        return dark ? QColor(0xe1, 0xa8, 0xf0) : QColor(0x7b, 0x1f, 0xa2);
    case Verdict::Malformed:
        return dark ? QColor(0xf4, 0x8f, 0xb1) : QColor(0xad, 0x14, 0x57);
    case Verdict::Unverified:
        break;
    }
    return palette.color(QPalette::PlaceholderText);
}

bool isFailure(Verdict verdict)
{
    return verdict != Verdict::Valid && verdict != Verdict::Unverified;
}

} // namespace VerdictStyle
