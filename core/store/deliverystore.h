#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "replay.h"
#include "writeturns.h"

#include <QList>
#include <QObject>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

// The single writer of a database file. Deliveries submitted from any thread are written on
// the store's own thread, many to a transaction; each submitter learns of the commit (or the
// failure) through its completion, which runs on the writer thread.
//
// The writer also watches the file for endpoint changes made by other connections (the
// command line, the GUI) and announces them, so that a running listener picks them up.
class DeliveryStore : public QObject
{
    Q_OBJECT

public:
    using Clock = std::chrono::steady_clock;
    // `id` is the new row's id, or 0 with `error` set when the delivery was not stored;
    // `status` is the one stored with it, to be answered.
    using Completion = std::function<void(qint64 id, int status, const QString &error)>;

    struct Options
    {
        QString path;
        int busyTimeoutMs = 5000;
        int maxBatch = 512;
        std::chrono::milliseconds endpointPollInterval{1000};
        // The file is HookScope's own (the default location): set a damaged one aside.
        bool setAsideDamaged = false;
        // When the file cannot be opened for a reason that may pass (a read-only file system,
        // a lock), open() still succeeds: every delivery is refused with the reason (senders
        // get 503) and the file is tried again each poll interval until it opens.
        bool waitForStorage = false;
        // For a team database (a postgresql:// path): the file holding this machine's own
        // endpoint secrets, which the team database never holds (see Postgres).
        QString secretsPath;
        // For a team database: announce (stored()) every delivery any receiver stores, as it
        // is committed (see TeamWatcher), rather than only this process's own.
        bool watchTeam = false;
    };

    // The error a completion gets for a delivery whose external id is stored already.
    static constexpr const char *AlreadyStored = "already stored";

    explicit DeliveryStore(QObject *parent = nullptr);
    ~DeliveryStore() override;

    // Opens the file on the writer thread and waits until it is open (or failed).
    bool open(const Options &options, QString *error);
    // Writes everything already submitted, then stops the writer thread.
    void close();
    bool isOpen() const;
    QString path() const { return m_options.path; }
    // Where a damaged file was set aside when the store opened, or empty.
    // Thread-safe; a file found damaged when the store opens the path again (after a
    // replacement) is named here too.
    QString setAsideFile() const;
    // Why the file is not open yet (see Options::waitForStorage), or empty. Thread-safe.
    QString storageProblem() const;

    // Thread-safe. `requestEnd` is when the request was fully received, for handling time.
    void submit(Delivery delivery, Clock::time_point requestEnd, Completion done);

    // Keeps what the app answered to a forwarded delivery (with the replays); with
    // `answeredStatus` >= 0 that is also the status stored as answered to the sender.
    // Thread-safe.
    void recordForward(const Replay &forward, int answeredStatus);

    // For a team database: how the deliveries this process stores name it (the machine's
    // name until set, e.g. to "host:port" once listening). Thread-safe.
    void setReceiverName(const QString &name);

    // For a team database: whether this login may only read it (a viewer): every delivery
    // submitted is then refused. Known once open() returns. Thread-safe.
    bool isReadOnly() const { return m_readOnly.load(); }

    // The endpoints as last read from the file. Thread-safe.
    QList<Endpoint> endpoints() const;
    // For a team database: where this machine's secrets are missing or differ from the
    // team's, as of the last endpoints read. Thread-safe.
    QStringList endpointWarnings() const;

    // How many submitted deliveries wait for the writer.
    qsizetype pendingCount() const;

    // The full-text index's watermark: every delivery up to this id is in the index file (see
    // SearchIndex). Thread-safe.
    qint64 indexedUpTo() const { return m_indexedUpTo.load(std::memory_order_relaxed); }

Q_SIGNALS:
    // Emitted on the writer thread after each commit, with the rows it wrote.
    void stored(const QList<DeliverySummary> &batch);
    void endpointsChanged(const QList<Endpoint> &endpoints);
    // The subscriber mapping moved on: stored deliveries were applied to it, here or by another
    // connection (emitted on the thread that keeps the mapping, within a second).
    void subscribersChanged();
    // Event schemas were learned from new deliveries (see SchemaKeeper), by this process or
    // another; `drifted` of them drifted.
    void schemasLearned(int deliveries, int drifted);
    void storageFailed(const QString &error);
    // The file at the path stopped being the one open (moved, deleted, replaced); what the
    // open file held was copied to `keptCopy` (empty when copying failed).
    void fileReplaced(const QString &keptCopy);
    void storageRecovered();

private:
    struct PendingWrite
    {
        Delivery delivery;
        Clock::time_point requestEnd;
        Completion done;
        // The delivery's columns as they are bound, encoded by the submitting thread so that
        // the writer thread only binds and inserts (see submit()).
        struct Encoded
        {
            QByteArray remoteAddress, method, path, httpVersion, headers, endpoint, eventType,
                eventId, subscriberId, verdict, verification, source, externalId, trailers;
        } encoded;
    };

    // What a writer takes from the queue in one turn (see takeWork()).
    struct Work
    {
        std::vector<PendingWrite> batch;
        std::deque<std::pair<Replay, int>> forwards;
        bool stop = false; // closing, and nothing is left after this batch
    };

    class Writer;
    class PostgresWriter;
    // Waits until something is submitted, the store closes or `wakeAt`, then takes up to
    // maxBatch deliveries and every forward. Forwards wake the writer only with `canWrite`.
    Work takeWork(Clock::time_point wakeAt, bool canWrite);
    // While storage cannot be written: each delivery is answered 503 with the reason, and the
    // forwards wait for it.
    void refuse(Work &work);
    bool runPostgresWriter(std::promise<QString> &opened);

    // On a thread of its own, after the commits: keeps the subscriber mapping (see
    // SubscriberMapper) and the full-text index file (see SearchIndex) up to date.
    void runAfterCommits();
    void runTeamLearning(); // the event schemas of a team database (see SchemaKeeper)
    bool isStopping() const;
    // Wakes the thread after the commits: there are new ones.
    void afterCommitsDue();
    // Until commits are due (or `poll` passes): false once the store stops.
    bool waitForCommits(std::chrono::milliseconds poll);

    Options m_options;
    QThread *m_thread = nullptr;
    QThread *m_indexThread = nullptr;
    std::condition_variable m_indexWake;
    // The writer's and the mapping's turns at the write lock.
    WriteTurns m_writeTurns;
    bool m_indexDue = false;                  // guarded by m_mutex
    std::atomic<quint64> m_openGeneration{0}; // counts the writer's opens of the file
    std::atomic<qint64> m_indexedUpTo{0};
    std::atomic<bool> m_readOnly{false};
    QThread *m_watchThread = nullptr;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<PendingWrite> m_queue;
    std::deque<std::pair<Replay, int>> m_forwards;
    bool m_stopping = true; // until open() succeeds
    bool m_open = false;
    QList<Endpoint> m_endpoints;    // guarded by m_mutex
    QStringList m_endpointWarnings; // guarded by m_mutex
    QString m_receiverName;         // guarded by m_mutex
    QString m_setAside;             // guarded by m_mutex
    QString m_storageProblem;       // guarded by m_mutex
};
