// A seeded random stream of valid and invalid transactions for property tests: transfers, mints,
// withdrawals, stake operations, client keys, delivery receipts, measurements, content,
// governance, slashing attempts, and every kind of rejection (wrong nonce, chain id, signature,
// malformed bytes, replays); the committee runs the epoch protocol so epochs keep changing.
//
// The generator reads the ledger it drives (nonces, epoch phase, balances), so the blocks it
// produces are replayed into other ledgers to compare executions.
#pragma once

#include "ledger/ledger.h"
#include "tests/support/ledger_network.h"

#include <map>
#include <random>
#include <set>

namespace fleek::ledger {

struct WorkloadStats {
    size_t transactions = 0;
    size_t expected_rejections = 0;
};

// Who signed a generated transaction and whether it was built to be rejected.
struct GeneratedTx {
    Bytes bytes;
    bool account = true;
    AddressBytes address{};
    NodeIndex node = 0;
    bool must_reject = false;
};

class Workload {
public:
    static testing::NetworkShape shape(uint64_t seed) { return testing::NetworkShape{6, 4, 12, 2, seed, 59330}; }

    static void tune(Genesis& genesis) {
        genesis.params.epoch_time_ms = 20'000;
        genesis.params.beacon_commit_phase_ms = 3'000;
        genesis.params.beacon_reveal_phase_ms = 3'000;
        genesis.params.lock_time_epochs = 1;
        genesis.params.record_retention_epochs = 2;  // pruning at every epoch change
    }

    Workload(testing::TestNetwork& net, uint64_t seed) : m_net(net), m_rng(seed) {}

    // The next block for `ledger`, with about `count` random transactions plus the committee's
    // epoch-protocol transactions.
    std::pair<Block, std::vector<GeneratedTx>> next(const Ledger& ledger, uint64_t timestamp_ms, size_t count) {
        m_ledger = &ledger;
        m_timestamp_ms = timestamp_ms;
        m_account_nonce.clear();
        m_node_nonce.clear();
        std::vector<GeneratedTx> txs;
        epoch_protocol(txs);
        for (size_t i = 0; i < count; ++i) txs.push_back(random_tx());
        std::vector<Bytes> bytes;
        for (const auto& tx : txs) bytes.push_back(tx.bytes);
        Block block = testing::make_block(ledger.height() + 1, timestamp_ms, std::move(bytes));
        m_stats.transactions += txs.size();
        for (const auto& tx : txs) m_stats.expected_rejections += tx.must_reject ? 1 : 0;
        for (const auto& tx : txs) {
            if (!tx.must_reject && m_history.size() < 64) m_history.push_back(tx.bytes);
        }
        return {std::move(block), std::move(txs)};
    }

    const WorkloadStats& stats() const { return m_stats; }

private:
    uint64_t pick(uint64_t bound) { return bound == 0 ? 0 : m_rng() % bound; }
    bool chance(uint64_t percent) { return pick(100) < percent; }

    uint64_t& account_nonce(const crypto::AccountSecretKey& key) {
        auto it = m_account_nonce.find(key.address().bytes());
        if (it == m_account_nonce.end()) {
            auto info = m_ledger->account(key.address());
            it = m_account_nonce.emplace(key.address().bytes(), info ? info->nonce : 0).first;
        }
        return it->second;
    }
    uint64_t& node_nonce(NodeIndex node) {
        auto it = m_node_nonce.find(node);
        if (it == m_node_nonce.end()) it = m_node_nonce.emplace(node, m_ledger->node(node)->nonce).first;
        return it->second;
    }

    GeneratedTx by_account(const crypto::AccountSecretKey& key, Method method) {
        GeneratedTx tx;
        tx.address = key.address().bytes();
        tx.bytes = sign_transaction(Transaction{{}, ++account_nonce(key), m_net.chain_id(), std::move(method)}, key).to_bytes();
        return tx;
    }
    GeneratedTx by_node(NodeIndex node, Method method, bool consensus_key = false) {
        GeneratedTx tx;
        tx.account = false;
        tx.node = node;
        const Transaction transaction{{}, ++node_nonce(node), m_net.chain_id(), std::move(method)};
        tx.bytes = consensus_key ? sign_transaction(transaction, m_net.nodes.at(node).consensus_key).to_bytes()
                                 : sign_transaction(transaction, m_net.nodes.at(node).node_key).to_bytes();
        return tx;
    }

