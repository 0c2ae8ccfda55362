#include "deliveryjson.h"

#include "payloaddecoder.h"
#include "providermetadata.h"

#include <QDateTime>
#include <QJsonArray>
#include <QStringDecoder>

namespace DeliveryJson {

QString timestamp(qint64 msSinceEpoch)
{
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonObject summary(const DeliverySummary &d)
{
    return QJsonObject{
        {QStringLiteral("id"), d.id},
        {QStringLiteral("received_at"), timestamp(d.receivedAtMs)},
        {QStringLiteral("method"), d.method},
        {QStringLiteral("path"), d.path},
        {QStringLiteral("endpoint"), d.endpoint},
        {QStringLiteral("event_type"), d.eventType},
        {QStringLiteral("event_id"), d.eventId},
        {QStringLiteral("subscriber_id"), d.subscriberId},
        {QStringLiteral("verdict"), verdictName(d.verdict)},
        {QStringLiteral("response_status"), d.responseStatus},
        {QStringLiteral("body_size"), d.bodySize},
        {QStringLiteral("sample"), d.sample},
    };
}

QJsonObject full(const Delivery &d)
{
    QJsonObject object = summary(DeliverySummary::of(d));
    object.insert(QStringLiteral("remote_address"), d.remoteAddress);
    object.insert(QStringLiteral("http_version"), d.httpVersion);
    object.insert(QStringLiteral("handling_us"), d.handlingMicros);
    object.insert(QStringLiteral("truncated"), d.truncated);
    object.insert(QStringLiteral("source"),
                  d.source.isEmpty() ? QStringLiteral("listener") : d.source);

    QJsonArray headers;
    for (const auto &[name, value] : d.headers.entries())
        headers.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
    object.insert(QStringLiteral("headers"), headers);
    if (!d.trailers.isEmpty()) {
        QJsonArray trailers;
        for (const auto &[name, value] : d.trailers.entries())
            trailers.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
        object.insert(QStringLiteral("trailers"), trailers);
    }

    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(d.body);
    if (decoder.hasError())
        object.insert(QStringLiteral("body_base64"), QString::fromLatin1(d.body.toBase64()));
    else
        object.insert(QStringLiteral("body"), text);

    const DecodedPayload payload = PayloadDecoder::decode(d.body, d.headers.value("Content-Type"));
    object.insert(QStringLiteral("body_format"), formatName(payload.format));
    if (!payload.error.isEmpty())
        object.insert(QStringLiteral("body_error"), payload.error);
    QJsonArray fields;
    for (const DecodedField &field : payload.fields) {
        fields.append(QJsonObject{{QStringLiteral("path"), field.path},
                                  {QStringLiteral("type"), field.type},
                                  {QStringLiteral("value"), field.value}});
    }
    object.insert(QStringLiteral("fields"), fields);

    // Where the stored event type and id were found, and the provider's other ids.
    const ProviderMetadata::Identity identity = ProviderMetadata::identifyStored(d, payload);
    QJsonObject provider{
        {QStringLiteral("name"),
         identity.provider == SignatureScheme::Auto ? QString() : schemeName(identity.provider)},
    };
    if (const QString from = identity.typeSourceOf(d.eventType); !from.isEmpty())
        provider.insert(QStringLiteral("event_type_from"), from);
    if (const QString from = identity.idSourceOf(d.eventId); !from.isEmpty())
        provider.insert(QStringLiteral("event_id_from"), from);
    QJsonArray details;
    for (const ProviderMetadata::Found &found : identity.details)
        details.append(QJsonObject{{QStringLiteral("label"), found.label},
                                   {QStringLiteral("value"), found.value},
                                   {QStringLiteral("from"), found.source.describe()}});
    provider.insert(QStringLiteral("details"), details);
    object.insert(QStringLiteral("provider"), provider);
    object.insert(QStringLiteral("verification"), d.verification.toJson());
    return object;
}

QJsonObject endpoint(const Endpoint &e)
{
    return QJsonObject{
        {QStringLiteral("name"), e.name},
        {QStringLiteral("path"), e.path},
        {QStringLiteral("scheme"), schemeName(e.scheme)},
        {QStringLiteral("secrets"), e.secrets.size()},
        {QStringLiteral("secret_storage"), e.secretStorage()},
        {QStringLiteral("tolerance_seconds"), e.toleranceSeconds},
        {QStringLiteral("subscriber_path"), e.subscriberPath},
        {QStringLiteral("forward_url"), e.forwardUrl},
        {QStringLiteral("answer_with_app"), e.answerWithApp},
    };
}

QJsonArray drift(const QList<SchemaDrift> &drift)
{
    QJsonArray array;
    for (const SchemaDrift &d : drift) {
        array.append(QJsonObject{
            {QStringLiteral("path"), d.path},
            {QStringLiteral("kind"), SchemaDrift::kindName(d.kind)},
            {QStringLiteral("before"),
             d.before.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(d.before)},
            {QStringLiteral("now"),
             d.now.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(d.now)},
        });
    }
    return array;
}

} // namespace DeliveryJson
