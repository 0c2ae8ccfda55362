#pragma once

#include <QLabel>

// A one-line plain-text label that never widens its window: when the text does not fit it is
// shown cut with "…" and whole in the tooltip, and a right click copies it.
class ElidingLabel : public QLabel
{
    Q_OBJECT

public:
    explicit ElidingLabel(QWidget *parent = nullptr, Qt::TextElideMode mode = Qt::ElideMiddle);

    void setFullText(const QString &text);
    QString fullText() const { return m_text; }
    // Whether the text shown is cut.
    bool isElided() const;

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void refit();

    QString m_text;
    Qt::TextElideMode m_mode;
};
