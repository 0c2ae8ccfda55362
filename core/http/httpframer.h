#pragma once

#include "listenerlimits.h"
#include "requesthead.h"

#include <QByteArray>
#include <QString>

#include <http_parser.h>

// One request as the framer decided it: its head exactly as sent, its body (a chunked body
// decoded), and the trailers that followed a chunked body.
struct FramedRequest
{
    RequestHead head;
    HeaderList trailers;
    QByteArray body;
    bool closeAfter = false; // HTTP/1.0 without keep-alive, or Connection: close
};

// A request the framer refused. The connection is answered and ends.
struct FramingRefusal
{
    int status = 0;
    QByteArray reasonPhrase;
    QString detail;
    // Kept as a delivery (truncated): a request refused for its size, whose head is known.
    bool keep = false;
    RequestHead head;
    QByteArray bodyStart;
};

// Decides where each request on a connection begins and ends: the one HTTP/1.1 parser of
// the listener (Node's http_parser), with the limits QHttpServer lacks and the strictness
// http_parser leaves out (RFC 9112): no whitespace between a header name and its colon, no
// line folding, no HTTP/0.9, only HTTP/1.0 and 1.1, no request line over the limit, no body
// framed by both Content-Length and Transfer-Encoding. Everything downstream (what is
// stored, what is answered) sees only what it decided. No I/O: bytes in, events out.
class HttpFramer
{
public:
    enum class Event
    {
        NeedMore,         // every byte given was read; nothing to report
        Request,          // a request is complete: takeRequest()
        ContinueExpected, // a head asked for "100 Continue" before its body
        Refused           // refusal(); nothing more is read
    };

    explicit HttpFramer(const ListenerLimits &limits);
    HttpFramer(const HttpFramer &) = delete;
    HttpFramer &operator=(const HttpFramer &) = delete;

    // Reads from `data` up to the first event; `consumed` says how many bytes it took. Stops
    // after each complete request, so that the caller reads no further than it can hold.
    Event feed(const char *data, qsizetype size, qsizetype *consumed);
    // The client stopped sending mid-request (idle, or the head took too long): 408, or the
    // 413 of a body over the limit whose first part is all that came.
    Event timeOut(bool headTooSlow);

    FramedRequest takeRequest();
    const FramingRefusal &refusal() const { return m_refusal; }

    // A request has begun and is not complete.
    bool inMessage() const { return m_inMessage; }
    // Its head is not complete.
    bool inHead() const { return m_inMessage && !m_headDone; }
    // Nothing more is read: a refusal, or a request after which the connection closes.
    bool finished() const { return m_finished; }

    // The longest request line accepted; longer: 414.
    static constexpr qsizetype MaxRequestLine = 8 * 1024;

private:
    Event refuse(int status, const QByteArray &reasonPhrase, const QString &detail);
    Event refuseOversized();
    // Checks what http_parser lets through once the request line, then the head, is in.
    bool checkRequestLine();
    bool checkHead();
    void finishHeader();
    // Stops the parser from a callback with this refusal.
    int stopParser(int status, const QByteArray &reasonPhrase, const QString &detail);
    // Counts names and values against the limit; false (parser stopped) beyond it.
    bool countHeaderBytes(qint64 bytes);

    static HttpFramer *self(http_parser *parser);
    static int onMessageBegin(http_parser *parser);
    static int onUrl(http_parser *parser, const char *at, size_t length);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onHeadersComplete(http_parser *parser);
    static int onBody(http_parser *parser, const char *at, size_t length);
    static int onMessageComplete(http_parser *parser);
    static int onChunkHeader(http_parser *parser);
    static int onChunkComplete(http_parser *parser);
    // http_parser skips what follows a chunk size up to the line's end, and any two bytes after
    // a chunk's data: both are checked here on the bytes it read (RFC 9112 §7.1).
    bool checkChunkSizeLine();

    ListenerLimits m_limits;
    http_parser m_parser;
    http_parser_settings m_settings;

    // The chunk being read, to tell a value continued in the next chunk from a folded line.
    const char *m_chunkStart = nullptr;
    const char *m_chunkEnd = nullptr;

    FramedRequest m_current;
    QByteArray m_rawHead; // the bytes of the head so far, as sent
    QByteArray m_field;
    QByteArray m_value;
    bool m_inValue = false;
    bool m_valueEndedChunk = false;
    bool m_inTrailers = false;
    bool m_inMessage = false;
    bool m_requestLineChecked = false;
    bool m_headDone = false;    // on_headers_complete ran
    bool m_headChecked = false; // and what follows it was checked
    bool m_complete = false;    // on_message_complete ran
    bool m_finished = false;
    int m_headerCount = 0;
    qint64 m_headerBytes = 0;
    bool m_expectContinue = false;
    bool m_oversized = false;
    QString m_oversizedReason;
    int m_callbackStatus = 0; // set by a callback that stops the parser
    QByteArray m_callbackReason;
    QString m_callbackDetail;
    FramingRefusal m_refusal;

    // The chunk framing being read: the bytes of a size line, or the last two of a chunk's
    // data (which must be its CRLF).
    enum class ChunkPart
    {
        None,
        SizeLine,
        Data
    };
    ChunkPart m_chunkPart = ChunkPart::None;
    QByteArray m_chunkBytes;
    bool m_chunkHeaderDone = false;
    bool m_chunkDataDone = false;
    // The longest chunk size line (size and extensions) accepted.
    static constexpr qsizetype MaxChunkLine = 4096;
};
