#include "queryservice.h"

#include "schemakeeper.h"

#include "bodyformatter.h"
#include "database.h"
#include "endpointrepository.h"
#include "httpsender.h"
#include "privatefile.h"
#include "replayrepository.h"
#include "testfixture.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

// Lives on the service's thread; owns the connection.
class QueryService::Worker : public QObject
{
public:
    explicit Worker(QueryService &service)
        : m_service(service)
    {}

    void open(const QString &path)
    {
        QString error;
        const bool ok = m_database.open(path, &error);
        Q_EMIT m_service.opened(ok, error);
    }

    DeliveryReader reader() const { return DeliveryReader(m_database); }

    void snapshot(quint64 generation, const DeliveryFilter &filter, int firstPageSize)
    {
        // One read transaction: the highest id, the count and the first page agree.
        QSqlDatabase db = m_database.connection();
        db.transaction();
        QString error;
        const DeliveryReader reader(m_database);
        const qint64 maxId = reader.maxId(&error).value_or(-1);
        const qint64 count = maxId >= 0 ? reader.count(filter, maxId, &error).value_or(-1) : -1;
        const auto rows =
            count >= 0 ? reader.page(filter, maxId, 0, firstPageSize, &error) : std::nullopt;
        const qint64 minId = filter.isEmpty() && rows ? reader.minId(&error).value_or(-1) : -1;
        db.commit();
        if (!rows) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        const bool dense = minId >= 0 && count == maxId - minId + 1;
        Q_EMIT m_service.snapshotLoaded(generation, maxId, count, dense, *rows);
    }

    void page(quint64 generation, const DeliveryFilter &filter, qint64 maxId, int page,
              int pageSize, qint64 beforeId, qint64 total)
    {
        QString error;
        const DeliveryReader reader(m_database);
        const auto rows = beforeId > 0 ? reader.pageBefore(filter, beforeId, pageSize, &error)
                                       : reader.page(filter, maxId, qint64(page) * pageSize,
                                                     pageSize, &error, total);
        if (!rows) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.pageLoaded(generation, page, *rows);
    }

    void newMatches(quint64 generation, const DeliveryFilter &filter, qint64 firstId, qint64 lastId)
    {
        QString error;
        const auto rows = reader().matching(filter, firstId, lastId, &error);
        if (!rows) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.newMatchesLoaded(generation, *rows);
    }

    void details(qint64 id)
    {
        QString error;
        auto delivery = reader().find(id, &error);
        if (!delivery) {
            Q_EMIT m_service.detailsFailed(
                id,
                error.isEmpty() ? QStringLiteral("delivery %1 no longer exists").arg(id) : error);
            return;
        }
        DeliveryDetails details;
        details.payload =
            PayloadDecoder::decode(delivery->body, delivery->headers.value("Content-Type"));
        details.identity = ProviderMetadata::identifyStored(*delivery, details.payload);
        const QByteArray shown = delivery->body.left(MaxShownBody);
        details.bodyTruncated = delivery->body.size() > MaxShownBody;
        if (BodyFormatter::isText(shown))
            details.bodyText = QString::fromUtf8(shown);
        if (details.payload.format == DecodedPayload::Format::Json &&
            delivery->body.size() <= MaxPrettyBody)
            details.prettyBody = BodyFormatter::prettyJson(delivery->body);
        details.hexDump = BodyFormatter::hexDump(delivery->body, MaxHexBytes);
        details.narrowHexDump = BodyFormatter::hexDump(delivery->body, MaxHexBytes, 8);
        if (!delivery->eventId.isEmpty())
            details.attempts =
                reader().attempts(delivery->eventId, &error).value_or(QList<DeliverySummary>());
        details.replays =
            ReplayRepository(m_database).ofDelivery(id, &error).value_or(QList<Replay>());
        SchemaKeeper keeper(m_database);
        if (keeper.learnedUpTo(&error).value_or(0) >= id)
            details.drift = SchemaKeeper::driftOf(m_database, id, &error);
        details.delivery = std::move(*delivery);
        Q_EMIT m_service.detailsLoaded(details);
    }

