#pragma once

#include "httpframer.h"
#include "listenerlimits.h"

#include <QHostAddress>
#include <QObject>

#include <deque>
#include <functional>
#include <optional>
#include <variant>

class QTcpSocket;
class QTimer;

// One client connection of the listener, on the listener thread. The HttpFramer alone reads
// the client's bytes and decides where each request begins and ends; QHttpServer never sees
// them. It is handed one canonical request at a time, built from what the framer decided,
// over a socket pair of this connection's own (innerSocket()), and its handler answers on
// the client's socket. Requests are answered strictly in the order they came, refusals
// included, and nothing is read from the client beyond one request waiting behind the one
// being answered: memory per connection stays within the limits, whatever is pipelined.
class HttpConnection : public QObject
{
    Q_OBJECT

public:
    // Keeps a refused request (a body over the limit) as a delivery; `stored` is called on
    // the listener thread once it is committed (true) or could not be (false).
    using KeepRefused = std::function<void(const FramingRefusal &refusal, const QString &peer,
                                           std::function<void(bool stored)> done)>;

    HttpConnection(QTcpSocket *client, const ListenerLimits &limits, KeepRefused keepRefused,
                   QObject *parent);
    ~HttpConnection() override;

    // The end QHttpServer reads canonical requests from; nullptr when the pair could not be
    // made (the client was then refused with 503).
    QTcpSocket *innerSocket() const { return m_theirs; }
    QTcpSocket *clientSocket() const { return m_client; }
    QString peer() const { return m_peer; }
    QHostAddress peerAddress() const { return m_peerAddress; }
    static HttpConnection *ofInnerSocket(QTcpSocket *socket);

    // A complete text/plain answer HookScope writes itself, after which the connection closes.
    static QByteArray plainAnswer(int status, const QByteArray &reasonPhrase, const QString &detail,
                                  const QByteArray &extraHeaders = {});

    // The request QHttpServer is handling now, as the framer decided it.
    std::optional<FramedRequest> takeCurrentRequest();
    // The handler has written the answer to the current request on the client socket.
    void answerWritten(bool closeAfter);

    // Read no more requests: answer what is owed, refuse what waits (503), then close.
    void stop();
    bool isClosed() const { return m_closed; }

Q_SIGNALS:
    void closed();

private:
    struct Pending
    {
        std::variant<FramedRequest, FramingRefusal> item;
        bool started = false;
    };

    void readClient();
    bool handle(HttpFramer::Event event);
    void pump();
    static QByteArray refusalAnswer(const FramingRefusal &refusal);
    // Writes HookScope's last answer on the connection, drops what waits, closes.
    void answerAndClose(const QByteArray &answer);
    void writeInterimContinue();
    void closeLingering();
    void finish();
    void onIdle();
    void onHeaderDeadline();
    void updateHeaderDeadline();

    // How long a refused client may go on sending before the connection is cut.
    static constexpr int LingerMs = 2000;
    // How much is read from the client at a time.
    static constexpr qint64 ReadChunk = 64 * 1024;

    QTcpSocket *m_client;
    qintptr m_ours = -1; // the socket pair's end canonical requests are written to
    QTcpSocket *m_theirs = nullptr;
    ListenerLimits m_limits;
    KeepRefused m_keepRefused;
    HttpFramer m_framer;
    QString m_peer;
    QHostAddress m_peerAddress;
    QByteArray m_unread; // read from the client, not yet taken by the framer
    std::deque<Pending> m_queue;
    bool m_continueOwed = false;
    bool m_stopping = false;
    bool m_closing = false;
    bool m_closed = false;
    QTimer *m_idle;
    QTimer *m_headerDeadline;
};
