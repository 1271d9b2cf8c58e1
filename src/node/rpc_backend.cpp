#include "node/rpc_backend.h"

namespace fleek::node {

Result<crypto::Hash32, rpc::SubmitError> RuntimeBackend::submit_transaction(Bytes signed_transaction) {
    return m_runtime.submit_transaction(std::move(signed_transaction));
}

std::optional<ledger::Block> RuntimeBackend::block(uint64_t height) {
    std::optional<ledger::Block> out;
    m_runtime.read_store([&](const Chain& chain) {
        if (auto block = chain.block(height)) out = std::move(block->block);
    });
    return out;
}

std::optional<ledger::BlockCertificate> RuntimeBackend::block_certificate(uint64_t height) {
    std::optional<ledger::BlockCertificate> out;
    m_runtime.read_store([&](const Chain& chain) { out = chain.certificate(height); });
    return out;
}

std::optional<rpc::TransactionLocation> RuntimeBackend::transaction(const crypto::Hash32& digest) {
    std::optional<rpc::TransactionLocation> out;
    m_runtime.read_store([&](const Chain& chain) {
        if (auto location = chain.transaction(digest)) out = rpc::TransactionLocation{location->height, location->index, location->receipt};
    });
    return out;
}

rpc::PendingNonce RuntimeBackend::pending_nonce(const crypto::AccountAddress& address) {
    return m_runtime.pending_nonce(ledger::AccountSender{address.bytes()});
}

}  // namespace fleek::node
