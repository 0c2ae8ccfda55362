#include "deliverylistmodel.h"

#include "plaintooltip.h"

#include "deliveryjson.h"
#include "queryservice.h"
#include "verdictstyle.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>
#include <QTimer>

#include <limits>

DeliveryListModel::DeliveryListModel(QueryService &queries, QObject *parent)
    : QAbstractTableModel(parent)
    , m_queries(queries)
{
    connect(&m_queries, &QueryService::snapshotLoaded, this, &DeliveryListModel::onSnapshot);
    connect(&m_queries, &QueryService::pageLoaded, this, &DeliveryListModel::onPage);
    connect(&m_queries, &QueryService::newMatchesLoaded, this, &DeliveryListModel::onNewMatches);
    connect(&m_queries, &QueryService::driftedLoaded, this, &DeliveryListModel::onDrifted);
}

int DeliveryListModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return static_cast<int>(m_live.size() + m_snapshotCount);
}

int DeliveryListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const DeliverySummary *DeliveryListModel::summaryAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    if (row < m_live.size())
        return &m_live[m_live.size() - 1 - row];
    const qint64 snapshotRow = row - m_live.size();
    const int page = static_cast<int>(snapshotRow / PageSize);
    const auto it = m_pages.constFind(page);
    if (it == m_pages.cend()) {
        requestPage(page);
        return nullptr;
    }
    touch(page);
    const qsizetype inPage = snapshotRow % PageSize;
    return inPage < it->size() ? &it->at(inPage) : nullptr;
}

qsizetype DeliveryListModel::rowsInMemory() const
{
    qsizetype rows = m_live.size() + m_pending.size();
    for (const QList<DeliverySummary> &page : m_pages)
        rows += page.size();
    return rows;
}

int DeliveryListModel::rowOfId(qint64 id) const
{
    for (qsizetype i = 0; i < m_live.size(); ++i) {
        if (m_live[i].id == id)
            return static_cast<int>(m_live.size() - 1 - i);
    }
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        for (qsizetype i = 0; i < it->size(); ++i) {
            if (it->at(i).id == id)
                return static_cast<int>(m_live.size() + qint64(it.key()) * PageSize + i);
        }
    }
    return -1;
}

QVariant DeliveryListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const DeliverySummary *d = summaryAt(index.row());
    if (role == LoadedRole)
        return d != nullptr;
    if (!d) {
        if (role == Qt::DisplayRole && index.column() == TimeColumn)
            return tr("loading…");
        if (role == Qt::ForegroundRole)
            return QGuiApplication::palette().color(QPalette::PlaceholderText);
        return {};
    }
    switch (role) {
    case IdRole:
        return d->id;
    case VerdictRole:
        return static_cast<int>(d->verdict);
    case DriftRole:
        return m_drifted.contains(d->id);
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return QDateTime::fromMSecsSinceEpoch(d->receivedAtMs)
                .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
        case MethodColumn:
            return d->method;
        case PathColumn:
            return d->path;
        case EndpointColumn:
            return d->endpoint;
        case EventTypeColumn:
            // Samples HookScope sent itself are marked where users look for the event.
            return d->sample ? tr("%1 (sample)")
                                   .arg(d->eventType.isEmpty() ? tr("no type") : d->eventType)
                             : d->eventType;
        case EventIdColumn:
            return d->eventId;
        case VerdictColumn:
            return VerdictStyle::word(d->verdict);
        case StatusColumn:
            return d->responseStatus;
        case SizeColumn:
            return QLocale().formattedDataSize(d->bodySize, 1, QLocale::DataSizeTraditionalFormat);
        case RemoteColumn:
            return d->remoteAddress;
        default:
            return {};
        }
    case Qt::DecorationRole:
        if (index.column() == VerdictColumn)
            return VerdictStyle::icon(d->verdict);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == VerdictColumn)
            return VerdictStyle::color(d->verdict, QGuiApplication::palette());
        if (index.column() == StatusColumn && d->responseStatus >= 400)
            return VerdictStyle::color(Verdict::Invalid, QGuiApplication::palette());
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == StatusColumn || index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn)
            return DeliveryJson::timestamp(d->receivedAtMs);
        if (index.column() == PathColumn)
            return plainToolTip(d->path);
        if (index.column() == EventTypeColumn && m_drifted.contains(d->id))
            return plainToolTip(tr("Differs from earlier %1 deliveries")
                                    .arg(d->eventType.isEmpty() ? tr("untyped") : d->eventType));
        return {};
    default:
        return {};
    }
}

