#include "comparedialog.h"

#include "plaintooltip.h"

#include "queryservice.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBlock>
#include <QVBoxLayout>

#include <algorithm>
#include <vector>

namespace {

// Line by line comparison costs (lines before) × (lines after) after the common start and
// end are set aside; beyond this it is left out.
constexpr qint64 MaxComparedCells = 4'000'000;

const QColor AddedColor(0x2e, 0x7d, 0x32);
const QColor RemovedColor(0xc6, 0x28, 0x28);
const QColor ChangedColor(0xf9, 0xa8, 0x25);

// `color` over `base` at `strength`: a tint that keeps the palette's text readable in light
// and dark themes.
QColor tint(const QColor &base, const QColor &color, double strength)
{
    return QColor::fromRgbF(base.redF() + (color.redF() - base.redF()) * strength,
                            base.greenF() + (color.greenF() - base.greenF()) * strength,
                            base.blueF() + (color.blueF() - base.blueF()) * strength);
}

QColor colorOf(DeliveryChange::Kind kind)
{
    switch (kind) {
    case DeliveryChange::Kind::Added:
        return AddedColor;
    case DeliveryChange::Kind::Removed:
        return RemovedColor;
    case DeliveryChange::Kind::Changed:
        break;
    }
    return ChangedColor;
}

QString describe(const Delivery &delivery)
{
    return QObject::tr("#%1  %2  %3  %4")
        .arg(delivery.id)
        .arg(QDateTime::fromMSecsSinceEpoch(delivery.receivedAtMs)
                 .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")),
             delivery.eventType.isEmpty() ? QObject::tr("(no event type)") : delivery.eventType,
             delivery.eventId);
}

QPlainTextEdit *bodyEdit(QWidget *parent, const QString &name)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setObjectName(name);
    edit->setReadOnly(true);
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setPlaceholderText(QObject::tr("(empty body)"));
    return edit;
}

} // namespace

