#include "eventsview.h"

#include "plaintooltip.h"

#include "queryservice.h"

#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSet>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QTimer>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>

namespace {

// How often a field was present, as a bar with its percentage over it.
class PresenceDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QStyleOptionViewItem plain = option;
        initStyleOption(&plain, index);
        const QString text = plain.text;
        plain.text.clear();
        // The background and the selection, as the style draws them.
        QStyle *style = plain.widget ? plain.widget->style() : nullptr;
        if (style)
            style->drawControl(QStyle::CE_ItemViewItem, &plain, painter, plain.widget);

        const double share = std::clamp(index.data(EventsView::PresenceRole).toDouble(), 0.0, 1.0);
        // The percentage at the right, the bar in the rest of the cell.
        const QFontMetrics &metrics = option.fontMetrics;
        const int textWidth = metrics.horizontalAdvance(QStringLiteral("100%")) + 6;
        const QRect area = option.rect.adjusted(4, 0, -4, 0);
        const QRect textArea(area.right() - textWidth + 1, area.top(), textWidth, area.height());
        const int barHeight = std::max(6, area.height() / 2);
        const QRect track(area.left(), area.top() + (area.height() - barHeight) / 2,
                          std::max(0, area.width() - textWidth - 2), barHeight);
        painter->save();
        const QColor base = option.palette.color(QPalette::Base);
        const QColor full = share >= 1.0 ? QColor(0x43, 0xa0, 0x47) : QColor(0x1e, 0x88, 0xe5);
        // Tinted towards the background, so that it sits quietly in light and dark themes.
        const auto tint = [&base](const QColor &color, double strength) {
            return QColor::fromRgbF(base.redF() + (color.redF() - base.redF()) * strength,
                                    base.greenF() + (color.greenF() - base.greenF()) * strength,
                                    base.blueF() + (color.blueF() - base.blueF()) * strength);
        };
        if (track.width() > 4) {
            painter->fillRect(track, tint(full, 0.15));
            const int filled = int(track.width() * share + 0.5);
            if (filled > 0)
                painter->fillRect(QRect(track.left(), track.top(), filled, track.height()),
                                  tint(full, 0.75));
        }
        painter->setPen(option.palette.color(
            option.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
        painter->drawText(textArea, Qt::AlignRight | Qt::AlignVCenter, text);
        painter->restore();
    }
};

// As the delivery list marks a delivery that drifted.
const QColor DriftColor(0xef, 0x6c, 0x00);

QString timestamp(qint64 ms)
{
    return ms > 0
               ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
               : QString();
}

// A filter token key:value, quoted when the value has spaces (a value with both spaces and
// quotes cannot be written in the filter syntax and is given as it is).
QString token(const QString &key, const QString &value)
{
    const bool spaced =
        std::any_of(value.cbegin(), value.cend(), [](QChar c) { return c.isSpace(); });
    if (spaced && !value.contains(u'"'))
        return key + QStringLiteral(":\"") + value + u'"';
    return key + u':' + value;
}

QTableWidgetItem *numberItem(qint64 value)
{
    auto *item = new QTableWidgetItem;
    item->setData(Qt::DisplayRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

EventsView::EventsView(QueryService &queries, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_queries(queries)
{
    setWindowTitle(tr("HookScope — Events"));
    resize(1280, 640);

    m_progressLabel = new QLabel(this);
    m_progressLabel->setObjectName(QStringLiteral("eventsProgress"));
    m_progressLabel->setTextFormat(Qt::PlainText);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 0); // busy: how long is not known
    m_progress->setMaximumWidth(160);
    m_progress->setMaximumHeight(m_progressLabel->sizeHint().height());
    m_progress->setTextVisible(false);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progressLabel);
    progressRow->addWidget(m_progress);
    progressRow->addStretch();
    m_progressLabel->hide();
    m_progress->hide();

    m_types = new QTableWidget(0, TypeColumnCount, this);
    m_types->setObjectName(QStringLiteral("eventTypeTable"));
    m_types->setHorizontalHeaderLabels({tr("Endpoint"), tr("Event type"), tr("Deliveries"),
                                        tr("Drifted"), tr("Fields"), tr("Last seen")});
    m_types->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_types->setSelectionMode(QAbstractItemView::SingleSelection);
    m_types->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_types->setWordWrap(false);
    m_types->setShowGrid(false);
    m_types->setAlternatingRowColors(true);
    m_types->verticalHeader()->hide();
    m_types->verticalHeader()->setDefaultSectionSize(m_types->fontMetrics().height() + 6);
    m_types->horizontalHeader()->setStretchLastSection(true);
    m_types->setSortingEnabled(true);
    m_types->sortByColumn(EndpointColumn, Qt::AscendingOrder);
    const int typeWidths[] = {90, 170, 70, 60, 50, 140};
    for (int column = 0; column < TypeColumnCount; ++column)
        m_types->setColumnWidth(column, typeWidths[column]);
    m_types->horizontalHeaderItem(DriftedColumn)
        ->setToolTip(tr("Deliveries that differed from the ones of their type before them. "
                        "Activate to list them."));
    connect(m_types, &QTableWidget::itemSelectionChanged, this, &EventsView::onTypeSelected);
    connect(m_types, &QTableWidget::cellActivated, this, [this](int row, int column) {
        const QString endpoint = m_types->item(row, EndpointColumn)->data(EndpointRole).toString();
        const QString type = m_types->item(row, EventTypeColumn)->data(EventTypeRole).toString();
        Q_EMIT filterRequested(filterFor(endpoint, type, QString(), column == DriftedColumn));
    });

    m_heading = new QLabel(this);
    m_heading->setObjectName(QStringLiteral("schemaHeading"));
    m_heading->setTextFormat(Qt::PlainText);
    m_heading->setWordWrap(true);
    m_heading->setText(tr("Select an event type to see the fields its deliveries carried."));

    m_fields = new QTreeWidget(this);
    m_fields->setObjectName(QStringLiteral("fieldTree"));
    m_fields->setColumnCount(FieldColumnCount);
    m_fields->setHeaderLabels(
        {tr("Field"), tr("Types"), tr("Presence"), tr("Formats"), tr("Examples")});
    m_fields->setUniformRowHeights(true);
    m_fields->setAlternatingRowColors(true);
    m_fields->setWordWrap(false);
    m_fields->setItemDelegateForColumn(PresenceColumn, new PresenceDelegate(m_fields));
    m_fields->header()->setStretchLastSection(true);
    const int fieldWidths[] = {200, 100, 130, 90};
    for (int column = 0; column < ExamplesColumn; ++column)
        m_fields->setColumnWidth(column, fieldWidths[column]);
    m_fields->setToolTip(tr("Activate a field (double-click or Enter) to list the deliveries "
                            "that carried it."));
    connect(m_fields, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem *item) { activateField(item); });

    m_showDeliveries = new QPushButton(tr("&Deliveries with this field"), this);
    m_showDeliveries->setEnabled(false);
    connect(m_showDeliveries, &QPushButton::clicked, this,
            [this] { activateField(m_fields->currentItem()); });
    connect(m_fields, &QTreeWidget::currentItemChanged, this,
            [this](QTreeWidgetItem *current) { m_showDeliveries->setEnabled(current); });
    m_export = new QPushButton(tr("E&xport JSON Schema…"), this);
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &EventsView::chooseExportFile);
    auto *refresh = new QPushButton(tr("&Refresh"), this);
    connect(refresh, &QPushButton::clicked, this, &EventsView::reload);
    auto *relearn = m_relearn = new QPushButton(tr("&Learn again"), this);
    relearn->setObjectName(QStringLiteral("relearnButton"));
    setReadOnly(false);
    connect(relearn, &QPushButton::clicked, this, [this] {
        setStatus(tr("Learning every stored delivery again…"));
        m_queries.requestRelearnSchemas();
    });

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("eventsStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_heading);
    rightLayout->addWidget(m_fields, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_showDeliveries);
    buttons->addStretch();
    buttons->addWidget(relearn);
    buttons->addWidget(refresh);
    buttons->addWidget(m_export);
    rightLayout->addLayout(buttons);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("eventsSplitter"));
    splitter->addWidget(m_types);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({600, 680});

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(progressRow);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_status);

    // While deliveries are left to learn, the counts are asked for again now and then: the
    // store says when it learned something, but a backlog learned by another process does
    // not tell.
    m_backlogPoll = new QTimer(this);
    m_backlogPoll->setInterval(1000);
    m_backlogPoll->setSingleShot(true);
    connect(m_backlogPoll, &QTimer::timeout, this, [this] {
        if (isVisible())
            reload();
    });

    connect(&m_queries, &QueryService::eventTypesLoaded, this, &EventsView::onEventTypes);
    connect(&m_queries, &QueryService::eventSchemaLoaded, this, &EventsView::onSchema);
    connect(
        &m_queries, &QueryService::jsonSchemaExported, this,
        [this](const QString &path, const QString &error) {
            setStatus(
                error.isEmpty()
                    ? tr("Exported the JSON Schema to %1.").arg(QDir::toNativeSeparators(path))
                    : tr("Exporting to %1 failed: %2").arg(QDir::toNativeSeparators(path), error));
        });
}

