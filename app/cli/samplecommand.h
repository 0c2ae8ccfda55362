#pragma once

#include <QStringList>

// `hookscope send-sample EVENT_TYPE --endpoint NAME [--to URL]`.
class SampleCommand
{
public:
    static int run(const QStringList &arguments);
};
