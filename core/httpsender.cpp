#include "httpsender.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <memory>

HttpSender::HttpSender(QObject *parent)
    : QObject(parent)
    , m_network(new QNetworkAccessManager(this))
{}

void HttpSender::send(const QString &method, const QUrl &url, const HeaderList &headers,
                      const QByteArray &body, std::function<void(const Answer &)> done,
                      int timeoutMs)
{
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    for (const auto &[name, value] : headers.entries()) {
        // The target decides these.
        if (HeaderList::namesMatch(name, "Host") ||
            HeaderList::namesMatch(name, "Content-Length") ||
            HeaderList::namesMatch(name, "Connection") ||
            HeaderList::namesMatch(name, "Transfer-Encoding"))
            continue;
        request.setRawHeader(name, value);
    }
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QNetworkReply *reply = m_network->sendCustomRequest(request, method.toLatin1(), body);
    connect(reply, &QNetworkReply::finished, this, [reply, timer, done = std::move(done)] {
        Answer answer;
        answer.latencyMs = timer->elapsed();
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            answer.headers.append(name, value);
        answer.body = reply->readAll();
        if (answer.status == 0)
            answer.error = reply->errorString();
        reply->deleteLater();
        done(answer);
    });
}

HttpSender::Answer HttpSender::sendAndWait(const QString &method, const QUrl &url,
                                           const HeaderList &headers, const QByteArray &body,
                                           int timeoutMs)
{
    HttpSender sender;
    QEventLoop loop;
    Answer result;
    sender.send(
        method, url, headers, body,
        [&](const Answer &answer) {
            result = answer;
            loop.quit();
        },
        timeoutMs);
    loop.exec();
    return result;
}
