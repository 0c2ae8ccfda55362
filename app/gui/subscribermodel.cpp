#include "subscribermodel.h"

#include "verdictstyle.h"

#include <QDateTime>
#include <QGuiApplication>

int SubscriberModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_subscribers.size());
}

int SubscriberModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const Subscriber *SubscriberModel::subscriberAt(int row) const
{
    return row >= 0 && row < m_subscribers.size() ? &m_subscribers[row] : nullptr;
}

int SubscriberModel::rowOfId(qint64 rowId) const
{
    for (qsizetype i = 0; i < m_subscribers.size(); ++i) {
        if (m_subscribers[i].id == rowId)
            return static_cast<int>(i);
    }
    return -1;
}

QVariant SubscriberModel::data(const QModelIndex &index, int role) const
{
    const Subscriber *s = index.isValid() ? subscriberAt(index.row()) : nullptr;
    if (!s)
        return {};
    auto time = [](qint64 ms) {
        return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    };
    switch (role) {
    case RowIdRole:
        return s->id;
    case SortRole:
        if (index.column() == FirstSeenColumn)
            return s->firstSeenMs;
        if (index.column() == LastSeenColumn)
            return s->lastSeenMs;
        return data(index, Qt::DisplayRole);
    case Qt::DisplayRole:
    case Qt::EditRole:
        switch (index.column()) {
        case EndpointColumn:
            return s->endpoint;
        case SubscriberIdColumn:
            return s->subscriberId;
        case VerifiedColumn:
            return s->verified ? tr("verified") : tr("unverified");
        case NameColumn:
            return s->field(QStringLiteral("name"));
        case EmailColumn:
            return s->field(QStringLiteral("email"));
        case LocalReferenceColumn:
            return s->localReference;
        case NotesColumn:
            return role == Qt::DisplayRole ? s->notes.simplified() : s->notes;
        case FirstSeenColumn:
            return time(s->firstSeenMs);
        case LastSeenColumn:
            return time(s->lastSeenMs);
        case EventColumn:
            return s->createdEventId;
        default:
            return {};
        }
    case Qt::DecorationRole:
        if (index.column() == VerifiedColumn)
            return VerdictStyle::icon(s->verified ? Verdict::Valid : Verdict::Unverified);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == VerifiedColumn && !s->verified)
            return tr("Created by a delivery to an endpoint without a secret: its signature was "
                      "never checked.");
        if (index.column() == NotesColumn)
            return s->notes;
        if (index.column() == LocalReferenceColumn || index.column() == NotesColumn)
            return tr("Yours to edit: double-click or F2.");
        return {};
    default:
        return {};
    }
}

QVariant SubscriberModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case EndpointColumn:
        return tr("Endpoint");
    case SubscriberIdColumn:
        return tr("Subscriber ID");
    case VerifiedColumn:
        return tr("Verified");
    case NameColumn:
        return tr("Name");
    case EmailColumn:
        return tr("Email");
    case LocalReferenceColumn:
        return tr("Local reference");
    case NotesColumn:
        return tr("Notes");
    case FirstSeenColumn:
        return tr("First seen");
    case LastSeenColumn:
        return tr("Last seen");
    case EventColumn:
        return tr("Created by event");
    default:
        return {};
    }
}

Qt::ItemFlags SubscriberModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    if (index.isValid() &&
        (index.column() == LocalReferenceColumn || index.column() == NotesColumn))
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool SubscriberModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || role != Qt::EditRole || !(flags(index) & Qt::ItemIsEditable))
        return false;
    Subscriber &s = m_subscribers[index.row()];
    const QString text = value.toString();
    const QString stored = text.isNull() ? QStringLiteral("") : text;
    if (index.column() == LocalReferenceColumn) {
        if (s.localReference == text)
            return false;
        s.localReference = stored;
        Q_EMIT editRequested(s.id, stored, QString());
    } else {
        if (s.notes == text)
            return false;
        s.notes = stored;
        Q_EMIT editRequested(s.id, QString(), stored);
    }
    Q_EMIT dataChanged(index, index);
    return true;
}

void SubscriberModel::setSubscribers(const QList<Subscriber> &subscribers)
{
    beginResetModel();
    m_subscribers = subscribers;
    endResetModel();
}
