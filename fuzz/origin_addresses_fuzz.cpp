// Origin allowlist entries (config) and addresses: parsing and classification never crash, a
// parsed address prints back to text that parses equal, and a range contains its own base.
#include "origins/address_policy.h"
#include "util/assert.h"

#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::origins;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto address = IpAddress::parse(text)) {
        const auto again = IpAddress::parse(address->to_string());
        FLEEK_ASSERT(again && *again == *address);
        (void)classify(*address);
        (void)AddressPolicy().refusal(*address);
    }
    if (auto range = CidrRange::parse(text)) FLEEK_ASSERT(range->contains(range->base));
    std::vector<std::string> entries;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find('\n', start), text.size());
        entries.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (auto policy = AddressPolicy::with_allowlist(entries)) (void)policy->allows_host(text);
    return 0;
}
