#include "platform.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#ifdef Q_OS_WIN
// In this order: Winsock 2 before windows.h (which would bring the old winsock.h), and
// sddl.h after the declarations it builds on.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <windows.h>

#include <sddl.h>
#else
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#endif

namespace Platform {

#ifdef Q_OS_WIN

namespace {

std::wstring nativePath(const QString &path)
{
    return QDir::toNativeSeparators(path).toStdWString();
}

QString systemMessage(DWORD code)
{
    wchar_t *text = nullptr;
    const DWORD length = FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, code, 0, reinterpret_cast<wchar_t *>(&text), 0, nullptr);
    const QString message = QString::fromWCharArray(text, static_cast<qsizetype>(length)).trimmed();
    LocalFree(text);
    return message;
}

bool startWinsock()
{
    static const bool started = [] {
        WSADATA data;
        return WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    return started;
}

SOCKET loopbackSocket()
{
    return WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
}

} // namespace

bool makeSocketPair(qintptr sockets[2])
{
    if (!startWinsock())
        return false;
    const SOCKET listener = loopbackSocket();
    if (listener == INVALID_SOCKET)
        return false;
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int length = sizeof(address);
    SOCKET client = INVALID_SOCKET;
    SOCKET server = INVALID_SOCKET;
    if (bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0 &&
        listen(listener, 1) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        client = loopbackSocket();
        if (client != INVALID_SOCKET &&
            connect(client, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0)
            server = accept(listener, nullptr, nullptr);
    }
    closesocket(listener);
    if (server == INVALID_SOCKET) {
        if (client != INVALID_SOCKET)
            closesocket(client);
        return false;
    }
    sockets[0] = static_cast<qintptr>(client);
    sockets[1] = static_cast<qintptr>(server);
    return true;
}

void closeSocket(qintptr socket)
{
    closesocket(static_cast<SOCKET>(socket));
}

qint64 sendOnSocket(qintptr socket, QByteArrayView data)
{
    return send(static_cast<SOCKET>(socket), data.data(), static_cast<int>(data.size()), 0);
}

void shutdownSending(qintptr socket)
{
    shutdown(static_cast<SOCKET>(socket), SD_SEND);
}

std::optional<FileIdentity> fileIdentity(const QString &path)
{
    // No access asked for: the identity of a file another process holds open is still read.
    const HANDLE file = CreateFileW(nativePath(path).c_str(), 0,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (file == INVALID_HANDLE_VALUE)
        return std::nullopt;
    BY_HANDLE_FILE_INFORMATION information = {};
    const bool read = GetFileInformationByHandle(file, &information) != 0;
    CloseHandle(file);
    if (!read)
        return std::nullopt;
    return FileIdentity{information.dwVolumeSerialNumber,
                        (quint64(information.nFileIndexHigh) << 32) | information.nFileIndexLow};
}

bool isOnReadOnlyFileSystem(const QString &path)
{
    wchar_t volume[MAX_PATH + 1] = {};
    DWORD flags = 0;
    return GetVolumePathNameW(nativePath(path).c_str(), volume, MAX_PATH + 1) != 0 &&
           GetVolumeInformationW(volume, nullptr, 0, nullptr, nullptr, &flags, nullptr, 0) != 0 &&
           (flags & FILE_READ_ONLY_VOLUME) != 0;
}

CreateResult createOwnerOnly(const QString &path, QString *error)
{
    // Protected (no inherited entries), full access for the owner, nobody else.
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;FA;;;OW)", SDDL_REVISION_1,
                                                              &descriptor, nullptr)) {
        if (error)
            *error = systemMessage(GetLastError());
        return CreateResult::Failed;
    }
    SECURITY_ATTRIBUTES attributes = {};
    attributes.nLength = sizeof(attributes);
    attributes.lpSecurityDescriptor = descriptor;
    attributes.bInheritHandle = FALSE;
    const HANDLE file = CreateFileW(nativePath(path).c_str(), GENERIC_WRITE, 0, &attributes,
                                    CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    const DWORD code = GetLastError();
    LocalFree(descriptor);
    if (file == INVALID_HANDLE_VALUE) {
        if (code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS)
            return CreateResult::Exists;
        if (error)
            *error = systemMessage(code);
        return CreateResult::Failed;
    }
    CloseHandle(file);
    return CreateResult::Created;
}

bool isOpenToOthers(const QString &, unsigned *)
{
    return false;
}

void restrictNewFilesToOwner() {}

void ignoreBrokenPipe() {}

void ignoreFileSizeLimit() {}

std::chrono::nanoseconds threadCpuTime()
{
    FILETIME created, exited, kernel, user;
    if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user))
        return std::chrono::nanoseconds(0);
    const auto ticks = [](const FILETIME &t) {
        return (quint64(t.dwHighDateTime) << 32) | t.dwLowDateTime;
    };
    return std::chrono::nanoseconds((ticks(kernel) + ticks(user)) * 100); // 100 ns ticks
}

