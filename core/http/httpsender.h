#pragma once

#include "headerlist.h"

#include <QObject>
#include <QUrl>

#include <functional>

// Sends one HTTP request (a sample, a replay, a forward) and reports the answer. Headers are
// sent exactly as given, in order; only Host and the framing (Content-Length, Connection)
// are the target's.
class HttpSender : public QObject
{
    Q_OBJECT

public:
    struct Answer
    {
        int status = 0; // 0: no answer
        HeaderList headers;
        QByteArray body;
        qint64 latencyMs = 0;
        QString error; // why there was no answer
    };

    explicit HttpSender(QObject *parent = nullptr);

    void send(const QString &method, const QUrl &url, const HeaderList &headers,
              const QByteArray &body, std::function<void(const Answer &)> done,
              int timeoutMs = 30000);

    // Blocks (in a local event loop) until the answer: for the command line.
    static Answer sendAndWait(const QString &method, const QUrl &url, const HeaderList &headers,
                              const QByteArray &body, int timeoutMs = 30000);
};
