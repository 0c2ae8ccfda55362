#pragma once

#include "delivery.h"
#include "deliveryreader.h"

#include <QMap>
#include <QWidget>

// Deliveries per minute over the last hour on a logarithmic scale, the failed share of each
// minute in red and marked. Clicking a minute asks for the list to show that minute.
class TimelineWidget : public QWidget
{
    Q_OBJECT

public:
    static constexpr int Minutes = 60;

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

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void minuteClicked(qint64 minuteStartMs);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    struct Count
    {
        int total = 0;
        int failed = 0;
    };
    qint64 lastMinute() const;
    int minuteAt(int x) const; // index 0..Minutes-1, -1 outside
    QRect barArea() const;

    QMap<qint64, Count> m_counts; // minute index (ms / 60000) -> counts
    qint64 m_selected = 0;        // minute index clicked; 0 for none
    qint64 m_paintedMinute = 0;   // the newest minute when last painted whole
    int m_paintedPeak = 0;        // and the tallest bar then
};
