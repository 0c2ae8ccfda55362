#pragma once

#include "hmacalgorithm.h"

#include <QByteArray>
#include <QByteArrayView>

// Keyed digests through OpenSSL, and the constant-time comparison every signature check uses.
namespace Hmac {

QByteArray compute(Algorithm algorithm, QByteArrayView key, QByteArrayView data);

// True when both are equal; the time taken does not depend on where they differ.
bool equalConstantTime(QByteArrayView a, QByteArrayView b);

} // namespace Hmac
