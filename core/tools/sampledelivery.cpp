#include "sampledelivery.h"

#include "signaturesigner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

QStringList SampleDelivery::eventTypes()
{
    QStringList types;
    for (const QString &file : QDir(QStringLiteral(":/samples"))
                                   .entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        types.append(file.chopped(5));
    return types;
}

std::optional<SampleDelivery> SampleDelivery::build(const Endpoint &endpoint,
                                                    const QString &eventType, const QUrl &target,
                                                    QString *error)
{
    QFile file(QStringLiteral(":/samples/%1.json").arg(eventType));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("no sample for \"%1\" (there are: %2)")
                     .arg(eventType, eventTypes().join(QStringLiteral(", ")));
        return std::nullopt;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray random = QByteArray::number(QRandomGenerator::global()->generate64(), 36);
    SampleDelivery sample;
    sample.eventId = QStringLiteral("evt_sample_") + QString::fromLatin1(random);
    sample.body = file.readAll();
    sample.body.replace("{{event_id}}", sample.eventId.toUtf8());
    sample.body.replace("{{subscriber_id}}", QByteArray("sub_sample_" + random));
    sample.body.replace("{{created}}", now.toString(Qt::ISODate).toUtf8());
    sample.body.replace("{{random}}", random);

    sample.url = target;
    if (sample.url.path().isEmpty() || sample.url.path() == u"/")
        sample.url.setPath(endpoint.path);
    sample.headers.append("Content-Type", "application/json");
    sample.headers.append("User-Agent", "HookScope sample");
    if (endpoint.scheme != SignatureScheme::None && endpoint.scheme != SignatureScheme::Auto) {
        if (!endpoint.hasSecret()) {
            *error = QStringLiteral("endpoint \"%1\" has no secret to sign the sample with")
                         .arg(endpoint.name);
            return std::nullopt;
        }
        const auto signature = SignatureSigner::sign(
            endpoint.scheme, endpoint.secrets.constFirst().value, sample.body,
            now.toSecsSinceEpoch(), QByteArray("msg_" + random), endpoint.generic, error);
        if (!signature)
            return std::nullopt;
        for (const auto &[name, value] : signature->entries())
            sample.headers.append(name, value);
    }
    return sample;
}
