// Event schemas at scale: a database of N JSON deliveries of 20 event types (bulk-inserted,
// not over HTTP), then what learning and reading them costs: the schemas learned from nothing
// (deliveries per second, as after an upgrade or `hookscope events --rebuild`), the event
// types listed and a schema read (the Events view and `hookscope events`), and the drift:
// filter. It measures and prints; it asserts no time.
#include "benchsupport.h"
#include "database.h"
#include "deliveryfilter.h"
#include "deliveryreader.h"
#include "schemakeeper.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <cstdio>
#include <functional>

using BenchSupport::report;

namespace {

// One body of event type `type` (of 20): each type has its own fields; every 50th delivery
// of a type carries a field the others do not, every 97th has a field of another type.
QByteArray body(int i, int type)
{
    QByteArray data = "{\"id\":\"obj_" + QByteArray::number(i) + "\",\"account\":\"acct_" +
                      QByteArray::number(i % 977) + "\",\"email\":\"user" + QByteArray::number(i) +
                      "@example.test\",\"amount\":" + QByteArray::number(i % 10000) +
                      ",\"currency\":\"eur\",\"created_at\":\"2026-"
                      "11-30T10:00:00Z\",\"items\":[{\"sku\":\"S" +
                      QByteArray::number(i % 31) + "\",\"qty\":" + QByteArray::number(i % 5 + 1) +
                      "},{\"sku\":\"T" + QByteArray::number(i % 17) + "\",\"qty\":1}],\"field_" +
                      QByteArray::number(type) + "\":true";
    if (i % 50 == 0)
        data += ",\"coupon\":{\"code\":\"C" + QByteArray::number(i) + "\",\"percent\":10}";
    if (i % 97 == 0)
        data += ",\"amount_text\":\"" + QByteArray::number(i) + "\"";
    return "{\"event_type\":\"type_" + QByteArray::number(type) + ".changed\",\"event_id\":\"evt_" +
           QByteArray::number(i, 36) +
           "\",\"created_at\":\"2026-11-30T10:00:00Z\",\"data\":" + data + "}}";
}

bool generate(const QString &path, int count)
{
    Database db;
    QString error;
    if (!db.open(path, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return false;
    }
    QSqlQuery insert(db.connection());
    insert.prepare(QStringLiteral(
        "INSERT INTO deliveries (received_at, remote_address, method, path, http_version, "
        "headers, body, body_size, endpoint, event_type, event_id, subscriber_id, verdict, "
        "verification, response_status, handling_us) VALUES (?, '127.0.0.1', 'POST', "
        "'/hooks/x', '1.1', '', ?, ?, 'x', ?, ?, '', 'unverified', '{}', 200, 0)"));
    const qint64 start = 1764500000000;
    db.connection().transaction();
    for (int i = 0; i < count; ++i) {
        const int type = i % 20;
        const QByteArray b = body(i, type);
        insert.addBindValue(start + i);
        insert.addBindValue(b);
        insert.addBindValue(b.size());
        insert.addBindValue(QStringLiteral("type_%1.changed").arg(type));
        insert.addBindValue(QStringLiteral("evt_%1").arg(i, 0, 36));
        if (!insert.exec()) {
            std::fprintf(stderr, "insert failed\n");
            return false;
        }
        if (i % 50000 == 49999) {
            db.connection().commit();
            db.connection().transaction();
        }
    }
    db.connection().commit();
    return true;
}

double millisecondsOf(const std::function<void()> &work)
{
    QElapsedTimer timer;
    timer.start();
    work();
    return double(timer.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("count"), QStringLiteral("Deliveries to generate."),
                      QStringLiteral("N"), QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("Database to use (generated when missing)."),
                      QStringLiteral("FILE")});
    parser.process(app);
    const int count = parser.value(QStringLiteral("count")).toInt();
    QTemporaryDir directory;
    QString path = parser.value(QStringLiteral("db"));
    if (path.isEmpty())
        path = directory.filePath(QStringLiteral("schemas.db"));
    if (!QFileInfo::exists(path)) {
        QElapsedTimer timer;
        timer.start();
        if (!generate(path, count))
            return 1;
        report("generate_s", timer.elapsed() / 1000.0, "s");
    }
    Database db;
    QString error;
    if (!db.open(path, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    // Learned from nothing, in the chunks the store's thread takes.
    if (!SchemaKeeper::reset(db, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    qint64 learned = 0;
    const double rebuildMs = millisecondsOf([&] {
        SchemaKeeper keeper(db);
        for (;;) {
            const std::optional<int> read = keeper.catchUp(5000, &error);
            if (!read) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                std::exit(1);
            }
            learned += *read;
            if (*read < 5000)
                break;
        }
    });
    report("deliveries", double(learned), "rows");
    report("rebuild_per_s", double(learned) / std::max(rebuildMs / 1000.0, 1e-6), "/s");
    qsizetype types = 0;
    const double typesMs = millisecondsOf([&] {
        types = SchemaKeeper::eventTypes(db, QString(), &error)
                    .value_or(QList<SchemaKeeper::EventType>())
                    .size();
    });
    report("event_types", double(types), "types");
    report("event_types_ms", typesMs, "ms");
    qsizetype fields = 0;
    const double schemaMs = millisecondsOf([&] {
        fields = qsizetype(
            SchemaKeeper::schema(db, QStringLiteral("x"), QStringLiteral("type_7.changed"), &error)
                .value_or(EventSchema())
                .fields.size());
    });
    report("schema_fields", double(fields), "fields");
    report("schema_ms", schemaMs, "ms");
    std::optional<qint64> drifted;
    const double driftMs = millisecondsOf([&] {
        drifted =
            DeliveryReader(db).count(DeliveryFilter::parse(QStringLiteral("drift:yes")), 0, &error);
    });
    report("drift_filter_rows", double(drifted.value_or(-1)), "rows");
    report("drift_filter_count_ms", driftMs, "ms");
    auto size = db.run(QStringLiteral("SELECT (SELECT count(*) FROM drift), (SELECT count(*) FROM "
                                      "schema_fields)"),
                       {}, &error);
    if (size && size->next()) {
        report("drift_rows", size->value(0).toDouble(), "rows");
        report("schema_field_rows", size->value(1).toDouble(), "rows");
    }
    return 0;
}