void EventsView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    reload();
}

void EventsView::setReadOnly(bool readOnly)
{
    m_relearn->setEnabled(!readOnly);
    m_relearn->setToolTip(readOnly ? tr("This login may only read the team database: its "
                                        "receivers learn the schemas")
                                   : tr("Forget the learned schemas and drift, and learn them "
                                        "again from every stored delivery"));
}

void EventsView::reload()
{
    m_queries.requestEventTypes();
}

QString EventsView::filterFor(const QString &endpoint, const QString &eventType,
                              const QString &path, bool driftedOnly)
{
    QStringList tokens;
    if (!endpoint.isEmpty())
        tokens.append(token(QStringLiteral("endpoint"), endpoint));
    // Deliveries without a type cannot be asked for by type: the endpoint narrows them.
    if (!eventType.isEmpty())
        tokens.append(token(QStringLiteral("event"), eventType));
    if (!path.isEmpty())
        tokens.append(token(QStringLiteral("has"), path));
    if (driftedOnly)
        tokens.append(QStringLiteral("drift:yes"));
    return tokens.join(u' ');
}

void EventsView::onEventTypes(const QList<SchemaKeeper::EventType> &types, qint64 backlog)
{
    if (backlog > 0) {
        m_progressLabel->setText(backlog == 1 ? tr("Learning 1 delivery…")
                                              : tr("Learning %L1 deliveries…").arg(backlog));
        m_backlogPoll->start();
    }
    m_progressLabel->setVisible(backlog > 0);
    m_progress->setVisible(backlog > 0);

    m_typeRows = types;
    const int sortColumn = m_types->horizontalHeader()->sortIndicatorSection();
    const Qt::SortOrder order = m_types->horizontalHeader()->sortIndicatorOrder();
    m_types->setSortingEnabled(false);
    {
        const QSignalBlocker blocker(m_types);
        m_types->clearContents();
        m_types->setRowCount(int(types.size()));
        for (int row = 0; row < types.size(); ++row) {
            const SchemaKeeper::EventType &type = types.at(row);
            auto *endpoint = new QTableWidgetItem(type.endpoint);
            endpoint->setData(EndpointRole, type.endpoint);
            auto *name =
                new QTableWidgetItem(type.eventType.isEmpty() ? tr("(none)") : type.eventType);
            name->setData(EventTypeRole, type.eventType);
            name->setToolTip(plainToolTip(type.eventType));
            auto *drifted = numberItem(type.drifted);
            if (type.drifted > 0) {
                drifted->setForeground(DriftColor);
                QFont bold = m_types->font();
                bold.setBold(true);
                drifted->setFont(bold);
                drifted->setToolTip(
                    tr("%n deliveries differed from the ones before them; activate to list them",
                       nullptr, int(type.drifted)));
            }
            auto *lastSeen = new QTableWidgetItem(timestamp(type.lastSeenMs));
            lastSeen->setToolTip(tr("First seen %1").arg(timestamp(type.firstSeenMs)));
            m_types->setItem(row, EndpointColumn, endpoint);
            m_types->setItem(row, EventTypeColumn, name);
            m_types->setItem(row, DeliveriesColumn, numberItem(type.deliveries));
            m_types->setItem(row, DriftedColumn, drifted);
            m_types->setItem(row, FieldsColumn, numberItem(type.fields));
            m_types->setItem(row, LastSeenColumn, lastSeen);
        }
        m_types->setSortingEnabled(true);
        m_types->sortByColumn(sortColumn, order);
    }

    // The selection stays on the type it was on; the first time, on the first type.
    bool selected = m_hasSelection && selectEventType(m_endpoint, m_eventType);
    if (!selected && m_types->rowCount() > 0) {
        m_types->selectRow(0);
        selected = true;
    }
    if (!selected) {
        m_hasSelection = false;
        m_schema = EventSchema();
        showSchema();
        setStatus(backlog > 0 ? QString()
                              : tr("No JSON deliveries were learned yet: event types appear here "
                                   "as deliveries arrive."));
        return;
    }
    // The schema is read again only when its type learned something since.
    for (const SchemaKeeper::EventType &type : types) {
        if (type.endpoint == m_endpoint && type.eventType == m_eventType &&
            (type.deliveries != m_shownDeliveries || type.lastDeliveryId != m_shownLastId) &&
            !m_schemaRequested)
            requestSchema();
    }
}

