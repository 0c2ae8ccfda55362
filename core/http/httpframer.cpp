#include "httpframer.h"

#include <algorithm>
#include <cctype>

namespace {

// "1.1" and "1.0", the versions http_parser reads, without formatting them every request.
QString httpVersion(unsigned short major, unsigned short minor)
{
    if (major == 1 && minor == 1)
        return QStringLiteral("1.1");
    if (major == 1 && minor == 0)
        return QStringLiteral("1.0");
    return QString::number(major) + u'.' + QString::number(minor);
}

// RFC 9110 §5.6.2: the characters of a token (a method or a header name).
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

// A request target: visible ASCII only (RFC 9112 §3.2; no spaces, controls or raw UTF-8).
bool isTarget(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
}

} // namespace

HttpFramer::HttpFramer(const ListenerLimits &limits)
    : m_limits(limits)
{
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    http_parser_settings_init(&m_settings);
    m_settings.on_message_begin = &HttpFramer::onMessageBegin;
    m_settings.on_url = &HttpFramer::onUrl;
    m_settings.on_header_field = &HttpFramer::onHeaderField;
    m_settings.on_header_value = &HttpFramer::onHeaderValue;
    m_settings.on_headers_complete = &HttpFramer::onHeadersComplete;
    m_settings.on_body = &HttpFramer::onBody;
    m_settings.on_message_complete = &HttpFramer::onMessageComplete;
    m_settings.on_chunk_header = &HttpFramer::onChunkHeader;
    m_settings.on_chunk_complete = &HttpFramer::onChunkComplete;
}

HttpFramer *HttpFramer::self(http_parser *parser)
{
    return static_cast<HttpFramer *>(parser->data);
}

HttpFramer::Event HttpFramer::feed(const char *data, qsizetype size, qsizetype *consumed)
{
    *consumed = 0;
    if (m_finished) {
        *consumed = size; // what a refused or closing client still sends is dropped
        return Event::NeedMore;
    }
    qsizetype offset = 0;
    while (offset < size) {
        const char *chunk = data + offset;
        const qsizetype length = size - offset;
        m_chunkStart = chunk;
        m_chunkEnd = chunk + length;
        const bool readingHead = !m_headDone;
        const auto parsed = static_cast<qsizetype>(
            http_parser_execute(&m_parser, &m_settings, chunk, static_cast<size_t>(length)));
        // The head's bytes end where the parser paused at headers complete.
        if (readingHead && (m_inMessage || !m_rawHead.isEmpty()))
            m_rawHead.append(chunk, parsed);
        if (!readingHead && m_chunkPart == ChunkPart::SizeLine)
            m_chunkBytes.append(chunk, std::min(parsed, MaxChunkLine + 2));
        else if (!readingHead && m_chunkPart == ChunkPart::Data)
            m_chunkBytes = QByteArray(m_chunkBytes + QByteArrayView(chunk, parsed)).right(2);
        offset += parsed;
        *consumed = offset;

        if (m_callbackStatus != 0)
            return refuse(m_callbackStatus, m_callbackReason, m_callbackDetail);
        const auto error = static_cast<http_errno>(m_parser.http_errno);
        if (error == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0);
            if (m_chunkHeaderDone) {
                m_chunkHeaderDone = false;
                if (!checkChunkSizeLine())
                    return Event::Refused;
                m_chunkBytes.clear();
                // After the last chunk come trailers, read as header lines.
                m_chunkPart = m_parser.content_length == 0 ? ChunkPart::None : ChunkPart::Data;
                continue;
            }
            if (m_chunkDataDone) {
                m_chunkDataDone = false;
                if (m_chunkPart == ChunkPart::Data && m_chunkBytes != "\r\n")
                    return refuse(400, "Bad Request",
                                  QStringLiteral("A chunk's data does not end with CRLF."));
                m_chunkBytes.clear();
                if (m_chunkPart == ChunkPart::Data)
                    m_chunkPart = ChunkPart::SizeLine;
                continue;
            }
            if (m_headDone && !m_headChecked) {
                m_headChecked = true;
                if (!checkHead())
                    return Event::Refused;
                if (m_oversized && m_expectContinue)
                    return refuseOversized(); // the body will not come before an answer
                if (m_parser.flags & F_CHUNKED) {
                    // The size line follows the head's last LF, which is read first.
                    m_chunkPart = ChunkPart::SizeLine;
                    m_chunkBytes.clear();
                }
                if (m_expectContinue)
                    return Event::ContinueExpected;
                continue;
            }
            if (m_complete) {
                m_complete = false;
                if (m_oversized)
                    return refuseOversized();
                if (m_current.closeAfter)
                    m_finished = true;
                return Event::Request;
            }
            continue;
        }
        if (error == HPE_HEADER_OVERFLOW) {
            return refuse(431, "Request Header Fields Too Large",
                          QStringLiteral("The request head is larger than HookScope accepts."));
        }
        if (error != HPE_OK) {
            if (m_inMessage && !m_requestLineChecked && !checkRequestLine())
                return Event::Refused;
            return refuse(400, "Bad Request",
                          QStringLiteral("The request could not be parsed as HTTP/1.1: %1.")
                              .arg(QString::fromLatin1(http_errno_description(error))));
        }
        if (parsed == 0)
            break; // cannot happen without an error; never loop on it
    }
    if (m_chunkPart == ChunkPart::SizeLine && m_chunkBytes.size() > MaxChunkLine)
        return refuse(400, "Bad Request", QStringLiteral("A chunk size line is too long."));
    if (m_inMessage && !m_headDone) {
        if (!m_requestLineChecked && !checkRequestLine())
            return Event::Refused;
        if (m_rawHead.size() > MaxRequestLine + m_limits.maxHeaderBytes)
            return refuse(431, "Request Header Fields Too Large",
                          QStringLiteral("The request head is larger than HookScope accepts."));
    }
    // A body over the limit: refused once its first part (kept with the delivery) is in, or
    // at once when chunked (nothing says how much more is coming).
    if (m_oversized && m_headChecked &&
        (m_current.body.size() >= ListenerLimits::KeptBodyBytes ||
         !(m_parser.flags & F_CONTENTLENGTH)))
        return refuseOversized();
    return Event::NeedMore;
}

