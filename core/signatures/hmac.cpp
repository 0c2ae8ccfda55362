#include "hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace Hmac {

QByteArray compute(Algorithm algorithm, QByteArrayView key, QByteArrayView data)
{
    const EVP_MD *md = nullptr;
    switch (algorithm) {
    case Algorithm::Sha1:
        md = EVP_sha1();
        break;
    case Algorithm::Sha256:
        md = EVP_sha256();
        break;
    case Algorithm::Sha512:
        md = EVP_sha512();
        break;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
    static const unsigned char emptyKey = 0;
    const void *keyData = key.isEmpty() ? &emptyKey : static_cast<const void *>(key.data());
    if (!HMAC(md, keyData, static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(data.data()),
              static_cast<size_t>(data.size()), digest, &length)) {
        return {};
    }
    return QByteArray(reinterpret_cast<const char *>(digest), static_cast<qsizetype>(length));
}

bool equalConstantTime(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    if (a.isEmpty())
        return true;
    return CRYPTO_memcmp(a.data(), b.data(), static_cast<size_t>(a.size())) == 0;
}

} // namespace Hmac
