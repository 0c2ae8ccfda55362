#include "deliveryrowdelegate.h"

#include "deliverylistmodel.h"
#include "verdictstyle.h"

#include <QPainter>

#include <algorithm>

namespace {

// Enough for every visible cell of a tall window several times over.
constexpr int CachedCells = 8192;
// Distinct texts at their widths: the unique ones (times, ids) of every visible row and the
// few that repeat.
constexpr int CachedLayouts = 4096;

const QString DriftMark = QStringLiteral("Δ");
const QColor DriftColor(0xef, 0x6c, 0x00);

} // namespace

DeliveryRowDelegate::DeliveryRowDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
    , m_cells(CachedCells)
    , m_layouts(CachedLayouts)
{}

void DeliveryRowDelegate::clearCache()
{
    m_cells.clear();
    m_layouts.clear();
}

const QPixmap &DeliveryRowDelegate::iconPixmap(int verdict, int size) const
{
    const quint64 key = (quint64(verdict) << 32) | quint32(size);
    auto it = m_icons.find(key);
    if (it == m_icons.end())
        it = m_icons.insert(key, VerdictStyle::icon(static_cast<Verdict>(verdict)).pixmap(size));
    return *it;
}

QStaticText DeliveryRowDelegate::layout(const QString &text, int width, const QPainter *painter,
                                        const QStyleOptionViewItem &option) const
{
    if (option.font != m_layoutFont) {
        m_layouts.clear();
        m_layoutFont = option.font;
    }
    // Most columns repeat a few texts (verdicts, event types, endpoints, methods, statuses):
    // each is laid out once per width and shared by every cell that shows it.
    const QString key = QString::number(width) + u'\x1f' + text;
    if (const QStaticText *known = m_layouts.object(key))
        return *known;
    QStaticText laidOut;
    laidOut.setTextFormat(Qt::PlainText);
    laidOut.setPerformanceHint(QStaticText::AggressiveCaching);
    // Most texts fit: laying the text out once tells, and eliding (a second layout) is only
    // for those that do not, or that hold line breaks, which elidedText() joins.
    const bool oneLine = std::none_of(text.cbegin(), text.cend(), [](QChar c) {
        return c.unicode() < 0x20 || c == QChar::LineSeparator || c == QChar::ParagraphSeparator;
    });
    if (oneLine) {
        laidOut.setText(text);
        laidOut.prepare(painter->transform(), option.font);
    }
    if (!oneLine || laidOut.size().width() > width) {
        laidOut.setText(option.fontMetrics.elidedText(text, Qt::ElideMiddle, width));
        laidOut.prepare(painter->transform(), option.font);
    }
    m_layouts.insert(key, new QStaticText(laidOut));
    return laidOut;
}

void DeliveryRowDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                                const QModelIndex &index) const
{
    // The background: the selection, or every other row's alternate colour, filled plainly
    // (the style's panel, with its gradients and colour arithmetic, is the costliest part of a
    // cell to paint). Rows are striped counting from the oldest, not from the top, so that a
    // row keeps its stripe as deliveries arrive above it and the view can move painted rows
    // instead of painting them again; the view's own alternating colours, which count from
    // the top, stay off.
    const bool active = option.state & QStyle::State_Active;
    const QPalette::ColorGroup group = active ? QPalette::Active : QPalette::Inactive;
    if (option.state & QStyle::State_Selected)
        painter->fillRect(option.rect, option.palette.brush(group, QPalette::Highlight));
    else if (m_striped && (index.model()->rowCount(index.parent()) - 1 - index.row()) % 2 == 1)
        painter->fillRect(option.rect, option.palette.brush(group, QPalette::AlternateBase));

    const QVariant idValue = index.data(DeliveryListModel::IdRole);
    const bool selected = option.state & QStyle::State_Selected;
    const QColor selectedText = option.palette.color(group, QPalette::HighlightedText);
    QRect area = option.rect.adjusted(4, 0, -4, 0);
    if (!idValue.isValid()) {
        // Not loaded yet: the model says so in the first column.
        if (index.column() == DeliveryListModel::TimeColumn) {
            painter->setPen(option.palette.color(QPalette::PlaceholderText));
            painter->drawText(area, Qt::AlignVCenter | Qt::AlignLeft,
                              index.data(Qt::DisplayRole).toString());
        }
        return;
    }

    if (index.column() == DeliveryListModel::VerdictColumn) {
        const int size = std::min(area.height() - 2, 16);
        const QPixmap &icon = iconPixmap(index.data(DeliveryListModel::VerdictRole).toInt(), size);
        const qreal ratio = icon.devicePixelRatio();
        painter->drawPixmap(QPointF(area.left(), area.top() + (area.height() - size) / 2.0), icon);
        area.setLeft(area.left() + int(icon.width() / ratio) + 4);
    }

    if (index.column() == DeliveryListModel::EventTypeColumn &&
        index.data(DeliveryListModel::DriftRole).toBool()) {
        // A delivery that differs from the earlier ones of its type: a mark at the cell's end
        // (the tooltip says what it means).
        const int width = option.fontMetrics.horizontalAdvance(DriftMark) + 6;
        const QRectF mark(area.right() - width + 1, area.top() + 2, width, area.height() - 4);
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(selected ? selectedText : DriftColor);
        painter->drawRoundedRect(mark, 3, 3);
        painter->setPen(selected ? option.palette.color(group, QPalette::Highlight)
                                 : QColor(Qt::white));
        painter->setFont(option.font);
        painter->drawText(mark, Qt::AlignCenter, DriftMark);
        painter->restore();
        area.setRight(area.right() - width - 3);
    }

    const quint64 key = (quint64(idValue.toLongLong()) << 5) | quint64(index.column());
    Cell *cell = m_cells.object(key);
    if (!cell || cell->width != area.width()) {
        auto fresh = std::make_unique<Cell>();
        fresh->text = layout(index.data(Qt::DisplayRole).toString(), area.width(), painter, option);
        fresh->width = area.width();
        const QVariant alignment = index.data(Qt::TextAlignmentRole);
        fresh->alignment = alignment.isValid() ? Qt::Alignment(alignment.toInt())
                                               : (Qt::AlignLeft | Qt::AlignVCenter);
        const QVariant color = index.data(Qt::ForegroundRole);
        fresh->color = color.isValid() ? color.value<QColor>() : QColor();
        cell = fresh.get();
        m_cells.insert(key, fresh.release());
    }
    const QSizeF size = cell->text.size();
    qreal x = area.left();
    if (cell->alignment & Qt::AlignRight)
        x = area.right() - size.width() + 1;
    const qreal y = area.top() + (area.height() - size.height()) / 2.0;
    painter->setPen(selected                ? selectedText
                    : cell->color.isValid() ? cell->color
                                            : option.palette.color(QPalette::Text));
    painter->setFont(option.font);
    painter->drawStaticText(QPointF(x, y), cell->text);
}
