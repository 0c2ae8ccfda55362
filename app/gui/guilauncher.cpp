#include "guilauncher.h"

#include "commandline.h"
#include "commandparsing.h"
#include "database.h"
#include "listener.h"
#include "mainwindow.h"
#include "output.h"
#include "signalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <cstring>

using namespace CommandParsing;

bool GuiLauncher::wanted(int argc, char *argv[])
{
    if (argc < 2)
        return true;
    for (const char *option : {"--db", "--listen", "--no-listen"}) {
        if (std::strncmp(argv[1], option, std::strlen(option)) == 0)
            return true;
    }
    return false;
}

int GuiLauncher::run(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.addOption(dbOption());
    parser.addOption(
        {QStringLiteral("listen"),
         QStringLiteral("Address to listen on (default: 127.0.0.1:%1).").arg(Listener::DefaultPort),
         QStringLiteral("HOST:PORT")});
    parser.addOption(
        {QStringLiteral("no-listen"), QStringLiteral("Open without starting the listener.")});
    if (!parse(parser, QStringLiteral("(window)"), arguments.mid(1), 0, 0))
        return CommandLine::Failure;
    MainWindow::Options options;
    options.databasePath = databasePath(parser);
    // The default file, not one named by --db or HOOKSCOPE_DB: a damaged one is set aside.
    options.ownDatabase =
        !parser.isSet(QStringLiteral("db")) && qEnvironmentVariableIsEmpty("HOOKSCOPE_DB");
    options.listen = !parser.isSet(QStringLiteral("no-listen"));
    if (parser.isSet(QStringLiteral("listen"))) {
        QString error;
        const auto listen = parseListenAddress(parser.value(QStringLiteral("listen")), &error);
        if (!listen) {
            Output::errorLine(QStringLiteral("%1: %2").arg(Program, error));
            return CommandLine::Failure;
        }
        options.address = listen->address;
        options.port = listen->port;
    }
    // SIGTERM and SIGINT close the window as the user would: the listener stops accepting,
    // answers what is in flight once it is stored, and the store writes all it was given.
    SignalWatcher signals;
    bool terminated = false;
    // File → Open or New replaces the window with one on the other file.
    for (;;) {
        QString next;
        int code = 0;
        {
            MainWindow window(options);
            QObject::connect(&window, &MainWindow::switchDatabaseRequested, &window,
                             [&next](const QString &path) {
                                 next = path;
                                 QCoreApplication::exit(0);
                             });
            QObject::connect(&signals, &SignalWatcher::terminationRequested, &window,
                             [&window, &terminated](int) {
                                 terminated = true;
                                 window.close();
                                 QCoreApplication::exit(0);
                             });
            window.show();
            code = QApplication::exec();
        }
        if (next.isEmpty() || terminated)
            return code;
        options.databasePath = next;
        options.ownDatabase = false; // a file the user chose is never moved
    }
}
