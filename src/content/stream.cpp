#include "content/stream.h"

#include <fmt/format.h>

#include <cstring>

namespace fleek::content {

namespace {
constexpr uint8_t stream_magic[4] = {'F', 'L', 'K', 'V'};
constexpr uint8_t stream_version = 1;

void put_u64(uint8_t* out, uint64_t value) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}
uint64_t get_u64(const uint8_t* in) {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
    return value;
}
}  // namespace

std::string_view to_string(StreamError error) noexcept {
    switch (error) {
        case StreamError::bad_magic: return "not a verified stream";
        case StreamError::bad_version: return "unknown verified stream version";
        case StreamError::wrong_root: return "the stream is for other content";
        case StreamError::wrong_range: return "the stream holds other blocks than requested";
        case StreamError::proof_too_long: return "proof too long";
        case StreamError::proof_rejected: return "proof rejected";
        case StreamError::block_rejected: return "block rejected";
        case StreamError::trailing_bytes: return "bytes after the last block";
        case StreamError::truncated: return "stream ended early";
        case StreamError::sink_failed: return "could not store a verified block";
    }
    return "stream error";
}

std::string StreamFailure::describe() const {
    std::string text = fmt::format("{} at block {}", to_string(error), block);
    if (verify_error) text += fmt::format(": {}", to_string(*verify_error));
    return text;
}

ByteArray<stream_header_size> encode_stream_header(const StreamHeader& header) {
    ByteArray<stream_header_size> out{};
    std::memcpy(out.data(), stream_magic, 4);
    out[4] = stream_version;
    std::memcpy(out.data() + 5, header.root.data(), 32);
    put_u64(out.data() + 37, header.content_length);
    put_u64(out.data() + 45, header.first_block);
    put_u64(out.data() + 53, header.end_block);
    return out;
}

Bytes encode_proof(const Proof& proof) {
    Bytes out;
    out.reserve(1 + proof.size() * 32);
    out.push_back(static_cast<uint8_t>(proof.size()));
    for (const Hash32& hash : proof) out.insert(out.end(), hash.begin(), hash.end());
    return out;
}

Bytes encode_stream(const HashTree& tree, ByteSpan content, uint64_t first_block, uint64_t end_block) {
    const auto header = encode_stream_header({tree.root(), tree.content_length(), first_block, end_block});
    Bytes out(header.begin(), header.end());
    ProofWalker walker(tree, first_block);
    for (uint64_t k = first_block; k < end_block; ++k) {
        const Bytes proof = encode_proof(walker.next_proof());
        out.insert(out.end(), proof.begin(), proof.end());
        const ByteSpan block = block_of(content, k);
        out.insert(out.end(), block.begin(), block.end());
    }
    return out;
}

StreamVerifier::StreamVerifier(const Hash32& expected_root, std::optional<uint64_t> first_block,
                               std::optional<uint64_t> end_block)
    : m_expected_root(expected_root), m_expected_first(first_block), m_expected_end(end_block) {
    m_buffer.reserve(block_size);
}

Result<void, StreamFailure> StreamVerifier::fail_with(StreamError error, std::optional<VerifyError> cause) {
    const uint64_t block = m_verifier ? m_verifier->next_block() : 0;
    m_failure = StreamFailure{error, block, cause};
    m_state = State::failed;
    return fail(*m_failure);
}

void StreamVerifier::begin_block() {
    if (m_verifier->next_block() >= m_header->end_block) {
        m_state = State::done;
        m_need = 0;
        return;
    }
    m_state = State::proof_count;
    m_need = 1;
}

