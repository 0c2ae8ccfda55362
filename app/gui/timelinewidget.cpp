#include "timelinewidget.h"

#include "verdictstyle.h"

#include <QDateTime>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QTimerEvent>
#include <QToolTip>

#include <cmath>

TimelineWidget::TimelineWidget(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setObjectName(QStringLiteral("timeline"));
    // paintEvent fills every pixel it is asked for: the widgets behind need not repaint.
    setAttribute(Qt::WA_OpaquePaintEvent);
    m_oldestLabel.setText(tr("−60 min"));
    m_nowLabel.setText(tr("now"));
    m_marker.setText(QStringLiteral("▾"));
    for (QStaticText *text : {&m_oldestLabel, &m_nowLabel, &m_marker}) {
        text->setTextFormat(Qt::PlainText);
        text->setPerformanceHint(QStaticText::AggressiveCaching);
    }
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
    m_paintedMinute = 0;
    update();
}

void TimelineWidget::setClock(std::function<qint64()> clock)
{
    m_clock = std::move(clock);
    m_paintedMinute = 0;
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
    scheduleRepaint();
}

void TimelineWidget::scheduleRepaint()
{
    if (!m_repaintTimer.isActive())
        m_repaintTimer.start(RepaintIntervalMs, Qt::CoarseTimer, this);
}

void TimelineWidget::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_repaintTimer.timerId()) {
        m_repaintTimer.stop();
        repaintChanged();
    } else if (event->timerId() == m_minuteTimer.timerId()) {
        m_minuteTimer.stop();
        repaintChanged();
    } else {
        QWidget::timerEvent(event);
    }
}

void TimelineWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        m_paintedMinute = 0;
    QWidget::changeEvent(event);
}

void TimelineWidget::repaintChanged()
{
    const qint64 last = lastMinute();
    if (last != m_paintedMinute) {
        update();
        return;
    }
    // Within a minute usually only its bar grows; a new peak rescales the others, but on a
    // logarithmic scale seldom by a whole pixel.
    const int tallest = peak(last);
    QRegion changed;
    for (int slot = 0; slot < Minutes; ++slot) {
        if (barOf(last - Minutes + 1 + slot, tallest) != m_painted[size_t(slot)])
            changed += slotRect(slot);
    }
    if (!changed.isEmpty())
        update(changed);
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

qint64 TimelineWidget::nowMs() const
{
    return m_clock ? m_clock() : QDateTime::currentMSecsSinceEpoch();
}

qint64 TimelineWidget::lastMinute() const
{
    return nowMs() / 60000;
}

int TimelineWidget::peak(qint64 last) const
{
    int tallest = 1;
    for (auto it = m_counts.lowerBound(last - Minutes + 1);
         it != m_counts.cend() && it.key() <= last; ++it)
        tallest = std::max(tallest, it->total);
    return tallest;
}

TimelineWidget::Bar TimelineWidget::barOf(qint64 minute, int peak) const
{
    const auto it = m_counts.constFind(minute);
    if (it == m_counts.cend())
        return {0, 0};
    return barHeights(it->total, it->failed, peak, barArea().height());
}

int TimelineWidget::slotLeft(int slot) const
{
    const QRect area = barArea();
    return area.left() + int(slot * (double(area.width()) / Minutes));
}

QRect TimelineWidget::slotRect(int slot) const
{
    const QRect area = barArea();
    // The marker is drawn 4 pixels either side of the bar, the selection outline 1 to the left.
    return QRect(slotLeft(slot) - 4, area.top(), int(double(area.width()) / Minutes) + 8,
                 area.height() + 1);
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

void TimelineWidget::paintEvent(QPaintEvent *event)
{
    QPainter painter(this);
    const QRect dirty = event->rect();
    const QRect area = barArea();
    const qint64 last = lastMinute();
    const int tallest = peak(last);
    if (last != m_paintedMinute) {
        // Every slot now shows another minute: what was painted before says nothing.
        m_painted.fill({-1, -1});
        m_paintedMinute = last;
    }
    // Whatever is not painted below is the window's background.
    painter.fillRect(dirty, palette().brush(backgroundRole()));
    painter.fillRect(area.intersected(dirty), palette().color(QPalette::AlternateBase));
    const QColor base = palette().color(QPalette::Highlight);
    const QColor failed = VerdictStyle::color(Verdict::Invalid, palette());
    const double slot = double(area.width()) / Minutes;
    for (int i = 0; i < Minutes; ++i) {
        const QRect column = slotRect(i);
        if (!column.intersects(dirty))
            continue;
        const qint64 key = last - Minutes + 1 + i;
        const Bar bar = barOf(key, tallest);
        // Slots only partly inside the dirty area keep what they had outside it.
        if (dirty.contains(column))
            m_painted[size_t(i)] = bar;
        const int x = slotLeft(i);
        const int width = std::max(1, int(slot) - 1);
        if (key == m_selected) {
            painter.setPen(palette().color(QPalette::Text));
            painter.drawRect(QRect(x - 1, area.top(), width + 1, area.height() - 1));
        }
        const auto [height, failedHeight] = bar;
        if (height == 0)
            continue;
        painter.fillRect(QRect(x, area.bottom() - height + 1, width, height), base);
        if (failedHeight > 0) {
            painter.fillRect(QRect(x, area.bottom() - failedHeight + 1, width, failedHeight),
                             failed);
            // A marker above the bar, so failures show even where red is hard to see.
            painter.setPen(failed);
            const QSizeF size = m_marker.size();
            painter.drawStaticText(
                QPointF(x + (width - size.width()) / 2.0, area.top() + (12 - size.height()) / 2.0),
                m_marker);
        }
    }
    const QRect labels = rect().adjusted(4, area.bottom() + 1, -4, 0);
    if (labels.intersects(dirty)) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        const qreal y = labels.bottom() + 1 - m_nowLabel.size().height();
        painter.drawStaticText(QPointF(labels.left(), y), m_oldestLabel);
        painter.drawStaticText(QPointF(labels.right() + 1 - m_nowLabel.size().width(), y),
                               m_nowLabel);
    }
    // The bars shift when the minute turns, even if nothing arrives.
    if (!m_counts.isEmpty()) {
        m_minuteTimer.start(int((last + 1) * 60000 - nowMs()) + 50, Qt::CoarseTimer, this);
    }
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
