// Decode benchmark: a large JSON body (10 MB by default) decoded to fields and pretty-printed
// for display, then shown in the detail pane the way the window does it (read from the
// database, prepared on the query thread, shown on the GUI thread); and a body nested 100,000
// levels deep, which must be refused, not crash. Prints "name: value unit" lines, one set a
// run. It measures; it asserts no time. With --write-body FILE it only writes the large body.

#include "benchsupport.h"
#include "bodyformatter.h"
#include "deliverydetailview.h"
#include "deliveryprocessor.h"
#include "deliverystore.h"
#include "payloaddecoder.h"
#include "queryservice.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTreeWidget>

#include <cstdio>
#include <future>

using BenchSupport::report;

namespace {

// A minified export-style payload: many records of strings (some escaped, some non-ASCII),
// numbers written in several ways, booleans, nulls, nested objects and arrays.
QByteArray largeBody(qsizetype bytes)
{
    QByteArray body = "{\"version\":\"1.0\",\"event_type\":\"export.completed\",\"event_id\":"
                      "\"evt_export_1\",\"data\":{\"id\":\"exp_1\",\"records\":[";
    body.reserve(bytes + 1024);
    for (qint64 i = 0; body.size() < bytes; ++i) {
        const QByteArray n = QByteArray::number(i);
        if (i > 0)
            body += ',';
        body += "{\"id\":" + n + ",\"sku\":\"SKU-" + n + "\",\"name\":\"Caf\\u00e9 cr\xc3\xa8me " +
                n + "\",\"note\":\"line one\\nline \\\"two\\\"\",\"price\":" +
                QByteArray::number(i % 1000) +
                ".50,\"ratio\":1.0e-3,\"active\":" + (i % 2 ? "true" : "false") +
                ",\"discount\":null,\"tags\":[\"a\",\"b\"," + n + "],\"owner\":{\"email\":\"ops" +
                n + "@example.test\",\"country\":\"DE\"}}";
    }
    body += "]}}";
    return body;
}

QByteArray deepBody(int levels)
{
    return "{\"event_type\":\"deep.nesting\",\"event_id\":\"evt_deep\",\"data\":" +
           QByteArray(levels, '[') + QByteArray(levels, ']') + '}';
}

// Stores the body as a delivery received by the listener and returns its id.
qint64 store(DeliveryStore &deliveries, const QByteArray &body)
{
    RequestHead head;
    head.method = QStringLiteral("POST");
    head.target = QStringLiteral("/hooks/hh");
    head.httpVersion = QStringLiteral("1.1");
    head.headers.append("Content-Type", "application/json");
    head.headers.append("Content-Length", QByteArray::number(body.size()));
    std::promise<qint64> stored;
    deliveries.submit(DeliveryProcessor::process(head, body, QStringLiteral("127.0.0.1"),
                                                 QDateTime::currentMSecsSinceEpoch(), {}),
                      DeliveryStore::Clock::now(),
                      [&stored](qint64 id, int, const QString &) { stored.set_value(id); });
    return stored.get_future().get();
}

// From asking for a delivery's details to the detail pane painted with them, as when the user
// selects it in the list.
double showInDetailPane(QueryService &queries, DeliveryDetailView &view, qint64 id)
{
    QElapsedTimer timer;
    timer.start();
    bool shown = false;
    QMetaObject::Connection connection =
        QObject::connect(&queries, &QueryService::detailsLoaded, &view,
                         [&view, &shown, id](const DeliveryDetails &details) {
                             if (details.delivery.id != id)
                                 return;
                             view.showDetails(details);
                             view.repaint();
                             shown = true;
                         });
    queries.requestDetails(id);
    while (!shown && timer.elapsed() < 120000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    QObject::disconnect(connection);
    return shown ? double(timer.elapsed()) : -1;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    BenchSupport::isolateFromUserData();
    QCommandLineParser parser;
    parser.addOptions({
        {QStringLiteral("size-mb"), QStringLiteral("Size of the large body, in MB (10^6 B)."),
         QStringLiteral("MB"), QStringLiteral("10")},
        {QStringLiteral("depth"), QStringLiteral("Nesting of the deep body."), QStringLiteral("N"),
         QStringLiteral("100000")},
        {QStringLiteral("runs"), QStringLiteral("Runs of each measurement."), QStringLiteral("N"),
         QStringLiteral("5")},
        {QStringLiteral("write-body"),
         QStringLiteral("Only write the large body to FILE (to send it over HTTP)."),
         QStringLiteral("FILE")},
    });
    parser.addHelpOption();
    parser.process(app);
    const int runs = std::max(1, parser.value(QStringLiteral("runs")).toInt());

    const QByteArray large =
        largeBody(qsizetype(parser.value(QStringLiteral("size-mb")).toDouble() * 1e6));
    if (parser.isSet(QStringLiteral("write-body"))) {
        QFile file(parser.value(QStringLiteral("write-body")));
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
                       file.write(large) == large.size()
                   ? 0
                   : 1;
    }
    report("decode_body_mb", double(large.size()) / 1e6, "MB");
    for (int run = 0; run < runs; ++run) {
        QElapsedTimer timer;
        timer.start();
        const DecodedPayload payload = PayloadDecoder::decode(large, "application/json");
        const double decodeMs = double(timer.nsecsElapsed()) / 1e6;
        timer.restart();
        const QString pretty = BodyFormatter::prettyJson(large);
        const double prettyMs = double(timer.nsecsElapsed()) / 1e6;
        if (payload.format != DecodedPayload::Format::Json || pretty.isEmpty()) {
            std::fprintf(stderr, "the large body did not decode: %s\n", qPrintable(payload.error));
            return 1;
        }
        report("decode_fields", double(payload.fields.size()), "fields");
        report("decode_ms", decodeMs, "ms");
        report("pretty_ms", prettyMs, "ms");
        report("decode_pretty_ms", decodeMs + prettyMs, "ms");
        report("pretty_mb", double(pretty.toUtf8().size()) / 1e6, "MB");
    }

    const int depth = parser.value(QStringLiteral("depth")).toInt();
    const QByteArray deep = deepBody(depth);
    report("deep_levels", depth, "levels");
    for (int run = 0; run < runs; ++run) {
        QElapsedTimer timer;
        timer.start();
        const DecodedPayload payload = PayloadDecoder::decode(deep, "application/json");
        report("deep_decode_ms", double(timer.nsecsElapsed()) / 1e6, "ms");
        if (run == 0)
            std::printf(
                "deep_decode_outcome: %s, %lld fields: %s\n",
                qPrintable(formatName(payload.format)),
                static_cast<long long>(payload.fields.size()),
                qPrintable(payload.error.isEmpty() ? QStringLiteral("(no error)") : payload.error));
    }

    // Both bodies in the detail pane, through the database and the query thread.
    QTemporaryDir directory;
    DeliveryStore deliveries;
    DeliveryStore::Options options;
    options.path = directory.filePath(QStringLiteral("decode.db"));
    QString error;
    if (!deliveries.open(options, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const qint64 largeId = store(deliveries, large);
    const qint64 deepId = store(deliveries, deep);
    QueryService queries;
    bool opened = false;
    QObject::connect(&queries, &QueryService::opened, &app,
                     [&opened](bool ok, const QString &) { opened = ok; });
    queries.start(options.path);
    QElapsedTimer wait;
    wait.start();
    while (!opened && wait.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    DeliveryDetailView view;
    view.resize(900, 700);
    view.show();
    for (int run = 0; run < runs; ++run) {
        view.clear();
        report("detail_pane_ms", showInDetailPane(queries, view, largeId), "ms");
        view.clear();
        report("deep_detail_pane_ms", showInDetailPane(queries, view, deepId), "ms");
    }
    // What the Fields tab says of the deep body.
    const auto *fields = view.findChild<QTreeWidget *>(QStringLiteral("fieldsTree"));
    if (fields && fields->topLevelItemCount() > 0)
        std::printf("deep_detail_pane_outcome: %s\n", qPrintable(fields->topLevelItem(0)->text(0)));
    queries.stop();
    deliveries.close();
    return 0;
}
