#pragma once

#include <QObject>

class QSocketNotifier;

// Turns a request to terminate into a Qt signal on the thread that created the watcher. On
// POSIX, SIGINT and SIGTERM, through a socket pair: a signal handler may only write to a file
// descriptor. On Windows, Ctrl+C (as SIGINT), and Ctrl+Break, closing the console, logging
// off and shutting down (as SIGTERM), from the console control handler's own thread.
class SignalWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);
    // SIGUSR1 (POSIX only): say how things stand, and go on.
    void reportRequested();

private:
    static void handle(int signalNumber);
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};
