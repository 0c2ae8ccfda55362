#pragma once

#include <QStringList>

// `hookscope events`, `hookscope schema`, `hookscope diff` and `hookscope fixture`: what the
// senders send, learned from the stored deliveries, how two deliveries differ, and a delivery
// written out as a test fixture.
class SchemaCommand
{
public:
    // `command` is "events", "schema", "diff" or "fixture".
    static int run(const QString &command, const QStringList &arguments);
};
