// A consensus node fed arbitrary bytes from a peer: whatever arrives (well-formed or not), the
// node does not crash, assert, leak or grow beyond its bounds. Input: a sequence of
// [from u8][plane u8][length u16 LE][bytes] frames delivered to node 0 of a 4-node committee.
#include "consensus/node.h"
#include "util/assert.h"

namespace {

const fleek::consensus::Committee& committee() {
    static const fleek::consensus::Committee instance = [] {
        std::vector<fleek::consensus::Member> members;
        for (uint8_t i = 0; i < 4; ++i) {
            fleek::Bytes seed(32, static_cast<uint8_t>(i + 1));
            members.push_back({fleek::crypto::NodeSecretKey::from_seed(seed).value().public_key(),
                               fleek::crypto::bls::SecretKey::from_seed(seed).value().public_key()});
        }
        return fleek::consensus::Committee::create(1, std::move(members)).value();
    }();
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::consensus;
    MemoryStore store;
    Node::Options options;
    options.parameters.max_pending_headers = 8;
    options.parameters.max_suspended_certificates = 8;
    options.parameters.max_outstanding_fetches = 64;
    Node node(committee(), 0, make_test_scheme(committee(), 0), store, options, 1'000'000);
    size_t offset = 0;
    TimeUs now = 1'000'000;
    while (offset + 4 <= size) {
        const auto from = static_cast<AuthorityIndex>(data[offset] % 5);
        const Plane plane = data[offset + 1] % 2 ? Plane::worker : Plane::primary;
        const size_t length = data[offset + 2] | (static_cast<size_t>(data[offset + 3]) << 8);
        offset += 4;
        const size_t take = std::min(length, size - offset);
        node.on_message(from, plane, fleek::ByteSpan(data + offset, take), now);
        offset += take;
        now += 10'000;
        node.on_tick(now);
        (void)node.take_outbound();
        (void)node.take_output();
    }
    FLEEK_ASSERT(node.pending_headers() <= 8);
    FLEEK_ASSERT(node.suspended_certificates() <= 8);
    return 0;
}
