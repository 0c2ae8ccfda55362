// Every signature header parser and the verifier, fed the same arbitrary header value (and,
// after a newline, an arbitrary body).
#include "signatureheaders.h"
#include "signatureverifier.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype split = input.indexOf('\n');
    const QByteArray value = split < 0 ? input : input.left(split);
    const QByteArray body = split < 0 ? QByteArray() : input.mid(split + 1);
    HeaderList headers;
    for (const char *name :
         {"HostedHooks-Signature", "Stripe-Signature", "webhook-id", "webhook-timestamp",
          "webhook-signature", "svix-id", "svix-timestamp", "svix-signature", "X-Hub-Signature-256",
          "X-Hub-Signature", "X-Shopify-Hmac-Sha256", "X-Slack-Signature",
          "X-Slack-Request-Timestamp", "X-Sig", "X-Time", "Date"})
        headers.append(name, value);
    Endpoint endpoint;
    endpoint.name = QStringLiteral("fuzz");
    endpoint.secrets = {{QStringLiteral("a"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                        {QStringLiteral("b"), "secret"}};
    endpoint.generic.header = "X-Sig";
    endpoint.generic.signedTemplate = "{timestamp}.{id}.{body}";
    endpoint.generic.timestampHeader = "X-Time";
    endpoint.generic.idHeader = "X-Sig";
    for (SignatureScheme scheme :
         {SignatureScheme::HostedHooks, SignatureScheme::Stripe, SignatureScheme::StandardWebhooks,
          SignatureScheme::Svix, SignatureScheme::GitHub, SignatureScheme::Shopify,
          SignatureScheme::Slack, SignatureScheme::GenericHmac, SignatureScheme::Auto}) {
        endpoint.scheme = scheme;
        SignatureHeaders::read(scheme, headers, endpoint.generic);
        SignatureVerifier::verify(&endpoint, headers, body, 1700000000, {endpoint});
    }
    return 0;
}
