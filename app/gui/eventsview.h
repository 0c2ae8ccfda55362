#pragma once

#include "eventschema.h"
#include "schemakeeper.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTimer;
class QTreeWidget;
class QTreeWidgetItem;
class QueryService;

// What each event type's deliveries carried, as learned (see SchemaKeeper): every event type
// per endpoint with its counts, and the selected type's fields as a tree, with how often each
// was present, its types, string formats and example values. Activating a field asks for the
// deliveries carrying it; its JSON Schema can be exported.
class EventsView : public QWidget
{
    Q_OBJECT

public:
    enum TypeColumn
    {
        EndpointColumn,
        EventTypeColumn,
        DeliveriesColumn,
        DriftedColumn,
        FieldsColumn,
        LastSeenColumn,
        TypeColumnCount
    };
    enum FieldColumn
    {
        FieldNameColumn,
        FieldTypesColumn,
        PresenceColumn,
        FormatsColumn,
        ExamplesColumn,
        FieldColumnCount
    };
    enum Role
    {
        PathRole = Qt::UserRole + 1, // a field item's full path
        PresenceRole,                // a field's presence, 0..1
        EndpointRole,                // an event type row's endpoint and type, as stored
        EventTypeRole,
    };

    explicit EventsView(QueryService &queries, QWidget *parent = nullptr);

    QTableWidget *eventTypeTable() const { return m_types; }
    QTreeWidget *fieldTree() const { return m_fields; }
    // The tree's item for `path` ("" for the body), or null.
    QTreeWidgetItem *fieldItem(const QString &path) const;
    // "learning 120 deliveries…" while deliveries are left to learn, else empty.
    QString progressText() const;
    QString statusText() const;
    QString currentEndpoint() const;
    QString currentEventType() const;
    // The schema the tree shows (deliveries == 0 before one arrived).
    const EventSchema &shownSchema() const { return m_schema; }

    // Selects the event type when it is listed.
    bool selectEventType(const QString &endpoint, const QString &eventType);
    // Writes the selected type's JSON Schema to `path` (on the query thread).
    void exportJsonSchema(const QString &path);

    // The filter for the deliveries of `eventType` on `endpoint` that carry `path` (none when
    // null) or, with `driftedOnly`, that drifted; values quoted as the filter syntax allows.
    static QString filterFor(const QString &endpoint, const QString &eventType,
                             const QString &path = QString(), bool driftedOnly = false);

    // A viewer's login on a team database: the receivers learn, and only they may learn again.
    void setReadOnly(bool readOnly);

public Q_SLOTS:
    // Asks for the event types (and the selected type's schema) again.
    void reload();

Q_SIGNALS:
    void filterRequested(const QString &filter);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void onEventTypes(const QList<SchemaKeeper::EventType> &types, qint64 backlog);
    void onSchema(const EventSchema &schema);
    void onTypeSelected();
    void requestSchema();
    void showSchema();
    void activateField(QTreeWidgetItem *item);
    void chooseExportFile();
    void setStatus(const QString &text);

    QueryService &m_queries;
    QPushButton *m_relearn = nullptr;
    QTableWidget *m_types = nullptr;
    QTreeWidget *m_fields = nullptr;
    QLabel *m_heading = nullptr;
    QLabel *m_progressLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_showDeliveries = nullptr;
    QPushButton *m_export = nullptr;
    QTimer *m_backlogPoll = nullptr;
    // The selected type, kept across refreshes of the table.
    QString m_endpoint;
    QString m_eventType;
    bool m_hasSelection = false;
    // What the schema shown was learned up to: a refresh that did not change it keeps it.
    qint64 m_shownDeliveries = -1;
    qint64 m_shownLastId = -1;
    bool m_schemaRequested = false; // asked for, not answered yet
    QList<SchemaKeeper::EventType> m_typeRows;
    EventSchema m_schema;
};
