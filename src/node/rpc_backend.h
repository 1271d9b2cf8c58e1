// The JSON-RPC server's view of a running node (rpc::Backend over the Runtime).
#pragma once

#include "node/runtime.h"
#include "rpc/backend.h"

namespace fleek::node {

class RuntimeBackend final : public rpc::Backend {
public:
    RuntimeBackend(Runtime& runtime, crypto::NodePublicKey node_key, crypto::ConsensusPublicKey consensus_key)
        : m_runtime(runtime), m_node_key(node_key), m_consensus_key(consensus_key) {}

    Result<crypto::Hash32, rpc::SubmitError> submit_transaction(Bytes signed_transaction) override;
    std::optional<ledger::Block> block(uint64_t height) override;
    std::optional<ledger::BlockCertificate> block_certificate(uint64_t height) override;
    std::optional<rpc::TransactionLocation> transaction(const crypto::Hash32& digest) override;
    crypto::NodePublicKey node_key() override { return m_node_key; }
    crypto::ConsensusPublicKey consensus_key() override { return m_consensus_key; }
    std::string metrics_text() override { return m_runtime.metrics_text() + (m_more_metrics ? m_more_metrics() : std::string()); }
    // Metrics of other components after the runtime's (the content network's).
    void add_metrics(std::function<std::string()> more) { m_more_metrics = std::move(more); }
    std::shared_ptr<const rpc::ChainSummary> chain_summary() override { return m_runtime.summary(); }
    rpc::Health health() override { return m_runtime.health(); }
    rpc::PendingNonce pending_nonce(const crypto::AccountAddress& address) override;

private:
    std::function<std::string()> m_more_metrics;
    Runtime& m_runtime;
    crypto::NodePublicKey m_node_key;
    crypto::ConsensusPublicKey m_consensus_key;
};

}  // namespace fleek::node