    void timeline(qint64 sinceMs)
    {
        QString error;
        const auto minutes = reader().perMinute(sinceMs, &error);
        if (!minutes) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.timelineLoaded(*minutes);
    }

    void saveEndpoint(const Endpoint &endpoint, const QString &previousName)
    {
        QString error;
        EndpointRepository repository(m_database);
        bool ok = false;
        if (previousName.isEmpty()) {
            Endpoint added = endpoint;
            ok = repository.add(added, &error);
        } else if (previousName != endpoint.name) {
            // A rename: the new name must be free; the old endpoint goes.
            Endpoint added = endpoint;
            ok = repository.add(added, &error) && repository.remove(previousName, &error);
        } else {
            ok = repository.update(endpoint, &error);
        }
        Q_EMIT m_service.endpointSaved(endpoint.name, ok ? QString() : error);
        if (ok)
            reverify(endpoint.name);
    }

    void removeEndpoint(const QString &name)
    {
        QString error;
        const bool ok = EndpointRepository(m_database).remove(name, &error);
        Q_EMIT m_service.endpointRemoved(name, ok ? QString() : error);
    }

    void subscribers()
    {
        QString error;
        const auto rows = SubscriberRepository(m_database).list(&error);
        if (!rows) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.subscribersLoaded(*rows);
    }

    void setSubscriberFields(qint64 rowId, const QString &reference, const QString &notes)
    {
        QString error;
        const bool ok =
            SubscriberRepository(m_database).setUserFields(rowId, reference, notes, &error);
        Q_EMIT m_service.subscriberSaved(rowId, ok ? QString() : error);
    }

    void deleteSubscriber(qint64 rowId)
    {
        QString error;
        const bool ok = SubscriberRepository(m_database).remove(rowId, &error);
        Q_EMIT m_service.subscriberDeleted(rowId, ok ? QString() : error);
        if (ok)
            subscribers();
    }

    void exportSubscribers(const QString &path, ExportFormat format)
    {
        QString error;
        const auto rows = SubscriberRepository(m_database).list(&error);
        if (rows) {
            PrivateFile::write(path,
                               format == ExportFormat::Csv ? SubscriberRepository::toCsv(*rows)
                                                           : SubscriberRepository::toJson(*rows),
                               &error);
        }
        Q_EMIT m_service.subscribersExported(path, rows ? int(rows->size()) : 0, error);
    }

    void importSubscribers(const QString &path)
    {
        QString error;
        std::optional<SubscriberRepository::ImportReport> report;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            error = file.errorString();
        else
            report = SubscriberRepository(m_database).importCsv(file.readAll(), &error);
        Q_EMIT m_service.subscribersImported(path,
                                             report.value_or(SubscriberRepository::ImportReport()),
                                             report ? QString() : error);
        if (report)
            subscribers();
    }

    void storeReplay(Replay replay)
    {
        QString error;
        const bool ok = ReplayRepository(m_database).add(replay, &error);
        Q_EMIT m_service.replayStored(replay.deliveryId, ok ? QString() : error);
    }

