#include "util/bytes.h"

#include <string.h>

namespace fleek {

void secure_wipe(void* data, size_t size) noexcept {
    if (data != nullptr && size != 0) explicit_bzero(data, size);
}

bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept {
    if (a.size() != b.size()) return false;
    uint8_t difference = 0;
    for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<uint8_t>(a[i] ^ b[i]);
    return difference == 0;
}

}  // namespace fleek