    static Hash32 secret(NodeIndex node, Epoch epoch, uint64_t round) {
        Hash32 out{};
        out[0] = static_cast<uint8_t>(node);
        out[1] = static_cast<uint8_t>(epoch);
        out[2] = static_cast<uint8_t>(epoch >> 8);
        out[3] = static_cast<uint8_t>(round);
        out[31] = 0xee;
        return out;
    }

    void epoch_protocol(std::vector<GeneratedTx>& txs) {
        const EpochInfo info = m_ledger->epoch_info();
        const CommitteeInfo committee = m_ledger->committee(info.epoch).value();
        const ProtocolParams params = m_ledger->params();
        const Epoch epoch = info.epoch;
        const uint64_t round = info.phase.round;
        for (const NodeIndex m : committee.members) {
            const auto beacon = m_ledger->state_value(tables::beacon(m));
            std::optional<BeaconEntry> entry;
            if (beacon) entry = codec::decode<BeaconEntry>(*beacon).value();
            switch (info.phase.kind) {
                case BeaconPhaseKind::none:
                    if (m_timestamp_ms >= info.transition_ms &&
                        !std::binary_search(committee.ready_to_change.begin(), committee.ready_to_change.end(), m)) {
                        txs.push_back(by_node(m, ChangeEpoch{epoch}));
                    }
                    break;
                case BeaconPhaseKind::commit:
                    if ((!entry || entry->round != round) && !m_ledger->state_value(tables::non_revealer(m))) {
                        txs.push_back(by_node(m, BeaconCommit{epoch, round, beacon_commitment(epoch, round, m, secret(m, epoch, round))}));
                    } else if (m_timestamp_ms >= info.phase.start_ms + params.beacon_commit_phase_ms &&
                               !std::binary_search(committee.commit_timeout_signals.begin(),
                                                   committee.commit_timeout_signals.end(), m)) {
                        txs.push_back(by_node(m, BeaconCommitTimeout{epoch, round}));
                    }
                    break;
                case BeaconPhaseKind::reveal:
                    // Now and then a member withholds its reveal and is penalized.
                    if (entry && entry->round == round && !entry->reveal) {
                        if (!chance(4)) txs.push_back(by_node(m, BeaconReveal{epoch, round, secret(m, epoch, round)}));
                    } else if (m_timestamp_ms >= info.phase.start_ms + params.beacon_reveal_phase_ms &&
                               !std::binary_search(committee.reveal_timeout_signals.begin(),
                                                   committee.reveal_timeout_signals.end(), m)) {
                        txs.push_back(by_node(m, BeaconRevealTimeout{epoch, round}));
                    }
                    break;
            }
        }
    }

    const crypto::AccountSecretKey& some_account() { return m_net.accounts[pick(m_net.accounts.size())]; }
    NodeIndex some_node() { return static_cast<NodeIndex>(pick(m_net.nodes.size())); }

