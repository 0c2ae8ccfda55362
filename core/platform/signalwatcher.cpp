#include "signalwatcher.h"

#include "platform.h"

#include <QSocketNotifier>

#include <csignal>

#ifdef Q_OS_WIN
#include <windows.h>

#include <mutex>

namespace {

std::mutex watcherMutex;
SignalWatcher *watcher = nullptr;

// Runs on a thread of its own that the system starts for the event.
BOOL WINAPI consoleControl(DWORD event)
{
    const int signalNumber = event == CTRL_C_EVENT ? SIGINT : SIGTERM;
    const std::lock_guard lock(watcherMutex);
    if (!watcher)
        return FALSE;
    QMetaObject::invokeMethod(
        watcher,
        [target = watcher, signalNumber] { Q_EMIT target->terminationRequested(signalNumber); },
        Qt::QueuedConnection);
    return TRUE;
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    const std::lock_guard lock(watcherMutex);
    watcher = this;
    SetConsoleCtrlHandler(&consoleControl, TRUE);
}

SignalWatcher::~SignalWatcher()
{
    SetConsoleCtrlHandler(&consoleControl, FALSE);
    const std::lock_guard lock(watcherMutex);
    watcher = nullptr;
}

#else // POSIX

#include <unistd.h>

namespace {

qintptr signalSockets[2] = {-1, -1};

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    if (!Platform::makeSocketPair(signalSockets))
        return;
    m_notifier = new QSocketNotifier(signalSockets[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalWatcher::readSignal);

    struct sigaction action = {};
    action.sa_handler = &SignalWatcher::handle;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGUSR1, &action, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGUSR1, SIG_DFL);
    delete m_notifier;
    for (qintptr &fd : signalSockets) {
        if (fd >= 0)
            Platform::closeSocket(fd);
        fd = -1;
    }
}

void SignalWatcher::handle(int signalNumber)
{
    const char byte = static_cast<char>(signalNumber);
    [[maybe_unused]] const auto written = ::write(static_cast<int>(signalSockets[0]), &byte, 1);
}

void SignalWatcher::readSignal()
{
    char byte = 0;
    if (::read(static_cast<int>(signalSockets[1]), &byte, 1) != 1)
        return;
    if (byte == SIGUSR1)
        Q_EMIT reportRequested();
    else
        Q_EMIT terminationRequested(byte);
}

#endif
