#include "privatefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

QString systemError(int code)
{
    return QString::fromLocal8Bit(std::strerror(code));
}

// Where a chain of symbolic links starting at `path` ends when its last target does not
// exist; `path` itself when it is no dangling link. Bounded like the kernel's own (ELOOP).
QString danglingLinkTarget(const QString &path)
{
    QString current = path;
    for (int hops = 0; hops < 40; ++hops) {
        const QFileInfo info(current);
        if (!info.isSymLink() || info.exists())
            return current;
        current = info.symLinkTarget();
        if (current.isEmpty())
            return path;
    }
    return path;
}

} // namespace

namespace PrivateFile {

bool create(const QString &path, Existing existing, bool *created, QString *error)
{
    if (created)
        *created = false;
    const QString target = danglingLinkTarget(path);
    // O_EXCL: an existing file is never opened (and so never closed) here.
    const int fd = ::open(QFile::encodeName(target).constData(),
                          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int code = errno;
        if (code == EEXIST && existing == Existing::Accept)
            return true;
        if (error) {
            *error = code == EEXIST
                         ? QStringLiteral("%1 exists already; choose a new file").arg(path)
                         : QStringLiteral("cannot create %1: %2").arg(target, systemError(code));
        }
        return false;
    }
    // umask may have taken bits away, never added any; 0600 is what was asked for.
    ::close(fd);
    if (created)
        *created = true;
    return true;
}

bool isOpenToOthers(const QString &path, unsigned *mode)
{
    struct stat status = {};
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return false;
    if (mode)
        *mode = status.st_mode & 07777;
    return (status.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

bool write(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    // The temporary file has no name yet (O_TMPFILE) or a random one in the same folder; its
    // mode is set on the open descriptor before the rename gives it the final name.
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        file.cancelWriting();
        if (error)
            *error = QStringLiteral("cannot make %1 private: %2").arg(path, file.errorString());
        return false;
    }
    if (file.write(data) != data.size() || !file.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace PrivateFile