    void replayDeliveries(const QList<qint64> &ids, const QString &baseUrl, bool resign)
    {
        if (!m_sender)
            m_sender = new HttpSender(this);
        const auto endpoints =
            EndpointRepository(m_database).list(nullptr).value_or(QList<Endpoint>());
        struct Progress
        {
            int pending = 0;
            int ok = 0;
            int total = 0;
            QStringList problems;
        };
        auto progress = std::make_shared<Progress>();
        progress->total = int(ids.size());
        progress->pending = int(ids.size());
        auto finishOne = [this, progress] {
            if (--progress->pending == 0)
                Q_EMIT m_service.deliveriesReplayed(progress->ok, progress->total,
                                                    progress->problems.join(QStringLiteral("; ")));
        };
        for (qint64 id : ids) {
            QString error;
            const auto delivery = DeliveryReader(m_database).find(id, &error);
            const Endpoint *endpoint = nullptr;
            for (const Endpoint &e : endpoints) {
                if (delivery && e.name == delivery->endpoint)
                    endpoint = &e;
            }
            std::optional<Replay> replay;
            if (!delivery)
                error = error.isEmpty() ? QStringLiteral("no delivery %1").arg(id) : error;
            else if (resign && !endpoint)
                error = QStringLiteral("delivery %1 has no endpoint to sign with").arg(id);
            else
                replay = Replay::prepare(*delivery, QUrl(baseUrl + delivery->path),
                                         resign ? endpoint : nullptr, &error);
            if (!replay) {
                progress->problems.append(error);
                finishOne();
                continue;
            }
            replay->sentAtMs = QDateTime::currentMSecsSinceEpoch();
            m_sender->send(
                delivery->method, replay->url, replay->requestHeaders, replay->requestBody,
                [this, progress, finishOne,
                 prepared = *replay](const HttpSender::Answer &answer) mutable {
                    prepared.status = answer.status;
                    prepared.responseHeaders = answer.headers;
                    prepared.responseBody = answer.body;
                    prepared.latencyMs = answer.latencyMs;
                    prepared.error = answer.error;
                    QString storeError;
                    ReplayRepository(m_database).add(prepared, &storeError);
                    if (answer.status >= 200 && answer.status < 300)
                        ++progress->ok;
                    else
                        progress->problems.append(answer.status ? QStringLiteral("delivery %1: %2")
                                                                      .arg(prepared.deliveryId)
                                                                      .arg(answer.status)
                                                                : QStringLiteral("delivery %1: %2")
                                                                      .arg(prepared.deliveryId)
                                                                      .arg(answer.error));
                    finishOne();
                });
        }
    }

    void eventTypes()
    {
        QString error;
        const auto types = SchemaKeeper::eventTypes(m_database, QString(), &error);
        const auto backlog = types ? SchemaKeeper::backlog(m_database, &error) : std::nullopt;
        if (!types || !backlog) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.eventTypesLoaded(*types, *backlog);
    }

    void relearnSchemas()
    {
        QString error;
        if (!SchemaKeeper::reset(m_database, &error)) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        eventTypes();
    }

    void eventSchema(const QString &endpoint, const QString &eventType)
    {
        QString error;
        auto schema = SchemaKeeper::schema(m_database, endpoint, eventType, &error);
        if (!schema) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        // An event type never learned still names itself.
        schema->endpoint = endpoint;
        schema->eventType = eventType;
        Q_EMIT m_service.eventSchemaLoaded(*schema);
    }

    void exportJsonSchema(const QString &path, const QString &endpoint, const QString &eventType)
    {
        QString error;
        const auto schema = SchemaKeeper::schema(m_database, endpoint, eventType, &error);
        if (schema && schema->deliveries == 0)
            error = QStringLiteral("nothing was learned of %1 on %2 yet").arg(eventType, endpoint);
        else if (schema)
            PrivateFile::write(path, QJsonDocument(schema->toJsonSchema()).toJson(), &error);
        Q_EMIT m_service.jsonSchemaExported(path, error);
    }

    void previousDelivery(qint64 id)
    {
        QString error;
        const auto previous = reader().previousOf(id, &error);
        if (!previous) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.previousDeliveryFound(id, *previous);
    }

    static QString shownBody(const Delivery &delivery)
    {
        const QByteArray &body = delivery.body;
        if (body.isEmpty())
            return {};
        const auto decoded = PayloadDecoder::decode(body, delivery.headers.value("Content-Type"));
        if (decoded.format == DecodedPayload::Format::Json && body.size() <= MaxPrettyBody)
            return BodyFormatter::prettyJson(body);
        const QByteArray shown = body.left(MaxShownBody);
        if (BodyFormatter::isText(shown))
            return QString::fromUtf8(shown);
        return QStringLiteral("(%1 bytes of binary data)").arg(body.size());
    }

