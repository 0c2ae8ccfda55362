#pragma once

#include "delivery.h"
#include "deliveryfilter.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

class QTimer;
class QueryService;

// The delivery list, newest first, over any number of stored deliveries. Rows of the snapshot
// taken when the filter was set are paged in from the QueryService on demand and cached (a
// bounded number of pages); deliveries stored since then arrive as live rows at the top,
// coalesced into one insert per event-loop turn. data() never touches the database: a row
// whose page has not arrived yet shows as loading and asks for it.
class DeliveryListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        TimeColumn,
        VerdictColumn,
        StatusColumn,
        MethodColumn,
        PathColumn,
        EndpointColumn,
        EventTypeColumn,
        EventIdColumn,
        SizeColumn,
        RemoteColumn,
        ColumnCount
    };
    enum Role
    {
        IdRole = Qt::UserRole + 1,
        VerdictRole,
        LoadedRole,
        // Whether the delivery drifted from the deliveries of its event type before it (as
        // far as the model has heard: see refreshDrift()).
        DriftRole,
    };

    static constexpr int PageSize = 256;
    static constexpr int MaxCachedPages = 64;
    // Arrivals are shown at most this often.
    static constexpr int FlushIntervalMs = 100;
    // Live rows beyond this many are folded into the paged snapshot, a page at a time.
    static constexpr int FoldLiveRows = 2 * PageSize;

    // Rows kept in memory: live rows and cached pages (for tests and benchmarks).
    qsizetype rowsInMemory() const;
    // Arrived rows not yet folded into the pages.
    qsizetype liveRowCount() const { return m_live.size(); }

    explicit DeliveryListModel(QueryService &queries, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void setFilter(const DeliveryFilter &filter);
    const DeliveryFilter &filter() const { return m_filter; }
    // Reloads from the database (after a re-verification changed stored verdicts).
    void reload() { setFilter(m_filter); }

    // The delivery at `row` if its page is loaded.
    const DeliverySummary *summaryAt(int row) const;
    int rowOfId(qint64 id) const; // -1 when not loaded
    bool isLoading() const { return !m_snapshotReady; }

    bool isDrifted(qint64 id) const { return m_drifted.contains(id); }

public Q_SLOTS:
    // From the store, after each commit (queued to the GUI thread).
    void addStored(const QList<DeliverySummary> &batch);
    // Asks again which of the rows in memory (and of any newer ones) drifted: schemas are
    // learned after the commits, so the newest rows are known to drift only later.
    void refreshDrift();

Q_SIGNALS:
    void snapshotReady();
    void liveRowsInserted(int count);

private:
    void onSnapshot(quint64 generation, qint64 maxId, qint64 count, bool dense,
                    const QList<DeliverySummary> &rows);
    void onPage(quint64 generation, int page, const QList<DeliverySummary> &rows);
    void onNewMatches(quint64 generation, const QList<DeliverySummary> &rows);
    void flushPending();
    void insertLive(const QList<DeliverySummary> &newestFirst);
    void foldLive();
    void requestPage(int page) const;
    void touch(int page) const;
    void storePage(int page, const QList<DeliverySummary> &rows);
    // Asks which of `newestFirst` drifted: one query for the range of their ids.
    void requestDrift(const QList<DeliverySummary> &newestFirst) const;
    void onDrifted(qint64 firstId, qint64 lastId, const QList<qint64> &ids);

    QueryService &m_queries;
    DeliveryFilter m_filter;
    quint64 m_generation = 0;
    bool m_snapshotReady = false;
    qint64 m_snapshotMaxId = 0;
    qint64 m_snapshotCount = 0;
    bool m_dense = false; // row r of the snapshot is id maxId - r
    qint64 m_newestLiveId = 0;
    QList<DeliverySummary> m_live;    // newest first, above the snapshot
    QList<DeliverySummary> m_pending; // stored, not yet shown
    QTimer *m_flushTimer = nullptr;
    int m_foldedPages = 0; // pages of live rows folded into the snapshot since it was taken
    QHash<int, QList<DeliverySummary>> m_pages;
    mutable QList<int> m_pageUse; // least recently used first
    mutable QSet<int> m_requested;
    QSet<qint64> m_drifted; // the deliveries known to have drifted
};
