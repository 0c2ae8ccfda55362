#pragma once

#include "searchindex.h"

#include "verification.h"

#include <QString>
#include <QVariantList>

#include <optional>

// Which SQL a filter is written in: the file's SQLite, or the team database's PostgreSQL (see
// Postgres).
enum class SqlDialect
{
    Sqlite,
    Postgres
};

// What the filter field asks for: tokens (event:, verdict:, endpoint:, status:, subscriber:,
// sample:, drift:, has:, since:, until:) and free text, which matches event type, event id, path
// and body.
struct DeliveryFilter
{
    QString eventType;
    std::optional<Verdict> verdict;
    bool failedOnly = false; // verdict:failed — anything but valid and unverified
    QString endpoint;
    int status = 0; // exact status, or 1..5 for a class such as 4xx
    bool statusIsClass = false;
    QString subscriberId;
    std::optional<bool> sample; // sample:yes / sample:no
    // drift:yes / drift:no, or one kind of drift (drift:new-field, drift:missing,
    // drift:type-changed): how a delivery differed from its event type's deliveries before it.
    QString drift;
    // has:PATH: the body is JSON and carries the field at PATH, a field path as the schemas
    // name it ("data.items[].sku": in any element).
    QString hasPath;
    std::optional<qint64> sinceMs;
    std::optional<qint64> untilMs; // exclusive
    QString text;

    bool isEmpty() const;
    // A filter that says nothing matches everything; `error` explains a token it could not
    // read (the rest of the filter still applies).
    static DeliveryFilter parse(const QString &input, QString *error = nullptr, qint64 nowMs = 0);

    // Whether the free text is the only condition.
    bool onlyText() const;

    // SQL for a WHERE clause over `deliveries` (without "WHERE"), with positional bindings.
    // With `textSearch` (see Database::prepareTextSearch()) the free text is searched in the
    // full-text indexes; without it, with LIKE. Ids outside [minId, maxId] (when given) are not
    // asked of the indexes at all.
    // In PostgreSQL the free text is searched in the deliveries' text-search vectors and has:
    // asks jsonb_path_exists.
    QString whereClause(QVariantList &bindings, const TextSearchScope *textSearch, qint64 minId = 0,
                        qint64 maxId = 0, SqlDialect dialect = SqlDialect::Sqlite) const;

    // FTS5 query text for `text`: each word a quoted prefix phrase, all required.
    static QString ftsQuery(const QString &text);
    // The same as a PostgreSQL tsquery over Postgres::searchWords: each word its tokens in a
    // row, the last a prefix, all words required. Empty when the text has no word at all.
    static QString tsQuery(const QString &text);
};