    GeneratedTx random_tx() {
        const uint64_t roll = pick(1000);
        const Epoch epoch = m_ledger->epoch();
        if (roll < 330) {  // a transfer that succeeds
            const auto& from = some_account();
            const auto& to = some_account();
            const Token token = chance(80) ? Token::flk : (chance(50) ? Token::stables : Token::bandwidth);
            const U256 balance = m_ledger->balance(from.address(), token);
            const U256 amount = balance / 1000 + 1;
            return by_account(from, Transfer{token, to.address().bytes(), amount});
        }
        if (roll < 380) {  // a transfer that reverts: too much, to itself, or nothing
            const auto& from = some_account();
            const uint64_t kind = pick(3);
            const AddressBytes to = kind == 1 ? from.address().bytes() : some_account().address().bytes();
            const U256 amount = kind == 0 ? (U256(1) << 250) : (kind == 2 ? U256(0) : U256(1));
            return by_account(from, Transfer{Token::flk, to, amount});
        }
        if (roll < 430) {  // a wrong nonce
            const auto& from = some_account();
            GeneratedTx tx;
            tx.must_reject = true;
            const uint64_t nonce = account_nonce(from) + 2 + pick(3);
            tx.bytes = sign_transaction(Transaction{{}, nonce, m_net.chain_id(), IncrementNonce{}}, from).to_bytes();
            return tx;
        }
        if (roll < 460) {  // a bad signature
            const auto& from = some_account();
            SignedTransaction signed_tx =
                sign_transaction(Transaction{{}, account_nonce(from) + 1, m_net.chain_id(), IncrementNonce{}}, from);
            signed_tx.signature[pick(32)] ^= 0x10;
            return GeneratedTx{signed_tx.to_bytes(), true, {}, 0, true};
        }
        if (roll < 480) {  // a wrong chain id
            const auto& from = some_account();
            return GeneratedTx{
                sign_transaction(Transaction{{}, account_nonce(from) + 1, m_net.chain_id() + 1, IncrementNonce{}}, from).to_bytes(),
                true, {}, 0, true};
        }
        if (roll < 500) {  // malformed bytes or a replay of something executed
            if (!m_history.empty() && chance(50)) return GeneratedTx{m_history[pick(m_history.size())], true, {}, 0, true};
            Bytes junk(pick(200));
            for (auto& b : junk) b = static_cast<uint8_t>(m_rng());
            if (!m_history.empty() && chance(50)) {
                junk = m_history[pick(m_history.size())];
                junk.resize(junk.size() - 1 - pick(junk.size() - 1));
            }
            return GeneratedTx{junk, true, {}, 0, true};
        }
        if (roll < 530) {  // governance mints FLK or stables (a repeated bridge hash reverts)
            Mint mint{chance(60) ? Token::flk : Token::stables, U256(1 + pick(1'000'000)) * 1000, some_account().address().bytes(), {}};
            const uint64_t id = chance(10) && m_mints > 0 ? pick(m_mints) : m_mints++;
            for (size_t i = 0; i < 8; ++i) mint.bridge_tx[i] = static_cast<uint8_t>(id >> (8 * i));
            return by_account(m_net.governance, mint);
        }
        if (roll < 560) {  // withdrawals
            const auto& from = some_account();
            const Token token = chance(60) ? Token::flk : Token::stables;
            return by_account(from, Withdraw{token, m_ledger->balance(from.address(), token) / 500 + 1, from.address().bytes()});
        }
        if (roll < 640) {  // delivery receipts from a node, signed by clients
            const NodeIndex node = some_node();
            std::vector<SignedDeliveryReceipt> receipts;
            const size_t n = 1 + pick(6);
            for (size_t i = 0; i < n; ++i) {
                const size_t account = pick(m_net.accounts.size());
                const size_t key = pick(m_net.client_keys[account].size());
                const uint8_t session = static_cast<uint8_t>(node * 4 + pick(4));  // sessions stay with one node
                uint64_t& amount = m_session_amount[{epoch, account, key, session, node}];
                amount += 1 + pick(2'000'000);
                const ServiceId service = static_cast<ServiceId>((account + key + session) % 2);
                receipts.push_back(m_net.receipt(account, key, node, service, session, epoch, amount));
            }
            if (chance(5)) receipts.back().receipt.amount += 1;  // a forged amount: that receipt counts zero
            return by_node(node, SubmitDeliveryAcknowledgments{receipts});
        }
        if (roll < 680) {  // reputation measurements (the third in an epoch reverts)
            const NodeIndex node = some_node();
            std::vector<ReputationReport> reports;
            for (NodeIndex peer = 0; peer < m_net.nodes.size(); ++peer) {
                if (peer == node || chance(30)) continue;
                Measurements m;
                m.latency_ms = static_cast<uint32_t>(5 + pick(200));
                m.interactions = static_cast<uint64_t>(static_cast<int64_t>(pick(40)) - 10);
                m.uptime_percent = static_cast<uint8_t>(60 + pick(41));
                if (chance(50)) m.bytes_sent = pick(1'000'000);
                reports.push_back(ReputationReport{peer, m});
            }
            if (reports.empty()) reports.push_back(ReputationReport{node == 0 ? 1u : 0u, Measurements{}});  // reverts
            return by_node(node, SubmitReputationMeasurements{reports});
        }
        if (roll < 720) {  // content registry
            const NodeIndex node = some_node();
            ContentUpdate update;
            update.content[0] = static_cast<uint8_t>(pick(8));
            update.remove = chance(40);
            return by_node(node, UpdateContentRegistry{{update}});
        }
        if (roll < 750) {  // client keys
            const auto& owner = some_account();
            if (chance(60)) {
                const auto key = crypto::ClientSecretKey::from_seed(testing::derive_seed("workload-client", m_client_keys++, 0)).value();
                m_approved.push_back(key.public_key().bytes());
                return by_account(owner, ApproveClientKey{key.public_key().bytes()});
            }
            const ClientKeyBytes key = m_approved.empty() ? ClientKeyBytes{} : m_approved[pick(m_approved.size())];
            return by_account(owner, RevokeClientKey{key});
        }
        if (roll < 800) {  // stake operations by owners, keeping committee nodes above min_stake
            const NodeIndex node = some_node();
            const auto& owner = m_net.nodes[node].owner;
            switch (pick(5)) {
                case 0: return by_account(owner, Stake{flk_unit() * (1 + pick(5)), m_net.nodes[node].node_key.public_key().bytes(), std::nullopt});
                case 1: return by_account(owner, StakeLock{node, 1 + pick(3)});
                case 2: return by_account(owner, Unstake{node, flk_unit() * (1 + pick(3))});
                case 3: return by_account(owner, WithdrawUnstaked{node, std::nullopt});
                default: return by_account(some_account(), Unstake{node, 1});  // not the owner: reverts
            }
        }
        if (roll < 820) {  // nodes 4 and 5 leave and come back
            const NodeIndex node = static_cast<NodeIndex>(4 + pick(2));
            return by_node(node, chance(50) ? Method{OptOut{}} : Method{OptIn{}});
        }
        if (roll < 850) {  // nonce fillers, one in ten from a consensus key
            if (chance(50)) return by_account(some_account(), IncrementNonce{});
            return by_node(some_node(), IncrementNonce{}, chance(10));
        }
        if (roll < 870) {  // governance parameters, valid and invalid
            const U256 value = chance(70) ? U256(10 + pick(40)) : U256(0);
            return by_account(chance(90) ? m_net.governance : some_account(), ChangeProtocolParam{ParamId::trust_weight_percent, value == 0 ? U256(500) : value});
        }
        if (roll < 885) {  // services
            const ServiceId id = static_cast<ServiceId>(2 + pick(3));
            if (chance(60)) return by_account(m_net.governance, AddService{id, some_account().address().bytes(), CommodityType::gpu, 1 + pick(100)});
            return by_account(m_net.governance, RemoveService{id});
        }
        if (roll < 900) {  // slashing with evidence that does not hold up
            ConsensusStatement statement;
            statement.epoch = epoch;
            statement.round = pick(100);
            statement.origin = m_net.nodes[1].consensus_key.public_key().bytes();
            SignedStatement a{statement, {}};
            return by_account(some_account(), Slash{1, a, a});
        }
        if (roll < 915) {  // a node moves (by its key or its owner); a bad domain reverts
            const NodeIndex node = some_node();
            NodePorts ports;
            ports.pool = static_cast<uint16_t>(20000 + 10 * node + pick(5));
            ports.pool_quic = static_cast<uint16_t>(ports.pool + 1000);
            const std::string domain = chance(80) ? "node-" + std::to_string(pick(100)) + ".example.org" : "bad domain";
            const UpdateNodeInfo update{node, domain, ports};
            return chance(50) ? by_node(node, update) : by_account(m_net.nodes[node].owner, update);
        }
        // transfers to fresh addresses
        const auto& from = some_account();
        AddressBytes to{};
        to[0] = 0xfe;
        to[1] = static_cast<uint8_t>(pick(50));
        return by_account(from, Transfer{Token::flk, to, 1 + pick(1000)});
    }

    testing::TestNetwork& m_net;
    std::mt19937_64 m_rng;
    const Ledger* m_ledger = nullptr;
    uint64_t m_timestamp_ms = 0;
    std::map<AddressBytes, uint64_t> m_account_nonce;
    std::map<NodeIndex, uint64_t> m_node_nonce;
    std::map<std::tuple<Epoch, size_t, size_t, uint8_t, NodeIndex>, uint64_t> m_session_amount;
    std::vector<Bytes> m_history;
    std::vector<ClientKeyBytes> m_approved;
    uint64_t m_mints = 0;
    uint64_t m_client_keys = 0;
    WorkloadStats m_stats;
};

}  // namespace fleek::ledger
