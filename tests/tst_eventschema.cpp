#include "database.h"
#include "deliverydiff.h"
#include "deliverystore.h"
#include "eventschema.h"
#include "schemakeeper.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <atomic>
#include <thread>

namespace {

using Kind = SchemaDrift::Kind;

// A generated history of one event type: two shapes, a type change, an optional field, an
// object that appears, and a body that is an array.
const char *const History[] = {
    "{\"id\":\"e1\",\"data\":{\"email\":\"a@x.io\",\"amount\":10,\"tags\":[\"a\"]}}",
    "{\"id\":\"e2\",\"data\":{\"email\":\"b@x.io\",\"amount\":12,\"tags\":[]}}",
    "{\"id\":\"e3\",\"data\":{\"email\":\"c@x.io\",\"amount\":12.50,\"tags\":[\"b\"],\"phone\":\"+"
    "1\"}}",
    "{\"id\":\"e4\",\"data\":{\"amount\":\"13\",\"tags\":[\"c\",\"d\"]}}",
    "{\"id\":\"e5\",\"data\":{\"email\":\"e@x.io\",\"amount\":14,\"tags\":[\"e\"],\"address\":{"
    "\"city\":\"Oslo\"}}}",
    "[1,2]",
};

Delivery jsonDelivery(const QByteArray &body, const QString &eventType, int n)
{
    Delivery d;
    d.receivedAtMs = 1700000000000 + n;
    d.remoteAddress = QStringLiteral("127.0.0.1");
    d.method = QStringLiteral("POST");
    d.path = QStringLiteral("/hooks/hh");
    d.httpVersion = QStringLiteral("1.1");
    d.headers.append("Content-Type", "application/json");
    d.body = body;
    d.endpoint = QStringLiteral("hh");
    d.eventType = eventType;
    d.eventId = QStringLiteral("evt_%1").arg(n);
    d.responseStatus = 200;
    return d;
}

// Random JSON of a few shapes, to be learned and then validated by an independent validator.
class BodyGenerator
{
public:
    explicit BodyGenerator(quint32 seed)
        : m_random(seed)
    {}

    QJsonObject body()
    {
        QJsonObject data;
        data.insert(QStringLiteral("id"), QStringLiteral("sub_%1").arg(m_random.bounded(100000)));
        if (chance(80))
            data.insert(QStringLiteral("email"), QStringLiteral("u%1@example.com").arg(n()));
        if (chance(50))
            data.insert(QStringLiteral("score"),
                        chance(50) ? QJsonValue(n()) : QJsonValue(0.5 * n()));
        if (chance(30))
            data.insert(QStringLiteral("nickname"),
                        chance(50) ? QJsonValue() : QJsonValue(u"zoë"_qs));
        if (chance(40))
            data.insert(QStringLiteral("with space"), true);
        if (chance(40))
            data.insert(QStringLiteral("dotted.key"), QStringLiteral("v"));
        QJsonArray items;
        for (int i = 0, count = int(m_random.bounded(4)); i < count; ++i) {
            QJsonObject item{{QStringLiteral("sku"), QStringLiteral("S%1").arg(n())}};
            if (chance(50))
                item.insert(QStringLiteral("qty"), n());
            if (chance(20))
                item.insert(QStringLiteral("meta"), QJsonObject{{QStringLiteral("k"), n()}});
            items.append(item);
        }
        if (chance(90))
            data.insert(QStringLiteral("items"), items);
        if (chance(20))
            data.insert(QStringLiteral("matrix"), QJsonArray{QJsonArray{1, 2}, QJsonArray{}});
        QJsonObject body{{QStringLiteral("event"), QStringLiteral("order.created")},
                         {QStringLiteral("data"), data}};
        if (chance(70))
            body.insert(QStringLiteral("created_at"), QStringLiteral("2026-11-30T10:00:00Z"));
        return body;
    }

private:
    bool chance(int percent) { return int(m_random.bounded(100)) < percent; }
    int n() { return int(m_random.bounded(1000)); }
    QRandomGenerator m_random;
};

// Python from Debian (python3-jsonschema), not another interpreter on the PATH.
QString systemPython()
{
    return QFile::exists(QStringLiteral("/usr/bin/python3")) ? QStringLiteral("/usr/bin/python3")
                                                             : QStringLiteral("python3");
}

} // namespace

