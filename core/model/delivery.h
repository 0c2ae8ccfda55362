#pragma once

#include "headerlist.h"
#include "verification.h"

#include <QByteArray>
#include <QString>

#include <optional>

// What a verified (or unverifiable) subscriber.created delivery says of its subscriber, as
// applied to the subscriber mapping after the delivery is stored (see SubscriberMapper).
struct SubscriberUpdate
{
    QString subscriberId;
    bool verified = false;
    QByteArray fields; // JSON object of the scalar fields under "data", values as sent
    QByteArray data;   // the "data" member exactly as sent
};

// One HTTP request as received, with what HookScope made of it.
struct Delivery
{
    qint64 id = 0;
    qint64 receivedAtMs = 0; // Unix time in milliseconds, UTC
    QString remoteAddress;
    QString method;
    QString path;        // request target: path with query, as sent
    QString httpVersion; // "1.1"
    HeaderList headers;
    HeaderList trailers; // sent after a chunked body, kept apart from the headers
    QByteArray body;
    QString endpoint; // name of the endpoint that matched; empty for none
    QString eventType;
    QString eventId;
    QString subscriberId;
    Verification verification;
    int responseStatus = 0;    // the status answered to the sender
    qint64 handlingMicros = 0; // from the end of the request to the committed row
    bool truncated = false;    // refused for its size: only the first part of the body is kept
    QString source;     // empty: received by the listener; "ngrok": recovered from its history
    QString externalId; // the id where it was recovered from; unique when set
    // A sample HookScope sent itself (it carries SampleHeader); it changes the subscriber
    // mapping only when the sample asked to.
    bool sample = false;
    static constexpr const char *SampleHeader = "HookScope-Sample";
    // Not columns: the endpoint's "fail the first N attempts of each event" policy, applied
    // by the store, which knows the earlier attempts.
    int failFirstAttempts = 0;
    int failStatus = 500;

    qint64 bodySize() const { return body.size(); }
    // The request path without its query string.
    QString pathWithoutQuery() const;
};

// What the delivery list shows of a delivery: no headers, no body.
struct DeliverySummary
{
    qint64 id = 0;
    qint64 receivedAtMs = 0;
    QString remoteAddress;
    QString method;
    QString path;
    QString endpoint;
    QString eventType;
    QString eventId;
    QString subscriberId;
    Verdict verdict = Verdict::Unverified;
    int responseStatus = 0;
    qint64 bodySize = 0;
    bool sample = false;

    static DeliverySummary of(const Delivery &delivery);
};
