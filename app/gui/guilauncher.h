#pragma once

#include <QStringList>

// `hookscope` with no command (or only --db, --listen, --no-listen) opens the window.
class GuiLauncher
{
public:
    static bool wanted(int argc, char *argv[]);
    // Runs the window until it closes; the QApplication exists already.
    static int run(const QStringList &arguments);
};