class TestEventSchema : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pathHelpers()
    {
        QCOMPARE(EventSchema::schemaPathOf(u"a[2].b[10]"_qs), u"a[].b[]"_qs);
        QCOMPARE(EventSchema::schemaPathOf(u"[0]"_qs), u"[]"_qs);
        // A quoted key that looks like an index stays as it is.
        QCOMPARE(EventSchema::schemaPathOf(u"a[\"x[1]\"][3]"_qs), u"a[\"x[1]\"][]"_qs);
        QCOMPARE(EventSchema::parentOf(u"a.b"_qs), std::optional<QString>(u"a"_qs));
        QCOMPARE(EventSchema::parentOf(u"a[]"_qs), std::optional<QString>(u"a"_qs));
        QCOMPARE(EventSchema::parentOf(u"b"_qs), std::optional<QString>(u""_qs));
        QCOMPARE(EventSchema::parentOf(u"a[\"x.y\"]"_qs), std::optional<QString>(u"a"_qs));
        QCOMPARE(EventSchema::parentOf(u"a[\"x.y\"].z"_qs),
                 std::optional<QString>(u"a[\"x.y\"]"_qs));
        QCOMPARE(EventSchema::parentOf(QString()), std::nullopt);
        QCOMPARE(EventSchema::memberName(u"a[\"x.y\"]"_qs), u"x.y"_qs);
        QCOMPARE(EventSchema::memberName(u"a[\"q\\\"\\\\\"]"_qs), u"q\"\\"_qs);
        QCOMPARE(EventSchema::memberName(u"a.b"_qs), u"b"_qs);
        const auto steps = EventSchema::stepsOf(u"a[\"x.y\"][][2].b"_qs);
        QVERIFY(steps);
        QCOMPARE(steps->size(), size_t(5));
        QCOMPARE(steps->at(1).name, u"x.y"_qs);
        QVERIFY(steps->at(2).element && !steps->at(2).indexed);
        QVERIFY(steps->at(3).element && steps->at(3).indexed);
        QCOMPARE(steps->at(4).name, u"b"_qs);
        QVERIFY(!EventSchema::stepsOf(u"a[x]"_qs));
        QVERIFY(!EventSchema::stepsOf(u"a[\"open"_qs));
        QVERIFY(EventSchema::isElement(u"a[]"_qs));
        QVERIFY(!EventSchema::isElement(u"a[\"]\"]"_qs));
        QVERIFY(!EventSchema::isElement(u"a"_qs));
    }

    void stringFormats_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("formats");
        QTest::newRow("date-time Z") << u"2026-11-30T10:20:30Z"_qs << u"date-time"_qs;
        QTest::newRow("date-time offset") << u"2026-11-30T10:20:30.123+01:00"_qs << u"date-time"_qs;
        QTest::newRow("date only") << u"2026-11-30"_qs << QString();
        // JSON Schema's date-time is RFC 3339's: a T, a zone, fields within range.
        QTest::newRow("space for T") << u"2026-11-30 10:20:30Z"_qs << QString();
        QTest::newRow("no zone") << u"2026-11-30T10:20:30"_qs << QString();
        QTest::newRow("month 13") << u"2026-13-30T10:20:30Z"_qs << QString();
        QTest::newRow("hour 24") << u"2026-11-30T24:20:30Z"_qs << QString();
        QTest::newRow("offset without colon") << u"2026-11-30T10:20:30+0200"_qs << QString();
        QTest::newRow("leap second") << u"2016-12-31T23:59:60Z"_qs << u"date-time"_qs;
        QTest::newRow("iri") << u"https://bücher.example/"_qs << QString();
        QTest::newRow("bad month") << u"2026-1-30T10:20:30Z"_qs << QString();
        QTest::newRow("uuid") << u"123e4567-e89b-12d3-a456-426614174000"_qs << u"uuid"_qs;
        QTest::newRow("uuid short") << u"123e4567-e89b-12d3-a456-42661417400"_qs << QString();
        QTest::newRow("email") << u"ada@example.com"_qs << u"email"_qs;
        QTest::newRow("two ats") << u"a@b@example.com"_qs << QString();
        QTest::newRow("url") << u"https://example.com/x?y=1"_qs << u"url"_qs;
        QTest::newRow("no scheme") << u"example.com/x"_qs << QString();
        QTest::newRow("integer string") << u"-42"_qs << u"integer-string"_qs;
        QTest::newRow("decimal string") << u"4.2"_qs << QString();
        QTest::newRow("empty") << QString() << QString();
    }

    void stringFormats()
    {
        QFETCH(QString, text);
        QFETCH(QString, formats);
        QCOMPARE(StringFormats::names(StringFormats::of(text)), formats);
    }

    void learnsFieldsTypesPresenceAndExamples()
    {
        SchemaLearner learner;
        for (qsizetype i = 0; i < qsizetype(std::size(History)); ++i)
            QVERIFY(learner.learn(QByteArray(History[i]), 100 + i, 1000 + i));
        const EventSchema schema = learner.schema(u"hh"_qs, u"t"_qs);
        QCOMPARE(schema.deliveries, 6);
        QCOMPARE(schema.drifted, 4);
        QCOMPARE(schema.firstSeenMs, 1000);
        QCOMPARE(schema.lastSeenMs, 1005);
        QCOMPARE(schema.paths(),
                 (QStringList{u""_qs, u"[]"_qs, u"data"_qs, u"data.address"_qs,
                              u"data.address.city"_qs, u"data.amount"_qs, u"data.email"_qs,
                              u"data.phone"_qs, u"data.tags"_qs, u"data.tags[]"_qs, u"id"_qs}));
        const SchemaField &root = schema.fields.at(QString());
        QCOMPARE(root.types, unsigned(SchemaTypes::Object | SchemaTypes::Array));
        QCOMPARE(root.deliveries, 6);
        QCOMPARE(root.objects, 5);
        const SchemaField &amount = schema.fields.at(u"data.amount"_qs);
        QCOMPARE(SchemaTypes::names(amount.types), u"integer|number|string"_qs);
        QCOMPARE(amount.deliveries, 5);
        // Numbers exactly as written, each value once, three at most.
        QCOMPARE(amount.examples, (QStringList{u"10"_qs, u"12"_qs, u"12.50"_qs}));
        QCOMPARE(amount.strings, 1);
        QCOMPARE(StringFormats::names(amount.formats), u"integer-string"_qs);
        const SchemaField &email = schema.fields.at(u"data.email"_qs);
        QCOMPARE(email.deliveries, 4);
        QCOMPARE(email.firstDeliveryId, 100);
        QCOMPARE(email.lastSeenMs, 1004);
        QCOMPARE(StringFormats::names(email.formats), u"email"_qs);
        const SchemaField &tags = schema.fields.at(u"data.tags[]"_qs);
        QCOMPARE(tags.deliveries, 4); // the empty array carries no element
        QCOMPARE(tags.occurrences, 5);
        QCOMPARE(tags.examples, (QStringList{u"\"a\""_qs, u"\"b\""_qs, u"\"c\""_qs}));
        const SchemaField &elements = schema.fields.at(u"[]"_qs);
        QCOMPARE(elements.types, unsigned(SchemaTypes::Integer));
        QCOMPARE(elements.occurrences, 2);
        QCOMPARE(schema.fields.at(u"data.phone"_qs).deliveries, 1);
        QCOMPARE(schema.fields.at(u"data.address.city"_qs).firstDeliveryId, 104);
    }

    void driftOfEachDelivery()
    {
        const QList<QList<SchemaDrift>> expected{
            {}, // the first: nothing to differ from
            {}, // an empty array is not a missing element
            {{u"data.amount"_qs, Kind::TypeChanged, u"integer"_qs, u"number"_qs},
             {u"data.phone"_qs, Kind::NewField, QString(), u"string"_qs}},
            {{u"data.amount"_qs, Kind::TypeChanged, u"integer|number"_qs, u"string"_qs},
             {u"data.email"_qs, Kind::Missing, u"string"_qs, QString()}},
            // The new object only, not its members; an integer where numbers were is no change.
            {{u"data.address"_qs, Kind::NewField, QString(), u"object"_qs}},
            // A body that is an array: members of the object it was are not missing.
            {{QString(), Kind::TypeChanged, u"object"_qs, u"array"_qs},
             {u"[]"_qs, Kind::NewField, QString(), u"integer"_qs}},
        };
        SchemaLearner learner;
        for (qsizetype i = 0; i < qsizetype(std::size(History)); ++i) {
            const std::optional<QList<SchemaDrift>> drift =
                learner.learn(QByteArray(History[i]), i + 1, i);
            QVERIFY(drift);
            QCOMPARE(*drift, expected.at(i));
        }
        // What was learned, read back and continued, drifts alike.
        SchemaLearner again = SchemaLearner::from(learner.schema(QString(), QString()));
        const auto next = again.learn(QByteArray(History[3]), 7, 7);
        QCOMPARE(next, learner.learn(QByteArray(History[3]), 7, 7));
        QCOMPARE(again.schema(QString(), QString()).fields,
                 learner.schema(QString(), QString()).fields);
        // Missing fields come by path, whether the learner was read back or not.
        SchemaLearner fresh;
        QVERIFY(fresh.learn("{\"z\":1,\"a\":1}", 1, 1));
        SchemaLearner readBack = SchemaLearner::from(fresh.schema(QString(), QString()));
        const QList<SchemaDrift> bothMissing{{u"a"_qs, Kind::Missing, u"integer"_qs, QString()},
                                             {u"z"_qs, Kind::Missing, u"integer"_qs, QString()}};
        QCOMPARE(fresh.learn("{}", 2, 2), std::optional(bothMissing));
        QCOMPARE(readBack.learn("{}", 2, 2), std::optional(bothMissing));
    }

    void duplicateKeysAndScalarBodies()
    {
        // A key written twice in one object is carried once, with both its values learned:
        // readers keep one of them (most the last), and the schema must let either through.
        SchemaLearner learner;
        QVERIFY(learner.learn("{\"a\":1,\"a\":{\"b\":2}}", 1, 1));
        const EventSchema schema = learner.schema(QString(), QString());
        QCOMPARE(schema.fields.size(), size_t(3));
        QCOMPARE(schema.fields.at(u"a"_qs).occurrences, 1);
        QCOMPARE(schema.fields.at(u"a"_qs).types,
                 unsigned(SchemaTypes::Integer | SchemaTypes::Object));
        QCOMPARE(schema.fields.at(u"a.b"_qs).deliveries, 1);
        const QJsonObject a = schema.toJsonSchema()[u"properties"_qs][u"a"_qs].toObject();
        QCOMPARE(a[u"type"_qs].toArray(), (QJsonArray{u"integer"_qs, u"object"_qs}));
        for (const char *notLearned : {"42", "{\"a\":", "{\"a\":1} x", "name=ada", "", "[1,]"})
            QVERIFY2(!learner.learn(QByteArray(notLearned), 2, 2), notLearned);
        QCOMPARE(learner.deliveries(), 1);
    }

    void exportedSchemaValidatesEveryDelivery()
    {
        BodyGenerator generator(20261201);
        SchemaLearner learner;
        QByteArray lines;
        for (int i = 0; i < 400; ++i) {
            const QByteArray body = QJsonDocument(generator.body()).toJson(QJsonDocument::Compact);
            QVERIFY(learner.learn(body, i + 1, i));
            lines += body + '\n';
        }
        const QJsonObject exported = learner.schema(u"hh"_qs, u"order.created"_qs).toJsonSchema();
        // Something must be required, or the check below could not fail.
        QCOMPARE(exported.value(u"required"_qs).toArray(), (QJsonArray{u"data"_qs, u"event"_qs}));
        const QString dir = TestSupport::temporaryPath(u"jsonschema"_qs);
        QDir().mkpath(dir);
        QFile schemaFile(dir + u"/schema.json"_qs);
        QVERIFY(schemaFile.open(QIODevice::WriteOnly));
        schemaFile.write(QJsonDocument(exported).toJson());
        schemaFile.close();
        QFile bodies(dir + u"/bodies.ndjson"_qs);
        QVERIFY(bodies.open(QIODevice::WriteOnly));
        bodies.write(lines);
        // Two that must fail: a required member gone, a type never seen.
        bodies.write("{\"event\":\"order.created\"}"
                     "\n"
                     "{\"event\":\"order.created\",\"data\":{\"id\":7}}"
                     "\n");
        bodies.close();
        const QString script =
            QStringLiteral("import json, sys\n"
                           "import jsonschema\n"
                           "schema = json.load(open(sys.argv[1]))\n"
                           "jsonschema.Draft202012Validator.check_schema(schema)\n"
                           "validator = jsonschema.Draft202012Validator(schema)\n"
                           "results = []\n"
                           "for line in open(sys.argv[2]):\n"
                           "    errors = list(validator.iter_errors(json.loads(line)))\n"
                           "    results.append('ok' if not errors else 'invalid')\n"
                           "print(' '.join(results))\n");
        QProcess python;
        python.start(systemPython(), {u"-c"_qs, script, schemaFile.fileName(), bodies.fileName()});
        QVERIFY(python.waitForFinished(60000));
        const QString errors = QString::fromUtf8(python.readAllStandardError());
        if (errors.contains(u"No module named 'jsonschema'"_qs))
            QSKIP("python3-jsonschema is not installed (.ci/bootstrap installs it)");
        QVERIFY2(python.exitCode() == 0, qPrintable(errors));
        const QStringList results =
            QString::fromUtf8(python.readAllStandardOutput()).trimmed().split(u' ');
        QCOMPARE(results.size(), 402);
        QCOMPARE(results.mid(0, 400).count(u"ok"_qs), 400);
        QCOMPARE(results.mid(400), (QStringList{u"invalid"_qs, u"invalid"_qs}));
    }

    void diffIsExact()
    {
        Delivery before = jsonDelivery(
            "{\"a\":1.10,\"b\":{\"c\":[1,2]},\"gone\":{\"x\":1},\"s\":\"t\"}", u"t"_qs, 1);
        Delivery after = jsonDelivery(
            "{\"a\":1.1,\"b\":{\"c\":[1,3,4]},\"s\":\"t\",\"new\":{\"y\":[1]}}", u"t"_qs, 2);
        before.headers.append("X-A", "1");
        before.headers.append("X-Same", "s");
        before.headers.append("X-Old", "o");
        after.headers.append("x-a", "2");
        after.headers.append("X-Same", "s");
        after.headers.append("X-New", "n");
        using P = DeliveryChange::Part;
        using K = DeliveryChange::Kind;
        const QList<DeliveryChange> expected{
            {P::Body, K::Removed, u"gone"_qs, u"{…}"_qs, QString()},
            {P::Body, K::Changed, u"a"_qs, u"1.10"_qs, u"1.1"_qs},
            {P::Body, K::Changed, u"b.c[1]"_qs, u"2"_qs, u"3"_qs},
            {P::Body, K::Added, u"b.c[2]"_qs, QString(), u"4"_qs},
            {P::Body, K::Added, u"new"_qs, QString(), u"{…}"_qs},
            {P::Header, K::Changed, u"X-A"_qs, u"1"_qs, u"2"_qs},
            {P::Header, K::Removed, u"X-Old"_qs, u"o"_qs, QString()},
            {P::Header, K::Added, u"X-New"_qs, QString(), u"n"_qs},
        };
        QCOMPARE(DeliveryDiff::between(before, after), expected);
        QVERIFY(DeliveryDiff::between(before, before).isEmpty());
        // A name given twice is compared occurrence by occurrence.
        Delivery form = jsonDelivery("tag=a&tag=b", u"t"_qs, 4);
        form.headers = HeaderList();
        form.headers.append("Content-Type", "application/x-www-form-urlencoded");
        QVERIFY(DeliveryDiff::between(form, form).isEmpty());
        Delivery moreTags = form;
        moreTags.body = "tag=a&tag=c&tag=d";
        QCOMPARE(DeliveryDiff::between(form, moreTags),
                 (QList<DeliveryChange>{{P::Body, K::Changed, u"tag"_qs, u"\"b\""_qs, u"\"c\""_qs},
                                        {P::Body, K::Added, u"tag"_qs, QString(), u"\"d\""_qs}}));
        // Bodies that are not fields are compared whole.
        Delivery text = jsonDelivery("plain text", u"t"_qs, 3);
        const QList<DeliveryChange> whole = DeliveryDiff::between(before, text);
        QCOMPARE(whole.constFirst().part, P::Body);
        QCOMPARE(whole.constFirst().path, QString());
        QCOMPARE(whole.constFirst().after, u"plain text"_qs);
    }

    // The store learns after its commits, up to a watermark kept with what it learned: what is
    // read back is what one EventSchema learning the same bodies in id order holds.
    void storeLearnsAfterTheCommits()
    {
        const QString path = TestSupport::temporaryPath(u"schemas.db"_qs);
        DeliveryStore store;
        DeliveryStore::Options options;
        options.path = path;
        QVERIFY(store.open(options, nullptr));
        SchemaLearner expected;
        BodyGenerator generator(7);
        std::atomic<int> done{0};
        constexpr int Count = 600;
        QList<QByteArray> bodies;
        for (int i = 0; i < Count; ++i) {
            QByteArray body = QJsonDocument(generator.body()).toJson(QJsonDocument::Compact);
            if (i == 300)
                body = "{\"data\":{\"id\":\"x\"}}"; // drifts: "event" is missing
            bodies.append(body);
            store.submit(jsonDelivery(body, u"order.created"_qs, i), DeliveryStore::Clock::now(),
                         [&done](qint64, int, const QString &) { ++done; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done.load(), Count, 60000);
        Database db;
        QVERIFY(db.open(path, nullptr));
        QTRY_COMPARE_WITH_TIMEOUT(SchemaKeeper::backlog(db, nullptr), std::optional<qint64>(0),
                                  10000);
        int drifted = 0;
        for (int i = 0; i < Count; ++i)
            drifted += expected.learn(bodies[i], i + 1, 1700000000000 + i)->isEmpty() ? 0 : 1;
        const auto learned = SchemaKeeper::schema(db, u"hh"_qs, u"order.created"_qs, nullptr);
        QVERIFY(learned);
        QCOMPARE(learned->deliveries, Count);
        QCOMPARE(learned->drifted, drifted);
        QVERIFY(drifted > 0);
        const EventSchema mine = expected.schema(u"hh"_qs, u"order.created"_qs);
        QCOMPARE(learned->fields.size(), mine.fields.size());
        for (const auto &[fieldPath, field] : mine.fields)
            QVERIFY2(learned->fields.at(fieldPath) == field, qPrintable(fieldPath));
        const auto drift = SchemaKeeper::driftOf(db, 301, nullptr);
        QCOMPARE(drift, (std::optional<QList<SchemaDrift>>(
                            {{u"event"_qs, Kind::Missing, u"string"_qs, QString()}})));
        const auto types = SchemaKeeper::eventTypes(db, QString(), nullptr);
        QCOMPARE(types->size(), 1);
        QCOMPARE(types->constFirst().deliveries, Count);
        QCOMPARE(types->constFirst().fields, qint64(mine.fields.size()));
    }

    // Two learners on one file (the window and `serve`) take turns by the watermark: together
    // they learn each delivery once, as one would alone.
    void twoLearnersOnOneFileLearnEachDeliveryOnce()
    {
        const QString path = TestSupport::temporaryPath(u"twolearners.db"_qs);
        {
            DeliveryStore store;
            DeliveryStore::Options options;
            options.path = path;
            QVERIFY(store.open(options, nullptr));
            BodyGenerator generator(11);
            std::atomic<int> done{0};
            for (int i = 0; i < 500; ++i)
                store.submit(jsonDelivery(QJsonDocument(generator.body()).toJson(), u"o"_qs, i),
                             DeliveryStore::Clock::now(),
                             [&done](qint64, int, const QString &) { ++done; });
            QTRY_COMPARE_WITH_TIMEOUT(done.load(), 500, 60000);
        }
        Database first;
        QVERIFY(first.open(path, nullptr));
        QVERIFY(SchemaKeeper::reset(first, nullptr));
        const auto alone = [&path] {
            QString error;
            const QString copy = path + u".alone"_qs;
            QFile::remove(copy);
            Database db;
            if (!db.open(path, &error) || !db.backupTo(copy, &error))
                qFatal("%s", qPrintable(error));
            Database c;
            c.open(copy, &error);
            SchemaKeeper keeper(c);
            while (keeper.catchUp(1000, &error).value_or(0) == 1000) {
            }
            return *SchemaKeeper::schema(c, u"hh"_qs, u"o"_qs, &error);
        }();
        std::atomic<bool> failed{false};
        auto learner = [&path, &failed](int chunk) {
            Database db;
            QString error;
            if (!db.open(path, &error)) {
                failed = true;
                return;
            }
            SchemaKeeper keeper(db);
            for (;;) {
                const std::optional<int> read = keeper.catchUp(chunk, &error);
                if (!read) {
                    failed = true;
                    return;
                }
                if (*read == 0)
                    return;
            }
        };
        std::thread one(learner, 7);
        std::thread two(learner, 13);
        one.join();
        two.join();
        QVERIFY(!failed);
        const auto together = SchemaKeeper::schema(first, u"hh"_qs, u"o"_qs, nullptr);
        QCOMPARE(together->deliveries, 500);
        QCOMPARE(together->deliveries, alone.deliveries);
        QCOMPARE(together->drifted, alone.drifted);
        QVERIFY(together->fields == alone.fields);
        auto rows =
            first.run(u"SELECT count(*), count(DISTINCT delivery_id) FROM drift"_qs, {}, nullptr);
        QVERIFY(rows && rows->next());
        Database aloneDb;
        QVERIFY(aloneDb.open(path + u".alone"_qs, nullptr));
        auto aloneRows = aloneDb.run(u"SELECT count(*) FROM drift"_qs, {}, nullptr);
        QVERIFY(aloneRows && aloneRows->next());
        QCOMPARE(rows->value(0).toLongLong(), aloneRows->value(0).toLongLong());
    }
};

QTEST_GUILESS_MAIN(TestEventSchema)
#include "tst_eventschema.moc"