CompareDialog::CompareDialog(QueryService &queries, qint64 first, qint64 second, QWidget *parent)
    : QDialog(parent)
    , m_beforeId(std::min(first, second))
    , m_afterId(std::max(first, second))
{
    setWindowTitle(tr("Compare deliveries %1 and %2").arg(m_beforeId).arg(m_afterId));
    resize(1100, 720);

    m_summary =
        new QLabel(tr("Loading deliveries %1 and %2…").arg(m_beforeId).arg(m_afterId), this);
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);

    m_changes = new QTableWidget(0, ColumnCount, this);
    m_changes->setObjectName(QStringLiteral("changeTable"));
    m_changes->setHorizontalHeaderLabels(
        {tr("Part"), tr("Change"), tr("Path"), tr("Before"), tr("After")});
    m_changes->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_changes->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_changes->setWordWrap(false);
    m_changes->setShowGrid(false);
    m_changes->setTextElideMode(Qt::ElideMiddle);
    m_changes->verticalHeader()->hide();
    m_changes->verticalHeader()->setDefaultSectionSize(m_changes->fontMetrics().height() + 6);
    m_changes->horizontalHeader()->setStretchLastSection(true);
    const int widths[] = {60, 70, 260, 320};
    for (int column = 0; column < AfterColumn; ++column)
        m_changes->setColumnWidth(column, widths[column]);

    m_beforeLabel = new QLabel(this);
    m_afterLabel = new QLabel(this);
    for (QLabel *label : {m_beforeLabel, m_afterLabel}) {
        label->setTextFormat(Qt::PlainText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_beforeBody = bodyEdit(this, QStringLiteral("beforeBody"));
    m_afterBody = bodyEdit(this, QStringLiteral("afterBody"));
    // The two bodies scroll together: their lines line up where they agree.
    connect(m_beforeBody->verticalScrollBar(), &QScrollBar::valueChanged,
            m_afterBody->verticalScrollBar(), &QScrollBar::setValue);
    connect(m_afterBody->verticalScrollBar(), &QScrollBar::valueChanged,
            m_beforeBody->verticalScrollBar(), &QScrollBar::setValue);
    connect(m_beforeBody->horizontalScrollBar(), &QScrollBar::valueChanged,
            m_afterBody->horizontalScrollBar(), &QScrollBar::setValue);
    connect(m_afterBody->horizontalScrollBar(), &QScrollBar::valueChanged,
            m_beforeBody->horizontalScrollBar(), &QScrollBar::setValue);

    auto *sides = new QSplitter(Qt::Horizontal, this);
    for (const auto &[label, edit] :
         {std::pair{m_beforeLabel, m_beforeBody}, std::pair{m_afterLabel, m_afterBody}}) {
        auto *side = new QWidget(sides);
        auto *layout = new QVBoxLayout(side);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->addWidget(label);
        layout->addWidget(edit, 1);
        sides->addWidget(side);
    }

    auto *parts = new QSplitter(Qt::Vertical, this);
    parts->addWidget(m_changes);
    parts->addWidget(sides);
    parts->setStretchFactor(0, 2);
    parts->setStretchFactor(1, 3);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(parts, 1);
    layout->addWidget(buttons);

    connect(&queries, &QueryService::comparisonLoaded, this,
            [this](const DeliveryComparison &comparison) {
                if (comparison.before.id == m_beforeId && comparison.after.id == m_afterId)
                    showComparison(comparison);
            });
    connect(&queries, &QueryService::comparisonFailed, this,
            [this](qint64 one, qint64 other, const QString &error) {
                if (std::min(one, other) == m_beforeId && std::max(one, other) == m_afterId)
                    m_summary->setText(tr("Cannot compare: %1").arg(error));
            });
    queries.requestComparison(m_beforeId, m_afterId);
}

QString CompareDialog::summaryText() const
{
    return m_summary->text();
}

void CompareDialog::showComparison(const DeliveryComparison &comparison)
{
    const QList<DeliveryChange> &changes = comparison.changes;
    qsizetype counts[3] = {0, 0, 0};
    for (const DeliveryChange &change : changes)
        ++counts[int(change.kind)];
    m_summary->setText(changes.isEmpty()
                           ? tr("Deliveries %1 and %2 carry the same fields and headers.")
                                 .arg(m_beforeId)
                                 .arg(m_afterId)
                           : tr("From %1 to %2: %3 added, %4 removed, %5 changed.")
                                 .arg(m_beforeId)
                                 .arg(m_afterId)
                                 .arg(counts[int(DeliveryChange::Kind::Added)])
                                 .arg(counts[int(DeliveryChange::Kind::Removed)])
                                 .arg(counts[int(DeliveryChange::Kind::Changed)]));

    const QColor base = palette().color(QPalette::Base);
    m_changes->setRowCount(int(changes.size()));
    for (int row = 0; row < changes.size(); ++row) {
        const DeliveryChange &change = changes.at(row);
        const bool body = change.part == DeliveryChange::Part::Body;
        const QString cells[ColumnCount] = {
            body ? tr("body") : tr("header"),
            DeliveryChange::kindName(change.kind),
            body && change.path.isEmpty() ? tr("(body)") : change.path,
            change.before,
            change.after,
        };
        const QColor background = tint(base, colorOf(change.kind), 0.22);
        for (int column = 0; column < ColumnCount; ++column) {
            // Item text is plain: values from the sender are never read as markup.
            auto *item = new QTableWidgetItem(cells[column]);
            item->setBackground(background);
            if (column >= PathColumn)
                item->setToolTip(plainToolTip(cells[column]));
            m_changes->setItem(row, column, item);
        }
    }

    m_beforeLabel->setText(tr("Before: %1").arg(describe(comparison.before)));
    m_afterLabel->setText(tr("After: %1").arg(describe(comparison.after)));
    m_beforeBody->setPlainText(comparison.beforeText);
    m_afterBody->setPlainText(comparison.afterText);
    const auto [removed, added] =
        differingLines(comparison.beforeText.split(u'\n'), comparison.afterText.split(u'\n'));
    markLines(m_beforeBody, removed, tint(base, RemovedColor, 0.25));
    markLines(m_afterBody, added, tint(base, AddedColor, 0.25));
    m_loaded = true;
}

void CompareDialog::markLines(QPlainTextEdit *edit, const QList<int> &lines, const QColor &color)
{
    QList<QTextEdit::ExtraSelection> selections;
    selections.reserve(lines.size());
    QTextDocument *document = edit->document();
    for (int line : lines) {
        const QTextBlock block = document->findBlockByNumber(line);
        if (!block.isValid())
            continue;
        QTextEdit::ExtraSelection selection;
        selection.cursor = QTextCursor(block);
        selection.format.setBackground(color);
        selection.format.setProperty(QTextFormat::FullWidthSelection, true);
        selections.append(selection);
    }
    edit->setExtraSelections(selections);
}

std::pair<QList<int>, QList<int>> CompareDialog::differingLines(const QStringList &before,
                                                                const QStringList &after)
{
    // The common start and end first: bodies of one event type mostly agree.
    qsizetype start = 0;
    while (start < before.size() && start < after.size() && before.at(start) == after.at(start))
        ++start;
    qsizetype beforeEnd = before.size();
    qsizetype afterEnd = after.size();
    while (beforeEnd > start && afterEnd > start &&
           before.at(beforeEnd - 1) == after.at(afterEnd - 1)) {
        --beforeEnd;
        --afterEnd;
    }
    const qsizetype n = beforeEnd - start;
    const qsizetype m = afterEnd - start;
    QList<int> removed;
    QList<int> added;
    if (n == 0 || m == 0) {
        for (qsizetype i = start; i < beforeEnd; ++i)
            removed.append(int(i));
        for (qsizetype j = start; j < afterEnd; ++j)
            added.append(int(j));
        return {removed, added};
    }
    if (n * m > MaxComparedCells)
        return {};
    // lengths[i][j]: the longest common subsequence of before[start+i..] and after[start+j..].
    std::vector<quint32> lengths(size_t((n + 1) * (m + 1)), 0);
    const auto at = [m, &lengths](qsizetype i, qsizetype j) -> quint32 & {
        return lengths[size_t(i * (m + 1) + j)];
    };
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            at(i, j) = before.at(start + i) == after.at(start + j)
                           ? at(i + 1, j + 1) + 1
                           : std::max(at(i + 1, j), at(i, j + 1));
        }
    }
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < n && j < m) {
        if (before.at(start + i) == after.at(start + j)) {
            ++i;
            ++j;
        } else if (at(i + 1, j) >= at(i, j + 1)) {
            removed.append(int(start + i++));
        } else {
            added.append(int(start + j++));
        }
    }
    for (; i < n; ++i)
        removed.append(int(start + i));
    for (; j < m; ++j)
        added.append(int(start + j));
    return {removed, added};
}
