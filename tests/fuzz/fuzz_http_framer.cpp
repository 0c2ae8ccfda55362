// The listener's framing: a byte stream, as a client may send it, read by HttpFramer once in
// one piece and once cut into the pieces the first input bytes choose. Where a request
// begins and ends, what it carries, and whether and how the stream is refused must not depend
// on how the bytes arrived; the framer must never read past what it was given.
#include "httpframer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

struct Outcome
{
    QList<QByteArray> requests; // each request, flattened
    int refusal = 0;
    bool operator==(const Outcome &) const = default;
};

QByteArray flatten(const FramedRequest &request)
{
    QByteArray flat = request.head.method.toLatin1() + ' ' + request.head.target.toLatin1() + ' ' +
                      request.head.httpVersion.toLatin1() + '\n' +
                      request.head.headers.serialize() + '\n' + request.trailers.serialize() +
                      '\n' + QByteArray::number(request.body.size()) + ':' + request.body +
                      (request.closeAfter ? " close" : "");
    return flat;
}

Outcome frame(const QByteArray &stream, const QList<qsizetype> &cuts)
{
    ListenerLimits limits;
    limits.maxBodyBytes = 4096;
    limits.maxHeaderCount = 20;
    limits.maxHeaderBytes = 2048;
    HttpFramer framer(limits);
    Outcome outcome;
    qsizetype start = 0;
    QList<qsizetype> ends = cuts;
    ends.append(stream.size());
    for (const qsizetype end : ends) {
        QByteArray piece = stream.mid(start, end - start);
        start = end;
        while (!piece.isEmpty() && !framer.finished()) {
            qsizetype consumed = 0;
            const auto event = framer.feed(piece.constData(), piece.size(), &consumed);
            if (consumed < 0 || consumed > piece.size())
                std::abort();
            piece.remove(0, consumed);
            if (event == HttpFramer::Event::Request)
                outcome.requests.append(flatten(framer.takeRequest()));
            else if (event == HttpFramer::Event::Refused)
                outcome.refusal = framer.refusal().status;
            else if (event == HttpFramer::Event::NeedMore && !piece.isEmpty())
                std::abort(); // "need more" with bytes left unread
        }
    }
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    // The first byte chooses how many cuts, the next ones where.
    const int cutCount = data[0] % 8;
    const QByteArray stream(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    QList<qsizetype> cuts;
    for (int i = 0; i < cutCount && !stream.isEmpty(); ++i)
        cuts.append(
            qsizetype((i * 2654435761u + uint(stream.size()) * 40503u) % uint(stream.size())));
    std::sort(cuts.begin(), cuts.end());
    const Outcome whole = frame(stream, {});
    const Outcome pieces = frame(stream, cuts);
    // A refusal for size or time may come at another point of the stream; the requests
    // before it may not differ.
    const qsizetype common = std::min(whole.requests.size(), pieces.requests.size());
    for (qsizetype i = 0; i < common; ++i) {
        if (whole.requests[i] != pieces.requests[i])
            std::abort();
    }
    if (whole.refusal == 0 && pieces.refusal == 0 && whole.requests != pieces.requests)
        std::abort();
    if ((whole.refusal == 0) != (pieces.refusal == 0) && whole.refusal != 413 &&
        pieces.refusal != 413)
        std::abort();
    return 0;
}
