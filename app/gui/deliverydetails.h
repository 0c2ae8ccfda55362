#pragma once

#include "delivery.h"
#include "eventschema.h"
#include "payloaddecoder.h"
#include "providermetadata.h"
#include "replay.h"

// Everything the detail pane shows of one delivery, prepared off the GUI thread.
struct DeliveryDetails
{
    Delivery delivery;
    DecodedPayload payload;
    // Where the event type and id came from, and the provider's other ids.
    ProviderMetadata::Identity identity;
    QString bodyText;                // raw text, or empty when the body is binary
    QString prettyBody;              // indented JSON, or empty
    QString hexDump;                 // 16 bytes a line
    QString narrowHexDump;           // 8 bytes a line, for a pane too narrow for 16
    bool bodyTruncated = false;      // bodyText/prettyBody hold only the first part
    QList<DeliverySummary> attempts; // every delivery with the same event id, oldest first
    QList<Replay> replays;           // the times it was sent again
    // How it differed from the deliveries of its type before it; nothing until it is learned
    // (just after it is stored).
    std::optional<QList<SchemaDrift>> drift;
};
