#pragma once

#include "delivery.h"
#include "deliveryreader.h"

#include <QBasicTimer>
#include <QMap>
#include <QStaticText>
#include <QWidget>

#include <array>
#include <functional>

// Deliveries per minute over the last hour on a logarithmic scale, the failed share of each
// minute in red and marked. Clicking a minute asks for the list to show that minute.
//
// Arrivals are cheap: counts change at once, but the widget repaints at most every
// RepaintIntervalMs, and then only the bars whose painted height changed (usually the current
// minute's), everything else when the minute turns. It paints its whole rectangle itself, so
// nothing behind it repaints with it.
class TimelineWidget : public QWidget
{
    Q_OBJECT

public:
    static constexpr int Minutes = 60;
    static constexpr int RepaintIntervalMs = 100;

    explicit TimelineWidget(QWidget *parent = nullptr);

    void setCounts(const QList<DeliveryReader::MinuteCount> &minutes);
    void addDeliveries(const QList<DeliverySummary> &batch);
    int totalShown() const;
    // The minute last clicked, outlined until another is clicked or clearSelectedMinute();
    // 0 for none.
    qint64 selectedMinuteMs() const { return m_selected * 60000; }
    void clearSelectedMinute();

    // Pixel heights of a minute's bar and of its failed part: the bar on a logarithmic scale
    // (a quiet minute stays visible beside a busy one), the failed part its share of the bar.
    static QPair<int, int> barHeights(int total, int failed, int peak, int areaHeight);

    // The clock the minutes are read from (milliseconds since the epoch); tests set their own.
    void setClock(std::function<qint64()> clock);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void minuteClicked(qint64 minuteStartMs);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void timerEvent(QTimerEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct Count
    {
        int total = 0;
        int failed = 0;
    };
    // A bar as painted: its height and the height of its failed part.
    using Bar = QPair<int, int>;

    qint64 nowMs() const;
    qint64 lastMinute() const;
    int minuteAt(int x) const; // index 0..Minutes-1, -1 outside
    QRect barArea() const;
    int slotLeft(int slot) const;   // where a minute's bar starts
    QRect slotRect(int slot) const; // a minute's column, its marker included
    int peak(qint64 last) const;
    Bar barOf(qint64 minute, int peak) const;
    void scheduleRepaint();
    void repaintChanged();

    QMap<qint64, Count> m_counts; // minute index (ms / 60000) -> counts
    qint64 m_selected = 0;        // minute index clicked; 0 for none
    std::function<qint64()> m_clock;
    QBasicTimer m_repaintTimer;           // coalesces arrivals
    QBasicTimer m_minuteTimer;            // shifts the bars when the minute turns
    qint64 m_paintedMinute = 0;           // the newest minute the painted bars were drawn for
    std::array<Bar, Minutes> m_painted{}; // per slot, as last painted
    QStaticText m_oldestLabel, m_nowLabel, m_marker;
};
