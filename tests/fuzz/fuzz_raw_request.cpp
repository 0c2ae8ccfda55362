// A request as bytes (as ngrok records them) made into a delivery: parsed, matched, verified,
// decoded.
#include "deliveryprocessor.h"
#include "rawrequestparser.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto request = RawRequestParser::parse(raw, nullptr);
    if (!request)
        return 0;
    Endpoint endpoint;
    endpoint.name = QStringLiteral("hh");
    endpoint.path = QStringLiteral("/hooks");
    endpoint.scheme = SignatureScheme::Auto;
    endpoint.secrets = {{QStringLiteral("a"), "secret"}};
    const Delivery delivery = DeliveryProcessor::process(
        request->head, request->body, QStringLiteral("127.0.0.1"), 1700000000000, {endpoint});
    delivery.headers.serialize();
    return 0;
}
