#pragma once

#include <QtGlobal>

// What the listener accepts from one client. QHttpServer 6.4 has none of these limits; the
// HttpFramer, HttpConnection and GuardedTcpServer enforce them around it.
struct ListenerLimits
{
    qint64 maxBodyBytes = 10 * 1024 * 1024; // larger: 413, the first KeptBodyBytes kept
    int maxHeaderCount = 100;               // more: 431
    int maxHeaderBytes = 64 * 1024;         // names and values together; more: 431
    int idleTimeoutMs = 30000;              // a client silent this long mid-request: 408, closed
    int headerTimeoutMs = 10000;            // a request head not complete this long: 408, closed
    int maxConnections = 256;               // beyond: 503 and closed at once

    static constexpr qsizetype KeptBodyBytes = 64 * 1024;
};