    void comparison(qint64 first, qint64 second)
    {
        QString error;
        const qint64 beforeId = std::min(first, second);
        const qint64 afterId = std::max(first, second);
        auto before = reader().find(beforeId, &error);
        auto after = before ? reader().find(afterId, &error) : std::nullopt;
        if (!before || !after) {
            Q_EMIT m_service.comparisonFailed(first, second,
                                              error.isEmpty()
                                                  ? QStringLiteral("delivery %1 no longer exists")
                                                        .arg(before ? afterId : beforeId)
                                                  : error);
            return;
        }
        DeliveryComparison comparison;
        comparison.changes = DeliveryDiff::between(*before, *after);
        comparison.beforeText = shownBody(*before);
        comparison.afterText = shownBody(*after);
        comparison.before = std::move(*before);
        comparison.after = std::move(*after);
        Q_EMIT m_service.comparisonLoaded(comparison);
    }

    void drifted(qint64 firstId, qint64 lastId)
    {
        QString error;
        const auto ids = reader().drifted(firstId, lastId, &error);
        if (!ids) {
            Q_EMIT m_service.queryFailed(error);
            return;
        }
        Q_EMIT m_service.driftedLoaded(firstId, lastId, *ids);
    }

    void backup(const QString &path)
    {
        QString error;
        m_database.backupTo(path, &error);
        Q_EMIT m_service.backupFinished(path, error);
    }

    void exportFixture(qint64 id, const QString &directory, const QUrl &to)
    {
        QString error;
        const std::optional<Delivery> delivery = reader().find(id, &error);
        if (!delivery) {
            Q_EMIT m_service.fixtureExported(
                {}, {},
                error.isEmpty() ? QStringLiteral("delivery %1 is not in the database").arg(id)
                                : error);
            return;
        }
        std::optional<Endpoint> endpoint;
        if (!delivery->endpoint.isEmpty())
            endpoint = EndpointRepository(m_database).find(delivery->endpoint, &error);
        const std::optional<TestFixture> fixture =
            TestFixture::of(*delivery, endpoint ? &*endpoint : nullptr, to, &error);
        QStringList written;
        if (!fixture || !fixture->writeTo(directory, &written, &error)) {
            Q_EMIT m_service.fixtureExported({}, {}, error);
            return;
        }
        Q_EMIT m_service.fixtureExported(written, fixture->signingNote(), QString());
    }

    void reverify(const QString &endpoint)
    {
        QString error;
        const auto result =
            Reverifier::run(m_database, endpoint, &error, [this](qint64 done, qint64 total) {
                Q_EMIT m_service.reverificationProgress(done, total);
                return !QThread::currentThread()->isInterruptionRequested();
            });
        Q_EMIT m_service.reverificationFinished(endpoint, result ? result->checked : 0,
                                                result ? result->changedVerdict : 0,
                                                result ? QString() : error);
    }

private:
    QueryService &m_service;
    Database m_database;
    HttpSender *m_sender = nullptr;
};

QueryService::QueryService(QObject *parent)
    : QObject(parent)
{}

template<typename Work> void QueryService::post(Work work)
{
    if (!m_worker)
        return;
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, work] { work(worker); }, Qt::QueuedConnection);
}

QueryService::~QueryService()
{
    stop();
}

void QueryService::start(const QString &path)
{
    stop();
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("hookscope-queries"));
    m_worker = new Worker(*this);
    m_worker->moveToThread(m_thread);
    // The worker (and its connection) is destroyed on its own thread as the thread finishes.
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    post([path](Worker *worker) { worker->open(path); });
}

void QueryService::requestReopen(const QString &path)
{
    post([path](Worker *worker) { worker->open(path); });
}

void QueryService::stop()
{
    if (!m_thread)
        return;
    m_thread->requestInterruption();
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_worker = nullptr;
}

