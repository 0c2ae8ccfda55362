#pragma once

#include <QStringList>

// `hookscope subscribers ...`: the subscriber mapping from the command line.
class SubscribersCommand
{
public:
    static int run(const QStringList &arguments);
};
