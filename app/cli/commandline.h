#pragma once

#include <QStringList>

// The headless command line: `hookscope serve`, `hookscope endpoint add`, ... Every command
// prints one clear line on stderr and returns 2 on a usage or storage error, 1 when the thing
// asked for does not exist, 0 on success.
class CommandLine
{
public:
    static constexpr int Success = 0;
    static constexpr int NotFound = 1;
    static constexpr int Failure = 2;

    static int run(const QStringList &arguments);
    static QString usage();
};
