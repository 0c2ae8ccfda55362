#pragma once

#include <QByteArray>
#include <QString>

// Files that hold endpoint secrets or deliveries (databases, backups, exports) are readable by
// their owner only from the moment they have a name. Nothing here opens a file that exists
// already: on POSIX, closing any descriptor of a file drops every lock the process holds on
// it, SQLite's included, and the database files are locked by SQLite while they are open.
namespace PrivateFile {

enum class Existing
{
    Accept, // a file already at the path is left as it is
    Refuse  // a file already at the path is an error
};

// Creates an empty file at `path` with mode 0600. A symbolic link that points nowhere yet
// has its target created (the link is the user's way of saying where the file lives).
// `created` says whether this call made the file.
bool create(const QString &path, Existing existing, bool *created, QString *error);

// Whether the file at `path` (when it exists) can be read or written by anyone but its
// owner; `mode` receives its permission bits.
bool isOpenToOthers(const QString &path, unsigned *mode);

// Writes `data` to `path` atomically (a temporary file renamed into place) with mode 0600
// set before the file has a name.
bool write(const QString &path, const QByteArray &data, QString *error);

} // namespace PrivateFile
