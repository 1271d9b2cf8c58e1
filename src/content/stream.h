// The verified stream: how a node sends content so the client checks every block before using
// it (docs/formats/verified-stream.md).
//
//   header   "FLKV" | version u8 = 1 | root 32 B | content length u64 LE
//            | first block u64 LE | end block u64 LE (exclusive)
//   then for each block k in [first, end):
//            proof hash count u8 | count x 32-byte hashes | the block's bytes (its length
//            follows from the content length, so it carries no prefix)
//
// The stream ends exactly after the last block; anything after it is an error.
#pragma once

#include "content/proof.h"

#include <functional>
#include <optional>

namespace fleek::content {

inline constexpr size_t stream_header_size = 4 + 1 + 32 + 8 + 8 + 8;
inline constexpr size_t proof_hashes_max = 64;

struct StreamHeader {
    Hash32 root{};
    uint64_t content_length = 0;
    uint64_t first_block = 0;
    uint64_t end_block = 0;
    friend bool operator==(const StreamHeader&, const StreamHeader&) = default;
};

ByteArray<stream_header_size> encode_stream_header(const StreamHeader& header);
// The bytes that precede a block: count and hashes.
Bytes encode_proof(const Proof& proof);

// The whole stream of blocks [first, end) of content held in memory (tests, small content).
Bytes encode_stream(const HashTree& tree, ByteSpan content, uint64_t first_block, uint64_t end_block);

enum class StreamError : uint8_t {
    bad_magic,
    bad_version,
    wrong_root,       // the header names other content than the one asked for
    wrong_range,      // blocks other than the ones asked for, or an impossible range
    proof_too_long,   // a hash count over proof_hashes_max
    proof_rejected,   // see verify_error
    block_rejected,   // see verify_error
    trailing_bytes,
    truncated,        // finish() before the last block
    sink_failed,      // the consumer of verified blocks refused one
};
std::string_view to_string(StreamError error) noexcept;

struct StreamFailure {
    StreamError error;
    uint64_t block = 0;                    // the block being read when it failed
    std::optional<VerifyError> verify_error;
    std::string describe() const;
};

// Push parser and verifier of a verified stream. Feed it bytes as they arrive; it hands each
// block to `sink` only after the block verified. After a failure every call fails the same way.
class StreamVerifier {
public:
    // Receives (block index, verified bytes); returns false to stop (sink_failed).
    using Sink = std::function<bool(uint64_t, ByteSpan)>;

    // `first_block`/`end_block` when given must match the header (the range that was asked for).
    StreamVerifier(const Hash32& expected_root, std::optional<uint64_t> first_block = std::nullopt,
                   std::optional<uint64_t> end_block = std::nullopt);

    Result<void, StreamFailure> feed(ByteSpan data, const Sink& sink);
    // Succeeds when every block of the range arrived and nothing followed.
    Result<void, StreamFailure> finish() const;

    const std::optional<StreamHeader>& header() const noexcept { return m_header; }
    // Set after the first proof: subtrees of blocks before the first block (for resume checks).
    const BlockVerifier* verifier() const noexcept { return m_verifier ? &*m_verifier : nullptr; }

private:
    enum class State : uint8_t { header, proof_count, proof_hashes, block, done, failed };
    Result<void, StreamFailure> fail_with(StreamError error, std::optional<VerifyError> cause = std::nullopt);
    Result<void, StreamFailure> on_header();
    void begin_block();

    Hash32 m_expected_root;
    std::optional<uint64_t> m_expected_first;
    std::optional<uint64_t> m_expected_end;
    State m_state = State::header;
    std::optional<StreamFailure> m_failure;
    std::optional<StreamHeader> m_header;
    std::optional<BlockVerifier> m_verifier;
    Bytes m_buffer;      // bytes of the current field
    size_t m_need = stream_header_size;
    size_t m_proof_count = 0;
};

}  // namespace fleek::content
