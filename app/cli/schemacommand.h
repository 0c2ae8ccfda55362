#pragma once

#include <QStringList>

// `hookscope events`, `hookscope schema` and `hookscope diff`: what the senders send, learned
// from the stored deliveries, and how two deliveries differ.
class SchemaCommand
{
public:
    // `command` is "events", "schema" or "diff".
    static int run(const QString &command, const QStringList &arguments);
};
