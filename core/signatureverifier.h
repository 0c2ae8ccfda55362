#pragma once

#include "endpoint.h"
#include "headerlist.h"
#include "verification.h"

// Computes the Verification of one delivery from its raw body bytes and headers.
class SignatureVerifier
{
public:
    // `endpoint` may be null (no endpoint covers the path). `nowSeconds` is the receive time
    // in Unix seconds, against which timestamps are judged.
    static Verification verify(const Endpoint *endpoint, const HeaderList &headers,
                               const QByteArray &body, qint64 nowSeconds);

    static constexpr QByteArrayView HostedHooksHeader = "HostedHooks-Signature";

private:
    static Verification verifyHostedHooks(const Endpoint &endpoint, const HeaderList &headers,
                                          const QByteArray &body, qint64 nowSeconds);
};
