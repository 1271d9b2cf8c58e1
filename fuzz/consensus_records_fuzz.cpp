// Records a consensus node reads back from its store (docs/formats/consensus-store.md). The first
// byte picks the record type; the rest is decoded, and anything that decodes re-encodes to the
// same bytes.
#include "consensus/bullshark.h"
#include "consensus/records.h"
#include "consensus/types.h"
#include "util/assert.h"

#include <algorithm>

namespace {

template <class T>
void round_trip(fleek::ByteSpan input) {
    auto decoded = fleek::codec::decode<T>(input);
    if (!decoded) return;
    const fleek::Bytes again = fleek::codec::encode(*decoded);
    FLEEK_ASSERT(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::consensus;
    if (size == 0) return 0;
    const fleek::ByteSpan body(data + 1, size - 1);
    switch (data[0] % 7) {
        case 0: round_trip<LastVoteRecord>(body); break;
        case 1: round_trip<SubDagRecord>(body); break;
        case 2: round_trip<OutputState>(body); break;
        case 3: round_trip<ConsensusState>(body); break;
        case 4: round_trip<Header>(body); break;
        case 5: round_trip<Certificate>(body); break;
        default: round_trip<Batch>(body); break;
    }
    return 0;
}
