#include "commandline.h"

#include <QCoreApplication>

#include <csignal>

int main(int argc, char *argv[])
{
    // A closed pipe on stdout (`hookscope serve | head`) must end output, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("hookscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOOKSCOPE_VERSION));
    return CommandLine::run(QCoreApplication::arguments());
}
