#include "testfixture.h"

#include "deliveryjson.h"
#include "payloaddecoder.h"
#include "privatefile.h"
#include "replay.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

// The extension a body's file gets from what it holds.
QString bodyExtension(const Delivery &d)
{
    const DecodedPayload payload = PayloadDecoder::decode(d.body, d.headers.value("Content-Type"));
    switch (payload.format) {
    case DecodedPayload::Format::Json:
        return QStringLiteral("json");
    case DecodedPayload::Format::Form:
        return QStringLiteral("form");
    case DecodedPayload::Format::Empty:
    case DecodedPayload::Format::Raw:
        break;
    }
    return d.body.contains('\0') ? QStringLiteral("bin") : QStringLiteral("txt");
}

} // namespace

std::optional<TestFixture> TestFixture::of(const Delivery &d, const Endpoint *endpoint,
                                           const QUrl &to, QString *error)
{
    if (d.truncated) {
        *error = QStringLiteral("delivery %1 was refused for its size and only its first %2 "
                                "bytes were kept: no fixture of what was sent can be made "
                                "from them")
                     .arg(d.id)
                     .arg(d.body.size());
        return std::nullopt;
    }
    QUrl url = to;
    if (url.path().isEmpty() || url.path() == u"/")
        url = url.resolved(QUrl(d.path));
    TestFixture fixture;
    // Re-signed when its endpoint can sign; as recorded otherwise (and said so).
    const bool canSign = endpoint && !endpoint->secrets.isEmpty();
    QString signError;
    std::optional<Replay> replay =
        Replay::prepare(d, url, canSign ? endpoint : nullptr, &signError);
    if (!replay && canSign)
        replay = Replay::prepare(d, url, nullptr, error);
    else if (!replay)
        *error = signError;
    if (!replay)
        return std::nullopt;
    fixture.resigned = replay->resigned;
    fixture.scheme = replay->signedWith;
    if (!replay->resigned)
        fixture.unsignedBecause =
            canSign ? signError : QStringLiteral("no endpoint secret to sign with");

    const QString stem = QStringLiteral("delivery-%1").arg(d.id);
    QJsonArray headers;
    for (const auto &[name, value] : d.headers.entries())
        headers.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
    const QJsonObject request{
        {QStringLiteral("id"), d.id},
        {QStringLiteral("received_at"), DeliveryJson::timestamp(d.receivedAtMs)},
        {QStringLiteral("method"), d.method},
        {QStringLiteral("path"), d.path},
        {QStringLiteral("endpoint"), d.endpoint},
        {QStringLiteral("event_type"), d.eventType},
        {QStringLiteral("event_id"), d.eventId},
        {QStringLiteral("headers"), headers},
    };
    fixture.files = {
        {stem + u'.' + bodyExtension(d), d.body},
        {stem + QStringLiteral(".request.json"),
         QJsonDocument(request).toJson(QJsonDocument::Indented)},
        {stem + QStringLiteral(".curl.sh"),
         QByteArray("#!/bin/sh\n") + replay->curlCommand(d.method).toUtf8() + '\n'},
    };
    return fixture;
}

bool TestFixture::writeTo(const QString &directory, QStringList *written, QString *error) const
{
    if (!QDir().mkpath(directory)) {
        *error = QStringLiteral("cannot make the folder %1").arg(directory);
        return false;
    }
    const QDir dir(directory);
    for (const auto &[name, data] : files) {
        if (QFileInfo::exists(dir.filePath(name))) {
            *error = QStringLiteral("%1 exists already; nothing was written over")
                         .arg(dir.filePath(name));
            return false;
        }
    }
    for (const auto &[name, data] : files) {
        if (!PrivateFile::write(dir.filePath(name), data, error))
            return false;
        if (written)
            written->append(dir.filePath(name));
    }
    return true;
}

QString TestFixture::signingNote() const
{
    if (resigned)
        return QStringLiteral("The curl command is signed for now (%1): a receiver that checks "
                              "timestamps accepts it for its tolerance only.")
            .arg(schemeName(scheme));
    return QStringLiteral("The curl command sends the headers as recorded (%1).")
        .arg(unsignedBecause);
}
