// A small test network for the ledger: deterministic keys, a genesis, and helpers that sign
// transactions with the right nonces. Used by the ledger tests, benchmarks and fuzz corpus tool.
#pragma once

#include "crypto/keys.h"
#include "ledger/ledger.h"
#include "util/encoding.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fleek::testing {

inline Bytes derive_seed(std::string_view label, uint64_t seed, uint64_t index) {
    codec::Writer w;
    w.fixed(as_bytes(label));
    w.u64(seed);
    w.u64(index);
    const crypto::Hash32 hash = crypto::blake3(w.view());
    return Bytes(hash.begin(), hash.end());
}

struct TestNode {
    crypto::NodeSecretKey node_key;
    crypto::ConsensusSecretKey consensus_key;
    crypto::AccountSecretKey owner;
    ledger::NodeIndex index = 0;
};

struct NetworkShape {
    size_t nodes = 4;
    size_t committee = 4;           // the first `committee` nodes are the genesis committee
    size_t accounts = 4;
    size_t client_keys = 2;         // per account, approved at genesis
    uint64_t seed = 1;
    uint64_t chain_id = 59330;
};

class TestNetwork {
    NetworkShape shape_;

public:
    explicit TestNetwork(const NetworkShape& shape = {})
        : shape_(shape),
          governance(crypto::AccountSecretKey::from_bytes(derive_seed("governance", shape.seed, 0)).value()),
          protocol_fund(crypto::AccountSecretKey::from_bytes(derive_seed("fund", shape.seed, 0)).value()) {
        genesis.chain_id = shape.chain_id;
        genesis.epoch_start_ms = 1'000'000;
        genesis.governance = governance.address().bytes();
        genesis.protocol_fund = protocol_fund.address().bytes();
        genesis.params.epoch_time_ms = 60'000;
        genesis.params.committee_size = static_cast<uint32_t>(std::max<size_t>(1, shape.committee));
        genesis.params.beacon_commit_phase_ms = 5'000;
        genesis.params.beacon_reveal_phase_ms = 5'000;
        genesis.params.min_num_measurements = 1;
        for (size_t i = 0; i < shape.accounts; ++i) {
            accounts.push_back(crypto::AccountSecretKey::from_bytes(derive_seed("account", shape.seed, i)).value());
            ledger::GenesisAccount entry;
            entry.address = accounts.back().address().bytes();
            entry.flk = U256(1'000'000) * ledger::flk_unit();
            entry.stables = U256(1'000'000'000);  // 1,000 USD
            entry.bandwidth = 1000;
            std::vector<crypto::ClientSecretKey> keys;
            for (size_t k = 0; k < shape.client_keys; ++k) {
                keys.push_back(crypto::ClientSecretKey::from_seed(derive_seed("client", shape.seed, i * 100 + k)).value());
                entry.client_keys.push_back(keys.back().public_key().bytes());
            }
            client_keys.push_back(std::move(keys));
            genesis.accounts.push_back(entry);
        }
        for (size_t i = 0; i < shape.nodes; ++i) {
            TestNode node{crypto::NodeSecretKey::from_seed(derive_seed("node", shape.seed, i)).value(),
                          crypto::ConsensusSecretKey::from_seed(derive_seed("consensus", shape.seed, i)).value(),
                          crypto::AccountSecretKey::from_bytes(derive_seed("owner", shape.seed, i)).value(),
                          static_cast<ledger::NodeIndex>(i)};
            ledger::GenesisNode entry;
            entry.owner = node.owner.address().bytes();
            entry.node_key = node.node_key.public_key().bytes();
            entry.consensus_key = node.consensus_key.public_key().bytes();
            entry.consensus_pop = node.consensus_key.prove_possession().bytes();
            entry.domain = "127.0.0.1";
            entry.ports.pool = static_cast<uint16_t>(10000 + 10 * i);
            entry.ports.pool_quic = static_cast<uint16_t>(10001 + 10 * i);
            entry.ports.handshake_http = static_cast<uint16_t>(10002 + 10 * i);
            entry.ports.handshake_tcp = static_cast<uint16_t>(10003 + 10 * i);
            entry.ports.rpc = static_cast<uint16_t>(10004 + 10 * i);
            entry.ports.dht = static_cast<uint16_t>(10005 + 10 * i);
            entry.ports.pinger = static_cast<uint16_t>(10006 + 10 * i);
            entry.stake = U256(2000) * ledger::flk_unit();
            entry.genesis_committee = i < shape.committee;
            genesis.nodes.push_back(entry);
            nodes.push_back(std::move(node));
        }
        genesis.services.push_back(ledger::GenesisService{0, governance.address().bytes(), ledger::CommodityType::bandwidth, 100});
        genesis.services.push_back(ledger::GenesisService{1, accounts.empty() ? governance.address().bytes()
                                                                              : accounts[0].address().bytes(),
                                                          ledger::CommodityType::compute, 5'000'000});
    }

    const NetworkShape& shape() const { return shape_; }
    uint64_t chain_id() const { return shape_.chain_id; }

    // ---- transactions with tracked nonces (call reset_nonces after a rejected transaction) ----
    Bytes sign(const crypto::AccountSecretKey& key, ledger::Method method) {
        uint64_t& nonce = account_nonces[key.address().bytes()];
        return ledger::sign_transaction(ledger::Transaction{{}, ++nonce, chain_id(), std::move(method)}, key).to_bytes();
    }
    Bytes account_tx(size_t account, ledger::Method method) { return sign(accounts.at(account), std::move(method)); }
    Bytes governance_tx(ledger::Method method) { return sign(governance, std::move(method)); }
    Bytes owner_tx(size_t node, ledger::Method method) { return sign(nodes.at(node).owner, std::move(method)); }
    Bytes node_tx(size_t node, ledger::Method method) {
        uint64_t& nonce = node_nonces[node];
        return ledger::sign_transaction(ledger::Transaction{{}, ++nonce, chain_id(), std::move(method)}, nodes.at(node).node_key)
            .to_bytes();
    }
    Bytes consensus_tx(size_t node, ledger::Method method) {
        uint64_t& nonce = node_nonces[node];
        return ledger::sign_transaction(ledger::Transaction{{}, ++nonce, chain_id(), std::move(method)},
                                        nodes.at(node).consensus_key)
            .to_bytes();
    }
    // Forget the nonce used by a transaction that was rejected (its nonce stays free).
    void unuse_account_nonce(const crypto::AccountSecretKey& key) { --account_nonces[key.address().bytes()]; }
    void unuse_node_nonce(size_t node) { --node_nonces[node]; }

    ledger::SignedDeliveryReceipt receipt(size_t account, size_t client_key, size_t node, ledger::ServiceId service,
                                          uint8_t session, ledger::Epoch epoch, uint64_t amount) const {
        ledger::DeliveryReceipt r;
        r.chain_id = chain_id();
        r.node = nodes.at(node).node_key.public_key().bytes();
        r.service = service;
        r.session_id.fill(session);
        r.epoch = epoch;
        r.amount = amount;
        return ledger::sign_delivery_receipt(r, client_keys.at(account).at(client_key));
    }

    ledger::Genesis genesis;
    crypto::AccountSecretKey governance;
    crypto::AccountSecretKey protocol_fund;
    std::vector<crypto::AccountSecretKey> accounts;
    std::vector<std::vector<crypto::ClientSecretKey>> client_keys;
    std::vector<TestNode> nodes;
    std::map<ledger::AddressBytes, uint64_t> account_nonces;
    std::map<size_t, uint64_t> node_nonces;
};

inline ledger::Block make_block(uint64_t height, uint64_t timestamp_ms, std::vector<Bytes> transactions) {
    ledger::Block block;
    block.height = height;
    block.timestamp_ms = timestamp_ms;
    block.transactions = std::move(transactions);
    return block;
}

}  // namespace fleek::testing
