#pragma once

#include <QStringList>

// `hookscope replay ID [--to URL] [--resign] [--curl]`.
class ReplayCommand
{
public:
    static int run(const QStringList &arguments);
};
