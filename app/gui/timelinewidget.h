#pragma once

#include "delivery.h"
#include "deliveryreader.h"

#include <QMap>
#include <QWidget>

// Deliveries per minute over the last hour, failed verifications drawn on top in red and
// marked. Clicking a minute asks for the list to show that minute.
class TimelineWidget : public QWidget
{
    Q_OBJECT

public:
    static constexpr int Minutes = 60;

    explicit TimelineWidget(QWidget *parent = nullptr);

    void setCounts(const QList<DeliveryReader::MinuteCount> &minutes);
    void addDeliveries(const QList<DeliverySummary> &batch);
    int totalShown() const;

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
};
