#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

#include <optional>
#include <utility>

// A delivery written out as a test fixture for the user's own handler: its body byte for byte
// (delivery-ID.json, .form, .txt or .bin), its request line and headers as JSON
// (delivery-ID.request.json), and a shell script that sends it again with curl
// (delivery-ID.curl.sh), re-signed for now with the endpoint's secret when it has one. The
// secret itself is written nowhere.
struct TestFixture
{
    QList<std::pair<QString, QByteArray>> files; // file name, contents
    bool resigned = false;
    SignatureScheme scheme = SignatureScheme::None; // when re-signed
    QString unsignedBecause;                        // why not, when not

    // Nothing, with `error`, for a delivery refused for its size (only part of its body is
    // kept) or one that cannot be prepared for sending again.
    static std::optional<TestFixture> of(const Delivery &delivery, const Endpoint *endpoint,
                                         const QUrl &to, QString *error);

    // Writes the files into `directory` (made when missing), readable by the owner only;
    // refuses, writing nothing, when one of them exists already. `written` receives the paths.
    bool writeTo(const QString &directory, QStringList *written, QString *error) const;

    // What to say after writing: how the curl command is signed.
    QString signingNote() const;
};