HttpFramer::Event HttpFramer::timeOut(bool headTooSlow)
{
    if (m_finished)
        return Event::Refused;
    if (m_oversized)
        return refuseOversized();
    return refuse(408, "Request Timeout",
                  headTooSlow ? QStringLiteral("The request head was not complete within %1 s.")
                                    .arg(m_limits.headerTimeoutMs / 1000)
                              : QStringLiteral("The request was not completed within %1 s.")
                                    .arg(m_limits.idleTimeoutMs / 1000));
}

FramedRequest HttpFramer::takeRequest()
{
    FramedRequest request = std::move(m_current);
    m_current = FramedRequest();
    return request;
}

HttpFramer::Event HttpFramer::refuse(int status, const QByteArray &reasonPhrase,
                                     const QString &detail)
{
    m_finished = true;
    m_refusal = FramingRefusal();
    m_refusal.status = status;
    m_refusal.reasonPhrase = reasonPhrase;
    m_refusal.detail = detail;
    return Event::Refused;
}

HttpFramer::Event HttpFramer::refuseOversized()
{
    refuse(413, "Content Too Large", m_oversizedReason);
    m_refusal.keep = true;
    m_refusal.head = m_current.head;
    m_refusal.bodyStart = m_current.body.left(ListenerLimits::KeptBodyBytes);
    return Event::Refused;
}

bool HttpFramer::checkRequestLine()
{
    // Leading empty lines before a request are allowed (RFC 9112 §2.2) and skipped.
    qsizetype start = 0;
    while (start < m_rawHead.size() && (m_rawHead[start] == '\r' || m_rawHead[start] == '\n'))
        ++start;
    const qsizetype end = m_rawHead.indexOf('\n', start);
    if (end < 0) {
        if (m_rawHead.size() - start > MaxRequestLine) {
            refuse(414, "URI Too Long",
                   QStringLiteral("The request line is longer than %1 bytes.").arg(MaxRequestLine));
            return false;
        }
        return true; // not complete yet
    }
    m_requestLineChecked = true;
    QByteArrayView line(m_rawHead.constData() + start, end - start);
    if (line.endsWith('\r'))
        line.chop(1);
    if (line.size() > MaxRequestLine) {
        refuse(414, "URI Too Long",
               QStringLiteral("The request line is longer than %1 bytes.").arg(MaxRequestLine));
        return false;
    }
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype lastSpace = line.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace == firstSpace) {
        refuse(400, "Bad Request",
               QStringLiteral("The request line names no HTTP version (HTTP/0.9 is not "
                              "accepted)."));
        return false;
    }
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, lastSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(lastSpace + 1);
    if (!version.startsWith("HTTP/")) {
        refuse(400, "Bad Request",
               QStringLiteral("The request line names no HTTP version (HTTP/0.9 is not "
                              "accepted)."));
        return false;
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        refuse(505, "HTTP Version Not Supported",
               QStringLiteral("HookScope speaks HTTP/1.0 and HTTP/1.1."));
        return false;
    }
    if (!isToken(method) || !isTarget(target)) {
        refuse(400, "Bad Request",
               QStringLiteral("The request line is not \"METHOD TARGET HTTP/1.1\"."));
        return false;
    }
    return true;
}

