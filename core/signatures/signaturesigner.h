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

    // The header names a scheme signs with, so that old ones can be replaced.
    static QList<QByteArray> signatureHeaders(SignatureScheme scheme,
                                              const GenericHmacOptions &generic);
};
