#include "teamwatcher.h"

#include "database.h"
#include "deliveryreader.h"
#include "schemakeeper.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QTimer>

namespace {

// Read at most this many ids at a time after a long silence, so a read stays small.
constexpr qint64 IdsPerRead = 2000;
// How often the connection itself is checked: a server that went away says nothing.
constexpr int HealthCheckMs = 5000;

} // namespace

TeamWatcher::TeamWatcher(const QString &location, QObject *parent)
    : QObject(parent)
    , m_location(location)
{
    m_clock.start();
}

TeamWatcher::~TeamWatcher() = default;

void TeamWatcher::start()
{
    m_gapTimer = new QTimer(this);
    m_gapTimer->setSingleShot(true);
    connect(m_gapTimer, &QTimer::timeout, this, &TeamWatcher::readNew);
    m_healthTimer = new QTimer(this);
    m_healthTimer->setInterval(HealthCheckMs);
    connect(m_healthTimer, &QTimer::timeout, this, [this] {
        QSqlQuery probe(m_database ? m_database->connection() : QSqlDatabase());
        if (m_database && probe.exec(QStringLiteral("SELECT 1")))
            return;
        // Gone: once back, what was missed meanwhile is read at once.
        if (connectNow())
            readNew();
    });
    m_healthTimer->start();
    if (connectNow()) {
        const auto newest = DeliveryReader(*m_database).maxId(nullptr);
        m_announcedUpTo = newest.value_or(0);
    }
}

void TeamWatcher::stop()
{
    if (m_healthTimer)
        m_healthTimer->stop();
    if (m_gapTimer)
        m_gapTimer->stop();
    m_database.reset();
}

bool TeamWatcher::connectNow()
{
    m_database = std::make_unique<Database>();
    QString error;
    if (!m_database->openReadOnly(m_location, &error)) {
        m_database.reset();
        Q_EMIT problem(error);
        return false;
    }
    QSqlDriver *driver = m_database->connection().driver();
    const QString schemas = QString::fromLatin1(SchemaKeeper::TeamChannel);
    if (!driver->subscribeToNotification(QString::fromLatin1(Channel)) ||
        !driver->subscribeToNotification(schemas)) {
        m_database.reset();
        Q_EMIT problem(QStringLiteral("cannot listen for new deliveries"));
        return false;
    }
    connect(driver, &QSqlDriver::notification, this,
            [this, schemas](const QString &name, QSqlDriver::NotificationSource,
                            const QVariant &payload) {
                if (name != schemas) {
                    readNew();
                    return;
                }
                // "LEARNED DRIFTED" (see SchemaKeeper): 0 0 when what was learned was forgotten.
                const QStringList counts = payload.toString().split(u' ');
                Q_EMIT schemasLearned(counts.value(0).toInt(), counts.value(1).toInt());
            });
    Q_EMIT problem(QString());
    return true;
}

void TeamWatcher::readNew()
{
    if (!m_database)
        return;
    const DeliveryReader reader(*m_database);
    for (;;) {
        QString error;
        const auto newest = reader.maxId(&error);
        if (!newest || *newest <= m_announcedUpTo)
            return;
        const qint64 last = std::min(*newest, m_announcedUpTo + IdsPerRead);
        auto rows = reader.matching(DeliveryFilter(), m_announcedUpTo + 1, last, &error);
        if (!rows)
            return;
        std::reverse(rows->begin(), rows->end()); // oldest first
        QList<DeliverySummary> ready;
        qint64 waitMs = -1; // how long the first gap still holds the rest back
        const qint64 now = m_clock.elapsed();
        for (const DeliverySummary &row : std::as_const(*rows)) {
            // Ids missing below a committed row wait for their rows a while, counted from
            // when they were first missed, then are given up on.
            qint64 wait = 0;
            for (qint64 id = m_announcedUpTo + 1; id < row.id; ++id) {
                const qint64 since = m_missingSince.value(id, -1);
                if (since < 0)
                    m_missingSince.insert(id, now);
                wait = std::max(wait, GapWaitMs - (now - (since < 0 ? now : since)));
            }
            if (wait > 0) {
                waitMs = wait;
                break;
            }
            for (qint64 id = m_announcedUpTo + 1; id <= row.id; ++id)
                m_missingSince.remove(id);
            ready.append(row);
            m_announcedUpTo = row.id;
        }
        if (!ready.isEmpty())
            Q_EMIT stored(ready);
        if (waitMs >= 0) {
            m_gapTimer->start(int(waitMs) + 1);
            return;
        }
        // Ids taken at the end of the range whose rows are not committed yet hold nothing
        // back; their commits will say so.
        if (last == *newest || m_announcedUpTo < last)
            return;
    }
}
