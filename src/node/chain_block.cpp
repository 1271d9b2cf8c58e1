#include "node/chain_block.h"

#include "crypto/hash.h"

namespace fleek::node {

namespace {

template <class T>
Result<T, codec::DecodeError> read_array(codec::Reader& r) {
    return r.array<std::tuple_size_v<T>>();
}

}  // namespace

void ChainBlock::encode(codec::Writer& w) const {
    block.encode(w);
    w.u64(sub_dag_index);
    w.u32(part);
    w.u32(parts);
    w.fixed(parent);
}

Result<ChainBlock, codec::DecodeError> ChainBlock::decode(codec::Reader& r) {
    ChainBlock out;
    auto block = ledger::Block::decode(r);
    if (!block) return fail(block.error());
    if (!block->epoch) return fail(codec::DecodeError::invalid_value);  // a chain block names its epoch
    out.block = std::move(*block);
    auto index = r.u64();
    if (!index) return fail(index.error());
    out.sub_dag_index = *index;
    auto part = r.u32();
    if (!part) return fail(part.error());
    auto parts = r.u32();
    if (!parts) return fail(parts.error());
    if (*parts == 0 || *part >= *parts) return fail(codec::DecodeError::invalid_value);
    out.part = *part;
    out.parts = *parts;
    auto parent = read_array<Hash32>(r);
    if (!parent) return fail(parent.error());
    out.parent = *parent;
    return out;
}

Hash32 ChainBlock::digest() const { return crypto::object_digest("chain-block", codec::encode(*this)); }

void BlockSignature::encode(codec::Writer& w) const {
    w.u64(epoch);
    w.u64(height);
    w.fixed(block_digest);
    w.fixed(state_root);
    w.fixed(signer);
    w.fixed(signature);
}

Result<BlockSignature, codec::DecodeError> BlockSignature::decode(codec::Reader& r) {
    BlockSignature out;
    auto epoch = r.u64();
    if (!epoch) return fail(epoch.error());
    out.epoch = *epoch;
    auto height = r.u64();
    if (!height) return fail(height.error());
    out.height = *height;
    auto digest = r.array<32>();
    if (!digest) return fail(digest.error());
    out.block_digest = *digest;
    auto root = r.array<32>();
    if (!root) return fail(root.error());
    out.state_root = *root;
    auto signer = r.array<crypto::bls::public_key_size>();
    if (!signer) return fail(signer.error());
    out.signer = *signer;
    auto signature = r.array<crypto::bls::signature_size>();
    if (!signature) return fail(signature.error());
    out.signature = *signature;
    return out;
}

BlockSignature sign_block(const crypto::ConsensusSecretKey& key, ledger::Epoch epoch, uint64_t height,
                          const Hash32& block_digest, const Hash32& state_root) {
    BlockSignature out{epoch, height, block_digest, state_root, key.public_key().bytes(), {}};
    out.signature = key.sign(ledger::block_statement(epoch, height, block_digest, state_root).signing_digest()).bytes();
    return out;
}

void CertifiedBlock::encode(codec::Writer& w) const {
    block.encode(w);
    certificate.encode(w);
}

Result<CertifiedBlock, codec::DecodeError> CertifiedBlock::decode(codec::Reader& r) {
    auto block = ChainBlock::decode(r);
    if (!block) return fail(block.error());
    auto certificate = ledger::BlockCertificate::decode(r);
    if (!certificate) return fail(certificate.error());
    return CertifiedBlock{std::move(*block), std::move(*certificate)};
}

void SyncRequest::encode(codec::Writer& w) const {
    w.u64(from_height);
    w.u32(max_blocks);
}

Result<SyncRequest, codec::DecodeError> SyncRequest::decode(codec::Reader& r) {
    auto from = r.u64();
    if (!from) return fail(from.error());
    auto max = r.u32();
    if (!max) return fail(max.error());
    if (*from == 0 || *max == 0 || *max > blocks_max) return fail(codec::DecodeError::invalid_value);
    return SyncRequest{*from, *max};
}

void SyncResponse::encode(codec::Writer& w) const {
    w.u64(peer_height);
    w.sequence(std::span<const CertifiedBlock>(blocks), SyncRequest::blocks_max,
               [](codec::Writer& out, const CertifiedBlock& block) { block.encode(out); });
}

Result<SyncResponse, codec::DecodeError> SyncResponse::decode(codec::Reader& r) {
    SyncResponse out;
    auto height = r.u64();
    if (!height) return fail(height.error());
    out.peer_height = *height;
    auto count = r.count(SyncRequest::blocks_max, 1);
    if (!count) return fail(count.error());
    for (uint32_t i = 0; i < *count; ++i) {
        auto block = CertifiedBlock::decode(r);
        if (!block) return fail(block.error());
        // Consecutive heights, each within the batch's claimed top.
        if (!out.blocks.empty() && block->block.block.height != out.blocks.back().block.block.height + 1) {
            return fail(codec::DecodeError::invalid_value);
        }
        out.blocks.push_back(std::move(*block));
    }
    return out;
}

std::vector<std::vector<Bytes>> split_into_blocks(std::vector<Bytes> transactions) {
    std::vector<std::vector<Bytes>> out;
    size_t bytes = 0;
    for (Bytes& transaction : transactions) {
        if (out.empty() || out.back().size() >= ledger::block_transactions_max ||
            (!out.back().empty() && bytes + transaction.size() > chain_block_bytes_max)) {
            out.emplace_back();
            bytes = 0;
        }
        bytes += transaction.size();
        out.back().push_back(std::move(transaction));
    }
    return out;
}

}  // namespace fleek::node
