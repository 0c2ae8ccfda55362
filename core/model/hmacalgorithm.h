#pragma once

// The digest an HMAC is computed with. A value an endpoint names, apart from the computation
// (signatures/hmac.h), so that the model needs no cryptography.
namespace Hmac {

enum class Algorithm
{
    Sha1,
    Sha256,
    Sha512,
};

} // namespace Hmac