bool HttpFramer::checkChunkSizeLine()
{
    QByteArrayView line(m_chunkBytes);
    if (line.startsWith('\n') && m_current.body.isEmpty())
        line = line.sliced(1); // the head's last LF, read after the pause at its end
    // 1*HEXDIG [ ";" extensions ] CRLF: no space before the extensions, no controls in them.
    qsizetype digits = 0;
    while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits])))
        ++digits;
    bool valid = digits > 0 && digits <= 16 && line.endsWith("\r\n");
    if (valid && digits < line.size() - 2) {
        const QByteArrayView extensions = line.sliced(digits, line.size() - 2 - digits);
        valid = extensions.startsWith(';') &&
                std::all_of(extensions.begin(), extensions.end(), [](char c) {
                    const auto byte = static_cast<unsigned char>(c);
                    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
                });
    }
    if (!valid)
        refuse(400, "Bad Request", QStringLiteral("A chunk size line is malformed."));
    return valid;
}

bool HttpFramer::checkHead()
{
    if (!m_requestLineChecked && !checkRequestLine())
        return false;
    const RequestHead &head = m_current.head;
    if (m_parser.method == HTTP_CONNECT) {
        refuse(400, "Bad Request", QStringLiteral("HookScope is no proxy: CONNECT is refused."));
        return false;
    }
    const QList<QByteArray> hosts = head.headers.values("Host");
    if ((head.httpVersion == u"1.1" && hosts.isEmpty()) || hosts.size() > 1) {
        refuse(400, "Bad Request",
               QStringLiteral("An HTTP/1.1 request carries exactly one Host header."));
        return false;
    }
    const QList<QByteArray> encodings = head.headers.values("Transfer-Encoding");
    if (!encodings.isEmpty()) {
        if (encodings.size() > 1 || encodings.constFirst().trimmed().toLower() != "chunked") {
            refuse(501, "Not Implemented",
                   QStringLiteral("HookScope accepts only \"Transfer-Encoding: chunked\"."));
            return false;
        }
        if (head.headers.contains("Content-Length")) {
            refuse(400, "Bad Request",
                   QStringLiteral("The body is framed by both Content-Length and "
                                  "Transfer-Encoding."));
            return false;
        }
    }
    return true;
}

int HttpFramer::stopParser(int status, const QByteArray &reasonPhrase, const QString &detail)
{
    m_callbackStatus = status;
    m_callbackReason = reasonPhrase;
    m_callbackDetail = detail;
    return 1; // a callback's non-zero answer stops http_parser
}

bool HttpFramer::countHeaderBytes(qint64 bytes)
{
    m_headerBytes += bytes;
    if (m_headerBytes <= m_limits.maxHeaderBytes)
        return true;
    stopParser(
        431, "Request Header Fields Too Large",
        QStringLiteral("The headers are larger than %1 bytes.").arg(m_limits.maxHeaderBytes));
    return false;
}

int HttpFramer::onMessageBegin(http_parser *parser)
{
    HttpFramer *framer = self(parser);
    framer->m_current = FramedRequest();
    framer->m_field.clear();
    framer->m_value.clear();
    framer->m_inValue = false;
    framer->m_inTrailers = false;
    framer->m_inMessage = true;
    framer->m_requestLineChecked = false;
    framer->m_headDone = false;
    framer->m_headChecked = false;
    framer->m_complete = false;
    framer->m_headerCount = 0;
    framer->m_headerBytes = 0;
    framer->m_expectContinue = false;
    framer->m_oversized = false;
    framer->m_oversizedReason.clear();
    framer->m_chunkPart = ChunkPart::None;
    framer->m_chunkBytes.clear();
    return 0;
}

int HttpFramer::onUrl(http_parser *parser, const char *at, size_t length)
{
    self(parser)->m_current.head.target += QString::fromLatin1(at, static_cast<qsizetype>(length));
    return 0;
}

void HttpFramer::finishHeader()
{
    if (m_field.isEmpty() && !m_inValue)
        return;
    // Whitespace around a value is not part of it (RFC 9110 §5.5); http_parser drops only
    // the leading part.
    while (m_value.endsWith(' ') || m_value.endsWith('\t'))
        m_value.chop(1);
    (m_inTrailers ? m_current.trailers : m_current.head.headers).append(m_field, m_value);
    m_field.clear();
    m_value.clear();
    m_inValue = false;
}

