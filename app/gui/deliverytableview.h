#pragma once

#include <QTableView>

// The delivery list's view. New deliveries arrive above every row on screen; instead of
// repainting the whole list for each batch, as QTableView does after any insertion, it moves
// the pixels already painted down by the height of the new rows and paints only the rows that
// were not on screen before. Rows must keep their pixels as others arrive above them: its
// delegate stripes rows counting from the oldest, and the view's own alternating colours,
// which count from the top, stay off. Any other change repaints everything as usual.
class DeliveryTableView : public QTableView
{
    Q_OBJECT

public:
    explicit DeliveryTableView(QWidget *parent = nullptr);

    void setModel(QAbstractItemModel *model) override;
    void doItemsLayout() override;

    // While following, the list stays on its newest row, at the top: a scroll to any other
    // row (such as the one the view itself makes a moment after a click, once no
    // double-click came) leaves it where it is.
    void setFollowingNewest(bool following);
    void scrollTo(const QModelIndex &index, ScrollHint hint = EnsureVisible) override;

Q_SIGNALS:
    // The user moved the current row with the keyboard.
    void keyboardNavigated();

protected:
    void rowsInserted(const QModelIndex &parent, int start, int end) override;
    QModelIndex moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers) override;

private:
    bool m_following = false;
    // True while the only changes since the last layout are rows inserted above the first
    // row on screen, already accounted for by moving the painted rows.
    bool m_onlyShifted = false;
    bool m_layoutPending = false; // a change since the last layout
};