bool EventsView::selectEventType(const QString &endpoint, const QString &eventType)
{
    for (int row = 0; row < m_types->rowCount(); ++row) {
        if (m_types->item(row, EndpointColumn)->data(EndpointRole).toString() == endpoint &&
            m_types->item(row, EventTypeColumn)->data(EventTypeRole).toString() == eventType) {
            if (m_types->currentRow() != row || m_types->selectedItems().isEmpty())
                m_types->selectRow(row);
            m_types->scrollToItem(m_types->item(row, EndpointColumn));
            return true;
        }
    }
    return false;
}

void EventsView::onTypeSelected()
{
    const QList<QTableWidgetItem *> items = m_types->selectedItems();
    if (items.isEmpty())
        return;
    const int row = items.constFirst()->row();
    const QString endpoint = m_types->item(row, EndpointColumn)->data(EndpointRole).toString();
    const QString eventType = m_types->item(row, EventTypeColumn)->data(EventTypeRole).toString();
    if (m_hasSelection && endpoint == m_endpoint && eventType == m_eventType)
        return;
    m_endpoint = endpoint;
    m_eventType = eventType;
    m_hasSelection = true;
    m_shownDeliveries = -1;
    m_shownLastId = -1;
    m_schema = EventSchema();
    requestSchema();
    showSchema();
}

