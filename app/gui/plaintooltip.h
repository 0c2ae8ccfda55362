#pragma once

#include <QString>
#include <QTextDocument>

// A tooltip for text a sender wrote (a path, an event type, a value): Qt shows a tooltip as
// rich text whenever it looks like HTML, so "<img src=…>" in a payload would be rendered.
// Escaped into HTML of its own, it shows as the characters it is.
inline QString plainToolTip(const QString &text)
{
    return Qt::convertFromPlainText(text, Qt::WhiteSpacePre);
}
