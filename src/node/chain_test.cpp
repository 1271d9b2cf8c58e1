// The chain over real consensus instances in one process: four committee members run
// consensus::Node over in-memory stores with messages delivered at once, execute the committed
// output into their own ledgers (RocksDB in a temporary directory), sign every block and
// aggregate the signatures into certificates; a fifth node outside the committee follows the
// certified blocks. Checks: the same blocks and state roots everywhere, certificates that verify,
// transfers that execute, tampered blocks and certificates refused, restarts that resume.
#include "node/chain.h"

#include "consensus/signature.h"
#include "consensus/store.h"
#include "tests/support/files.h"
#include "tests/support/ledger_network.h"

#include <gtest/gtest.h>

#include <deque>
#include <set>

namespace fleek::node {
namespace {

using ledger::Token;
using ledger::Transfer;

struct Member {
    size_t test_index = 0;  // index in TestNetwork::nodes
    std::unique_ptr<consensus::MemoryStore> store;
    std::unique_ptr<consensus::Node> consensus;
    std::unique_ptr<Chain> chain;
};

class ChainNetwork {
public:
    explicit ChainNetwork(const std::filesystem::path& dir, size_t node_count = 5)
        : net(testing::NetworkShape{.nodes = node_count, .committee = 4, .accounts = 4}), dir_(dir) {
        for (size_t i = 0; i < node_count; ++i) {
            auto chain = Chain::open(dir_ / std::to_string(i), net.genesis, options());
            EXPECT_TRUE(chain.has_value()) << (chain ? "" : chain.error());
            chains.push_back(std::move(*chain));
        }
        std::vector<consensus::Member> members;
        for (const auto& member : chains[0]->ledger().current_committee()) {
            members.push_back(consensus::Member{member.node_key, member.consensus_key});
        }
        committee = consensus::Committee::create(0, members).value();
        for (size_t a = 0; a < committee->size(); ++a) {
            for (size_t i = 0; i < node_count; ++i) {
                if (net.nodes[i].consensus_key.public_key() == committee->member(a).consensus_key) authority_of[i] = a;
            }
        }
        for (const auto& [i, a] : authority_of) start_consensus(i);
    }

    static ChainOptions options() {
        ChainOptions options;
        options.ledger.sync_writes = false;
        options.sync_writes = false;
        return options;
    }

    void start_consensus(size_t i) {
        const auto a = static_cast<consensus::AuthorityIndex>(authority_of.at(i));
        if (!stores.count(i)) stores[i] = std::make_unique<consensus::MemoryStore>();
        consensus::Node::Options options;
        options.parameters.max_header_delay_us = 100'000;
        options.parameters.min_header_delay_us = 20'000;
        options.parameters.max_batch_delay_us = 20'000;
        options.rng_seed = i + 1;
        options.next_output_index = chains[i]->next_output_index(0);
        nodes[i] = std::make_unique<consensus::Node>(*committee, a, consensus::make_test_scheme(*committee, a), *stores[i],
                                                     options, now_us);
    }

    // Runs every node for `duration_us` in steps of 10 ms, delivering messages at once.
    void run(uint64_t duration_us) {
        const uint64_t end = now_us + duration_us;
        while (now_us < end) {
            now_us += 10'000;
            for (auto& [i, node] : nodes) {
                if (node) node->on_tick(now_us);
            }
            pump();
        }
    }

    void pump() {
        bool busy = true;
        while (busy) {
            busy = false;
            for (auto& [i, node] : nodes) {
                if (!node) continue;
                for (auto& out : node->take_outbound()) {
                    busy = true;
                    const size_t to = test_index_of(out.to);
                    if (nodes.count(to) && nodes[to]) {
                        nodes[to]->on_message(static_cast<consensus::AuthorityIndex>(authority_of.at(i)), out.plane, out.bytes, now_us);
                    }
                }
                for (auto& output : node->take_output()) {
                    busy = true;
                    auto executed = chains[i]->execute_output(0, output);
                    ASSERT_TRUE(executed.has_value()) << to_string(executed.error());
                    for (const auto& block : *executed) {
                        const auto signature = sign_block(net.nodes[i].consensus_key, *block.block.block.epoch,
                                                          block.result.height, block.digest, block.result.state_root);
                        for (auto& [j, other] : nodes) {
                            if (other) pending_signatures.emplace_back(j, signature);
                        }
                    }
                }
            }
            while (!pending_signatures.empty()) {
                busy = true;
                auto [j, signature] = pending_signatures.front();
                pending_signatures.pop_front();
                auto certificate = chains[j]->add_signature(signature);
                ASSERT_TRUE(certificate.has_value()) << to_string(certificate.error());
            }
        }
    }

