#include "responsepolicy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

QByteArray ResponsePolicy::toJson() const
{
    QJsonArray headerArray;
    for (const auto &[name, value] : headers)
        headerArray.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
    const QJsonObject object{
        {QStringLiteral("status"), status},
        {QStringLiteral("body"), QString::fromUtf8(body)},
        {QStringLiteral("headers"), headerArray},
        {QStringLiteral("delay_ms"), delayMs},
        {QStringLiteral("fail_first_attempts"), failFirstAttempts},
        {QStringLiteral("fail_status"), failStatus},
        {QStringLiteral("reject_invalid"), rejectInvalid},
    };
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

ResponsePolicy ResponsePolicy::fromJson(const QByteArray &json)
{
    ResponsePolicy policy;
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.isEmpty())
        return policy;
    policy.status = object.value(QStringLiteral("status")).toInt(200);
    policy.body = object.value(QStringLiteral("body")).toString().toUtf8();
    for (const QJsonValue &header : object.value(QStringLiteral("headers")).toArray())
        policy.headers.append({header[0].toString().toLatin1(), header[1].toString().toLatin1()});
    policy.delayMs = object.value(QStringLiteral("delay_ms")).toInt();
    policy.failFirstAttempts = object.value(QStringLiteral("fail_first_attempts")).toInt();
    policy.failStatus = object.value(QStringLiteral("fail_status")).toInt(500);
    policy.rejectInvalid = object.value(QStringLiteral("reject_invalid")).toBool();
    return policy;
}