QVariant DeliveryListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case MethodColumn:
        return tr("Method");
    case PathColumn:
        return tr("Path");
    case EndpointColumn:
        return tr("Endpoint");
    case EventTypeColumn:
        return tr("Event");
    case EventIdColumn:
        return tr("Event ID");
    case VerdictColumn:
        return tr("Verdict");
    case StatusColumn:
        return tr("Status");
    case SizeColumn:
        return tr("Size");
    case RemoteColumn:
        return tr("From");
    default:
        return {};
    }
}

void DeliveryListModel::setFilter(const DeliveryFilter &filter)
{
    beginResetModel();
    m_filter = filter;
    ++m_generation;
    m_snapshotReady = false;
    m_snapshotMaxId = 0;
    m_snapshotCount = 0;
    m_dense = false;
    m_newestLiveId = 0;
    m_foldedPages = 0;
    m_live.clear();
    m_pages.clear();
    m_pageUse.clear();
    m_requested.clear();
    m_drifted.clear();
    endResetModel();
    m_queries.requestSnapshot(m_generation, m_filter, PageSize);
}

void DeliveryListModel::onSnapshot(quint64 generation, qint64 maxId, qint64 count, bool dense,
                                   const QList<DeliverySummary> &rows)
{
    if (generation != m_generation)
        return;
    m_snapshotReady = true;
    m_dense = dense;
    m_snapshotMaxId = maxId;
    m_newestLiveId = maxId;
    if (count > 0) {
        beginInsertRows(QModelIndex(), 0, static_cast<int>(count - 1));
        m_snapshotCount = count;
        storePage(0, rows);
        endInsertRows();
        requestDrift(rows);
    }
    Q_EMIT snapshotReady();
    flushPending();
}

void DeliveryListModel::requestPage(int page) const
{
    if (m_requested.contains(page) || !m_snapshotReady)
        return;
    m_requested.insert(page);
    // Paging on from the page above is a cheap keyset query, and so is any page of a list
    // without gaps in its ids; other jumps need an offset.
    qint64 beforeId = 0;
    const auto above = m_pages.constFind(page - 1);
    if (m_dense)
        beforeId = m_snapshotMaxId - qint64(page) * PageSize + 1;
    else if (above != m_pages.cend() && above->size() == PageSize)
        beforeId = above->constLast().id;
    // The answer names the page as numbered now; the pages folded since are added to it.
    const quint64 tag = (m_generation << 24) | (quint64(m_foldedPages) & 0xffffff);
    m_queries.requestPage(tag, m_filter, m_snapshotMaxId, page, PageSize, beforeId,
                          m_snapshotCount);
}

void DeliveryListModel::touch(int page) const
{
    if (!m_pageUse.isEmpty() && m_pageUse.constLast() == page)
        return;
    m_pageUse.removeOne(page);
    m_pageUse.append(page);
}

void DeliveryListModel::storePage(int page, const QList<DeliverySummary> &rows)
{
    m_pages.insert(page, rows);
    m_requested.remove(page);
    touch(page);
    while (m_pages.size() > MaxCachedPages && !m_pageUse.isEmpty()) {
        const int oldest = m_pageUse.takeFirst();
        m_pages.remove(oldest);
    }
}

void DeliveryListModel::onPage(quint64 tag, int page, const QList<DeliverySummary> &rows)
{
    if ((tag >> 24) != m_generation)
        return;
    page += int((quint64(m_foldedPages) - tag) & 0xffffff);
    storePage(page, rows);
    requestDrift(rows);
    const qint64 first = m_live.size() + qint64(page) * PageSize;
    const qint64 last = std::min<qint64>(first + PageSize, rowCount()) - 1;
    if (last >= first)
        Q_EMIT dataChanged(index(static_cast<int>(first), 0),
                           index(static_cast<int>(last), ColumnCount - 1));
}

