#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

// How an endpoint answers the sender once a delivery is stored. The default is the plain
// 200; the rest exists to exercise a sender: other statuses, a slow answer, failing the first
// attempts of each event so that it retries, or refusing bad signatures like a strict
// production receiver would.
struct ResponsePolicy
{
    int status = 200;
    QByteArray body; // empty: HookScope's own short JSON answer
    QList<QPair<QByteArray, QByteArray>> headers;
    int delayMs = 0;
    int failFirstAttempts = 0; // of each event id
    int failStatus = 500;
    bool rejectInvalid = false; // 401 when the verdict is invalid, stale, missing or malformed

    bool isDefault() const { return *this == ResponsePolicy(); }
    QByteArray toJson() const;
    static ResponsePolicy fromJson(const QByteArray &json);

    friend bool operator==(const ResponsePolicy &, const ResponsePolicy &) = default;
};
