// The JSON and form decoders, the member extractor, and the re-serialisers the forensics and
// the body view use on JSON that decoded.
#include "bodyformatter.h"
#include "jsonreserializer.h"
#include "payloaddecoder.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char *>(data), qsizetype(size));
    const DecodedPayload json = PayloadDecoder::decode(body, "application/json");
    PayloadDecoder::decode(body, "application/x-www-form-urlencoded");
    PayloadDecoder::rawMember(body, QStringLiteral("data"));
    for (const DecodedField &field : json.fields)
        PayloadDecoder::pathDepth(field.path);
    if (json.format == DecodedPayload::Format::Json) {
        for (const JsonReserializer::Style &style : JsonReserializer::commonStyles())
            JsonReserializer::rewrite(body, style);
        BodyFormatter::prettyJson(body);
    }
    BodyFormatter::hexDump(body, 4096);
    return 0;
}
