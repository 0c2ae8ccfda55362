#pragma once

#include <QString>

#include <functional>
#include <optional>

class Database;

// Verifies stored deliveries again against the endpoints as they are configured now (after a
// secret or scheme changed). Deliveries keep their raw bytes, so the result is what the
// listener would have said had the configuration been this one when they arrived.
class Reverifier
{
public:
    struct Result
    {
        qint64 checked = 0;
        qint64 changedVerdict = 0; // deliveries whose verdict is now different
        qint64 updated = 0;        // deliveries whose stored verification changed at all
    };

    // Only deliveries of `endpointName` when it is not empty. `progress` is called after each
    // batch with the deliveries done so far and the total; returning false cancels.
    static std::optional<Result> run(const Database &database, const QString &endpointName,
                                     QString *error,
                                     const std::function<bool(qint64, qint64)> &progress = {});

    static constexpr int BatchSize = 500;
};