void QueryService::requestSnapshot(quint64 generation, const DeliveryFilter &filter,
                                   int firstPageSize)
{
    post([generation, filter, firstPageSize](Worker *worker) {
        worker->snapshot(generation, filter, firstPageSize);
    });
}

void QueryService::requestPage(quint64 generation, const DeliveryFilter &filter, qint64 maxId,
                               int page, int pageSize, qint64 beforeId, qint64 total)
{
    post([=](Worker *worker) {
        worker->page(generation, filter, maxId, page, pageSize, beforeId, total);
    });
}

void QueryService::requestNewMatches(quint64 generation, const DeliveryFilter &filter,
                                     qint64 firstId, qint64 lastId)
{
    post([=](Worker *worker) { worker->newMatches(generation, filter, firstId, lastId); });
}

void QueryService::requestDetails(qint64 id)
{
    post([id](Worker *worker) { worker->details(id); });
}

void QueryService::requestTimeline(qint64 sinceMs)
{
    post([sinceMs](Worker *worker) { worker->timeline(sinceMs); });
}

void QueryService::requestSaveEndpoint(const Endpoint &endpoint, const QString &previousName)
{
    post(
        [endpoint, previousName](Worker *worker) { worker->saveEndpoint(endpoint, previousName); });
}

void QueryService::requestRemoveEndpoint(const QString &name)
{
    post([name](Worker *worker) { worker->removeEndpoint(name); });
}

void QueryService::requestSubscribers()
{
    post([](Worker *worker) { worker->subscribers(); });
}

void QueryService::requestSetSubscriberFields(qint64 rowId, const QString &localReference,
                                              const QString &notes)
{
    post([=](Worker *worker) { worker->setSubscriberFields(rowId, localReference, notes); });
}

void QueryService::requestDeleteSubscriber(qint64 rowId)
{
    post([rowId](Worker *worker) { worker->deleteSubscriber(rowId); });
}

void QueryService::requestExportSubscribers(const QString &path, ExportFormat format)
{
    post([=](Worker *worker) { worker->exportSubscribers(path, format); });
}

void QueryService::requestImportSubscribers(const QString &path)
{
    post([path](Worker *worker) { worker->importSubscribers(path); });
}

void QueryService::requestExportFixture(qint64 id, const QString &directory, const QUrl &to)
{
    post([=](Worker *worker) { worker->exportFixture(id, directory, to); });
}

void QueryService::requestBackup(const QString &path)
{
    post([path](Worker *worker) { worker->backup(path); });
}

void QueryService::requestStoreReplay(const Replay &replay)
{
    post([replay](Worker *worker) { worker->storeReplay(replay); });
}

void QueryService::requestReplayDeliveries(const QList<qint64> &ids, const QString &baseUrl,
                                           bool resign)
{
    post([=](Worker *worker) { worker->replayDeliveries(ids, baseUrl, resign); });
}

void QueryService::requestEventTypes()
{
    post([](Worker *worker) { worker->eventTypes(); });
}

void QueryService::requestRelearnSchemas()
{
    post([](Worker *worker) { worker->relearnSchemas(); });
}

void QueryService::requestEventSchema(const QString &endpoint, const QString &eventType)
{
    post([=](Worker *worker) { worker->eventSchema(endpoint, eventType); });
}

void QueryService::requestExportJsonSchema(const QString &path, const QString &endpoint,
                                           const QString &eventType)
{
    post([=](Worker *worker) { worker->exportJsonSchema(path, endpoint, eventType); });
}

void QueryService::requestPreviousDelivery(qint64 id)
{
    post([id](Worker *worker) { worker->previousDelivery(id); });
}

void QueryService::requestComparison(qint64 first, qint64 second)
{
    post([=](Worker *worker) { worker->comparison(first, second); });
}

void QueryService::requestDrifted(qint64 firstId, qint64 lastId)
{
    post([=](Worker *worker) { worker->drifted(firstId, lastId); });
}
