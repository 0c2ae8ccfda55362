#include "deliverytableview.h"

#include <QHeaderView>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QStyleOptionSlider>

#include <algorithm>

namespace {

// A scroll bar that repaints when what it shows changes, not whenever its range or value does:
// in a long list, a batch of arrivals changes the range without moving the slider by a pixel.
class SteadyScrollBar : public QScrollBar
{
public:
    using QScrollBar::QScrollBar;

protected:
    void sliderChange(SliderChange change) override
    {
        if ((change == SliderRangeChange || change == SliderValueChange) && m_hasPainted &&
            looks() == m_painted)
            return;
        QScrollBar::sliderChange(change);
    }

    void paintEvent(QPaintEvent *event) override
    {
        m_painted = looks();
        m_hasPainted = true;
        QScrollBar::paintEvent(event);
    }

private:
    // What the style draws that depends on the range and value: the slider, and the arrows
    // that are disabled at either end.
    struct Looks
    {
        QRect slider;
        bool atMinimum = false;
        bool atMaximum = false;
        bool operator==(const Looks &) const = default;
    };

    Looks looks() const
    {
        QStyleOptionSlider option;
        initStyleOption(&option);
        return {style()->subControlRect(QStyle::CC_ScrollBar, &option, QStyle::SC_ScrollBarSlider,
                                        this),
                option.sliderValue == option.minimum, option.sliderValue == option.maximum};
    }

    Looks m_painted;
    bool m_hasPainted = false;
};

} // namespace

DeliveryTableView::DeliveryTableView(QWidget *parent)
    : QTableView(parent)
{
    setVerticalScrollBar(new SteadyScrollBar(Qt::Vertical, this));
}

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
    // The rows were moved when they arrived: what is left is QAbstractItemView::doItemsLayout()
    // less its repaint of the whole viewport. Once the list is longer than the viewport, only
    // the vertical scroll bar's range follows the row count (every row has the same height,
    // and rows were only added: the bar stays shown, its value within range). Laying out the
    // scroll area as well, as QTableView::updateGeometries() does and as QAbstractScrollArea
    // does after every range change, raises both scroll bars, which repaints them and
    // everything behind them.
    QScrollBar *bar = verticalScrollBar();
    const int rowHeight = verticalHeader()->defaultSectionSize();
    const int rows = verticalHeader()->count();
    if (bar->maximum() > 0 && rowHeight > 0 && verticalHeader()->hiddenSectionCount() == 0) {
        // As QTableView counts them: the rows that fit whole, at least one.
        const int onScreen = std::clamp(viewport()->height() / rowHeight, 1, std::max(rows, 1));
        if (rows - onScreen >= bar->maximum()) {
            const QSignalBlocker quiet(bar);
            bar->setRange(0, rows - onScreen);
            bar->setPageStep(onScreen);
            return;
        }
    }
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