Result<void, StreamFailure> StreamVerifier::on_header() {
    const uint8_t* in = m_buffer.data();
    if (std::memcmp(in, stream_magic, 4) != 0) return fail_with(StreamError::bad_magic);
    if (in[4] != stream_version) return fail_with(StreamError::bad_version);
    StreamHeader header;
    std::memcpy(header.root.data(), in + 5, 32);
    header.content_length = get_u64(in + 37);
    header.first_block = get_u64(in + 45);
    header.end_block = get_u64(in + 53);
    if (header.root != m_expected_root) return fail_with(StreamError::wrong_root);
    if (header.content_length > (uint64_t{1} << 60)) return fail_with(StreamError::wrong_range);
    const uint64_t blocks = block_count(header.content_length);
    if (header.first_block > header.end_block || header.end_block > blocks ||
        (m_expected_first && *m_expected_first != header.first_block) ||
        (m_expected_end && *m_expected_end != header.end_block)) {
        return fail_with(StreamError::wrong_range);
    }
    m_header = header;
    m_verifier.emplace(header.root, header.content_length, header.first_block);
    begin_block();
    return {};
}

Result<void, StreamFailure> StreamVerifier::feed(ByteSpan data, const Sink& sink) {
    if (m_state == State::failed) return fail(*m_failure);
    while (!data.empty()) {
        if (m_state == State::done) return fail_with(StreamError::trailing_bytes);
        // Blocks are consumed straight from the input when they arrive whole, without a copy.
        if (m_state == State::block && m_buffer.empty() && data.size() >= m_need) {
            const ByteSpan block = data.first(m_need);
            if (auto ok = m_verifier->accept_block(block); !ok) return fail_with(StreamError::block_rejected, ok.error());
            if (!sink(m_verifier->next_block() - 1, block)) return fail_with(StreamError::sink_failed);
            data = data.subspan(m_need);
            begin_block();
            continue;
        }
        const size_t take = std::min(m_need - m_buffer.size(), data.size());
        m_buffer.insert(m_buffer.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
        data = data.subspan(take);
        if (m_buffer.size() < m_need) break;

        switch (m_state) {
            case State::header:
                if (auto ok = on_header(); !ok) return ok;
                break;
            case State::proof_count:
                m_proof_count = m_buffer[0];
                if (m_proof_count > proof_hashes_max) {
                    m_buffer.clear();
                    return fail_with(StreamError::proof_too_long);
                }
                if (m_proof_count != m_verifier->expected_proof_size()) {
                    m_buffer.clear();
                    return fail_with(StreamError::proof_rejected, VerifyError::proof_wrong_size);
                }
                m_state = State::proof_hashes;
                m_need = m_proof_count * 32;
                if (m_need == 0) {
                    m_buffer.clear();
                    if (auto ok = m_verifier->accept_proof({}); !ok) return fail_with(StreamError::proof_rejected, ok.error());
                    m_state = State::block;
                    m_need = block_length(m_header->content_length, m_verifier->next_block());
                    if (m_need == 0) {
                        // Empty content: the one block has no bytes.
                        if (auto ok = m_verifier->accept_block({}); !ok) return fail_with(StreamError::block_rejected, ok.error());
                        if (!sink(0, {})) return fail_with(StreamError::sink_failed);
                        begin_block();
                    }
                    continue;
                }
                break;
            case State::proof_hashes: {
                Proof proof(m_proof_count);
                for (size_t i = 0; i < m_proof_count; ++i) std::memcpy(proof[i].data(), m_buffer.data() + 32 * i, 32);
                if (auto ok = m_verifier->accept_proof(proof); !ok) {
                    m_buffer.clear();
                    return fail_with(StreamError::proof_rejected, ok.error());
                }
                m_state = State::block;
                m_need = block_length(m_header->content_length, m_verifier->next_block());
                m_buffer.clear();
                continue;
            }
            case State::block: {
                if (auto ok = m_verifier->accept_block(m_buffer); !ok) {
                    m_buffer.clear();
                    return fail_with(StreamError::block_rejected, ok.error());
                }
                if (!sink(m_verifier->next_block() - 1, m_buffer)) return fail_with(StreamError::sink_failed);
                begin_block();
                break;
            }
            case State::done:
            case State::failed: break;
        }
        m_buffer.clear();
    }
    return {};
}

Result<void, StreamFailure> StreamVerifier::finish() const {
    if (m_state == State::failed) return fail(*m_failure);
    if (m_state != State::done) {
        return fail(StreamFailure{StreamError::truncated, m_verifier ? m_verifier->next_block() : 0, std::nullopt});
    }
    return {};
}

}  // namespace fleek::content
