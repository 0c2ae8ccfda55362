#pragma once

#include <QCache>
#include <QPixmap>
#include <QStaticText>
#include <QStyledItemDelegate>

// Paints the delivery list's cells cheaply: each cell's text is read from the model, elided
// and laid out once per delivery, column and width (a QStaticText kept in a bounded cache),
// the verdict icons come from a pixmap cache, and nothing is allocated per paint. A new row at
// the top of the list, which shifts every visible row, repaints from the cache instead of
// formatting, eliding and shaping every visible cell again.
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

    bool m_striped = false;
    mutable QCache<quint64, Cell> m_cells;
    mutable QHash<quint64, QPixmap> m_icons;
};
