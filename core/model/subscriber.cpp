#include "subscriber.h"

#include <QJsonDocument>
#include <QJsonObject>

QString Subscriber::field(const QString &name) const
{
    return QJsonDocument::fromJson(fields).object().value(name).toString();
}
