// Text and varint decoders of util/encoding.h: never crash, and whatever decodes re-encodes to
// the same text (the decoders accept only canonical spellings).
#include "util/assert.h"
#include "util/encoding.h"

#include <cctype>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const ByteSpan bytes(data, size);

    if (auto decoded = hex_decode(text)) {
        std::string lower(text);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        FLEEK_ASSERT(hex_encode(*decoded) == lower);
    }
    if (auto decoded = base58_decode(text)) FLEEK_ASSERT(base58_encode(*decoded) == text);
    if (auto decoded = base32_decode(text)) FLEEK_ASSERT(base32_encode(*decoded) == text);
    if (auto decoded = base36_decode(text)) FLEEK_ASSERT(base36_encode(*decoded) == text);
    if (auto decoded = varint_decode(bytes)) {
        Bytes again;
        varint_append(again, decoded->value);
        FLEEK_ASSERT(again.size() == decoded->size);
        FLEEK_ASSERT(std::equal(again.begin(), again.end(), data));
    }
    // Encoders accept anything.
    FLEEK_ASSERT(hex_decode(hex_encode(bytes)).value() == Bytes(bytes.begin(), bytes.end()));
    FLEEK_ASSERT(base32_decode(base32_encode(bytes)).value() == Bytes(bytes.begin(), bytes.end()));
    if (size <= 256) FLEEK_ASSERT(base36_decode(base36_encode(bytes)).value() == Bytes(bytes.begin(), bytes.end()));
    if (size <= 256) FLEEK_ASSERT(base58_decode(base58_encode(bytes)).value() == Bytes(bytes.begin(), bytes.end()));
    return 0;
}
