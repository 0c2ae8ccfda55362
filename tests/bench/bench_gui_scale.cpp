// GUI scale benchmark: a database of N deliveries (bulk-generated, not over HTTP), then the
// window on it: time to the first painted rows, resident memory, filters, scrolling from top
// to bottom, and the longest stall of the GUI event loop while the listener takes a steady
// load. Prints one "name: value" line per figure. It measures; it asserts no time.

#include "benchsupport.h"
#include "database.h"
#include "deliverylistmodel.h"
#include "hmac.h"
#include "mainwindow.h"
#include "searchindex.h"
#include "signatureverifier.h"
#include "storedverification.h"
#include "subscribermapper.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using BenchSupport::report;
using BenchSupport::residentMegabytes;

namespace {

const QByteArray Secret = "bench-secret";

// Fills `path` with `count` deliveries shaped like HostedHooks traffic, in large transactions.
bool generate(const QString &path, int count)
{
    Database db;
    QString error;
    if (!db.open(path, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return false;
    }
    QSqlQuery endpoint(db.connection());
    endpoint.exec(
        QStringLiteral("INSERT OR IGNORE INTO endpoints (name, path, scheme, tolerance_seconds, "
                       "created_at) VALUES ('hh', '/hooks/hh', 'hostedhooks', 300, 0)"));
    QSqlQuery insert(db.connection());
    insert.prepare(
        QStringLiteral("INSERT INTO deliveries (received_at, remote_address, method, path, "
                       "http_version, headers, body, "
                       "body_size, endpoint, event_type, event_id, subscriber_id, verdict, "
                       "verification, response_status, "
                       "handling_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    static const char *types[] = {"subscriber.created", "subscriber.created", "subscriber.created",
                                  "user.created",       "endpoint.created",   "invoice.paid",
                                  "message.failed"};
    Endpoint hh;
    hh.name = QStringLiteral("hh");
    hh.scheme = SignatureScheme::HostedHooks;
    hh.secrets = {{QStringLiteral("main"), Secret}};
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - qint64(count) * 80;
    db.connection().transaction();
    for (int i = 0; i < count; ++i) {
        const QByteArray type = types[i % 7];
        const QByteArray eventId = "evt_" + QByteArray::number(i, 36);
        const QByteArray body =
            "{\"version\":\"1.0\",\"event_type\":\"" + type + "\",\"event_id\":\"" + eventId +
            "\",\"data\":{\"id\":\"sub_" + QByteArray::number(i) + "\",\"name\":\"Customer " +
            QByteArray::number(i % 9973) + "\",\"email\":\"ops" + QByteArray::number(i) +
            "@example.test\",\"created_at\":\"2026-11-28T10:00:00Z\"}}";
        const qint64 received = start + qint64(i) * 80;
        const QByteArray t = QByteArray::number(received / 1000);
        // One delivery in ten was signed with another secret.
        const QByteArray key = i % 10 == 9 ? QByteArray("old-secret") : Secret;
        const QByteArray signature =
            "t=" + t +
            ",s=" + Hmac::compute(Hmac::Algorithm::Sha256, key, QByteArray(t + '.' + body)).toHex();
        HeaderList headers;
        headers.append("Host", "abc123.ngrok-free.app");
        headers.append("User-Agent", "HostedHooks/1.0");
        headers.append("Content-Type", "application/json");
        headers.append("Content-Length", QByteArray::number(body.size()));
        headers.append("HostedHooks-Signature", signature);
        headers.append("X-Forwarded-For", "203.0.113.7");
        headers.append("Accept-Encoding", "gzip");
        const Verification v = SignatureVerifier::verify(&hh, headers, body, received / 1000);
        insert.addBindValue(received);
        insert.addBindValue(QStringLiteral("127.0.0.1"));
        insert.addBindValue(QStringLiteral("POST"));
        insert.addBindValue(QStringLiteral("/hooks/hh"));
        insert.addBindValue(QStringLiteral("1.1"));
        insert.addBindValue(headers.serialize());
        insert.addBindValue(body);
        insert.addBindValue(body.size());
        insert.addBindValue(QStringLiteral("hh"));
        insert.addBindValue(QString::fromLatin1(type));
        insert.addBindValue(QString::fromLatin1(eventId));
        insert.addBindValue(type == "subscriber.created" ? QStringLiteral("sub_%1").arg(i)
                                                         : QStringLiteral(""));
        insert.addBindValue(verdictName(v.verdict));
        insert.addBindValue(QString::fromUtf8(StoredVerification::encode(v, headers, false)));
        insert.addBindValue(200);
        insert.addBindValue(300);
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

// Sends signed deliveries to 127.0.0.1:port at `rate` per second for `seconds`, over four
// keep-alive connections; returns how many got an answer.
int sendLoad(quint16 port, int rate, int seconds, std::atomic<bool> &stop)
{
    constexpr int Connections = 4;
    std::vector<int> sockets;
    for (int i = 0; i < Connections; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
            return 0;
        sockets.push_back(fd);
    }
    const qint64 t = QDateTime::currentSecsSinceEpoch();
    int answered = 0;
    QElapsedTimer clock;
    clock.start();
    const int total = rate * seconds;
    char buffer[4096];
    for (int n = 0; n < total && !stop; ++n) {
        // Pace: the n-th request goes out at n / rate seconds.
        const qint64 due = qint64(n) * 1000000 / rate;
        while (clock.nsecsElapsed() / 1000 < due)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        const QByteArray body = "{\"event_type\":\"subscriber.created\",\"event_id\":\"load_" +
                                QByteArray::number(n) + "\",\"data\":{\"id\":\"sub_load_" +
                                QByteArray::number(n) + "\"}}";
        const QByteArray signature = "t=" + QByteArray::number(t) + ",s=" +
                                     Hmac::compute(Hmac::Algorithm::Sha256, Secret,
                                                   QByteArray(QByteArray::number(t) + '.' + body))
                                         .toHex();
        const QByteArray request =
            "POST /hooks/hh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "HostedHooks-Signature: " +
            signature + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" +
            body;
        const int fd = sockets[n % Connections];
        if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size())
            break;
        // Read the answer (small; one read is enough on loopback).
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got > 0 && std::strncmp(buffer, "HTTP/1.1 2", 10) == 0)
            ++answered;
    }
    for (int fd : sockets)
        ::close(fd);
    return answered;
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    BenchSupport::isolateFromUserData();
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("count"), QStringLiteral("Deliveries to generate."),
                      QStringLiteral("N"), QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("Database to use (generated when missing)."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("load-seconds"), QStringLiteral("Seconds of steady load."),
                      QStringLiteral("S"), QStringLiteral("60")});
    parser.addOption({QStringLiteral("rate"), QStringLiteral("Deliveries per second of load."),
                      QStringLiteral("R"), QStringLiteral("2000")});
    parser.process(app);
    const int count = parser.value(QStringLiteral("count")).toInt();
    QTemporaryDir directory;
    QString path = parser.value(QStringLiteral("db"));
    if (path.isEmpty())
        path = directory.filePath(QStringLiteral("bench.db"));

    if (!QFileInfo::exists(path)) {
        QElapsedTimer timer;
        timer.start();
        if (!generate(path, count))
            return 1;
        report("generate_s", timer.elapsed() / 1000.0, "s");
        // What the store's thread does after the commits of live deliveries, for them all at
        // once: the text index and the subscriber mapping from nothing.
        timer.restart();
        SearchIndex index(path);
        QString error;
        if (!index.open(5000, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        while (index.catchUp(20000, &error).value_or(0) > 0) {
        }
        report("index_build_per_s", count / std::max(timer.elapsed() / 1000.0, 0.001), "/s");
        timer.restart();
        Database db;
        if (!db.open(path, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        SubscriberMapper mapper(db);
        while (mapper.catchUp(5000, &error).value_or(0) == 5000) {
        }
        report("mapping_build_per_s", count / std::max(timer.elapsed() / 1000.0, 0.001), "/s");
    }
    {
        Database db;
        db.open(path, nullptr);
        QSqlQuery q(db.connection());
        q.exec(QStringLiteral("SELECT count(*) FROM deliveries"));
        q.next();
        const qint64 rows = q.value(0).toLongLong();
        report("deliveries", double(rows), "rows");
        QSqlQuery(db.connection()).exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
        report("database_bytes_per_delivery",
               double(QFileInfo(path).size()) / std::max<qint64>(rows, 1), "B");
        report("search_index_bytes_per_delivery",
               double(QFileInfo(SearchIndex::pathFor(path)).size()) / std::max<qint64>(rows, 1),
               "B");
    }
    report("rss_before_window_mb", residentMegabytes(), "MB");

    // 1. Launch to first painted rows.
    QElapsedTimer launch;
    launch.start();
    MainWindow::Options options;
    options.databasePath = path;
    options.port = 0;
    options.listen = false;
    MainWindow window(options);
    window.resize(1280, 800);
    window.show();
    DeliveryListModel *model = window.deliveryModel();
    QTableView *view = window.deliveryView();
    bool painted = false;
    waitFor(
        [&] {
            return model->rowCount() > 0 &&
                   model->index(0, 0).data(DeliveryListModel::LoadedRole).toBool();
        },
        60000);
    // The rows are painted in the next paint of the viewport.
    view->viewport()->repaint();
    painted = true;
    report("first_rows_ms", double(launch.elapsed()), "ms");
    report("rss_after_first_rows_mb", residentMegabytes(), "MB");
    (void)painted;

    auto timeFilter = [&](const QString &text) {
        QElapsedTimer timer;
        timer.start();
        window.filterEdit()->setText(text);
        QTest::keyClick(window.filterEdit(), Qt::Key_Return);
        waitFor(
            [&] {
                return !model->isLoading() &&
                       (model->rowCount() == 0 ||
                        model->index(0, 0).data(DeliveryListModel::LoadedRole).toBool());
            },
            60000);
        view->viewport()->repaint();
        return double(timer.elapsed());
    };
    report("filter_event_type_ms", timeFilter(QStringLiteral("event:invoice.paid")), "ms");
    report("filter_event_type_rows", model->rowCount(), "rows");
    report("filter_verdict_ms", timeFilter(QStringLiteral("verdict:invalid")), "ms");
    report("filter_verdict_rows", model->rowCount(), "rows");
    report("filter_common_word_ms", timeFilter(QStringLiteral("customer")), "ms");
    report("filter_common_word_rows", model->rowCount(), "rows");
    const QString needle = QStringLiteral("ops%1@example.test").arg(count / 2);
    report("filter_body_text_ms", timeFilter(needle), "ms");
    report("filter_body_text_rows", model->rowCount(), "rows");
    report("filter_clear_ms", timeFilter(QString()), "ms");

    // 2. Scrolling from top to bottom in 200 steps; each step waits until the rows in view are
    // loaded. The longest step is the worst stall a user would see.
    {
        QScrollBar *bar = view->verticalScrollBar();
        QElapsedTimer total;
        total.start();
        double worst = 0;
        constexpr int Steps = 200;
        for (int step = 0; step <= Steps; ++step) {
            QElapsedTimer one;
            one.start();
            bar->setValue(int(qint64(bar->maximum()) * step / Steps));
            const int top = view->rowAt(0);
            waitFor(
                [&] {
                    return top < 0 ||
                           model->index(top, 0).data(DeliveryListModel::LoadedRole).toBool();
                },
                60000);
            view->viewport()->repaint();
            worst = std::max(worst, double(one.elapsed()));
        }
        report("scroll_top_to_bottom_ms", double(total.elapsed()), "ms");
        report("scroll_worst_step_ms", worst, "ms");
        report("rss_after_scroll_mb", residentMegabytes(), "MB");
    }

    // 3. Steady load on the listener: the longest gap between 10 ms heartbeats of the GUI
    // event loop is the longest stall.
    const int seconds = parser.value(QStringLiteral("load-seconds")).toInt();
    const int rate = parser.value(QStringLiteral("rate")).toInt();
    if (seconds > 0) {
        QMetaObject::invokeMethod(&window, [&window] {
            // Start the listener through the same button a user presses.
            for (QPushButton *button : window.findChildren<QPushButton *>()) {
                if (button->text() == u"Start")
                    button->click();
            }
        });
        waitFor([&] { return window.listenerPort() != 0; }, 10000);
        const quint16 port = window.listenerPort();
        const int before = model->rowCount();
        QElapsedTimer heartbeat;
        heartbeat.start();
        qint64 last = 0;
        qint64 worstGap = 0;
        QTimer beat;
        beat.setInterval(10);
        QObject::connect(&beat, &QTimer::timeout, [&] {
            const qint64 now = heartbeat.elapsed();
            worstGap = std::max(worstGap, now - last);
            last = now;
        });
        beat.start();
        std::atomic<bool> stop{false};
        std::atomic<int> answered{0};
        std::thread sender([&] { answered = sendLoad(port, rate, seconds, stop); });
        waitFor([&] { return heartbeat.elapsed() > seconds * 1000 + 500; }, seconds * 1000 + 30000);
        stop = true;
        sender.join();
        waitFor([&] { return model->rowCount() >= before + answered; }, 30000);
        beat.stop();
        report("load_rate_per_s", rate, "deliveries/s");
        report("load_answered_2xx", answered.load(), "deliveries");
        report("load_rows_added", model->rowCount() - before, "rows");
        report("load_worst_event_loop_gap_ms", double(worstGap), "ms");
        report("rss_after_load_mb", residentMegabytes(), "MB");
    }
    return 0;
}