QList<ThreadTime> threadTimes()
{
    return {};
}

#else // POSIX

#ifndef SOCK_CLOEXEC
namespace {

bool setCloseOnExec(int fd)
{
    const int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0;
}

} // namespace
#endif

bool makeSocketPair(qintptr sockets[2])
{
    int pair[2] = {-1, -1};
#ifdef SOCK_CLOEXEC
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return false;
#else
    // macOS has no SOCK_CLOEXEC: the flag is set right after, before anything can fork here.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
        return false;
    if (!setCloseOnExec(pair[0]) || !setCloseOnExec(pair[1])) {
        ::close(pair[0]);
        ::close(pair[1]);
        return false;
    }
#endif
    sockets[0] = pair[0];
    sockets[1] = pair[1];
    return true;
}

void closeSocket(qintptr socket)
{
    ::close(static_cast<int>(socket));
}

qint64 sendOnSocket(qintptr socket, QByteArrayView data)
{
    // MSG_NOSIGNAL where there is one: a closed peer is an error, not SIGPIPE.
#ifdef MSG_NOSIGNAL
    constexpr int Flags = MSG_NOSIGNAL | MSG_DONTWAIT;
#else
    constexpr int Flags = MSG_DONTWAIT;
#endif
    return ::send(static_cast<int>(socket), data.data(), static_cast<size_t>(data.size()), Flags);
}

void shutdownSending(qintptr socket)
{
    ::shutdown(static_cast<int>(socket), SHUT_WR);
}

std::optional<FileIdentity> fileIdentity(const QString &path)
{
    struct stat status = {};
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return std::nullopt;
    return FileIdentity{static_cast<quint64>(status.st_dev), static_cast<quint64>(status.st_ino)};
}

bool isOnReadOnlyFileSystem(const QString &path)
{
    struct statvfs fs = {};
    return ::statvfs(QFile::encodeName(path).constData(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
}

CreateResult createOwnerOnly(const QString &path, QString *error)
{
    // O_EXCL: an existing file is never opened (and so never closed) here.
    const int fd =
        ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int code = errno;
        if (code == EEXIST)
            return CreateResult::Exists;
        if (error)
            *error = QString::fromLocal8Bit(std::strerror(code));
        return CreateResult::Failed;
    }
    // umask may have taken bits away, never added any; 0600 is what was asked for.
    ::close(fd);
    return CreateResult::Created;
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

void restrictNewFilesToOwner()
{
    ::umask(077);
}

void ignoreBrokenPipe()
{
    std::signal(SIGPIPE, SIG_IGN);
}

void ignoreFileSizeLimit()
{
    std::signal(SIGXFSZ, SIG_IGN);
}

std::chrono::nanoseconds threadCpuTime()
{
    timespec now{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
        return std::chrono::nanoseconds(0);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

QList<ThreadTime> threadTimes()
{
    QList<ThreadTime> times;
    const long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(tasks.filePath(task + QStringLiteral("/stat")));
        if (ticksPerSecond <= 0 || !stat.open(QIODevice::ReadOnly))
            continue;
        // pid (name) state ...: the name may hold spaces and parentheses; the fields after
        // its last ")" are fixed, utime and stime the 12th and 13th of them.
        const QByteArray line = stat.readAll();
        const qsizetype open = line.indexOf('(');
        const qsizetype close = line.lastIndexOf(')');
        if (open < 0 || close < open)
            continue;
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        if (fields.size() < 13)
            continue;
        const qint64 ticks = fields[11].toLongLong() + fields[12].toLongLong();
        times.append({QString::fromUtf8(line.mid(open + 1, close - open - 1)),
                      std::chrono::nanoseconds(ticks * 1'000'000'000 / ticksPerSecond)});
    }
    return times;
}

#endif

} // namespace Platform
