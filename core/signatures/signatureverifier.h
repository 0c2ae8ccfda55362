#pragma once

#include "endpoint.h"
#include "headerlist.h"
#include "verification.h"

struct SignatureClaim;

// Computes the Verification of one delivery from its raw body bytes and headers, and when no
// secret produces the received signature, looks for the mistake that explains it.
class SignatureVerifier
{
public:
    // `endpoint` may be null (no endpoint covers the path). `nowSeconds` is the receive time in
    // Unix seconds, against which timestamps are judged. `allEndpoints` lets a failure be
    // traced to a signature made with another endpoint's secret.
    static Verification verify(const Endpoint *endpoint, const HeaderList &headers,
                               const QByteArray &body, qint64 nowSeconds,
                               const QList<Endpoint> &allEndpoints = {});

    // Bodies larger than this are not re-serialised when looking for a diagnosis.
    static constexpr qsizetype MaxReserializedBody = 1024 * 1024;

private:
    static QString diagnose(SignatureScheme scheme, const SignatureClaim &claim,
                            const Endpoint &endpoint, const HeaderList &headers,
                            const QByteArray &body, const QList<Endpoint> &allEndpoints);
};
