#include "privatefile.h"

#include "platform.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace {

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
    // An existing file is never opened (and so never closed) here.
    QString systemError;
    const auto result = Platform::createOwnerOnly(target, &systemError);
    if (result != Platform::CreateResult::Created) {
        const bool exists = result == Platform::CreateResult::Exists;
        if (exists && existing == Existing::Accept)
            return true;
        if (error) {
            *error = exists ? QStringLiteral("%1 exists already; choose a new file").arg(path)
                            : QStringLiteral("cannot create %1: %2").arg(target, systemError);
        }
        return false;
    }
    if (created)
        *created = true;
    return true;
}

bool isOpenToOthers(const QString &path, unsigned *mode)
{
    return Platform::isOpenToOthers(path, mode);
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
