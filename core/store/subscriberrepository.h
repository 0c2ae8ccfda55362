#pragma once

#include "subscriber.h"

#include <QList>

#include <optional>

class Database;

// Reads, edits, exports and imports the subscriber mapping, on the connection's thread.
// Rows are created only by the store, from verified subscriber.created deliveries.
class SubscriberRepository
{
public:
    explicit SubscriberRepository(const Database &database)
        : m_database(database)
    {}

    std::optional<QList<Subscriber>> list(QString *error) const;
    // The rows with that subscriber id (one per endpoint that has it), or only the one of
    // `endpoint` when it is given.
    std::optional<QList<Subscriber>> find(const QString &subscriberId, const QString &endpoint,
                                          QString *error) const;
    // Sets the user's fields of one row; a null QString leaves that field as it is.
    bool setUserFields(qint64 rowId, const QString &localReference, const QString &notes,
                       QString *error) const;
    bool remove(qint64 rowId, QString *error) const;

    struct ImportReport
    {
        int applied = 0;
        int unchanged = 0;
        QStringList problems; // "line N: why", one per row not applied
    };
    // Merges a CSV of subscriber_id,local_reference[,notes] (a header line is recognised and
    // skipped) by subscriber id. A row is not applied, and is reported, when the id is unknown,
    // matches several endpoints, or would replace a different local reference already set.
    std::optional<ImportReport> importCsv(const QByteArray &csv, QString *error) const;

    static QByteArray toCsv(const QList<Subscriber> &subscribers);
    static QByteArray toJson(const QList<Subscriber> &subscribers);

private:
    const Database &m_database;
};
