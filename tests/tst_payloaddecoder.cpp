#include "payloaddecoder.h"

#include <QTest>

namespace {

QString typeAt(const DecodedPayload &payload, const QString &path)
{
    for (const DecodedField &field : payload.fields) {
        if (field.path == path)
            return field.type;
    }
    return {};
}

} // namespace

class TestPayloadDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void numbersKeepTheirExactText_data()
    {
        QTest::addColumn<QByteArray>("number");
        QTest::newRow("beyond 64 bits") << QByteArray("12345678901234567890");
        QTest::newRow("trailing zero") << QByteArray("1.10");
        QTest::newRow("beyond double") << QByteArray("1e400");
        QTest::newRow("negative zero") << QByteArray("-0");
        QTest::newRow("exponent sign") << QByteArray("2.5E+10");
        QTest::newRow("tiny") << QByteArray("4.9e-325");
        QTest::newRow("many digits") << QByteArray("3.14159265358979323846264338327950288");
    }

    void numbersKeepTheirExactText()
    {
        QFETCH(QByteArray, number);
        const DecodedPayload payload = PayloadDecoder::decode("{\"n\": " + number + " }");
        QCOMPARE(payload.format, DecodedPayload::Format::Json);
        QCOMPARE(payload.valueAt(QStringLiteral("n")), QString::fromLatin1(number));
        QCOMPARE(typeAt(payload, QStringLiteral("n")), QStringLiteral("number"));

        const DecodedPayload inArray = PayloadDecoder::decode("[" + number + "," + number + "]");
        QCOMPARE(inArray.valueAt(QStringLiteral("[1]")), QString::fromLatin1(number));
    }

    void nestedObjectsAndArrays()
    {
        const DecodedPayload payload = PayloadDecoder::decode(
            R"({"data":{"items":[{"id":1},{"id":2,"tags":["a",null,true,false]}],"empty":{},"none":[]},"dotted.key":"x","sp ace":"y"})");
        QCOMPARE(payload.format, DecodedPayload::Format::Json);
        const QList<DecodedField> expected{
            {QString(), QStringLiteral("object"), QString()},
            {QStringLiteral("data"), QStringLiteral("object"), QString()},
            {QStringLiteral("data.items"), QStringLiteral("array"), QString()},
            {QStringLiteral("data.items[0]"), QStringLiteral("object"), QString()},
            {QStringLiteral("data.items[0].id"), QStringLiteral("number"), QStringLiteral("1")},
            {QStringLiteral("data.items[1]"), QStringLiteral("object"), QString()},
            {QStringLiteral("data.items[1].id"), QStringLiteral("number"), QStringLiteral("2")},
            {QStringLiteral("data.items[1].tags"), QStringLiteral("array"), QString()},
            {QStringLiteral("data.items[1].tags[0]"), QStringLiteral("string"),
             QStringLiteral("a")},
            {QStringLiteral("data.items[1].tags[1]"), QStringLiteral("null"),
             QStringLiteral("null")},
            {QStringLiteral("data.items[1].tags[2]"), QStringLiteral("boolean"),
             QStringLiteral("true")},
            {QStringLiteral("data.items[1].tags[3]"), QStringLiteral("boolean"),
             QStringLiteral("false")},
            {QStringLiteral("data.empty"), QStringLiteral("object"), QString()},
            {QStringLiteral("data.none"), QStringLiteral("array"), QString()},
            {QStringLiteral("[\"dotted.key\"]"), QStringLiteral("string"), QStringLiteral("x")},
            {QStringLiteral("[\"sp ace\"]"), QStringLiteral("string"), QStringLiteral("y")},
        };
        QCOMPARE(payload.fields, expected);
    }

    void unicodeEscapesAreDecoded()
    {
        // moc cannot lex a raw string holding \", so this one is spelled out.
        const DecodedPayload payload =
            PayloadDecoder::decode("{\"name\":\"Jos\\u00e9\",\"emoji\":\"\\ud83d\\ude00\","
                                   "\"esc\":\"a\\\"b\\\\c\\/d\\n\",\"raw\":\"日本\"}");
        QCOMPARE(payload.valueAt(QStringLiteral("name")), QStringLiteral("José"));
        QCOMPARE(payload.valueAt(QStringLiteral("emoji")), QString::fromUtf8("\xF0\x9F\x98\x80"));
        QCOMPARE(payload.valueAt(QStringLiteral("esc")), QStringLiteral("a\"b\\c/d\n"));
        QCOMPARE(payload.valueAt(QStringLiteral("raw")), QStringLiteral("日本"));
    }

    void invalidUtf8IsKeptRaw()
    {
        const DecodedPayload payload = PayloadDecoder::decode("{\"name\":\"\xff\xfe\"}");
        QCOMPARE(payload.format, DecodedPayload::Format::Raw);
        QVERIFY(payload.fields.isEmpty());
        QVERIFY2(payload.error.contains(QStringLiteral("not valid JSON")),
                 qPrintable(payload.error));
    }

    void brokenJsonIsKeptRaw_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("truncated") << QByteArray(R"({"a":1)");
        QTest::newRow("trailing content") << QByteArray(R"({"a":1} {"b":2})");
        QTest::newRow("bad number") << QByteArray(R"({"a":01})");
        QTest::newRow("bad number 2") << QByteArray(R"({"a":1.})");
        QTest::newRow("bare word") << QByteArray(R"({"a":nope})");
        QTest::newRow("single quotes") << QByteArray("{'a':1}");
    }

    void brokenJsonIsKeptRaw()
    {
        QFETCH(QByteArray, body);
        const DecodedPayload payload = PayloadDecoder::decode(body, "application/json");
        QCOMPARE(payload.format, DecodedPayload::Format::Raw);
        QVERIFY(!payload.error.isEmpty());
    }

    void deepNestingDoesNotCrash()
    {
        const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
        const DecodedPayload payload = PayloadDecoder::decode(deep);
        QCOMPARE(payload.format, DecodedPayload::Format::Raw);
        QVERIFY2(payload.error.contains(QStringLiteral("deeper than 512")),
                 qPrintable(payload.error));

        const QByteArray limit = QByteArray(512, '[') + QByteArray(512, ']');
        QCOMPARE(PayloadDecoder::decode(limit).format, DecodedPayload::Format::Json);
        const QByteArray beyond = QByteArray(513, '[') + QByteArray(513, ']');
        QCOMPARE(PayloadDecoder::decode(beyond).format, DecodedPayload::Format::Raw);
        // Brackets inside strings are not nesting.
        const QByteArray inString = "[\"" + QByteArray(5000, '[') + "\"]";
        QCOMPARE(PayloadDecoder::decode(inString).format, DecodedPayload::Format::Json);
    }

    void formBodies()
    {
        const DecodedPayload payload =
            PayloadDecoder::decode("token=abc&text=hello+world&url=https%3A%2F%2Fexample.com%2F%"
                                   "3Fa%3D1&empty=&flag&type=ping",
                                   "application/x-www-form-urlencoded; charset=utf-8");
        QCOMPARE(payload.format, DecodedPayload::Format::Form);
        QCOMPARE(payload.valueAt(QStringLiteral("token")), QStringLiteral("abc"));
        QCOMPARE(payload.valueAt(QStringLiteral("text")), QStringLiteral("hello world"));
        QCOMPARE(payload.valueAt(QStringLiteral("url")),
                 QStringLiteral("https://example.com/?a=1"));
        QCOMPARE(payload.valueAt(QStringLiteral("empty")), QString());
        QCOMPARE(payload.fields.size(), 6);
        QCOMPARE(payload.valueAt(QStringLiteral("type")), QStringLiteral("ping"));
    }

    void emptyAndOpaqueBodies()
    {
        QCOMPARE(PayloadDecoder::decode({}).format, DecodedPayload::Format::Empty);
        const DecodedPayload text = PayloadDecoder::decode("just some text", "text/plain");
        QCOMPARE(text.format, DecodedPayload::Format::Raw);
        QVERIFY(text.error.isEmpty());
        QCOMPARE(PayloadDecoder::decode(QByteArray("\x00\x01\x02", 3)).format,
                 DecodedPayload::Format::Raw);
    }

    void scalarDocuments()
    {
        const DecodedPayload number =
            PayloadDecoder::decode("12345678901234567890", "application/json");
        QCOMPARE(number.format, DecodedPayload::Format::Json);
        QCOMPARE(number.valueAt(QString()), QStringLiteral("12345678901234567890"));
        const DecodedPayload text = PayloadDecoder::decode("\"hi\"", "application/json");
        QCOMPARE(text.valueAt(QString()), QStringLiteral("hi"));
    }
};

QTEST_GUILESS_MAIN(TestPayloadDecoder)
#include "tst_payloaddecoder.moc"
