#include "jsonreserializer.h"

#include <QTest>

namespace {

JsonReserializer::Style styleNamed(const QString &fragment)
{
    for (const JsonReserializer::Style &style : JsonReserializer::commonStyles()) {
        if (style.description.contains(fragment))
            return style;
    }
    qFatal("no style named %s", qPrintable(fragment));
}

// Spelled with ordinary literals: moc reads "//" inside raw strings as a comment.
const QByteArray Sample =
    "{ \"name\" : \"Zo\\u00EB \\ud83d\\ude00\", \"url\":\"https:\\/\\/x.test/a?b=<1>&c\",\n"
    "  \"n\": [1.10, 12345678901234567890, -0e+0], \"empty\": {}, \"none\": [ ],\n"
    "  \"ctl\": \"tab\\there\\u0001\" }";

} // namespace

class TestJsonReserializer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void whitespaceOnly()
    {
        const QByteArray out =
            JsonReserializer::rewrite(Sample, styleNamed(QStringLiteral("whitespace removed")));
        QCOMPARE(
            out,
            QByteArray(
                "{\"name\":\"Zo\\u00EB \\ud83d\\ude00\",\"url\":\"https:\\/\\/x.test/a?b=<1>&c\","
                "\"n\":[1.10,12345678901234567890,-0e+0],\"empty\":{},\"none\":[],"
                "\"ctl\":\"tab\\there\\u0001\"}"));
    }

    void javaScriptStyle()
    {
        const QByteArray out =
            JsonReserializer::rewrite(Sample, styleNamed(QStringLiteral("JSON.stringify")));
        QCOMPARE(out, QByteArray("{\"name\":\"Zoë 😀\",\"url\":\"https://x.test/a?b=<1>&c\","
                                 "\"n\":[1.10,12345678901234567890,-0e+0],\"empty\":{},\"none\":[],"
                                 "\"ctl\":\"tab\\there\\u0001\"}"));
    }

    void pythonStyle()
    {
        const QByteArray out =
            JsonReserializer::rewrite(Sample, styleNamed(QStringLiteral("Python")));
        QCOMPARE(
            out,
            QByteArray(
                "{\"name\": \"Zo\\u00eb \\ud83d\\ude00\", \"url\": \"https://x.test/a?b=<1>&c\", "
                "\"n\": [1.10, 12345678901234567890, -0e+0], \"empty\": {}, \"none\": [], "
                "\"ctl\": \"tab\\there\\u0001\"}"));
    }

    void phpStyle()
    {
        const QByteArray out = JsonReserializer::rewrite(Sample, styleNamed(QStringLiteral("PHP")));
        QVERIFY(out.contains("\"url\":\"https:\\/\\/x.test\\/a?b=<1>&c\""));
        QVERIFY(out.contains("\"name\":\"Zo\\u00eb \\ud83d\\ude00\""));
    }

    void goStyle()
    {
        const QByteArray out = JsonReserializer::rewrite(Sample, styleNamed(QStringLiteral("Go")));
        QVERIFY(out.contains("a?b=\\u003c1\\u003e\\u0026c"));
        QVERIFY(out.contains("Zoë"));
    }

    void prettyPrinted()
    {
        const QByteArray out = JsonReserializer::rewrite(
            "{\"a\":1,\"b\":[2,{}],\"c\":{\"d\":null}}", styleNamed(QStringLiteral("pretty")));
        QCOMPARE(out, QByteArray("{\n  \"a\": 1,\n  \"b\": [\n    2,\n    {}\n  ],\n  \"c\": {\n   "
                                 " \"d\": null\n  }\n}"));
    }
};

QTEST_GUILESS_MAIN(TestJsonReserializer)
#include "tst_jsonreserializer.moc"
