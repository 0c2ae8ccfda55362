#pragma once

#include <QStringList>

// `hookscope ngrok [--api URL] [--port N]` and `hookscope ngrok import [--api URL]`.
class NgrokCommand
{
public:
    static int run(const QStringList &arguments);
};
