#include "subscriberrepository.h"

#include "csvcodec.h"
#include "database.h"
#include "deliveryjson.h"
#include "subscribermapper.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

namespace {

const QString Columns =
    QStringLiteral("id, endpoint, subscriber_id, verified, fields, data, first_seen, last_seen, "
                   "created_event_id, created_delivery_id, local_reference, notes");

bool fail(const QSqlQuery &query, QString *error)
{
    if (error) {
        *error = Database::errorText(query.lastError());
    }
    return false;
}

Subscriber read(const QSqlQuery &query)
{
    Subscriber s;
    s.id = query.value(0).toLongLong();
    s.endpoint = query.value(1).toString();
    s.subscriberId = query.value(2).toString();
    s.verified = query.value(3).toInt() != 0;
    s.fields = query.value(4).toByteArray();
    s.data = query.value(5).toByteArray();
    s.firstSeenMs = query.value(6).toLongLong();
    s.lastSeenMs = query.value(7).toLongLong();
    s.createdEventId = query.value(8).toString();
    s.createdDeliveryId = query.value(9).toLongLong();
    s.localReference = query.value(10).toString();
    s.notes = query.value(11).toString();
    return s;
}

std::optional<QList<Subscriber>> select(const Database &database, const QString &where,
                                        const QVariantList &bindings, QString *error)
{
    auto query =
        database.run(QStringLiteral("SELECT ") + Columns + QStringLiteral(" FROM subscribers ") +
                         where + QStringLiteral(" ORDER BY first_seen DESC, id DESC"),
                     bindings, error);
    if (!query)
        return std::nullopt;
    QList<Subscriber> rows;
    while (query->next())
        rows.append(read(*query));
    return rows;
}

} // namespace

std::optional<QList<Subscriber>> SubscriberRepository::list(QString *error) const
{
    // Exact as of now: what was stored and not yet applied is applied first. When that cannot
    // be done (a read-only file system), what is there is read.
    SubscriberMapper::bringUpToDate(m_database, nullptr);
    return select(m_database, QString(), {}, error);
}

std::optional<QList<Subscriber>> SubscriberRepository::find(const QString &subscriberId,
                                                            const QString &endpoint,
                                                            QString *error) const
{
    SubscriberMapper::bringUpToDate(m_database, nullptr);
    if (endpoint.isEmpty())
        return select(m_database, QStringLiteral("WHERE subscriber_id = ?"), {subscriberId}, error);
    return select(m_database, QStringLiteral("WHERE subscriber_id = ? AND endpoint = ?"),
                  {subscriberId, endpoint}, error);
}

bool SubscriberRepository::setUserFields(qint64 rowId, const QString &localReference,
                                         const QString &notes, QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("UPDATE subscribers SET local_reference = coalesce(?, "
                                 "local_reference), notes = coalesce(?, notes) WHERE id = ?"));
    query.addBindValue(localReference.isNull() ? QVariant() : QVariant(localReference));
    query.addBindValue(notes.isNull() ? QVariant() : QVariant(notes));
    query.addBindValue(rowId);
    if (!query.exec())
        return fail(query, error);
    if (query.numRowsAffected() == 0) {
        if (error)
            *error = QStringLiteral("the subscriber no longer exists");
        return false;
    }
    return true;
}

bool SubscriberRepository::remove(qint64 rowId, QString *error) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(QStringLiteral("DELETE FROM subscribers WHERE id = ?"));
    query.addBindValue(rowId);
    if (!query.exec())
        return fail(query, error);
    return true;
}

