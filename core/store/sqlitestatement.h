#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

struct sqlite3;
struct sqlite3_stmt;

class QSqlDatabase;

// A prepared statement on the SQLite handle under a Qt connection, bound through SQLite's own
// API: the writer binds some twenty values a delivery, and Qt's binding (a QVariant and a
// generated placeholder name for each) cost more than the INSERT. Values are bound without a
// copy: they must outlive the step.
class SqliteStatement
{
public:
    SqliteStatement(sqlite3 *db, const char *sql, QString *error);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    // The SQLite handle of an open QSQLITE connection, or nullptr when the connection's
    // SQLite is not the library HookScope is linked with (a Qt that bundles its own).
    static sqlite3 *handleOf(const QSqlDatabase &connection);

    // "SQLite 3.40.1", the library HookScope is linked with.
    static QString libraryVersion();

    bool isValid() const { return m_statement != nullptr; }
    // Parameters count from 1, as in SQL.
    void bind(int parameter, qint64 value);
    void bindText(int parameter, const QByteArray &utf8);
    void bindBlob(int parameter, const QByteArray &bytes);
    // Runs the statement to its end; it is then reset and its bindings cleared.
    bool run(QString *error);
    // Steps to the next row of a query: true while there is one; false at the end (the
    // statement is then reset and its bindings cleared) or on an error (`error` set).
    bool next(QString *error);
    // Columns of the current row, counted from 0. Text and blobs are views into SQLite's
    // buffers, valid until the next step; a NULL is a null view.
    qint64 int64At(int column) const;
    QByteArrayView bytesAt(int column) const;
    bool isNullAt(int column) const;
    // What the last run changed, and the last row id it inserted.
    int changes() const;
    qint64 lastInsertId() const;

private:
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_statement = nullptr;
};
