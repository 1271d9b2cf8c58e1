// The fixture of the per-method tests: a ledger with 5 nodes (4 in the committee) and helpers.
#pragma once

#include "ledger/fixture_test.h"

namespace fleek::ledger {

class Methods : public LedgerFixture {
protected:
    void SetUp() override { start(testing::NetworkShape{5, 4, 4, 2, 1, 59330}); }

    U256 stables(size_t i) const { return ledger->balance(address(i), Token::stables); }
    uint64_t account_nonce(const crypto::AccountSecretKey& key) const {
        auto info = ledger->account(key.address());
        return info ? info->nonce : 0;
    }
    NodeInfo node(NodeIndex i) const { return ledger->node(i).value(); }

    // A fresh node registration for account `owner`.
    struct NewNode {
        crypto::NodeSecretKey node_key = crypto::NodeSecretKey::from_seed(Bytes(32, 0x51)).value();
        crypto::ConsensusSecretKey consensus_key = crypto::ConsensusSecretKey::from_seed(Bytes(32, 0x52)).value();
    };
    Stake stake_new(const NewNode& n, size_t owner, U256 amount) const {
        Stake m;
        m.amount = amount;
        m.node_key = n.node_key.public_key().bytes();
        m.registration = make_node_registration(net->chain_id(), address(owner).bytes(), n.node_key, n.consensus_key,
                                                "node.example.org", NodePorts{});
        return m;
    }
};

}  // namespace fleek::ledger