void EventsView::requestSchema()
{
    if (!m_hasSelection)
        return;
    m_schemaRequested = true;
    m_queries.requestEventSchema(m_endpoint, m_eventType);
}

void EventsView::onSchema(const EventSchema &schema)
{
    // An answer for a type no longer selected.
    if (!m_hasSelection || schema.endpoint != m_endpoint || schema.eventType != m_eventType)
        return;
    m_schemaRequested = false;
    m_schema = schema;
    m_shownDeliveries = schema.deliveries;
    m_shownLastId = schema.lastDeliveryId;
    showSchema();
}

void EventsView::showSchema()
{
    // What the user had chosen and folded stays so.
    const QTreeWidgetItem *current = m_fields->currentItem();
    const QString currentPath =
        current ? current->data(FieldNameColumn, PathRole).toString() : QString();
    const bool hadCurrent = current != nullptr;
    QSet<QString> collapsed;
    for (QTreeWidgetItemIterator it(m_fields); *it; ++it) {
        if ((*it)->childCount() > 0 && !(*it)->isExpanded())
            collapsed.insert((*it)->data(FieldNameColumn, PathRole).toString());
    }
    const int scroll = m_fields->verticalScrollBar()->value();

    m_fields->clear();
    m_export->setEnabled(m_hasSelection && m_schema.deliveries > 0);
    if (!m_hasSelection || m_schema.deliveries == 0) {
        m_heading->setText(m_hasSelection
                               ? (m_schemaRequested ? tr("Loading…")
                                                    : tr("Nothing was learned of this event type "
                                                         "yet."))
                               : tr("Select an event type to see the fields its deliveries "
                                    "carried."));
        return;
    }
    const QString type = m_schema.eventType.isEmpty() ? tr("(none)") : m_schema.eventType;
    m_heading->setText(tr("%1 on %2 — %3, %4 drifted, last seen %5")
                           .arg(type, m_schema.endpoint,
                                m_schema.deliveries == 1
                                    ? tr("1 delivery")
                                    : tr("%L1 deliveries").arg(m_schema.deliveries))
                           .arg(m_schema.drifted)
                           .arg(timestamp(m_schema.lastSeenMs)));
    m_heading->setToolTip(tr("First seen %1").arg(timestamp(m_schema.firstSeenMs)));

    QHash<QString, QTreeWidgetItem *> items;
    QTreeWidgetItem *currentItem = nullptr;
    for (const QString &path : m_schema.paths()) {
        const auto found = m_schema.fields.find(path);
        if (found == m_schema.fields.end())
            continue;
        const SchemaField &field = found->second;
        const auto parentPath = EventSchema::parentOf(path);
        QTreeWidgetItem *parent = parentPath ? items.value(*parentPath) : nullptr;
        auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(m_fields);
        const QString name = path.isEmpty()                 ? tr("(body)")
                             : EventSchema::isElement(path) ? QStringLiteral("[]")
                                                            : EventSchema::memberName(path);
        item->setText(FieldNameColumn, name);
        item->setData(FieldNameColumn, PathRole, path);
        item->setToolTip(FieldNameColumn,
                         path.isEmpty() ? tr("the body itself") : plainToolTip(path));
        item->setText(FieldTypesColumn, SchemaTypes::names(field.types));
        const double share =
            m_schema.deliveries > 0 ? double(field.deliveries) / double(m_schema.deliveries) : 0;
        item->setData(PresenceColumn, PresenceRole, share);
        // Rounded, but "100%" only for every delivery.
        item->setText(PresenceColumn,
                      QStringLiteral("%1%").arg(field.deliveries >= m_schema.deliveries
                                                    ? 100
                                                    : std::min(99, qRound(share * 100))));
        item->setToolTip(
            PresenceColumn,
            tr("in %1 of %2 deliveries").arg(field.deliveries).arg(m_schema.deliveries));
        if (field.strings > 0)
            item->setText(FormatsColumn, StringFormats::names(field.formats));
        const QString examples = field.examples.join(QStringLiteral(", "));
        item->setText(ExamplesColumn, examples);
        item->setToolTip(ExamplesColumn, plainToolTip(field.examples.join(u'\n')));
        items.insert(path, item);
        if (hadCurrent && path == currentPath)
            currentItem = item;
    }
    for (auto it = items.cbegin(); it != items.cend(); ++it) {
        if (it.value()->childCount() > 0)
            it.value()->setExpanded(!collapsed.contains(it.key()));
    }
    if (currentItem)
        m_fields->setCurrentItem(currentItem);
    m_fields->verticalScrollBar()->setValue(scroll);
}

