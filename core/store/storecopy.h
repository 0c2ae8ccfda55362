#pragma once

#include <QString>
#include <QStringList>

#include <functional>

// Moves history between a HookScope file and a team database (see Postgres), in either
// direction, on the calling thread: endpoints, deliveries, replays, subscribers and
// subscriber_events. Exactly one of the two locations names a team database.
//
// Deliveries keep their ids and every column: the bodies, headers and trailers byte for byte,
// text as the target can keep it (a team database's text cannot hold U+0000, see
// Postgres::text()). In a team database each copied row has receiver '' and its search vector;
// the receiver column is not copied into a file. They are copied in id order, in transactions
// of at most BatchRows rows (fewer when their bodies are large), so that a copy stopped
// anywhere leaves whole batches and is taken up again by running it once more.
//
// Which targets a copy goes into. Let T be the largest delivery id in the target (0 when it
// holds none). The copy goes on only when every delivery the target holds is the source's:
//   - each id the target holds is in the source, with the same received_at and body_size;
//   - the row of id T is equal to the source's row of id T in every copied column (the
//     source's as the target would keep it).
// Otherwise nothing is written and the copy fails, saying which id differs: deliveries from
// elsewhere are never mixed with the source's. When it goes on, the source's deliveries the
// target lacks are copied: those above T, and any below T (a team database may commit a lower
// id after a higher one). A target that takes deliveries of its own while the copy runs
// stops it the same way at the next batch. A source's row of an id the target holds is not
// copied again, even if it was changed since.
//
// The rest is merged by its keys, so that a copy run again adds nothing twice:
//   - subscribers by (endpoint, subscriber_id), every column taken from the source, the
//     user's local_reference and notes included; subscriber_events by (endpoint, event_id);
//   - replays by id; a target replay of that id that belongs to another delivery or time is
//     not the source's, and the copy fails rather than replace it;
//   - endpoints, file to team database: each one's settings and its secrets' fingerprints are
//     published (Postgres::publishEndpoint), never a secret itself. Team database to file: an
//     endpoint is added, without secrets, where the file has none of that name; the file's
//     own endpoints are left as they are.
// Into a file, the subscriber watermark (mapping_state) moves to the copied deliveries with
// them, as their subscribers are copied rather than mapped again; the schemas and the search
// index of the file catch up by themselves. Into a team database, the id sequences move past
// the copied rows (never back), and windows listening learn of each batch.
class StoreCopy
{
public:
    static constexpr int BatchRows = 2000;
    // The bodies one batch reads at most (at least one row is read).
    static constexpr qint64 BatchBytes = 64 * 1024 * 1024;

    // Deliveries copied so far (those the target held already included) of the source's.
    using Progress = std::function<void(qint64 done, qint64 total)>;

    struct Summary
    {
        qint64 deliveries = 0;   // copied by this run
        qint64 alreadyThere = 0; // held by the target before
        int endpoints = 0;       // published, or added to the file
        int endpointsKept = 0;   // the file's own of a team endpoint's name
        qint64 subscribers = 0;  // rows written (merged)
        qint64 subscriberEvents = 0;
        qint64 replays = 0;
        QStringList notes; // what the user should know: endpoints skipped, no secrets
    };

    // `from` and `to`: a file path, or a postgresql:// location. A file source must exist; a
    // file target is created when it does not. `progress` is called at most about five times a
    // second, and once at the end. On failure returns false with one sentence in `error`
    // (never a row's content); what was committed before stays, and a next run goes on from it.
    static bool copy(const QString &from, const QString &to, const Progress &progress,
                     Summary *summary, QString *error);
};
