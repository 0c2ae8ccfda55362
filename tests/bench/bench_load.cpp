// Signed HostedHooks deliveries for the ingest benchmarks.
//
//   bench_load write --out PREFIX --count N --threads T --secret S
//       Writes T files PREFIX.0 ... PREFIX.<T-1>, each holding complete HTTP requests separated
//       by a NUL byte, for the wrk script ingest.lua (one file per wrk thread). Each request
//       carries a HostedHooks-Signature (t=<now>,s=HMAC-SHA256 of "<t>.<body>") and an
//       X-Hub-Signature-256 (sha256=HMAC-SHA256 of the body) over the same body, so that every
//       server under test gets the same bytes. Every delivery has an event id of its own.
//
//   bench_load paced --port P --rate R --seconds S --connections C --secret S
//       An open-loop load: request n is due at n / R seconds, whether or not earlier answers
//       have come, and is sent on the first idle keep-alive connection. Latency is measured
//       from the time it was due, so that a stalled server cannot hide its stall by slowing
//       the sender down (coordinated omission). Prints one "name: value unit" line a figure.
//
// It measures; it asserts no time.

#include "benchsupport.h"
#include "hmac.h"

#include <QByteArray>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using BenchSupport::report;

namespace {

using Clock = std::chrono::steady_clock;

const char *const EventTypes[] = {"subscriber.created", "subscriber.created", "subscriber.created",
                                  "user.created",       "endpoint.created",   "invoice.paid",
                                  "message.failed"};

// One HostedHooks delivery as sent on the wire.
QByteArray signedRequest(const QByteArray &secret, const QByteArray &tag, qint64 n, qint64 t)
{
    const QByteArray type = EventTypes[n % 7];
    const QByteArray number = QByteArray::number(n);
    const QByteArray body =
        "{\"version\":\"1.0\",\"event_type\":\"" + type + "\",\"event_id\":\"evt_" + tag + '_' +
        number + "\",\"created_at\":\"2026-11-28T10:00:00Z\",\"data\":{\"id\":\"sub_" + tag + '_' +
        number + "\",\"name\":\"Customer " + number + "\",\"email\":\"ops" + number +
        "@example.test\",\"plan\":\"pro\",\"seats\":" + QByteArray::number(n % 50 + 1) + "}}";
    const QByteArray stamp = QByteArray::number(t);
    const QByteArray hostedHooks =
        "t=" + stamp + ",s=" +
        Hmac::compute(Hmac::Algorithm::Sha256, secret, QByteArray(stamp + '.' + body)).toHex();
    const QByteArray hub = "sha256=" + Hmac::compute(Hmac::Algorithm::Sha256, secret, body).toHex();
    return "POST /hooks/hh HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: HostedHooks/1.0\r\n"
           "Content-Type: application/json\r\nHostedHooks-Signature: " +
           hostedHooks + "\r\nX-Hub-Signature-256: " + hub +
           "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray runTag()
{
    return QByteArray::number(QDateTime::currentMSecsSinceEpoch(), 36);
}

int writeRequests(const QString &prefix, qint64 count, int threads, const QByteArray &secret)
{
    const qint64 t = QDateTime::currentSecsSinceEpoch();
    const QByteArray tag = runTag();
    for (int thread = 0; thread < threads; ++thread) {
        QFile file(prefix + u'.' + QString::number(thread));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(file.fileName()));
            return 1;
        }
        // Thread k sends deliveries k, k + T, k + 2T, ...: no two threads share an event.
        for (qint64 n = thread; n < count; n += threads) {
            file.write(signedRequest(secret, tag, n, t));
            file.write("", 1);
        }
    }
    return 0;
}

struct Connection
{
    int fd = -1;
    bool busy = false;
    Clock::time_point due; // when the request now on this connection was due
    QByteArray inbox;
};

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

bool sendAll(int fd, const QByteArray &bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n =
            ::send(fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += n;
    }
    return true;
}

// Takes one complete response off the front of `inbox`; returns its status, 0 while more
// bytes are needed.
int takeResponse(QByteArray &inbox)
{
    const qsizetype headEnd = inbox.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return 0;
    const QByteArray head = inbox.left(headEnd).toLower();
    qsizetype length = 0;
    const qsizetype at = head.indexOf("\r\ncontent-length:");
    if (at >= 0) {
        const qsizetype end = head.indexOf("\r\n", at + 2);
        length = head.mid(at + 17, end < 0 ? -1 : end - at - 17).trimmed().toLongLong();
    }
    if (inbox.size() < headEnd + 4 + length)
        return 0;
    const int status = head.mid(9, 3).toInt();
    inbox.remove(0, headEnd + 4 + length);
    return status;
}