QTreeWidgetItem *EventsView::fieldItem(const QString &path) const
{
    for (QTreeWidgetItemIterator it(m_fields); *it; ++it) {
        if ((*it)->data(FieldNameColumn, PathRole).toString() == path)
            return *it;
    }
    return nullptr;
}

void EventsView::activateField(QTreeWidgetItem *item)
{
    if (!item || !m_hasSelection)
        return;
    const QString path = item->data(FieldNameColumn, PathRole).toString();
    Q_EMIT filterRequested(filterFor(m_endpoint, m_eventType, path));
}

void EventsView::chooseExportFile()
{
    if (!m_hasSelection)
        return;
    QString name = m_eventType.isEmpty() ? QStringLiteral("untyped") : m_eventType;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")), QStringLiteral("_"));
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export JSON Schema"),
                                     QDir::home().filePath(name + QStringLiteral(".schema.json")),
                                     tr("JSON Schema (*.json);;All files (*)"));
    if (!path.isEmpty())
        exportJsonSchema(path);
}

void EventsView::exportJsonSchema(const QString &path)
{
    if (!m_hasSelection)
        return;
    setStatus(tr("Exporting to %1…").arg(QDir::toNativeSeparators(path)));
    m_queries.requestExportJsonSchema(path, m_endpoint, m_eventType);
}

QString EventsView::progressText() const
{
    return m_progressLabel->isVisibleTo(this) ? m_progressLabel->text() : QString();
}

QString EventsView::statusText() const
{
    return m_status->text();
}

QString EventsView::currentEndpoint() const
{
    return m_hasSelection ? m_endpoint : QString();
}

QString EventsView::currentEventType() const
{
    return m_hasSelection ? m_eventType : QString();
}

void EventsView::setStatus(const QString &text)
{
    m_status->setText(text);
}
