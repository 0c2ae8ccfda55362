#pragma once

#include <QStringList>

// `hookscope serve`: the listener and the store without a window, until SIGINT or SIGTERM.
class ServeCommand
{
public:
    static int run(const QStringList &arguments);
};
