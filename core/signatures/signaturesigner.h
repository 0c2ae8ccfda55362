#pragma once

#include "endpoint.h"
#include "headerlist.h"

#include <optional>

// Signs a body the way a provider's scheme does: the headers a sender would add. The inverse
// of SignatureVerifier, for samples and re-signed replays.
class SignatureSigner
{
public:
    // Nothing for schemes that sign nothing (none, auto); `error` says so.
    static std::optional<HeaderList> sign(SignatureScheme scheme, const QByteArray &secret,
                                          const QByteArray &body, qint64 timestamp,
                                          const QByteArray &messageId,
                                          const GenericHmacOptions &generic, QString *error);

    // The scheme to sign with for `endpoint`: `chosen` when given; else the endpoint's own;
    // else, for an auto endpoint, the scheme auto picked from the delivery's headers
    // (`verifiedScheme`, the scheme its verification names; empty for a new sample). Nothing
    // when none applies, with `error` naming the schemes to choose from.
    static std::optional<SignatureScheme> schemeToSign(const Endpoint &endpoint,
                                                       const QString &verifiedScheme,
                                                       std::optional<SignatureScheme> chosen,
                                                       QString *error);
    // The schemes that can sign a delivery: every scheme but none and auto.
    static QStringList signingSchemeNames();
    // The schemes an auto endpoint recognises, in the order it prefers them.
    static QStringList autoSchemeNames();

    // The header names a scheme signs with, so that old ones can be replaced.
    static QList<QByteArray> signatureHeaders(SignatureScheme scheme,
                                              const GenericHmacOptions &generic);
};
