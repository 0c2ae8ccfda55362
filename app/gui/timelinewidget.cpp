#include "timelinewidget.h"

#include "verdictstyle.h"

#include <QDateTime>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <cmath>

TimelineWidget::TimelineWidget(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setObjectName(QStringLiteral("timeline"));
    setToolTip(tr("Deliveries per minute over the last hour; red: failed verification. Click a "
                  "minute to list it."));
}

QSize TimelineWidget::sizeHint() const
{
    return {600, 64};
}

QSize TimelineWidget::minimumSizeHint() const
{
    return {200, 48};
}

void TimelineWidget::setCounts(const QList<DeliveryReader::MinuteCount> &minutes)
{
    m_counts.clear();
    for (const DeliveryReader::MinuteCount &minute : minutes)
        m_counts.insert(minute.minuteMs / 60000, {minute.total, minute.failed});
    update();
}

void TimelineWidget::addDeliveries(const QList<DeliverySummary> &batch)
{
    for (const DeliverySummary &delivery : batch) {
        Count &count = m_counts[delivery.receivedAtMs / 60000];
        ++count.total;
        if (VerdictStyle::isFailure(delivery.verdict))
            ++count.failed;
    }
    // Minutes that have left the hour are of no more use.
    const qint64 last = lastMinute();
    const qint64 oldest = last - Minutes;
    while (!m_counts.isEmpty() && m_counts.firstKey() <= oldest)
        m_counts.erase(m_counts.begin());
    // Within a minute only its bar grows (unless it becomes the peak, which rescales all).
    const int total = m_counts.value(last).total;
    if (last != m_paintedMinute || total > m_paintedPeak) {
        update();
        return;
    }
    const QRect area = barArea();
    const double slot = double(area.width()) / Minutes;
    const int x = area.left() + int((Minutes - 1) * slot);
    update(QRect(x - 4, area.top(), int(slot) + 8, area.height() + 1));
}

int TimelineWidget::totalShown() const
{
    int total = 0;
    const qint64 last = lastMinute();
    for (auto it = m_counts.cbegin(); it != m_counts.cend(); ++it) {
        if (it.key() > last - Minutes)
            total += it->total;
    }
    return total;
}

qint64 TimelineWidget::lastMinute() const
{
    return QDateTime::currentMSecsSinceEpoch() / 60000;
}

QRect TimelineWidget::barArea() const
{
    return rect().adjusted(4, 4, -4, -16);
}

int TimelineWidget::minuteAt(int x) const
{
    const QRect area = barArea();
    if (x < area.left() || x > area.right())
        return -1;
    return std::clamp((x - area.left()) * Minutes / std::max(1, area.width()), 0, Minutes - 1);
}

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QRect area = barArea();
    const qint64 last = lastMinute();
    int peak = 1;
    for (int i = 0; i < Minutes; ++i)
        peak = std::max(peak, m_counts.value(last - Minutes + 1 + i).total);
    m_paintedMinute = last;
    m_paintedPeak = peak;
    const QColor base = palette().color(QPalette::Highlight);
    const QColor failed = VerdictStyle::color(Verdict::Invalid, palette());
    painter.fillRect(area, palette().color(QPalette::AlternateBase));
    const double slot = double(area.width()) / Minutes;
    for (int i = 0; i < Minutes; ++i) {
        const qint64 key = last - Minutes + 1 + i;
        const Count count = m_counts.value(key);
        const int x = area.left() + int(i * slot);
        const int width = std::max(1, int(slot) - 1);
        if (key == m_selected) {
            painter.setPen(palette().color(QPalette::Text));
            painter.drawRect(QRect(x - 1, area.top(), width + 1, area.height() - 1));
        }
        if (count.total == 0)
            continue;
        const auto [height, failedHeight] =
            barHeights(count.total, count.failed, peak, area.height());
        painter.fillRect(QRect(x, area.bottom() - height + 1, width, height), base);
        if (count.failed > 0) {
            painter.fillRect(QRect(x, area.bottom() - failedHeight + 1, width, failedHeight),
                             failed);
            // A marker above the bar, so failures show even where red is hard to see.
            painter.setPen(failed);
            painter.drawText(QRect(x - 4, area.top(), width + 8, 12), Qt::AlignCenter,
                             QStringLiteral("▾"));
        }
    }
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect().adjusted(4, 0, -4, 0), Qt::AlignBottom | Qt::AlignLeft, tr("−60 min"));
    painter.drawText(rect().adjusted(4, 0, -4, 0), Qt::AlignBottom | Qt::AlignRight, tr("now"));
}

QPair<int, int> TimelineWidget::barHeights(int total, int failed, int peak, int areaHeight)
{
    if (total <= 0)
        return {0, 0};
    const double scale = std::log1p(double(std::max(peak, total)));
    const int height =
        std::clamp(int(std::lround(std::log1p(double(total)) / scale * areaHeight)), 2, areaHeight);
    if (failed <= 0)
        return {height, 0};
    // At least one pixel of red, never the whole bar unless every delivery failed.
    int failedHeight = int(std::lround(double(failed) / total * height));
    failedHeight = std::clamp(failedHeight, 1, failed < total ? std::max(1, height - 1) : height);
    return {height, failedHeight};
}

void TimelineWidget::clearSelectedMinute()
{
    m_selected = 0;
    update();
}

void TimelineWidget::mousePressEvent(QMouseEvent *event)
{
    const int minute = minuteAt(event->position().toPoint().x());
    if (minute >= 0 && event->button() == Qt::LeftButton) {
        m_selected = lastMinute() - Minutes + 1 + minute;
        update();
        Q_EMIT minuteClicked(m_selected * 60000);
    }
}

void TimelineWidget::mouseMoveEvent(QMouseEvent *event)
{
    const int minute = minuteAt(event->position().toPoint().x());
    if (minute < 0)
        return;
    const qint64 key = lastMinute() - Minutes + 1 + minute;
    const Count count = m_counts.value(key);
    QToolTip::showText(
        event->globalPosition().toPoint(),
        tr("%1: %2, %3 failed verification; click to list them")
            .arg(QDateTime::fromMSecsSinceEpoch(key * 60000).toString(QStringLiteral("HH:mm")),
                 count.total == 1 ? tr("1 delivery") : tr("%L1 deliveries").arg(count.total))
            .arg(count.failed),
        this);
}
