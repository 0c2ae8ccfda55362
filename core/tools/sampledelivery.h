#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "headerlist.h"

#include <QStringList>
#include <QUrl>

#include <optional>

// A correctly signed sample delivery built from a template in resources/samples: what the
// sender would post, to exercise an endpoint before the real sender is wired up.
struct SampleDelivery
{
    QUrl url;
    HeaderList headers;
    QByteArray body;
    QString eventId;
    SignatureScheme signedWith = SignatureScheme::None; // None: unsigned

    static QStringList eventTypes();
    // Signed with the endpoint's first secret and `scheme`, or the endpoint's own scheme, for
    // `target` + the endpoint's path (or `target` as given when it has a path of its own). An
    // auto endpoint needs `scheme`: nothing is built without it, and `error` names the
    // choices. A `none` endpoint without `scheme` gets an unsigned sample. It is stored marked
    // as a sample, and changes the subscriber mapping only with `updateMapping`.
    static std::optional<SampleDelivery> build(const Endpoint &endpoint, const QString &eventType,
                                               const QUrl &target, QString *error,
                                               std::optional<SignatureScheme> scheme = {},
                                               bool updateMapping = false);
};
