// The chain a node keeps: consensus output turned into ledger blocks, linked by digest and
// certified by the committee (docs/formats/chain.md). Also the messages nodes exchange about it:
// block signatures, certified blocks and block sync requests.
#pragma once

#include "ledger/block.h"
#include "ledger/block_certificate.h"

#include <optional>
#include <vector>

namespace fleek::node {

using crypto::Hash32;

// One ledger block and where it came from. A committed sub-DAG becomes one block, or several
// when it holds more transactions or bytes than a block may (`part` of `parts`); an empty sub-DAG
// becomes none. Every committee member builds the same ChainBlock from the same output.
struct ChainBlock {
    ledger::Block block;          // block.epoch is always set: the consensus epoch
    uint64_t sub_dag_index = 0;   // the consensus output index within block.epoch
    uint32_t part = 0;
    uint32_t parts = 1;
    Hash32 parent{};              // digest() of the block at height - 1; zero for height 1

    void encode(codec::Writer& w) const;
    static Result<ChainBlock, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const ChainBlock&, const ChainBlock&) = default;

    // object_digest("chain-block", encoding): what the block certificate's block_digest names.
    Hash32 digest() const;
};

// A committee member's signature on ledger::block_statement(epoch, height, digest, state_root).
struct BlockSignature {
    ledger::Epoch epoch = 0;
    uint64_t height = 0;
    Hash32 block_digest{};
    Hash32 state_root{};
    ByteArray<crypto::bls::public_key_size> signer{};
    ByteArray<crypto::bls::signature_size> signature{};

    void encode(codec::Writer& w) const;
    static Result<BlockSignature, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const BlockSignature&, const BlockSignature&) = default;
};

BlockSignature sign_block(const crypto::ConsensusSecretKey& key, ledger::Epoch epoch, uint64_t height,
                          const Hash32& block_digest, const Hash32& state_root);

struct CertifiedBlock {
    ChainBlock block;
    ledger::BlockCertificate certificate;

    void encode(codec::Writer& w) const;
    static Result<CertifiedBlock, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const CertifiedBlock&, const CertifiedBlock&) = default;
};

// Block sync (request/response channel): "send me certified blocks from `from_height`".
struct SyncRequest {
    static constexpr uint32_t blocks_max = 64;
    uint64_t from_height = 1;
    uint32_t max_blocks = blocks_max;

    void encode(codec::Writer& w) const;
    static Result<SyncRequest, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const SyncRequest&, const SyncRequest&) = default;
};

struct SyncResponse {
    uint64_t peer_height = 0;  // the responder's height, so the requester knows whether to ask again
    std::vector<CertifiedBlock> blocks;

    void encode(codec::Writer& w) const;
    static Result<SyncResponse, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const SyncResponse&, const SyncResponse&) = default;
};

// Transaction bytes per chain block: below the ledger's 32 MiB, so a certified block fits in one
// gossip message and one transport frame (a single bigger transaction gets a block of its own).
inline constexpr size_t chain_block_bytes_max = size_t{8} << 20;
static_assert(chain_block_bytes_max <= ledger::block_size_max);

// Splits a committed sub-DAG's transactions into the blocks' transaction lists, in order, each
// within ledger::block_transactions_max and chain_block_bytes_max. Empty input: no list.
std::vector<std::vector<Bytes>> split_into_blocks(std::vector<Bytes> transactions);

}  // namespace fleek::node
