#pragma once

#include "deliverydetails.h"
#include "deliverydiff.h"
#include "deliveryfilter.h"
#include "deliveryreader.h"
#include "endpoint.h"
#include "reverifier.h"
#include "schemakeeper.h"
#include "subscriberrepository.h"

#include <QObject>
#include <QUrl>

#include <memory>

class Database;
class QThread;

// Two deliveries side by side, read and compared on the query thread.
struct DeliveryComparison
{
    Delivery before; // the lower id
    Delivery after;
    QList<DeliveryChange> changes;
    // The bodies as shown: pretty-printed JSON, else the text, else a note that it is binary.
    QString beforeText;
    QString afterText;
};

// All the GUI's reading (and its endpoint edits) on a thread of its own with its own
// connection: the GUI thread asks through the request methods, which return at once, and
// hears back through the signals. Answers to a superseded list request carry an old
// generation number and are ignored by their receiver.
class QueryService : public QObject
{
    Q_OBJECT

public:
    explicit QueryService(QObject *parent = nullptr);
    ~QueryService() override;

    // Starts the thread and opens `path` there; opened() reports the result.
    void start(const QString &path);
    // Opens `path` again on the running thread (the file there was replaced); opened() reports.
    void requestReopen(const QString &path);
    void stop();

    // Request methods: thread-safe, queued to the worker.
    void requestSnapshot(quint64 generation, const DeliveryFilter &filter, int firstPageSize);
    // `beforeId` (when non-zero) pages by id instead of by offset; `total` lets a deep page
    // be read from the oldest end.
    void requestPage(quint64 generation, const DeliveryFilter &filter, qint64 maxId, int page,
                     int pageSize, qint64 beforeId, qint64 total);
    void requestNewMatches(quint64 generation, const DeliveryFilter &filter, qint64 firstId,
                           qint64 lastId);
    void requestDetails(qint64 id);
    void requestTimeline(qint64 sinceMs);
    void requestSaveEndpoint(const Endpoint &endpoint, const QString &previousName);
    void requestRemoveEndpoint(const QString &name);
    void requestSubscribers();
    // A null QString leaves that field as it is.
    void requestSetSubscriberFields(qint64 rowId, const QString &localReference,
                                    const QString &notes);
    void requestDeleteSubscriber(qint64 rowId);
    enum class ExportFormat
    {
        Csv,
        Json
    };
    void requestExportSubscribers(const QString &path, ExportFormat format);
    void requestImportSubscribers(const QString &path);
    // A consistent copy of the whole database (VACUUM INTO), taken while HookScope runs.
    void requestBackup(const QString &path);
    // Writes delivery `id` as a test fixture into `directory` (see TestFixture), its curl
    // command sending to `to`.
    void requestExportFixture(qint64 id, const QString &directory, const QUrl &to);
    void requestStoreReplay(const Replay &replay);
    // Sends each of the deliveries again to `baseUrl` + its path, as recorded or re-signed,
    // and keeps the answers.
    void requestReplayDeliveries(const QList<qint64> &ids, const QString &baseUrl, bool resign);
    // Every event type learned, and how many deliveries are left to learn.
    void requestEventTypes();
    // Forgets the learned schemas and drift: the store's thread learns them again from every
    // delivery (eventTypesLoaded() follows, with the backlog).
    void requestRelearnSchemas();
    void requestEventSchema(const QString &endpoint, const QString &eventType);
    // Writes the event type's JSON Schema (indented) to `path`.
    void requestExportJsonSchema(const QString &path, const QString &endpoint,
                                 const QString &eventType);
    // The delivery to compare `id` with when it is the only one chosen (see
    // DeliveryReader::previousOf).
    void requestPreviousDelivery(qint64 id);
    // `first` and `second` in either order: the lower id is "before".
    void requestComparison(qint64 first, qint64 second);
    // Which deliveries with ids in [firstId, lastId] drifted.
    void requestDrifted(qint64 firstId, qint64 lastId);

    // Raw text beyond this is not shown: a long line is laid out whole on the GUI thread
    // (about 0.2 s a MiB), and the whole body is one `hookscope show --json` away.
    static constexpr qsizetype MaxShownBody = 1024 * 1024;
    // JSON up to this size is pretty-printed: many short lines lay out quickly.
    static constexpr qsizetype MaxPrettyBody = 4 * 1024 * 1024;
    static constexpr qsizetype MaxHexBytes = 256 * 1024;

Q_SIGNALS:
    void opened(bool ok, const QString &error);
    // `dense`: unfiltered and without gaps in the ids, so that row r has id maxId - r.
    void snapshotLoaded(quint64 generation, qint64 maxId, qint64 count, bool dense,
                        const QList<DeliverySummary> &firstPage);
    void pageLoaded(quint64 generation, int page, const QList<DeliverySummary> &rows);
    void newMatchesLoaded(quint64 generation, const QList<DeliverySummary> &rows);
    void detailsLoaded(const DeliveryDetails &details);
    void detailsFailed(qint64 id, const QString &error);
    void timelineLoaded(const QList<DeliveryReader::MinuteCount> &minutes);
    void endpointSaved(const QString &name, const QString &error);
    void endpointRemoved(const QString &name, const QString &error);
    void reverificationProgress(qint64 done, qint64 total);
    void reverificationFinished(const QString &endpoint, qint64 checked, qint64 changedVerdict,
                                const QString &error);
    void queryFailed(const QString &error);
    void subscribersLoaded(const QList<Subscriber> &subscribers);
    void subscriberSaved(qint64 rowId, const QString &error);
    void subscriberDeleted(qint64 rowId, const QString &error);
    void subscribersExported(const QString &path, int count, const QString &error);
    void subscribersImported(const QString &path, const SubscriberRepository::ImportReport &report,
                             const QString &error);
    void backupFinished(const QString &path, const QString &error);
    // The files written, and how the curl command is signed; or `error`.
    void fixtureExported(const QStringList &files, const QString &note, const QString &error);
    void replayStored(qint64 deliveryId, const QString &error);
    void deliveriesReplayed(int answered2xx, int total, const QString &problems);
    void eventTypesLoaded(const QList<SchemaKeeper::EventType> &eventTypes, qint64 backlog);
    void eventSchemaLoaded(const EventSchema &schema);
    void jsonSchemaExported(const QString &path, const QString &error);
    // `previousId` 0: nothing to compare `id` with.
    void previousDeliveryFound(qint64 id, qint64 previousId);
    void comparisonLoaded(const DeliveryComparison &comparison);
    void comparisonFailed(qint64 first, qint64 second, const QString &error);
    void driftedLoaded(qint64 firstId, qint64 lastId, const QList<qint64> &ids);

private:
    class Worker;
    template<typename Work> void post(Work work);

    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;
};
