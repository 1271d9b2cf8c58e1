// The routing rule every node applies to client transactions (node/runtime.h, sender_route):
// nodes must agree on it, or one sender's transactions reach different workers and leave
// nonce gaps.
#include "node/runtime.h"

#include "codec/codec.h"
#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <array>

namespace fleek::node {
namespace {

// The documented rule computed from its parts.
size_t expected_route(uint8_t tag, ByteSpan key, size_t committee_size) {
    Bytes input{tag};
    input.insert(input.end(), key.begin(), key.end());
    const Hash32 hash = crypto::blake3(input);
    uint64_t pick = 0;
    for (size_t i = 0; i < 8; ++i) pick = (pick << 8) | hash[i];
    return static_cast<size_t>(pick % committee_size);
}

TEST(SenderRoute, FollowsTheDocumentedRuleForEachKindOfSender) {
    for (uint8_t seed = 0; seed < 50; ++seed) {
        ledger::AccountSender account;
        ledger::NodeSender node;
        ledger::ConsensusSender consensus;
        for (size_t i = 0; i < account.address.size(); ++i) account.address[i] = static_cast<uint8_t>(seed * 7 + i);
        for (size_t i = 0; i < node.key.size(); ++i) node.key[i] = static_cast<uint8_t>(seed * 11 + i);
        for (size_t i = 0; i < consensus.key.size(); ++i) consensus.key[i] = static_cast<uint8_t>(seed * 13 + i);
        for (size_t size : {1u, 3u, 4u, 7u}) {
            EXPECT_EQ(sender_route(account, size), expected_route(2, account.address, size));
            EXPECT_EQ(sender_route(node, size), expected_route(0, node.key, size));
            EXPECT_EQ(sender_route(consensus, size), expected_route(1, consensus.key, size));
        }
    }
}

TEST(SenderRoute, SpreadsSendersOverTheCommittee) {
    std::array<size_t, 4> counts{};
    for (uint32_t n = 0; n < 4000; ++n) {
        ledger::AccountSender account;
        for (size_t i = 0; i < 4; ++i) account.address[i] = static_cast<uint8_t>(n >> (8 * i));
        const size_t index = sender_route(account, counts.size());
        ASSERT_LT(index, counts.size());
        ++counts[index];
    }
    for (size_t count : counts) {
        EXPECT_GT(count, 850u);
        EXPECT_LT(count, 1150u);
    }
}

TEST(SenderRoute, AnEmptyCommitteeRoutesToIndexZero) {
    EXPECT_EQ(sender_route(ledger::AccountSender{}, 0), 0u);
}

}  // namespace
}  // namespace fleek::node
