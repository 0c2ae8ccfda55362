// Startup benchmark: from starting a process to the first paint of the main window, offscreen,
// on an empty database and with the listener started (on a free port), as `hookscope` opens.
// Each run is a new process: this program starts itself with --child, which opens the window,
// prints the monotonic clock once the window is painted, and quits. The first run creates the
// database and is not counted. Prints "name: value unit" lines. It asserts no time.

#include "benchsupport.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <chrono>
#include <cstdio>

using BenchSupport::report;
using BenchSupport::residentMegabytes;

namespace {

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Waits for the first paint of a widget of `window`; once that paint (and every other widget
// painted with it) is done, prints the clock and quits.
class FirstPaint : public QObject
{
public:
    explicit FirstPaint(QWidget *window)
        : m_window(window)
    {}

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (!m_seen && event->type() == QEvent::Paint && watched->isWidgetType() &&
            static_cast<QWidget *>(watched)->window() == m_window) {
            m_seen = true;
            // Runs once the event being handled, the whole paint of the window, is over.
            QTimer::singleShot(0, [] {
                std::printf("painted_at_ns: %lld\nrss_mb: %.1f\n",
                            static_cast<long long>(monotonicNs()), residentMegabytes());
                std::fflush(stdout);
                QCoreApplication::quit();
            });
        }
        return false;
    }

private:
    QWidget *m_window;
    bool m_seen = false;
};

int child(const QString &databasePath)
{
    MainWindow::Options options;
    options.databasePath = databasePath;
    options.port = 0;
    MainWindow window(options);
    FirstPaint watcher(&window);
    qApp->installEventFilter(&watcher);
    window.show();
    return QApplication::exec();
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    BenchSupport::isolateFromUserData();
    QCommandLineParser parser;
    parser.addOptions({
        {QStringLiteral("runs"), QStringLiteral("Measured runs."), QStringLiteral("N"),
         QStringLiteral("5")},
        {QStringLiteral("child"), QStringLiteral("Open the window on --db and report (internal).")},
        {QStringLiteral("db"), QStringLiteral("Database file."), QStringLiteral("FILE")},
    });
    parser.addHelpOption();
    parser.process(app);
    if (parser.isSet(QStringLiteral("child")))
        return child(parser.value(QStringLiteral("db")));

    QTemporaryDir directory;
    const QString database = directory.filePath(QStringLiteral("empty.db"));
    const int runs = std::max(1, parser.value(QStringLiteral("runs")).toInt());
    for (int run = 0; run <= runs; ++run) {
        QProcess process;
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        const qint64 started = monotonicNs();
        process.start(QCoreApplication::applicationFilePath(),
                      {QStringLiteral("--child"), QStringLiteral("--db"), database});
        if (!process.waitForFinished(120000) || process.exitCode() != 0) {
            std::fprintf(stderr, "the window did not open and paint\n");
            return 1;
        }
        qint64 painted = 0;
        double rss = 0;
        for (const QByteArray &line : process.readAllStandardOutput().split('\n')) {
            if (line.startsWith("painted_at_ns: "))
                painted = line.mid(15).toLongLong();
            else if (line.startsWith("rss_mb: "))
                rss = line.mid(8).toDouble();
        }
        if (painted == 0) {
            std::fprintf(stderr, "the window reported no paint\n");
            return 1;
        }
        if (run == 0)
            continue; // created the database
        report("window_first_paint_ms", double(painted - started) / 1e6, "ms");
        report("window_rss_mb", rss, "MB");
    }
    return 0;
}