int paced(quint16 port, int rate, int seconds, int connectionCount, const QByteArray &secret)
{
    // The timer slack would otherwise add up to 50 us to each wake-up.
    ::prctl(PR_SET_TIMERSLACK, 1UL);
    const qint64 total = qint64(rate) * seconds;
    std::vector<QByteArray> requests;
    requests.reserve(size_t(total));
    const qint64 t = QDateTime::currentSecsSinceEpoch();
    const QByteArray tag = runTag();
    for (qint64 n = 0; n < total; ++n)
        requests.push_back(signedRequest(secret, tag, n, t));

    std::vector<Connection> connections(static_cast<size_t>(connectionCount));
    for (Connection &c : connections) {
        c.fd = connectTo(port);
        if (c.fd < 0) {
            std::fprintf(stderr, "cannot connect to 127.0.0.1:%u\n", port);
            return 1;
        }
    }
    const auto interval = std::chrono::nanoseconds(1000000000LL / rate);
    const Clock::time_point start = Clock::now() + std::chrono::milliseconds(50);
    const Clock::time_point giveUp = start + std::chrono::seconds(seconds + 30);
    std::deque<qint64> waiting; // due, not yet sent: every connection was busy
    std::vector<double> latenciesMs;
    latenciesMs.reserve(size_t(total));
    qint64 next = 0;
    qint64 ok = 0;
    qint64 failed = 0;
    qint64 lost = 0;
    std::vector<pollfd> fds(connections.size());
    char buffer[16384];
    auto anyOpen = [&] {
        return std::any_of(connections.cbegin(), connections.cend(),
                           [](const Connection &c) { return c.fd >= 0; });
    };
    while (qint64(latenciesMs.size()) + lost < total && Clock::now() < giveUp && anyOpen()) {
        const Clock::time_point now = Clock::now();
        while (next < total && start + next * interval <= now)
            waiting.push_back(next++);
        for (Connection &c : connections) {
            if (waiting.empty())
                break;
            if (c.busy || c.fd < 0)
                continue;
            const qint64 n = waiting.front();
            waiting.pop_front();
            c.due = start + n * interval;
            c.busy = true;
            if (!sendAll(c.fd, requests[size_t(n)])) {
                ::close(c.fd);
                c.fd = -1;
                c.busy = false;
                ++lost;
            }
        }
        for (size_t i = 0; i < connections.size(); ++i)
            fds[i] = {connections[i].busy ? connections[i].fd : -1, POLLIN, 0};
        auto wait = std::chrono::nanoseconds(std::chrono::milliseconds(100));
        if (next < total && waiting.empty())
            wait = std::max(std::chrono::nanoseconds(0),
                            std::chrono::nanoseconds(start + next * interval - Clock::now()));
        const timespec timeout{time_t(wait.count() / 1000000000), long(wait.count() % 1000000000)};
        if (::ppoll(fds.data(), fds.size(), &timeout, nullptr) <= 0)
            continue;
        for (size_t i = 0; i < connections.size(); ++i) {
            Connection &c = connections[i];
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const ssize_t got = ::recv(c.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (got <= 0) {
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                ::close(c.fd);
                c.fd = -1;
                c.busy = false;
                ++lost;
                continue;
            }
            c.inbox.append(buffer, got);
            const int status = takeResponse(c.inbox);
            if (status == 0)
                continue;
            latenciesMs.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - c.due).count());
            ++(status >= 200 && status < 300 ? ok : failed);
            c.busy = false;
        }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    for (Connection &c : connections) {
        if (c.fd >= 0)
            ::close(c.fd);
    }
    std::sort(latenciesMs.begin(), latenciesMs.end());
    auto percentile = [&](double p) {
        if (latenciesMs.empty())
            return 0.0;
        const size_t at = std::min(latenciesMs.size() - 1, size_t(p * double(latenciesMs.size())));
        return latenciesMs[at];
    };
    report("paced_rate", rate, "deliveries/s");
    report("paced_sent", double(next), "requests");
    report("paced_answered_2xx", double(ok), "requests");
    report("paced_answered_other", double(failed), "requests");
    report("paced_unanswered", double(total - qint64(latenciesMs.size())), "requests");
    report("paced_achieved_rate", double(ok + failed) / std::max(elapsed, 1e-9), "deliveries/s");
    report("paced_p50_ms", percentile(0.50), "ms");
    report("paced_p99_ms", percentile(0.99), "ms");
    report("paced_p999_ms", percentile(0.999), "ms");
    report("paced_max_ms", latenciesMs.empty() ? 0.0 : latenciesMs.back(), "ms");
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("mode"), QStringLiteral("write or paced"));
    parser.addOptions({
        {QStringLiteral("out"), QStringLiteral("write: prefix of the request files"),
         QStringLiteral("PREFIX")},
        {QStringLiteral("count"), QStringLiteral("write: deliveries in all"), QStringLiteral("N"),
         QStringLiteral("100000")},
        {QStringLiteral("threads"), QStringLiteral("write: files, one a wrk thread"),
         QStringLiteral("T"), QStringLiteral("2")},
        {QStringLiteral("port"), QStringLiteral("paced: port on 127.0.0.1"), QStringLiteral("P")},
        {QStringLiteral("rate"), QStringLiteral("paced: deliveries a second"), QStringLiteral("R"),
         QStringLiteral("1000")},
        {QStringLiteral("seconds"), QStringLiteral("paced: duration"), QStringLiteral("S"),
         QStringLiteral("30")},
        {QStringLiteral("connections"), QStringLiteral("paced: keep-alive connections"),
         QStringLiteral("C"), QStringLiteral("8")},
        {QStringLiteral("secret"), QStringLiteral("the endpoint's signing secret"),
         QStringLiteral("SECRET"), QStringLiteral("bench-secret")},
    });
    parser.addHelpOption();
    parser.process(app);
    const QString mode = parser.positionalArguments().value(0);
    const QByteArray secret = parser.value(QStringLiteral("secret")).toUtf8();
    if (mode == u"write" && parser.isSet(QStringLiteral("out")))
        return writeRequests(parser.value(QStringLiteral("out")),
                             parser.value(QStringLiteral("count")).toLongLong(),
                             std::max(1, parser.value(QStringLiteral("threads")).toInt()), secret);
    if (mode == u"paced" && parser.isSet(QStringLiteral("port")))
        return paced(quint16(parser.value(QStringLiteral("port")).toUInt()),
                     std::max(1, parser.value(QStringLiteral("rate")).toInt()),
                     std::max(1, parser.value(QStringLiteral("seconds")).toInt()),
                     std::max(1, parser.value(QStringLiteral("connections")).toInt()), secret);
    parser.showHelp(2);
}
