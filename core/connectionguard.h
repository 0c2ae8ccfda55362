#pragma once

#include "listenerlimits.h"
#include "requesthead.h"

#include <QObject>

#include <deque>
#include <functional>

#include <http_parser.h>

class QTcpSocket;
class QTimer;

// Reads alongside QHttpServer on one connection. QHttpServer 6.4 keeps headers in a hash
// (order and duplicates lost), neither reports the HTTP version nor answers a garbled request,
// and has no limits; the guard parses the same bytes first, with the http_parser that
// QHttpServer itself embeds, records each request head exactly as sent, and answers what
// QHttpServer would not: 400 for garbage, 413 for a body over the limit (as soon as its size
// is known, keeping only its first part), 431 for too many or too large headers, 408 for a
// client that stops sending.
//
// It must be created before QHttpServer connects to the socket, so that its readyRead slot
// runs first and peeks at bytes QHttpServer has not consumed yet.
class ConnectionGuard : public QObject
{
    Q_OBJECT

public:
    ConnectionGuard(QTcpSocket *socket, const ListenerLimits &limits);

    // The head of the oldest request whose headers are complete and not yet taken.
    bool hasHead() const { return !m_heads.empty(); }
    RequestHead takeHead();
    // Whether the guard has answered and is closing the connection.
    bool hasRejected() const { return m_rejected; }

    // Asked before an idle connection is closed: true while an answer is still owed on it.
    void setBusyCheck(std::function<bool()> busy) { m_busy = std::move(busy); }

    static ConnectionGuard *of(QTcpSocket *socket);

Q_SIGNALS:
    // A request refused for its size: its head, the first part of its body, the status sent.
    void refused(const RequestHead &head, const QByteArray &bodyStart, int status,
                 const QString &reason);

private:
    void onReadyRead();
    void onIdle();
    void reject(int status, const QByteArray &reason, const QByteArray &detail);
    void refuseOversized(bool now);

    static int onMessageBegin(http_parser *parser);
    static int onUrl(http_parser *parser, const char *at, size_t length);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onHeadersComplete(http_parser *parser);
    static int onBody(http_parser *parser, const char *at, size_t length);
    static int onMessageComplete(http_parser *parser);
    static ConnectionGuard *self(http_parser *parser);

    // How long a refused client may go on sending before the connection is cut.
    static constexpr int LingerMs = 2000;

    QTcpSocket *m_socket;
    ListenerLimits m_limits;
    QTimer *m_idle;
    std::function<bool()> m_busy;
    http_parser m_parser;
    http_parser_settings m_settings;
    RequestHead m_current;
    QByteArray m_field;
    QByteArray m_value;
    bool m_inValue = false;
    bool m_inMessage = false;
    bool m_rejected = false;
    int m_headerCount = 0;
    qint64 m_headerBytes = 0;
    qint64 m_bodyBytes = 0;
    bool m_oversized = false;
    QByteArray m_bodyStart; // of an oversized request
    QString m_oversizedReason;
    int m_limitStatus = 0; // set by a callback that stops the parser
    std::deque<RequestHead> m_heads;
};
