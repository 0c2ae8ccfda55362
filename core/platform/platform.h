#pragma once

#include <QList>
#include <QString>

#include <chrono>

#include <QByteArrayView>
#include <QString>
#include <QtGlobal>

#include <optional>

// Every call to the operating system that Qt does not make for us, behind small functions:
// POSIX (Linux, macOS where it differs) and Windows. Nothing outside core/platform includes a
// system header.
namespace Platform {

// A connected pair of local stream sockets that child processes do not inherit. False when
// none could be made. Windows has no socketpair(): two loopback TCP sockets stand in.
bool makeSocketPair(qintptr sockets[2]);
void closeSocket(qintptr socket);
// Sends `data` on a connected socket without waiting; how much was sent, -1 on an error.
qint64 sendOnSocket(qintptr socket, QByteArrayView data);

// Shuts the sending side of a connected socket: the peer reads the end of the stream, and
// what it still sends can still be read here.
void shutdownSending(qintptr socket);

// What tells one file from another, whatever name it has now: device and inode on POSIX,
// volume serial number and file index on Windows. Symbolic links are followed.
struct FileIdentity
{
    quint64 device = 0;
    quint64 file = 0;
    friend bool operator==(const FileIdentity &, const FileIdentity &) = default;
};
std::optional<FileIdentity> fileIdentity(const QString &path);

// Whether `path` (which must exist) lies on a file system mounted read-only.
bool isOnReadOnlyFileSystem(const QString &path);

enum class CreateResult
{
    Created,
    Exists, // something is at the path already; it was not opened
    Failed
};
// Creates an empty file readable and writable by its owner only (mode 0600; on Windows a
// protected DACL granting its owner alone), never opening a file that exists already.
// `error` receives the system's message when it fails.
CreateResult createOwnerOnly(const QString &path, QString *error);

// Whether the file at `path` can be read or written by anyone but its owner; `mode` receives
// its POSIX permission bits. False when it cannot be told (no such file; on Windows, where
// files are made owner-only by createOwnerOnly and their ACLs are not inspected).
bool isOpenToOthers(const QString &path, unsigned *mode);

// Whatever the process creates from now on is readable by its user only (umask 077). On
// Windows new files take the ACL of their folder, the user's own profile for HookScope's.
void restrictNewFilesToOwner();

// A write to a closed pipe or socket fails with an error instead of ending the process
// (SIGPIPE; Windows has none).
void ignoreBrokenPipe();

// A write beyond the file-size limit fails with an error instead of ending the process
// (SIGXFSZ; Windows has none).
void ignoreFileSizeLimit();

// The CPU time (user and system) each thread of this process has used so far, by thread
// name; empty where the system does not say (Linux's /proc does).
struct ThreadTime
{
    QString name;
    std::chrono::nanoseconds cpu{0};
};
QList<ThreadTime> threadTimes();
// The CPU time (user and system) the calling thread has used so far; 0 where unknown.
std::chrono::nanoseconds threadCpuTime();

} // namespace Platform
