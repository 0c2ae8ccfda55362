// The CSV reader the subscriber import uses.
#include "csvcodec.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray csv(reinterpret_cast<const char *>(data), qsizetype(size));
    if (const auto records = CsvCodec::parse(csv, nullptr)) {
        for (const CsvCodec::Record &record : *records)
            CsvCodec::row(record.fields);
    }
    return 0;
}
