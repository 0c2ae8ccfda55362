#pragma once

#include "requesthead.h"

#include <QObject>

#include <deque>

#include <http_parser.h>

class QTcpSocket;

// Reads alongside QHttpServer on one connection. QHttpServer 6.4 keeps headers in a hash
// (order and duplicates lost) and neither reports the HTTP version nor answers a garbled
// request; the guard parses the same bytes first, with the http_parser that QHttpServer itself
// embeds, records each request head exactly as sent and answers what QHttpServer would drop.
//
// It must be created before QHttpServer connects to the socket, so that its readyRead slot
// runs first and peeks at bytes QHttpServer has not consumed yet.
class ConnectionGuard : public QObject
{
    Q_OBJECT

public:
    explicit ConnectionGuard(QTcpSocket *socket);

    // The head of the oldest request whose headers are complete and not yet taken.
    bool hasHead() const { return !m_heads.empty(); }
    RequestHead takeHead();

    static ConnectionGuard *of(QTcpSocket *socket);

private:
    void onReadyRead();
    void reject(int status, const QByteArray &reason, const QByteArray &detail);

    static int onMessageBegin(http_parser *parser);
    static int onUrl(http_parser *parser, const char *at, size_t length);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onHeadersComplete(http_parser *parser);
    static ConnectionGuard *self(http_parser *parser);

    QTcpSocket *m_socket;
    http_parser m_parser;
    http_parser_settings m_settings;
    RequestHead m_current;
    QByteArray m_field;
    QByteArray m_value;
    bool m_inValue = false;
    bool m_rejected = false;
    std::deque<RequestHead> m_heads;
};
