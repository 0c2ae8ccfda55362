#pragma once

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

    static QStringList eventTypes();
    // Signed with the endpoint's scheme and first secret, for `baseUrl` + the endpoint's path
    // (or `url` as given when it has a path of its own).
    static std::optional<SampleDelivery> build(const Endpoint &endpoint, const QString &eventType,
                                               const QUrl &target, QString *error);
};
