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

std::optional<SampleDelivery>
SampleDelivery::build(const Endpoint &endpoint, const QString &eventType, const QUrl &target,
                      QString *error, std::optional<SignatureScheme> scheme, bool updateMapping)
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
    // Marks it as a sample when it is stored; only "update-mapping" lets it change the
    // subscriber mapping.
    sample.headers.append(Delivery::SampleHeader,
                          updateMapping ? QByteArray("update-mapping") : QByteArray("1"));
    // An endpoint without a scheme gets an unsigned sample, unless a scheme is chosen; an auto
    // endpoint needs one chosen, since a sample has no headers to pick it from.
    if (endpoint.scheme == SignatureScheme::None && !scheme)
        return sample;
    const auto signAs = SignatureSigner::schemeToSign(endpoint, {}, scheme, error);
    if (!signAs)
        return std::nullopt;
    if (!endpoint.hasSecret()) {
        *error = QStringLiteral("endpoint \"%1\" has no secret to sign the sample with")
                     .arg(endpoint.name);
        return std::nullopt;
    }
    const auto signature = SignatureSigner::sign(
        *signAs, endpoint.secrets.constFirst().value, sample.body, now.toSecsSinceEpoch(),
        QByteArray("msg_" + random), endpoint.generic, error);
    if (!signature)
        return std::nullopt;
    sample.signedWith = *signAs;
    for (const auto &[name, value] : signature->entries())
        sample.headers.append(name, value);
    return sample;
}
