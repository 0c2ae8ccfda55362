// The ceiling of HookScope's HTTP stack: the same QAbstractHttpServer the listener is built on,
// answering every request 200 with a short JSON body, storing and verifying nothing.
//
//   bench_bare_server [--port P]     (port 0, the default, picks a free one)
//
// Prints "listening on http://127.0.0.1:PORT" once bound; runs until killed (it holds nothing).

#include <QAbstractHttpServer>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QTcpServer>

#include <cstdio>

namespace {

class BareServer : public QAbstractHttpServer
{
protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override
    {
        makeResponder(request, socket)
            .write(QByteArray("{\"stored\":false}\n"), "application/json",
                   QHttpServerResponder::StatusCode::Ok);
        return true;
    }

    void missingHandler(const QHttpServerRequest &, QTcpSocket *) override {}
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port on 127.0.0.1 (0: any free)."),
                      QStringLiteral("P"), QStringLiteral("0")});
    parser.addHelpOption();
    parser.process(app);

    BareServer server;
    auto *tcp = new QTcpServer(&server);
    if (!tcp->listen(QHostAddress::LocalHost,
                     quint16(parser.value(QStringLiteral("port")).toUInt()))) {
        std::fprintf(stderr, "cannot listen: %s\n", qPrintable(tcp->errorString()));
        return 1;
    }
    server.bind(tcp);
    std::printf("listening on http://127.0.0.1:%u\n", tcp->serverPort());
    std::fflush(stdout);
    return QCoreApplication::exec();
}
