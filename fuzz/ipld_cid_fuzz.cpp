// CIDs as text (path segments, PUT /ipfs/<cid>, configuration) and as bytes (DAG-PB links, CAR
// headers and sections): parsing never crashes; a parsed CID prints back to text that parses to
// the same CID in every base; binary CIDs round-trip exactly.
#include "ipld/cid.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::ipld;
    const ByteSpan input(data, size);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto cid = Cid::parse(text)) {
        FLEEK_ASSERT(Cid::parse(cid->to_string()).value() == *cid);
        if (cid->version() == 1) {
            for (const auto base : {Multibase::base32, Multibase::base58btc, Multibase::base36, Multibase::base16}) {
                FLEEK_ASSERT(Cid::parse(cid->to_string(base)).value() == *cid);
            }
        }
        FLEEK_ASSERT(cid->to_v1().version() == 1);
        if (auto v0 = cid->to_v0()) FLEEK_ASSERT(v0->to_v1() == cid->to_v1());
    }
    if (auto cid = Cid::from_bytes(input)) {
        FLEEK_ASSERT(cid->bytes().size() == size && std::equal(cid->bytes().begin(), cid->bytes().end(), data));
        FLEEK_ASSERT(Cid::from_bytes(cid->bytes()).value() == *cid);
        (void)cid->verify(input);
        (void)multicodec_name(cid->codec());
    }
    if (auto prefixed = Cid::read_prefix(input)) {
        FLEEK_ASSERT(prefixed->size <= size);
        FLEEK_ASSERT(Cid::from_bytes(input.first(prefixed->size)).value() == prefixed->cid);
    }
    if (auto multihash = read_multihash(input)) FLEEK_ASSERT(multihash->size <= size);
    return 0;
}
