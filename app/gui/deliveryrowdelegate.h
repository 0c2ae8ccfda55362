#pragma once

#include <QCache>
#include <QPixmap>
#include <QStaticText>
#include <QStyledItemDelegate>

// Paints the delivery list's cells cheaply. Each cell's text is read from the model once per
// delivery, column and width; each distinct text is elided and laid out once per width (a
// QStaticText shared through a bounded cache, so the verdicts, event types and endpoints that
// repeat down the list cost one layout each); the verdict icons come from a pixmap cache; and
// nothing is allocated per paint.
class DeliveryRowDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit DeliveryRowDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;

    // Every other row in the alternate base colour, counting from the last row.
    void setStriped(bool striped) { m_striped = striped; }

    // Forgets every cached cell (the model was reset or its rows changed).
    void clearCache();
    int cachedCells() const { return m_cells.size(); }

private:
    struct Cell
    {
        QStaticText text;
        int width = 0; // the width it was elided for
        Qt::Alignment alignment;
        QColor color; // invalid: the palette's text colour
    };

    const QPixmap &iconPixmap(int verdict, int size) const;
    // `text` laid out for `width` pixels (elided in the middle if it is wider), shared by
    // every cell showing the same text at the same width.
    QStaticText layout(const QString &text, int width, const QPainter *painter,
                       const QStyleOptionViewItem &option) const;

    bool m_striped = false;
    mutable QCache<quint64, Cell> m_cells;
    mutable QCache<QString, QStaticText> m_layouts; // "width\x1ftext" -> its layout
    mutable QFont m_layoutFont;
    mutable QHash<quint64, QPixmap> m_icons;
};