    size_t test_index_of(consensus::AuthorityIndex a) const {
        for (const auto& [i, authority] : authority_of) {
            if (authority == a) return i;
        }
        return ~size_t{0};
    }

    bool submit(size_t i, Bytes transaction) { return nodes.at(i)->submit_transaction(std::move(transaction), now_us).has_value(); }

    // Runs until `done` holds and every member's blocks are certified.
    template <class Done>
    bool run_until(Done done, uint64_t limit_us = 60'000'000) {
        const uint64_t end = now_us + limit_us;
        while (now_us < end) {
            run(100'000);
            bool certified = true;
            for (const auto& [i, a] : authority_of) certified = certified && chains[i]->certified_height() == chains[i]->height();
            if (certified && done()) return true;
        }
        return false;
    }

    testing::TestNetwork net;
    std::filesystem::path dir_;
    std::vector<std::unique_ptr<Chain>> chains;
    std::optional<consensus::Committee> committee;
    std::map<size_t, size_t> authority_of;  // test index -> authority index
    std::map<size_t, std::unique_ptr<consensus::MemoryStore>> stores;
    std::map<size_t, std::unique_ptr<consensus::Node>> nodes;
    std::deque<std::pair<size_t, BlockSignature>> pending_signatures;
    uint64_t now_us = 1'000'000'000;  // the genesis epoch starts at 1,000,000 ms
};

size_t follower_of(const ChainNetwork& network) {
    for (size_t i = 0; i < network.chains.size(); ++i) {
        if (!network.authority_of.count(i)) return i;
    }
    return ~size_t{0};
}

TEST(Chain, CommitteeExecutesTheSameBlocksAndCertifiesThem) {
    testing::ScratchDirectory dir;
    ChainNetwork network(dir.path());
    const auto to = network.net.accounts[3].address();
    const U256 before = network.chains[0]->ledger().balance(to, Token::flk);
    std::vector<Hash32> digests;
    for (size_t k = 0; k < 12; ++k) {
        Bytes tx = network.net.account_tx(k % 3, Transfer{Token::flk, to.bytes(), 7});
        digests.push_back(codec::decode<ledger::SignedTransaction>(tx).value().transaction.digest());
        // Each sender's transactions go to one worker (in nonce order); senders use different ones.
        const size_t target = std::next(network.authority_of.begin(), static_cast<long>(k % 3))->first;
        ASSERT_TRUE(network.submit(target, std::move(tx)));
    }
    ASSERT_TRUE(network.run_until([&] {
        for (const auto& [i, a] : network.authority_of) {
            if (network.chains[i]->ledger().balance(to, Token::flk) != before + U256(12 * 7)) return false;
        }
        return true;
    }));
    // Every transfer executed exactly once, on every member, with the same receipts.
    uint64_t height = 0;
    for (const auto& [i, a] : network.authority_of) {
        const Chain& chain = *network.chains[i];
        EXPECT_EQ(chain.ledger().balance(to, Token::flk), before + U256(12 * 7));
        for (const Hash32& digest : digests) {
            auto location = chain.transaction(digest);
            ASSERT_TRUE(location.has_value());
            EXPECT_EQ(location->receipt.status, ledger::ReceiptStatus::success);
        }
        height = std::max(height, chain.height());
    }
    const auto committee = network.chains[0]->ledger().current_committee();
    for (uint64_t h = 1; h <= height; ++h) {
        std::optional<Hash32> root;
        std::optional<Hash32> digest;
        for (const auto& [i, a] : network.authority_of) {
            const Chain& chain = *network.chains[i];
            ASSERT_EQ(chain.height(), height);
            auto block = chain.block(h);
            ASSERT_TRUE(block.has_value());
            if (!digest) digest = block->digest(), root = chain.state_root_at(h);
            EXPECT_EQ(block->digest(), *digest) << "height " << h;
            EXPECT_EQ(chain.state_root_at(h), root) << "height " << h;
            auto certificate = chain.certificate(h);
            ASSERT_TRUE(certificate.has_value()) << "height " << h;
            EXPECT_TRUE(certificate->verify(committee).has_value());
            EXPECT_EQ(certificate->block_digest, *digest);
            EXPECT_EQ(certificate->state_root, *root);
        }
    }
}

TEST(Chain, FollowerExecutesCertifiedBlocksAndRefusesTamperedOnes) {
    testing::ScratchDirectory dir;
    ChainNetwork network(dir.path());
    const auto to = network.net.accounts[2].address();
    const U256 start = network.chains[0]->ledger().balance(to, Token::flk);
    for (size_t k = 0; k < 6; ++k) {
        const size_t target = network.authority_of.begin()->first;
        ASSERT_TRUE(network.submit(target, network.net.account_tx(0, Transfer{Token::flk, to.bytes(), 1})));
    }
    ASSERT_TRUE(network.run_until([&] { return network.chains[network.authority_of.begin()->first]->ledger().balance(to, Token::flk) == start + U256(6); }));
    const Chain& source = *network.chains[network.authority_of.begin()->first];
    Chain& follower = *network.chains[follower_of(network)];
    ASSERT_EQ(follower.height(), 0u);

    auto first = source.certified_block(1);
    ASSERT_TRUE(first.has_value());
    // Tampering: a changed transaction list, a certificate of another root, a missing signer.
    if (!first->block.block.transactions.empty()) {
        CertifiedBlock changed = *first;
        changed.block.block.transactions.pop_back();
        EXPECT_EQ(follower.execute_certified(changed).error(), ChainError::bad_certificate);
    }
    {
        CertifiedBlock forged = *first;
        forged.certificate.state_root[0] ^= 1;
        EXPECT_EQ(follower.execute_certified(forged).error(), ChainError::bad_certificate);
    }
    {
        CertifiedBlock thin = *first;
        size_t removed = 0;
        for (auto& bit : thin.certificate.signers) {
            if (bit == 1 && removed < 2) bit = 0, ++removed;
        }
        EXPECT_EQ(follower.execute_certified(thin).error(), ChainError::bad_certificate);
    }
    EXPECT_EQ(follower.height(), 0u);
    if (source.height() >= 2) {
        EXPECT_EQ(follower.execute_certified(*source.certified_block(2)).error(), ChainError::not_next);
    }
    for (uint64_t h = 1; h <= source.height(); ++h) {
        auto block = source.certified_block(h);
        ASSERT_TRUE(block.has_value());
        auto executed = follower.execute_certified(*block);
        ASSERT_TRUE(executed.has_value()) << to_string(executed.error());
        EXPECT_EQ(executed->result.state_root, *source.state_root_at(h));
    }
    EXPECT_EQ(follower.ledger().state_root(), source.ledger().state_root());
    EXPECT_EQ(follower.certified_height(), source.height());
    EXPECT_EQ(follower.ledger().balance(to, Token::flk), source.ledger().balance(to, Token::flk));
}

TEST(Chain, RestartResumesTheChainAndTheConsensusOutput) {
    testing::ScratchDirectory dir;
    auto network = std::make_unique<ChainNetwork>(dir.path());
    const auto to = network->net.accounts[1].address();
    const size_t sender_worker = std::next(network->authority_of.begin(), 1)->first;
    for (size_t k = 0; k < 4; ++k) {
        ASSERT_TRUE(network->submit(sender_worker, network->net.account_tx(0, Transfer{Token::flk, to.bytes(), 3})));
    }
    ASSERT_TRUE(network->run_until([&] {
        return network->chains[sender_worker]->ledger().balance(to, Token::flk) == U256(1'000'000) * ledger::flk_unit() + U256(12);
    }));
    const size_t restarted = network->authority_of.begin()->first;
    const uint64_t height = network->chains[restarted]->height();
    const Hash32 root = network->chains[restarted]->ledger().state_root();
    const Hash32 head = network->chains[restarted]->head_digest();
    const uint64_t next_index = network->chains[restarted]->next_output_index(0);
    EXPECT_GT(next_index, 0u);

    // Restart one member: a new chain over the same directory and a new consensus instance
    // over the same store, resuming at the chain's next output index.
    network->nodes[restarted].reset();
    network->chains[restarted].reset();
    auto reopened = Chain::open(dir.path() / std::to_string(restarted), network->net.genesis, ChainNetwork::options());
    ASSERT_TRUE(reopened.has_value()) << reopened.error();
    EXPECT_EQ((*reopened)->height(), height);
    EXPECT_EQ((*reopened)->ledger().state_root(), root);
    EXPECT_EQ((*reopened)->head_digest(), head);
    EXPECT_EQ((*reopened)->next_output_index(0), next_index);
    network->chains[restarted] = std::move(*reopened);
    network->start_consensus(restarted);

    // The restarted member's own worker takes the next sender's transactions.
    for (size_t k = 0; k < 4; ++k) {
        ASSERT_TRUE(network->submit(restarted, network->net.account_tx(2, Transfer{Token::flk, to.bytes(), 5})));
    }
    ASSERT_TRUE(network->run_until([&] {
        for (const auto& [i, a] : network->authority_of) {
            if (network->chains[i]->ledger().balance(to, Token::flk) != U256(1'000'000) * ledger::flk_unit() + U256(32)) return false;
        }
        return network->chains[restarted]->height() > height;
    }));
    // Nothing executed twice: the balance moved by exactly what was sent.
    for (const auto& [i, a] : network->authority_of) {
        EXPECT_EQ(network->chains[i]->ledger().state_root(), network->chains[restarted]->ledger().state_root());
    }
    const U256 received = network->chains[restarted]->ledger().balance(to, Token::flk);
    const U256 expected = U256(1'000'000) * ledger::flk_unit() + U256(4 * 3 + 4 * 5);
    EXPECT_EQ(received, expected);
}

TEST(Chain, OpenExecutesStoredBlocksTheLedgerDidNotCommit) {
    // A crash between the chain store's write and the ledger's commit leaves the store ahead of
    // the ledger; open() executes the stored blocks again and reaches the same state root.
    testing::ScratchDirectory dir;
    ChainNetwork network(dir.path());
    const auto to = network.net.accounts[2].address();
    const size_t worker = network.authority_of.begin()->first;
    const size_t member = std::next(network.authority_of.begin(), 2)->first;
    ASSERT_TRUE(network.submit(worker, network.net.account_tx(0, Transfer{Token::flk, to.bytes(), 1})));
    ASSERT_TRUE(network.run_until([&] { return network.chains[member]->height() >= 1 && network.chains[worker]->height() >= 1; }));

    // Snapshot the member's ledger at this height (closed, so the copy is consistent).
    network.nodes[member].reset();
    network.chains[member].reset();
    const auto home = dir.path() / std::to_string(member);
    std::filesystem::copy(home / "ledger", dir.path() / "ledger-snapshot", std::filesystem::copy_options::recursive);
    const uint64_t snapshot_height = Chain::open(home, network.net.genesis, ChainNetwork::options()).value()->height();
    network.chains[member] = Chain::open(home, network.net.genesis, ChainNetwork::options()).value();
    network.start_consensus(member);

    for (size_t k = 0; k < 3; ++k) {
        ASSERT_TRUE(network.submit(worker, network.net.account_tx(1, Transfer{Token::flk, to.bytes(), 2})));
    }
    ASSERT_TRUE(network.run_until([&] { return network.chains[member]->height() > snapshot_height; }));
    network.nodes[member].reset();
    const uint64_t height = network.chains[member]->height();
    const Hash32 root = network.chains[member]->ledger().state_root();
    network.chains[member].reset();

    // The ledger goes back to the snapshot; the chain store keeps every block.
    std::filesystem::remove_all(home / "ledger");
    std::filesystem::rename(dir.path() / "ledger-snapshot", home / "ledger");
    auto reopened = Chain::open(home, network.net.genesis, ChainNetwork::options());
    ASSERT_TRUE(reopened.has_value()) << reopened.error();
    EXPECT_EQ((*reopened)->height(), height);
    EXPECT_EQ((*reopened)->ledger().state_root(), root);
    EXPECT_GT(height, snapshot_height);

    // A chain store behind its ledger is refused (it cannot happen without damage).
    reopened->reset();
    std::filesystem::remove_all(home / "chain");
    auto damaged = Chain::open(home, network.net.genesis, ChainNetwork::options());
    ASSERT_FALSE(damaged.has_value());
    EXPECT_NE(damaged.error().find("damaged"), std::string::npos) << damaged.error();
}

TEST(Chain, BlocksAreSplitWithinTheLedgerLimits) {
    std::vector<Bytes> many(ledger::block_transactions_max * 2 + 5, Bytes{1, 2, 3});
    auto parts = split_into_blocks(many);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].size(), ledger::block_transactions_max);
    EXPECT_EQ(parts[2].size(), 5u);
    std::vector<Bytes> big(3, Bytes(chain_block_bytes_max / 2 + 1, 7));
    EXPECT_EQ(split_into_blocks(big).size(), 3u);
    std::vector<Bytes> half(4, Bytes(chain_block_bytes_max / 2, 7));
    EXPECT_EQ(split_into_blocks(half).size(), 2u);
    EXPECT_TRUE(split_into_blocks({}).empty());
}

TEST(ChainFormats, MessagesRoundTripAndRejectMalformedInput) {
    ChainBlock block;
    block.block.height = 3;
    block.block.epoch = 1;
    block.block.timestamp_ms = 99;
    block.block.transactions = {Bytes{1, 2}, Bytes{3}};
    block.sub_dag_index = 4;
    block.part = 1;
    block.parts = 2;
    block.parent.fill(9);
    const Bytes encoded = codec::encode(block);
    EXPECT_EQ(codec::decode<ChainBlock>(encoded).value(), block);
    EXPECT_NE(block.digest(), ChainBlock{}.digest());
    // part >= parts, and a block without an epoch, are refused.
    ChainBlock bad = block;
    bad.part = 2;
    EXPECT_FALSE(codec::decode<ChainBlock>(codec::encode(bad)).has_value());
    bad = block;
    bad.block.epoch.reset();
    EXPECT_FALSE(codec::decode<ChainBlock>(codec::encode(bad)).has_value());
    for (size_t cut = 0; cut < encoded.size(); ++cut) {
        EXPECT_FALSE(codec::decode<ChainBlock>(ByteSpan(encoded).first(cut)).has_value()) << cut;
    }
    EXPECT_FALSE(codec::decode<SyncRequest>(codec::encode(SyncRequest{0, 1})).has_value());
    EXPECT_FALSE(codec::decode<SyncRequest>(codec::encode(SyncRequest{1, SyncRequest::blocks_max + 1})).has_value());
    EXPECT_EQ(codec::decode<SyncRequest>(codec::encode(SyncRequest{5, 3})).value(), (SyncRequest{5, 3}));
}

TEST(ChainFormats, DigestVector) {
    ChainBlock block;
    block.block.height = 3;
    block.block.epoch = 1;
    block.block.timestamp_ms = 99;
    block.block.transactions = {Bytes{1, 2}, Bytes{3}};
    block.sub_dag_index = 4;
    block.part = 1;
    block.parts = 2;
    block.parent.fill(9);
    // docs/formats/chain.md
    EXPECT_EQ(codec::encode(block).size(), 88u);
    EXPECT_EQ(hex_encode(block.digest()), "5a7168a10c5d194e614c4094b50a55e75f6f1f279e6634027b77621e3955cdf6");
}

}  // namespace
}  // namespace fleek::node