std::optional<SubscriberRepository::ImportReport>
SubscriberRepository::importCsv(const QByteArray &csv, QString *error) const
{
    const auto records = CsvCodec::parse(csv, error);
    if (!records)
        return std::nullopt;
    const auto all = list(error);
    if (!all)
        return std::nullopt;
    QHash<QString, QList<Subscriber>> byId;
    for (const Subscriber &subscriber : *all)
        byId[subscriber.subscriberId].append(subscriber);

    ImportReport report;
    QHash<QString, QString> referenceInFile;
    QSqlDatabase db = m_database.connection();
    if (!db.transaction()) {
        if (error)
            *error = db.lastError().text();
        return std::nullopt;
    }
    for (const CsvCodec::Record &record : *records) {
        const QString id = record.fields.value(0).trimmed();
        if (record.line == records->constFirst().line &&
            id.compare(QStringLiteral("subscriber_id"), Qt::CaseInsensitive) == 0)
            continue; // the header
        auto problem = [&](const QString &why) {
            report.problems.append(QStringLiteral("line %1: %2").arg(record.line).arg(why));
        };
        if (id.isEmpty()) {
            problem(QStringLiteral("no subscriber id"));
            continue;
        }
        if (record.fields.size() < 2) {
            problem(QStringLiteral("%1: no local reference column").arg(id));
            continue;
        }
        const QString reference = record.fields.value(1).trimmed();
        const QString notes = record.fields.size() > 2 ? record.fields.value(2) : QString();
        const QList<Subscriber> matches = byId.value(id);
        if (matches.isEmpty()) {
            problem(QStringLiteral("%1: no such subscriber").arg(id));
            continue;
        }
        if (matches.size() > 1) {
            problem(QStringLiteral("%1: known under %2 endpoints; set it with 'hookscope "
                                   "subscribers set %1 --endpoint NAME'")
                        .arg(id)
                        .arg(matches.size()));
            continue;
        }
        const Subscriber &current = matches.constFirst();
        if (referenceInFile.contains(id) && referenceInFile.value(id) != reference) {
            problem(QStringLiteral("%1: the file gives it two local references (\"%2\" and \"%3\")")
                        .arg(id, referenceInFile.value(id), reference));
            continue;
        }
        if (!current.localReference.isEmpty() && current.localReference != reference) {
            problem(QStringLiteral("%1: already mapped to \"%2\"; the file says \"%3\"")
                        .arg(id, current.localReference, reference));
            continue;
        }
        referenceInFile.insert(id, reference);
        if (current.localReference == reference && (notes.isNull() || current.notes == notes)) {
            ++report.unchanged;
            continue;
        }
        QString failure;
        if (!setUserFields(current.id, reference, notes, &failure)) {
            db.rollback();
            if (error)
                *error = failure;
            return std::nullopt;
        }
        ++report.applied;
    }
    if (!db.commit()) {
        if (error)
            *error = db.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    return report;
}

QByteArray SubscriberRepository::toCsv(const QList<Subscriber> &subscribers)
{
    QByteArray out = CsvCodec::row(
        {QStringLiteral("subscriber_id"), QStringLiteral("local_reference"),
         QStringLiteral("notes"), QStringLiteral("endpoint"), QStringLiteral("verified"),
         QStringLiteral("name"), QStringLiteral("email"), QStringLiteral("first_seen"),
         QStringLiteral("last_seen"), QStringLiteral("created_event_id")});
    for (const Subscriber &s : subscribers) {
        out += CsvCodec::row({s.subscriberId, s.localReference, s.notes, s.endpoint,
                              s.verified ? QStringLiteral("true") : QStringLiteral("false"),
                              s.field(QStringLiteral("name")), s.field(QStringLiteral("email")),
                              DeliveryJson::timestamp(s.firstSeenMs),
                              DeliveryJson::timestamp(s.lastSeenMs), s.createdEventId});
    }
    return out;
}

QByteArray SubscriberRepository::toJson(const QList<Subscriber> &subscribers)
{
    QJsonArray array;
    for (const Subscriber &s : subscribers) {
        array.append(QJsonObject{
            {QStringLiteral("subscriber_id"), s.subscriberId},
            {QStringLiteral("endpoint"), s.endpoint},
            {QStringLiteral("local_reference"), s.localReference},
            {QStringLiteral("notes"), s.notes},
            {QStringLiteral("verified"), s.verified},
            {QStringLiteral("first_seen"), DeliveryJson::timestamp(s.firstSeenMs)},
            {QStringLiteral("last_seen"), DeliveryJson::timestamp(s.lastSeenMs)},
            {QStringLiteral("created_event_id"), s.createdEventId},
            {QStringLiteral("created_delivery_id"), s.createdDeliveryId},
            {QStringLiteral("fields"), QJsonDocument::fromJson(s.fields).object()},
        });
    }
    return QJsonDocument(array).toJson(QJsonDocument::Indented);
}
