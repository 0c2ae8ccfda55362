#pragma once

#include "subscriber.h"

#include <QAbstractTableModel>

// The subscriber mapping as a table. Local reference and notes are editable; an edit is
// handed to editRequested() (and so to the database, off the GUI thread) at once.
class SubscriberModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        EndpointColumn,
        SubscriberIdColumn,
        VerifiedColumn,
        NameColumn,
        EmailColumn,
        LocalReferenceColumn,
        NotesColumn,
        FirstSeenColumn,
        LastSeenColumn,
        EventColumn,
        ColumnCount
    };
    enum Role
    {
        RowIdRole = Qt::UserRole + 1,
        SortRole,
    };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    void setSubscribers(const QList<Subscriber> &subscribers);
    const Subscriber *subscriberAt(int row) const;
    int rowOfId(qint64 rowId) const;

Q_SIGNALS:
    // A null QString: that field is not changed.
    void editRequested(qint64 rowId, const QString &localReference, const QString &notes);

private:
    QList<Subscriber> m_subscribers;
};
