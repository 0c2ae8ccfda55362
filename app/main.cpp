#include "commandline.h"
#include "guilauncher.h"
#include "output.h"
#include "platform.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstdlib>

namespace {

void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("hookscope"));
    // Settings go to ~/.config/hookscope/hookscope.conf.
    QCoreApplication::setOrganizationName(QStringLiteral("hookscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOOKSCOPE_VERSION));
}

bool displayAvailable()
{
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY") ||
           std::getenv("QT_QPA_PLATFORM");
}

} // namespace

int main(int argc, char *argv[])
{
    // A closed pipe on stdout (`hookscope serve | head`) must end output, not the process.
    Platform::ignoreBrokenPipe();
    // A file-size limit (a full quota) must fail the write, which the store reports and
    // answers with 503, not kill the process.
    Platform::ignoreFileSizeLimit();
    // Everything HookScope creates (databases with their -wal and -shm, backups, exports,
    // settings) holds secrets or deliveries: readable by the user only, whatever creates it.
    Platform::restrictNewFilesToOwner();
    if (GuiLauncher::wanted(argc, argv)) {
        if (!displayAvailable()) {
            Output::errorLine(QStringLiteral("hookscope: no display to open the window on; use "
                                             "'hookscope serve' to receive deliveries without one "
                                             "(see 'hookscope --help')"));
            return CommandLine::Failure;
        }
        QApplication app(argc, argv);
        setIdentity();
        QApplication::setDesktopFileName(QStringLiteral("dev.hookscope.HookScope"));
        return GuiLauncher::run(QCoreApplication::arguments());
    }
    QCoreApplication app(argc, argv);
    setIdentity();
    return CommandLine::run(QCoreApplication::arguments());
}