int HttpFramer::onHeaderField(http_parser *parser, const char *at, size_t length)
{
    HttpFramer *framer = self(parser);
    if (framer->m_inValue || framer->m_field.isEmpty()) {
        framer->finishHeader();
        if (++framer->m_headerCount > framer->m_limits.maxHeaderCount) {
            return framer->stopParser(431, "Request Header Fields Too Large",
                                      QStringLiteral("The request has more than %1 headers.")
                                          .arg(framer->m_limits.maxHeaderCount));
        }
    }
    const QByteArrayView piece(at, static_cast<qsizetype>(length));
    // http_parser lets a space through in a name; "Content-Length : 5" would then frame
    // nothing while another parser reads a length (RFC 9112 §5.1: answer 400).
    if (!std::all_of(piece.begin(), piece.end(), isTokenChar)) {
        return framer->stopParser(400, "Bad Request",
                                  QStringLiteral("A header name holds a character a name may "
                                                 "not (a space before the colon?)."));
    }
    if (!framer->countHeaderBytes(qint64(length)))
        return 1;
    framer->m_field.append(at, static_cast<qsizetype>(length));
    return 0;
}

int HttpFramer::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    HttpFramer *framer = self(parser);
    // A second piece of one value is either the same value going on in the next chunk, or a
    // folded line (obsolete, RFC 9112 §5.2): refused.
    if (framer->m_inValue && (!framer->m_valueEndedChunk || at != framer->m_chunkStart)) {
        return framer->stopParser(
            400, "Bad Request",
            QStringLiteral("A header value is folded over two lines (obsolete line folding)."));
    }
    framer->m_inValue = true;
    framer->m_valueEndedChunk = at + length == framer->m_chunkEnd;
    if (!framer->countHeaderBytes(qint64(length)))
        return 1;
    framer->m_value.append(at, static_cast<qsizetype>(length));
    return 0;
}

int HttpFramer::onHeadersComplete(http_parser *parser)
{
    HttpFramer *framer = self(parser);
    framer->finishHeader();
    FramedRequest &request = framer->m_current;
    request.head.method =
        QString::fromLatin1(http_method_str(static_cast<http_method>(parser->method)));
    request.head.httpVersion = httpVersion(parser->http_major, parser->http_minor);
    // Upgrade and Connection: upgrade are answered as any request; the protocol stays HTTP.
    parser->upgrade = 0;
    framer->m_headDone = true;
    framer->m_inTrailers = true; // what header lines come after this follow a chunked body
    framer->m_expectContinue =
        parser->http_minor >= 1 &&
        request.head.headers.value("Expect").trimmed().toLower() == "100-continue" &&
        ((parser->flags & F_CHUNKED) ||
         (parser->content_length > 0 && parser->content_length != ULLONG_MAX));
    if ((parser->flags & F_CONTENTLENGTH) &&
        static_cast<qint64>(parser->content_length) > framer->m_limits.maxBodyBytes) {
        // Known now: refused before a byte of the body is buffered past the part kept.
        framer->m_oversized = true;
        framer->m_oversizedReason =
            QStringLiteral("The body is %1 bytes; HookScope accepts at most %2.")
                .arg(static_cast<qint64>(parser->content_length))
                .arg(framer->m_limits.maxBodyBytes);
    }
    // The rest of the head is checked by feed(), with the head's bytes in hand.
    http_parser_pause(parser, 1);
    return 0;
}

int HttpFramer::onBody(http_parser *parser, const char *at, size_t length)
{
    HttpFramer *framer = self(parser);
    QByteArray &body = framer->m_current.body;
    const auto size = static_cast<qsizetype>(length);
    if (!framer->m_oversized && body.size() + size > framer->m_limits.maxBodyBytes) {
        framer->m_oversized = true;
        framer->m_oversizedReason =
            QStringLiteral("The body grew past %1 bytes, the most HookScope accepts.")
                .arg(framer->m_limits.maxBodyBytes);
        body.truncate(ListenerLimits::KeptBodyBytes);
    }
    if (framer->m_oversized) {
        const qsizetype room = std::max<qsizetype>(0, ListenerLimits::KeptBodyBytes - body.size());
        body.append(at, std::min(room, size));
    } else {
        body.append(at, size);
    }
    return 0;
}

int HttpFramer::onChunkHeader(http_parser *parser)
{
    self(parser)->m_chunkHeaderDone = true;
    http_parser_pause(parser, 1);
    return 0;
}

int HttpFramer::onChunkComplete(http_parser *parser)
{
    self(parser)->m_chunkDataDone = true;
    http_parser_pause(parser, 1);
    return 0;
}

int HttpFramer::onMessageComplete(http_parser *parser)
{
    HttpFramer *framer = self(parser);
    framer->finishHeader();
    framer->m_current.closeAfter = !http_should_keep_alive(parser);
    framer->m_inMessage = false;
    framer->m_complete = true;
    framer->m_chunkPart = ChunkPart::None;
    framer->m_chunkBytes.clear();
    framer->m_headDone = false;
    framer->m_headChecked = false;
    framer->m_rawHead.clear();
    http_parser_pause(parser, 1);
    return 0;
}
