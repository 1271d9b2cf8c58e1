// An rpc::Backend over an in-memory test network: a ledger on a scratch directory with the
// genesis of tests/support/ledger_network.h. Submitted transactions wait in a queue until the
// test calls commit(), which executes them as one block, records their receipts and a block
// certificate signed by the whole genesis committee. Used by the rpc tests, the rpc fuzz target
// and the flk command tests.
#pragma once

#include "ledger/block_certificate.h"
#include "ledger/ledger.h"
#include "rpc/backend.h"
#include "rpc/pending_pool.h"
#include "tests/support/ledger_network.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <vector>

namespace fleek::testing {

class RpcTestBackend final : public rpc::Backend {
public:
    explicit RpcTestBackend(const NetworkShape& shape = {}) : net(shape) {
        std::string pattern = (std::filesystem::temp_directory_path() / "fleek-rpc-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        m_dir = pattern;
        ledger::LedgerOptions options;
        options.sync_writes = false;
        auto opened = ledger::Ledger::open(m_dir, net.genesis, options);
        if (!opened) throw std::runtime_error("ledger: " + opened.error().message);
        m_ledger = std::move(*opened);
        m_timestamp_ms = net.genesis.epoch_start_ms;
        publish_summary();
    }
    ~RpcTestBackend() override {
        m_summary.reset();
        m_ledger.reset();
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
    RpcTestBackend(const RpcTestBackend&) = delete;
    RpcTestBackend& operator=(const RpcTestBackend&) = delete;

    // ---- rpc::Backend ----
    Result<crypto::Hash32, rpc::SubmitError> submit_transaction(Bytes signed_transaction) override {
        std::lock_guard lock(m_mutex);
        if (unavailable) return fail(rpc::SubmitError::unavailable);
        if (stopped) return fail(rpc::SubmitError::stopped);
        auto checked = rpc::check_transaction(*m_ledger, signed_transaction);
        if (!checked) return checked;
        const auto decoded = codec::decode<ledger::SignedTransaction>(signed_transaction).value();
        const auto& sender = decoded.transaction.sender;
        auto admitted = m_pool.admit(sender, decoded.transaction.nonce, *checked, rpc::stored_nonce(*m_ledger, sender), m_timestamp_ms,
                                     [this](const crypto::Hash32& digest) { return m_receipts.count(digest) != 0; });
        if (!admitted) return fail(admitted.error());
        if (*admitted == rpc::PendingPool::Admitted::already_pending) return checked;
        m_pending.push_back(std::move(signed_transaction));
        ++m_submitted;
        return checked;
    }
    std::optional<ledger::Block> block(uint64_t height) override {
        std::lock_guard lock(m_mutex);
        const auto found = m_blocks.find(height);
        if (found == m_blocks.end()) return std::nullopt;
        return found->second;
    }
    std::optional<ledger::BlockCertificate> block_certificate(uint64_t height) override {
        std::lock_guard lock(m_mutex);
        const auto found = m_certificates.find(height);
        if (found == m_certificates.end()) return std::nullopt;
        return found->second;
    }
    std::optional<rpc::TransactionLocation> transaction(const crypto::Hash32& digest) override {
        std::lock_guard lock(m_mutex);
        const auto found = m_receipts.find(digest);
        if (found == m_receipts.end()) return std::nullopt;
        return found->second;
    }
    crypto::NodePublicKey node_key() override { return net.nodes.at(0).node_key.public_key(); }
    crypto::ConsensusPublicKey consensus_key() override { return net.nodes.at(0).consensus_key.public_key(); }
    std::string metrics_text() override {
        std::lock_guard lock(m_mutex);
        return "# TYPE test_backend_submitted_total counter\ntest_backend_submitted_total " + std::to_string(m_submitted) +
               "\n";
    }

    // Published after each block, like the node: reads never wait for commit().
    std::shared_ptr<const rpc::ChainSummary> chain_summary() override {
        std::lock_guard lock(m_summary_mutex);
        return m_summary;
    }
    rpc::Health health() override {
        std::lock_guard lock(m_mutex);
        return health_answer;
    }
    rpc::PendingNonce pending_nonce(const crypto::AccountAddress& address) override {
        std::lock_guard lock(m_mutex);
        const ledger::AccountSender sender{address.bytes()};
        return m_pool.pending_nonce(sender, rpc::stored_nonce(*m_ledger, sender), m_timestamp_ms,
                                    [this](const crypto::Hash32& digest) { return m_receipts.count(digest) != 0; });
    }

    // ---- test controls ----
    // Executes the submitted transactions (and `extra`, unchecked) as the next block; returns
    // the block's result. A block that fails to execute is a test bug (exception).
    ledger::BlockResult commit(std::vector<Bytes> extra = {}, uint64_t advance_ms = 1000) {
        std::lock_guard lock(m_mutex);
        std::vector<Bytes> transactions = std::move(m_pending);
        m_pending.clear();
        for (auto& bytes : extra) transactions.push_back(std::move(bytes));
        m_timestamp_ms += advance_ms;
        const uint64_t height = m_ledger->height() + 1;
        ledger::Block block = make_block(height, m_timestamp_ms, std::move(transactions));
        const ledger::Epoch epoch = m_ledger->epoch();
        const auto committee = m_ledger->committee_members(epoch);
        auto result = m_ledger->execute(block);
        if (!result) throw std::runtime_error("block did not execute");
        for (uint32_t i = 0; i < result->receipts.size(); ++i) {
            m_receipts[result->receipts[i].digest] = rpc::TransactionLocation{height, i, result->receipts[i]};
        }
        ledger::BlockCertificateBuilder builder(epoch, height, result->block_digest, result->state_root, committee);
        for (const auto& node : net.nodes) {
            (void)builder.add(node.consensus_key.public_key(), node.consensus_key.sign(builder.signing_digest()));
        }
        if (auto certificate = builder.certificate()) m_certificates[height] = *certificate;
        m_blocks[height] = std::move(block);
        publish_summary();
        return std::move(*result);
    }
    // Forgets the submitted transactions without executing them.
    void drop_pending() {
        std::lock_guard lock(m_mutex);
        for (const Bytes& bytes : m_pending) {
            if (auto decoded = codec::decode<ledger::SignedTransaction>(bytes)) m_pool.forget(decoded->transaction.digest());
        }
        m_pending.clear();
    }
    // The timestamp of the last block (genesis epoch start before the first).
    uint64_t timestamp_ms() {
        std::lock_guard lock(m_mutex);
        return m_timestamp_ms;
    }
    size_t pending() {
        std::lock_guard lock(m_mutex);
        return m_pending.size();
    }
    const ledger::Ledger& ledger_unlocked() const { return *m_ledger; }

    TestNetwork net;
    bool unavailable = false;  // submit_transaction answers SubmitError::unavailable
    bool stopped = false;      // submit_transaction answers SubmitError::stopped
    rpc::Health health_answer;  // what health() answers

private:
    void publish_summary() {  // with m_mutex held (or from the constructor)
        auto next = std::make_shared<const rpc::ChainSummary>(rpc::summarize(m_ledger->snapshot()));
        std::lock_guard lock(m_summary_mutex);
        m_summary = std::move(next);
    }

    std::filesystem::path m_dir;
    std::mutex m_mutex;
    std::unique_ptr<ledger::Ledger> m_ledger;
    std::mutex m_summary_mutex;
    std::shared_ptr<const rpc::ChainSummary> m_summary;
    uint64_t m_timestamp_ms = 0;
    uint64_t m_submitted = 0;
    std::vector<Bytes> m_pending;
    rpc::PendingPool m_pool;
    std::map<uint64_t, ledger::Block> m_blocks;
    std::map<uint64_t, ledger::BlockCertificate> m_certificates;
    std::map<crypto::Hash32, rpc::TransactionLocation> m_receipts;
};

}  // namespace fleek::testing
