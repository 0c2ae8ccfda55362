#pragma once

#include "delivery.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>

#include <memory>

class Database;
class QTimer;

// Learns of the deliveries any receiver stores in a team database (see Postgres), and of the
// event schemas any receiver learns, the moment they are committed: the receivers NOTIFY on commit,
// and this LISTENs on a connection of its own, on the thread it lives on (which needs an event
// loop), and reads what is new. The table is never polled.
//
// Rows are announced in id order, each once. Ids are taken when a receiver inserts and become
// visible when it commits, so with several receivers a lower id can appear after a higher
// one: rows wait behind such a gap until it fills, or for GapWaitMs at most (an id whose
// transaction failed never fills).
class TeamWatcher : public QObject
{
    Q_OBJECT

public:
    static constexpr int GapWaitMs = 500;
    static constexpr const char *Channel = "hookscope_deliveries";

    explicit TeamWatcher(const QString &location, QObject *parent = nullptr);
    ~TeamWatcher() override;

    // On the watcher's thread: connects, LISTENs, and starts from the newest delivery.
    void start();
    // On the watcher's thread: closes the connection.
    void stop();

Q_SIGNALS:
    // New deliveries in id order, oldest first.
    void stored(const QList<DeliverySummary> &rows);
    // A receiver learned event schemas from `deliveries` deliveries, of which `drifted` drifted
    // (see SchemaKeeper); both 0 when what was learned was forgotten, to be learned again.
    void schemasLearned(int deliveries, int drifted);
    // Why the team database cannot be watched now (it is tried again), or empty once it is.
    void problem(const QString &error);

private:
    bool connectNow();
    void readNew();

    QString m_location;
    std::unique_ptr<Database> m_database;
    QTimer *m_gapTimer = nullptr;
    QTimer *m_healthTimer = nullptr;
    qint64 m_announcedUpTo = 0; // every id up to this was announced, or given up on
    QElapsedTimer m_clock;
    QHash<qint64, qint64> m_missingSince; // missing id -> when first missed (m_clock ms)
};
