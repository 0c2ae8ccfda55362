#include "jsonhighlighter.h"

#include <QGuiApplication>
#include <QPalette>

JsonHighlighter::JsonHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{
    const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
    m_key.setForeground(dark ? QColor(0x9c, 0xdc, 0xfe) : QColor(0x00, 0x4e, 0x8c));
    m_string.setForeground(dark ? QColor(0xce, 0x91, 0x78) : QColor(0xa3, 0x15, 0x15));
    m_number.setForeground(dark ? QColor(0xb5, 0xce, 0xa8) : QColor(0x09, 0x86, 0x58));
    m_literal.setForeground(dark ? QColor(0x56, 0x9c, 0xd6) : QColor(0x00, 0x00, 0xff));
}

void JsonHighlighter::highlightBlock(const QString &text)
{
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        const QChar c = text.at(i);
        if (c == u'"') {
            const qsizetype start = i++;
            while (i < n && text.at(i) != u'"')
                i += text.at(i) == u'\\' ? 2 : 1;
            ++i;
            qsizetype after = i;
            while (after < n && text.at(after) == u' ')
                ++after;
            const bool isKey = after < n && text.at(after) == u':';
            setFormat(static_cast<int>(start), static_cast<int>(std::min(i, n) - start),
                      isKey ? m_key : m_string);
        } else if (c == u'-' || c.isDigit()) {
            const qsizetype start = i;
            while (i < n && (text.at(i).isDigit() || QStringView(u"+-.eE").contains(text.at(i))))
                ++i;
            setFormat(static_cast<int>(start), static_cast<int>(i - start), m_number);
        } else if (c.isLetter()) {
            const qsizetype start = i;
            while (i < n && text.at(i).isLetter())
                ++i;
            setFormat(static_cast<int>(start), static_cast<int>(i - start), m_literal);
        } else {
            ++i;
        }
    }
}