void DeliveryListModel::addStored(const QList<DeliverySummary> &batch)
{
    m_pending += batch;
    // Arrivals are shown at most once a frame budget: one insert for everything that came in
    // meanwhile, however fast it comes.
    if (!m_flushTimer) {
        m_flushTimer = new QTimer(this);
        m_flushTimer->setSingleShot(true);
        m_flushTimer->setInterval(FlushIntervalMs);
        connect(m_flushTimer, &QTimer::timeout, this, &DeliveryListModel::flushPending);
    }
    if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void DeliveryListModel::flushPending()
{
    if (!m_snapshotReady || m_pending.isEmpty())
        return;
    QList<DeliverySummary> fresh;
    for (const DeliverySummary &row : std::as_const(m_pending)) {
        if (row.id > m_newestLiveId)
            fresh.append(row);
    }
    m_pending.clear();
    if (fresh.isEmpty())
        return;
    std::sort(fresh.begin(), fresh.end(),
              [](const DeliverySummary &a, const DeliverySummary &b) { return a.id > b.id; });
    const qint64 firstId = fresh.constLast().id;
    const qint64 lastId = fresh.constFirst().id;
    m_newestLiveId = lastId;
    if (m_filter.isEmpty()) {
        insertLive(fresh);
        return;
    }
    // Whether a new delivery matches (its body included) is the database's to say.
    m_queries.requestNewMatches(m_generation, m_filter, firstId, lastId);
}

void DeliveryListModel::onNewMatches(quint64 generation, const QList<DeliverySummary> &rows)
{
    if (generation != m_generation || rows.isEmpty())
        return;
    insertLive(rows);
}

void DeliveryListModel::insertLive(const QList<DeliverySummary> &newestFirst)
{
    const int count = static_cast<int>(newestFirst.size());
    beginInsertRows(QModelIndex(), 0, count - 1);
    for (auto it = newestFirst.crbegin(); it != newestFirst.crend(); ++it)
        m_live.append(*it);
    endInsertRows();
    foldLive();
    Q_EMIT liveRowsInserted(count);
}

void DeliveryListModel::foldLive()
{
    // Live rows join the paged snapshot a whole page at a time, the oldest first, so that
    // memory stays bounded by the page cache however many arrive. Row numbers do not change:
    // the folded rows were just above the snapshot and become its first pages, and each cached
    // page moves down by as many pages.
    const qsizetype fold = (m_live.size() / PageSize) * PageSize;
    if (fold < FoldLiveRows)
        return;
    const int shift = int(fold / PageSize);
    // The folded rows, newest first: m_live holds them oldest first, from index 0.
    QList<DeliverySummary> folded;
    folded.reserve(fold);
    for (qsizetype i = fold - 1; i >= 0; --i)
        folded.append(m_live.at(i));
    const bool consecutive = [&] {
        for (qsizetype i = 1; i < folded.size(); ++i) {
            if (folded.at(i).id != folded.at(i - 1).id - 1)
                return false;
        }
        return m_snapshotCount == 0 || folded.constLast().id == m_snapshotMaxId + 1;
    }();
    m_dense = (m_dense || m_snapshotCount == 0) && consecutive && m_filter.isEmpty();
    m_snapshotMaxId = folded.constFirst().id;
    m_snapshotCount += fold;
    m_live.remove(0, fold);

    QHash<int, QList<DeliverySummary>> moved;
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it)
        moved.insert(it.key() + shift, *it);
    m_pages = std::move(moved);
    for (int &page : m_pageUse)
        page += shift;
    QSet<int> requested;
    for (int page : std::as_const(m_requested))
        requested.insert(page + shift);
    m_requested = std::move(requested);
    // Pages asked for before the fold come back under their old numbers; onPage moves them.
    m_foldedPages += shift;
    for (int page = shift - 1; page >= 0; --page)
        storePage(page, folded.mid(qsizetype(page) * PageSize, PageSize));
}

void DeliveryListModel::requestDrift(const QList<DeliverySummary> &newestFirst) const
{
    if (newestFirst.isEmpty())
        return;
    m_queries.requestDrifted(newestFirst.constLast().id, newestFirst.constFirst().id);
}

void DeliveryListModel::refreshDrift()
{
    qint64 lowest = std::numeric_limits<qint64>::max();
    for (const DeliverySummary &row : std::as_const(m_live))
        lowest = std::min(lowest, row.id);
    for (const QList<DeliverySummary> &page : std::as_const(m_pages)) {
        if (!page.isEmpty())
            lowest = std::min(lowest, page.constLast().id);
    }
    if (lowest == std::numeric_limits<qint64>::max())
        return;
    // Rows arriving after the answer find their mark in m_drifted already.
    m_queries.requestDrifted(lowest, std::numeric_limits<qint64>::max());
}

void DeliveryListModel::onDrifted(qint64, qint64, const QList<qint64> &ids)
{
    QSet<qint64> fresh;
    for (qint64 id : ids) {
        if (!m_drifted.contains(id)) {
            m_drifted.insert(id);
            fresh.insert(id);
        }
    }
    if (fresh.isEmpty())
        return;
    // One pass over the rows in memory finds the rows to repaint.
    int first = -1;
    int last = -1;
    const auto mark = [&](qint64 id, qint64 row) {
        if (!fresh.contains(id))
            return;
        first = first < 0 ? int(row) : std::min(first, int(row));
        last = std::max(last, int(row));
    };
    for (qsizetype i = 0; i < m_live.size(); ++i)
        mark(m_live.at(i).id, m_live.size() - 1 - i);
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        for (qsizetype i = 0; i < it->size(); ++i)
            mark(it->at(i).id, m_live.size() + qint64(it.key()) * PageSize + i);
    }
    if (first >= 0 && last < rowCount())
        Q_EMIT dataChanged(index(first, EventTypeColumn), index(last, EventTypeColumn),
                           {DriftRole, Qt::ToolTipRole});
}
