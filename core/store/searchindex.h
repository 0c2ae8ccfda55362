#pragma once

#include <QString>

#include <optional>

// What a text filter searches, as prepared on a reading connection
// (Database::prepareTextSearch()): the index file, attached as "search", for the ids up to
// `indexedUpTo`, and the connection's own temporary index ("temp.fresh_fts") for the ids above
// it up to `freshUpTo`. Ids above `freshUpTo` arrived after it was prepared.
struct TextSearchScope
{
    qint64 indexedUpTo = 0;
    qint64 freshUpTo = 0;
};

// The full-text index of the deliveries (FTS5 over event type, event id, path and body), kept
// in a file of its own beside the database ("<database>-search"), so that indexing never takes
// the database's write lock or waits for its fsync: a delivery is answered as soon as its row
// is committed, and the index follows on its own thread.
//
// The index holds every delivery up to its watermark ("indexed up to"), in id order; a text
// filter searches it up to the watermark and the rows above it directly (see
// Database::prepareTextSearch()), so a delivery is found the moment it is answered. The index
// can always be rebuilt from the deliveries: it is written without fsync, and one that does
// not match the database (another file put in its place, a copy of an older state) or is
// damaged is emptied and filled again, never trusted.
class SearchIndex
{
public:
    explicit SearchIndex(const QString &databasePath);
    ~SearchIndex();
    SearchIndex(const SearchIndex &) = delete;
    SearchIndex &operator=(const SearchIndex &) = delete;

    // "<databasePath>-search".
    static QString pathFor(const QString &databasePath);

    // The FTS5 table's definition, for `schema` ("main", "search", "temp") and `table`.
    static QString ftsTable(const QString &schema, const QString &table);

    // Opens the index file on its own connection on the calling thread (creating it, owner
    // only, when missing), with the database attached to read deliveries from, and checks the
    // index against the database.
    bool open(int busyTimeoutMs, QString *error);
    void close();
    bool isOpen() const;

    // Indexes the next deliveries above the watermark, at most `maxRows`, in one transaction,
    // and moves the watermark past them: how many were indexed (0 once caught up), or nothing
    // with `error` set.
    std::optional<int> catchUp(int maxRows, QString *error);

    // The watermark as of the last catchUp() or open().
    qint64 indexedUpTo() const { return m_indexedUpTo; }
    // How many times the index was found not to match the database and was emptied.
    int resets() const { return m_resets; }

private:
    bool exec(const QString &statement, QString *error);
    // Closes and deletes a damaged index file (with its log and shared memory).
    void removeFile();
    bool createSchema(QString *error);
    // Empties the index and sets the watermark to 0, in the transaction open.
    bool reset(QString *error);
    // Whether the watermark row is still the row indexed (same id, same time of arrival).
    std::optional<bool> matchesDatabase(QString *error);

    QString m_databasePath;
    QString m_connectionName;
    qint64 m_indexedUpTo = 0;
    int m_resets = 0;
};
