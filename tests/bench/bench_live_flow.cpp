// Live-flow benchmark: the real window (offscreen) receiving signed HostedHooks deliveries on
// its own listener, at steady rates and in a burst. For each phase it reports the GUI
// thread's CPU (from /proc/self/task/TID/stat) per delivery and as a share of a core, the
// event loop's worst lateness (a 10 ms timer measuring its own delay), and the time from each
// delivery's 200 to the first paint of the list showing its row (median and 95th percentile
// over the deliveries); then resident memory before and after a long run of arrivals. It
// measures; it asserts no time.

#include "benchsupport.h"
#include "database.h"
#include "deliverylistmodel.h"
#include "endpointrepository.h"
#include "hmac.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QPaintEvent>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <malloc.h>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using BenchSupport::report;
using BenchSupport::residentMegabytes;

namespace {

const QByteArray Secret = "bench-secret";

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// CPU time (user + system) of one thread of this process, in seconds.
double threadCpuSeconds(long tid)
{
    QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const std::string text = stat.readAll().toStdString();
    // Fields after the command name, which is in parentheses and may hold spaces.
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::stoll(field);
        if (i == 15)
            stime = std::stoll(field);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// The signed request of delivery number `n`; made by the sender threads as they go, so that
// the benchmark's own memory does not grow with the number of deliveries.
QByteArray makeRequest(int n, const QByteArray &t)
{
    const QByteArray body = "{\"event_type\":\"user.created\",\"event_id\":\"load_" +
                            QByteArray::number(n) + "\",\"data\":{\"id\":\"u_" +
                            QByteArray::number(n) + "\",\"name\":\"Customer " +
                            QByteArray::number(n % 9973) + "\"}}";
    const QByteArray signature =
        "t=" + t +
        ",s=" + Hmac::compute(Hmac::Algorithm::Sha256, Secret, QByteArray(t + '.' + body)).toHex();
    return "POST /hooks/hh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/json\r\nHostedHooks-Signature: " +
           signature + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

struct Sent
{
    std::mutex mutex;
    std::vector<qint64> answeredAtNs; // by delivery number; 0: not yet
    std::atomic<int> answered{0};
};

// Sends deliveries `first` .. `first + count - 1` at `rate` per second (0: as fast as they are
// answered) over keep-alive connections, one sender thread each; records when each got its 2xx.
void sendAll(quint16 port, int first, int count, int rate, int connections, Sent &sent)
{
    const QByteArray t = QByteArray::number(QDateTime::currentSecsSinceEpoch());
    std::vector<std::thread> senders;
    const qint64 start = nowNs();
    for (int c = 0; c < connections; ++c) {
        senders.emplace_back([&, c] {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
                return;
            char buffer[4096];
            for (int i = c; i < count; i += connections) {
                if (rate > 0) {
                    const qint64 due = start + qint64(i) * 1000000000 / rate;
                    while (nowNs() < due)
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
                const QByteArray request = makeRequest(first + i, t);
                if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) !=
                    request.size())
                    break;
                const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
                if (got > 10 && std::strncmp(buffer, "HTTP/1.1 2", 10) == 0) {
                    std::lock_guard lock(sent.mutex);
                    sent.answeredAtNs[size_t(first + i)] = nowNs();
                    ++sent.answered;
                }
            }
            ::close(fd);
        });
    }
    for (std::thread &sender : senders)
        sender.join();
}

// Runs the event loop (blocking when there is nothing to do, as the application does) until
// `condition` holds or `timeoutMs` pass; checks it every 20 ms.
bool runUntil(const std::function<bool()> &condition, int timeoutMs)
{
    if (condition())
        return true;
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (condition())
            loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    poll.start();
    loop.exec();
    return condition();
}

// Latencies counted in 0.1 ms steps up to 10 s, in memory allocated before any is measured:
// recording one for each of a million deliveries must not show as the window's memory.
struct LatencyHistogram
{
    static constexpr int Steps = 100000;
    std::vector<quint32> counts = std::vector<quint32>(Steps + 1, 0);
    quint64 total = 0;

    void add(double ms)
    {
        ++counts[size_t(std::clamp(int(ms * 10), 0, Steps))];
        ++total;
    }
    void clear()
    {
        std::fill(counts.begin(), counts.end(), 0);
        total = 0;
    }
    // The p-quantile in ms, -1 with nothing recorded.
    double percentile(double p) const
    {
        if (total == 0)
            return -1;
        const quint64 wanted = std::min<quint64>(total - 1, quint64(p * double(total)));
        quint64 seen = 0;
        for (size_t step = 0; step < counts.size(); ++step) {
            seen += counts[step];
            if (seen > wanted)
                return double(step) / 10;
        }
        return double(Steps) / 10;
    }
};

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    BenchSupport::isolateFromUserData();
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("seconds"), QStringLiteral("Seconds of each steady rate."),
                      QStringLiteral("S"), QStringLiteral("20")});
    parser.addOption({QStringLiteral("rates"), QStringLiteral("Steady rates, per second."),
                      QStringLiteral("LIST"), QStringLiteral("50,1000")});
    parser.addOption({QStringLiteral("burst"), QStringLiteral("Deliveries in the burst."),
                      QStringLiteral("N"), QStringLiteral("10000")});
    parser.addOption({QStringLiteral("arrivals"),
                      QStringLiteral("Deliveries of the memory run (as fast as taken)."),
                      QStringLiteral("N"), QStringLiteral("200000")});
    parser.addOption({QStringLiteral("paint-census"),
                      QStringLiteral("Also list, per phase, which widgets painted how often and "
                                     "how many pixels.")});
    parser.process(app);
    const bool census = parser.isSet(QStringLiteral("paint-census"));
    const int seconds = parser.value(QStringLiteral("seconds")).toInt();
    const int burst = parser.value(QStringLiteral("burst")).toInt();
    const int arrivals = parser.value(QStringLiteral("arrivals")).toInt();
    QList<int> rates;
    for (const QString &rate : parser.value(QStringLiteral("rates")).split(u','))
        rates.append(rate.toInt());

    QTemporaryDir directory;
    const QString path = directory.filePath(QStringLiteral("live.db"));
    {
        Database db;
        if (!db.open(path, nullptr))
            return 1;
        Endpoint hh;
        hh.name = QStringLiteral("hh");
        hh.path = QStringLiteral("/hooks/hh");
        hh.scheme = SignatureScheme::HostedHooks;
        hh.secrets = {{QStringLiteral("main"), Secret}};
        if (!EndpointRepository(db).add(hh, nullptr))
            return 1;
    }
    MainWindow::Options options;
    options.databasePath = path;
    options.port = 0;
    MainWindow window(options);
    window.resize(1280, 800);
    window.show();
    runUntil([&] { return window.isReady() && window.listenerPort() != 0; }, 30000);
    const quint16 port = window.listenerPort();
    if (port == 0)
        return 1;
    const long guiThread = long(::syscall(SYS_gettid));
    DeliveryListModel *model = window.deliveryModel();
    QTableView *view = window.deliveryView();

    int total = 0;
    for (int rate : rates)
        total += rate * seconds;
    total += burst + arrivals;
    Sent sent;
    sent.answeredAtNs.assign(size_t(total), 0);

    // Time from each delivery's 200 to the first paint of the list showing its row: at every
    // paint of the list, the rows from the top down to the first run of rows already seen.
    LatencyHistogram paintLatencyMs;
    std::vector<bool> seen(size_t(total), false);
    struct PaintProbe : QObject
    {
        std::function<void()> onPaint;
        bool eventFilter(QObject *, QEvent *event) override
        {
            if (event->type() == QEvent::Paint)
                onPaint();
            return false;
        }
    } probe;
    probe.onPaint = [&] {
        const qint64 now = nowNs();
        // Rows are in the order the store committed them, which can differ a little from
        // the order they were sent in over several connections: stop after a run of rows
        // already seen, not at the first.
        int seenInARow = 0;
        std::lock_guard lock(sent.mutex);
        for (int row = 0; seenInARow < 32; ++row) {
            const DeliverySummary *delivery = model->summaryAt(row);
            if (!delivery || !delivery->eventId.startsWith(u"load_"))
                break;
            const qint64 n = delivery->eventId.mid(5).toLongLong();
            if (n < 0 || n >= total || seen[size_t(n)]) {
                ++seenInARow;
                continue;
            }
            seenInARow = 0;
            seen[size_t(n)] = true;
            const qint64 answeredAt = sent.answeredAtNs[size_t(n)];
            if (answeredAt > 0)
                paintLatencyMs.add(double(now - answeredAt) / 1e6);
        }
    };
    view->viewport()->installEventFilter(&probe);

    // Every widget's paint events and painted area, by class and object name.
    struct PaintCensus : QObject
    {
        std::map<std::string, std::pair<qint64, qint64>> painted; // events, pixels
        bool eventFilter(QObject *object, QEvent *event) override
        {
            if (event->type() == QEvent::Paint && object->isWidgetType()) {
                const QRegion region = static_cast<QPaintEvent *>(event)->region();
                qint64 pixels = 0;
                for (const QRect &rect : region)
                    pixels += qint64(rect.width()) * rect.height();
                std::string name = object->metaObject()->className();
                if (!object->objectName().isEmpty())
                    name += "/" + object->objectName().toStdString();
                else if (object->parent())
                    name += " in " + std::string(object->parent()->metaObject()->className());
                auto &entry = painted[name];
                ++entry.first;
                entry.second += pixels;
            }
            return false;
        }
    } paintCensus;
    if (census)
        app.installEventFilter(&paintCensus);

    // The event loop's lateness: a 10 ms timer measuring how late it fires.
    qint64 worstLateNs = 0;
    qint64 lastTick = nowNs();
    QTimer lateness;
    lateness.setTimerType(Qt::PreciseTimer);
    lateness.setInterval(10);
    QObject::connect(&lateness, &QTimer::timeout, [&] {
        const qint64 now = nowNs();
        worstLateNs = std::max(worstLateNs, now - lastTick - 10000000);
        lastTick = now;
    });
    lateness.start();

    int first = 0;
    auto phase = [&](const char *name, int count, int rate, int connections) {
        paintCensus.painted.clear();
        paintLatencyMs.clear();
        worstLateNs = 0;
        lastTick = nowNs();
        const int answeredBefore = sent.answered;
        const double cpuBefore = threadCpuSeconds(guiThread);
        const qint64 startNs = nowNs();
        std::atomic<bool> done{false};
        std::thread sender([&] {
            sendAll(port, first, count, rate, connections, sent);
            done = true;
        });
        runUntil([&] { return done.load(); }, 3600 * 1000);
        sender.join();
        // Until the last one is in the list, and painted.
        const QString last = QStringLiteral("load_%1").arg(first + count - 1);
        runUntil(
            [&] {
                const DeliverySummary *top = model->summaryAt(0);
                return top && top->eventId == last;
            },
            10000);
        runUntil([] { return false; }, 300);
        const double wall = double(nowNs() - startNs) / 1e9;
        const double cpu = threadCpuSeconds(guiThread) - cpuBefore;
        const int answered = sent.answered - answeredBefore;
        first += count;
        const std::string prefix = std::string(name) + "_";
        report((prefix + "answered").c_str(), answered, "deliveries");
        report((prefix + "gui_cpu_per_delivery_us").c_str(), cpu / std::max(answered, 1) * 1e6,
               "us");
        report((prefix + "gui_cpu_share_pct").c_str(), cpu / wall * 100, "%");
        report((prefix + "event_loop_worst_late_ms").c_str(), double(worstLateNs) / 1e6, "ms");
        report((prefix + "paint_after_200_median_ms").c_str(), paintLatencyMs.percentile(0.5),
               "ms");
        report((prefix + "paint_after_200_p95_ms").c_str(), paintLatencyMs.percentile(0.95), "ms");
        for (const auto &[widget, counts] : paintCensus.painted)
            fprintf(stderr, "  %s painted %lld times, %.1f Mpx\n", widget.c_str(), counts.first,
                    double(counts.second) / 1e6);
    };

    // Idle first: what the window costs doing nothing.
    {
        const double cpuBefore = threadCpuSeconds(guiThread);
        const qint64 startNs = nowNs();
        runUntil([] { return false; }, 3000);
        report("idle_gui_cpu_share_pct",
               (threadCpuSeconds(guiThread) - cpuBefore) / (double(nowNs() - startNs) / 1e9) * 100,
               "%");
    }
    for (int rate : rates)
        phase(("rate" + std::to_string(rate)).c_str(), rate * seconds, rate, 4);
    phase("burst", burst, 0, 8);

    const double rssBefore = residentMegabytes();
    report("rss_before_arrivals_mb", rssBefore, "MB");
    phase("arrivals", arrivals, 0, 8);
    report("rss_after_arrivals_mb", residentMegabytes(), "MB");
    report("rss_growth_mb", residentMegabytes() - rssBefore, "MB");
    // What of it is memory the allocator keeps for reuse rather than memory in use.
    ::malloc_trim(0);
    report("rss_growth_after_malloc_trim_mb", residentMegabytes() - rssBefore, "MB");
    report("rows_listed", double(model->rowCount()), "rows");
    return 0;
}
