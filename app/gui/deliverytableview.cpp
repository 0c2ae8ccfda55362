#include "deliverytableview.h"

#include <QHeaderView>
#include <QScrollBar>

DeliveryTableView::DeliveryTableView(QWidget *parent)
    : QTableView(parent)
{}

void DeliveryTableView::setModel(QAbstractItemModel *model)
{
    if (QAbstractItemModel *old = this->model())
        disconnect(old, nullptr, this, nullptr);
    QTableView::setModel(model);
    m_onlyShifted = false;
    m_layoutPending = false;
    if (!model)
        return;
    // Whatever else the model does, the next layout repaints everything.
    auto everything = [this] {
        m_onlyShifted = false;
        m_layoutPending = true;
    };
    connect(model, &QAbstractItemModel::modelReset, this, everything);
    connect(model, &QAbstractItemModel::layoutChanged, this, everything);
    connect(model, &QAbstractItemModel::rowsRemoved, this, everything);
    connect(model, &QAbstractItemModel::rowsMoved, this, everything);
    connect(model, &QAbstractItemModel::columnsInserted, this, everything);
    connect(model, &QAbstractItemModel::columnsRemoved, this, everything);
    connect(model, &QAbstractItemModel::columnsMoved, this, everything);
}

void DeliveryTableView::rowsInserted(const QModelIndex &parent, int start, int end)
{
    QTableView::rowsInserted(parent, start, end);
    // Rows scroll an item at a time, so the scroll bar's value is the first row on screen; the
    // rows inserted above it push every painted row down by their height.
    const bool above = !parent.isValid() && verticalScrollMode() == ScrollPerItem &&
                       verticalHeader()->sectionResizeMode(start) == QHeaderView::Fixed &&
                       start <= verticalScrollBar()->value();
    if (!above || !isVisible() || !viewport()->updatesEnabled()) {
        m_onlyShifted = false;
        m_layoutPending = true;
        return;
    }
    const qint64 shift = qint64(end - start + 1) * verticalHeader()->defaultSectionSize();
    if (shift >= viewport()->height()) {
        // Nothing painted stays on screen.
        viewport()->update();
    } else {
        // Moves the painted rows and asks for a paint of the strip they leave, pending
        // repaints included.
        viewport()->scroll(0, int(shift));
    }
    // The first change since the last layout decides; any other change repaints all.
    if (!m_layoutPending)
        m_onlyShifted = true;
    m_layoutPending = true;
}

void DeliveryTableView::doItemsLayout()
{
    m_layoutPending = false;
    if (!m_onlyShifted) {
        QTableView::doItemsLayout();
        return;
    }
    m_onlyShifted = false;
    // QAbstractItemView::doItemsLayout() less its repaint of the whole viewport: the scroll
    // bars and headers follow the new row count; the rows were moved when they arrived.
    updateGeometries();
}

void DeliveryTableView::setFollowingNewest(bool following)
{
    m_following = following;
    if (following)
        scrollToTop();
}

void DeliveryTableView::scrollTo(const QModelIndex &index, ScrollHint hint)
{
    if (m_following && index.row() > 0)
        return;
    QTableView::scrollTo(index, hint);
}

QModelIndex DeliveryTableView::moveCursor(CursorAction cursorAction,
                                          Qt::KeyboardModifiers modifiers)
{
    Q_EMIT keyboardNavigated();
    return QTableView::moveCursor(cursorAction, modifiers);
}
