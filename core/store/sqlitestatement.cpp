#include "sqlitestatement.h"

#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QVariant>

#include <sqlite3.h>

SqliteStatement::SqliteStatement(sqlite3 *db, const char *sql, QString *error)
    : m_db(db)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_statement, nullptr) !=
        SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(db));
        sqlite3_finalize(m_statement);
        m_statement = nullptr;
    }
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_statement);
}

sqlite3 *SqliteStatement::handleOf(const QSqlDatabase &connection)
{
    const QVariant handle = connection.driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    sqlite3 *db = *static_cast<sqlite3 *const *>(handle.constData());
    // The handle is only usable with the library that made it. Qt's own builds for some
    // platforms link a copy of SQLite into the driver; then the versions (and so the source
    // ids) are not known to agree, and the handle is left to Qt.
    QSqlQuery query(connection);
    if (!db || !query.exec(QStringLiteral("SELECT sqlite_source_id()")) || !query.next() ||
        query.value(0).toString().toUtf8() != QByteArray(sqlite3_sourceid()))
        return nullptr;
    return db;
}

QString SqliteStatement::libraryVersion()
{
    return QStringLiteral("SQLite ") + QString::fromLatin1(sqlite3_libversion());
}

void SqliteStatement::bind(int parameter, qint64 value)
{
    sqlite3_bind_int64(m_statement, parameter, value);
}

void SqliteStatement::bindText(int parameter, const QByteArray &utf8)
{
    // A null QByteArray has no data: bound as '' (the columns are NOT NULL).
    sqlite3_bind_text(m_statement, parameter, utf8.isNull() ? "" : utf8.constData(),
                      int(utf8.size()), SQLITE_STATIC);
}

void SqliteStatement::bindBlob(int parameter, const QByteArray &bytes)
{
    sqlite3_bind_blob(m_statement, parameter, bytes.isNull() ? "" : bytes.constData(),
                      int(bytes.size()), SQLITE_STATIC);
}

bool SqliteStatement::run(QString *error)
{
    const int result = sqlite3_step(m_statement);
    const bool done = result == SQLITE_DONE || result == SQLITE_ROW;
    if (!done)
        *error = QString::fromUtf8(sqlite3_errmsg(m_db));
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
    return done;
}

bool SqliteStatement::next(QString *error)
{
    const int result = sqlite3_step(m_statement);
    if (result == SQLITE_ROW)
        return true;
    if (result != SQLITE_DONE)
        *error = QString::fromUtf8(sqlite3_errmsg(m_db));
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
    return false;
}

qint64 SqliteStatement::int64At(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

QByteArrayView SqliteStatement::bytesAt(int column) const
{
    // The pointer first, then the size (SQLite's own advice).
    const void *data = sqlite3_column_blob(m_statement, column);
    const int size = sqlite3_column_bytes(m_statement, column);
    if (!data)
        return size == 0 && sqlite3_column_type(m_statement, column) != SQLITE_NULL
                   ? QByteArrayView("")
                   : QByteArrayView();
    return QByteArrayView(static_cast<const char *>(data), size);
}

bool SqliteStatement::isNullAt(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

int SqliteStatement::changes() const
{
    return sqlite3_changes(m_db);
}

qint64 SqliteStatement::lastInsertId() const
{
    return sqlite3_last_insert_rowid(m_db);
}
