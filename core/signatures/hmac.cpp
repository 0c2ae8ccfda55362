#include "hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <vector>

namespace Hmac {

namespace {

const char *digestName(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::Sha1:
        return "SHA1";
    case Algorithm::Sha256:
        return "SHA256";
    case Algorithm::Sha512:
        return "SHA512";
    }
    return "SHA256";
}

// OpenSSL 3's one-shot HMAC() looks the implementation up and sets the key up (two digest
// blocks) on every call: about as long as the digest of a 1 KB body. An endpoint signs every
// delivery with the same secret, so each thread keeps the contexts of the last few keys it
// used, keyed, and copies one for each computation.
class KeyedContexts
{
public:
    ~KeyedContexts()
    {
        for (Entry &entry : m_entries)
            release(entry);
        EVP_MAC_free(m_mac);
    }

    // A copy of the context keyed with `key` for `algorithm`, for the caller to free; null
    // when OpenSSL fails.
    EVP_MAC_CTX *keyedCopy(Algorithm algorithm, QByteArrayView key)
    {
        for (Entry &entry : m_entries) {
            if (entry.algorithm == algorithm && entry.key == key)
                return EVP_MAC_CTX_dup(entry.context);
        }
        if (!m_mac)
            m_mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!m_mac)
            return nullptr;
        EVP_MAC_CTX *context = EVP_MAC_CTX_new(m_mac);
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                             const_cast<char *>(digestName(algorithm)), 0),
            OSSL_PARAM_construct_end()};
        // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
        static const unsigned char emptyKey = 0;
        const auto *keyData =
            key.isEmpty() ? &emptyKey : reinterpret_cast<const unsigned char *>(key.data());
        if (!context || !EVP_MAC_init(context, keyData, static_cast<size_t>(key.size()), params)) {
            EVP_MAC_CTX_free(context);
            return nullptr;
        }
        if (m_entries.size() == MaxKeys) {
            release(m_entries.back());
            m_entries.pop_back();
        }
        m_entries.insert(m_entries.begin(), Entry{algorithm, key.toByteArray(), context});
        return EVP_MAC_CTX_dup(context);
    }

private:
    static constexpr size_t MaxKeys = 8;

    struct Entry
    {
        Algorithm algorithm;
        QByteArray key;
        EVP_MAC_CTX *context;
    };

    static void release(Entry &entry)
    {
        OPENSSL_cleanse(entry.key.data(), static_cast<size_t>(entry.key.size()));
        EVP_MAC_CTX_free(entry.context);
    }

    EVP_MAC *m_mac = nullptr;
    std::vector<Entry> m_entries;
};

} // namespace

QByteArray compute(Algorithm algorithm, QByteArrayView key, QByteArrayView data)
{
    thread_local KeyedContexts contexts;
    EVP_MAC_CTX *context = contexts.keyedCopy(algorithm, key);
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t length = 0;
    const bool ok = context &&
                    EVP_MAC_update(context, reinterpret_cast<const unsigned char *>(data.data()),
                                   static_cast<size_t>(data.size())) &&
                    EVP_MAC_final(context, digest, &length, sizeof digest);
    EVP_MAC_CTX_free(context);
    if (!ok)
        return {};
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
