// C ABI of the verified-stream verifier for WebAssembly (clients/js/verifier.js loads it).
//
// The project's own StreamVerifier (src/content/stream.h) compiled to wasm32-wasi, so a browser
// checks every block against the content hash with the same code as the node and flk. The
// caller writes into buffers owned by the module and reads results back from its memory:
//
//   fv_create(has_range, first_block, end_block) -> handle (0: too many verifiers)
//   fv_root(handle) -> 32-byte area; write the expected root hash there before the first feed
//   fv_input(handle) -> area of fv_input_capacity() bytes; write a piece of the stream there
//   fv_feed(handle, length) -> 0, or 1 + StreamError of the first failure (for good)
//   fv_output(handle), fv_output_size(handle): the verified bytes the last feed released,
//     blocks fv_output_first_block(handle) .. + fv_output_blocks(handle), in stream order
//   fv_finish(handle) -> 0 when the whole range arrived and nothing followed, else 1 + StreamError
//   fv_failed_block(handle), fv_verify_error(handle) (0, or 1 + VerifyError): why it failed
//   fv_content_length(handle), fv_first_block(handle), fv_end_block(handle): from the header,
//     valid once it was read (fv_header_read)
//   fv_destroy(handle)
//
// And BLAKE3 derive_key for the handshake transcripts and receipts (the same C code):
//   fb_scratch() -> area of fb_scratch_capacity() bytes: context then key material
//   fb_derive_key(context_length, material_length) -> 0 (digest in fb_digest()), 1 when too long
//
// Memory is bounded: at most max_verifiers at once, each with a fixed input and output area.
// One feed releases at most the block buffered so far plus what the feed carried, so the output
// area of block_size + input capacity bytes always suffices. No exceptions cross this ABI (the
// module is built with -fno-exceptions; an allocation failure traps).
#include "content/stream.h"
#include "util/assert.h"

#include <blake3.h>

#include <cstring>
#include <new>

namespace {

using fleek::ByteSpan;
using fleek::content::StreamFailure;
using fleek::content::StreamVerifier;

// One data frame of the handshake protocol (docs/formats/handshake.md: node_frame_max_bytes).
constexpr size_t input_capacity = 266240;
constexpr size_t output_capacity = fleek::content::block_size + input_capacity;
constexpr int max_verifiers = 16;
int live_verifiers = 0;

struct Verifier {
    uint8_t root[32] = {};
    bool has_range = false;
    uint64_t first_block = 0;
    uint64_t end_block = 0;
    StreamVerifier* stream = nullptr;  // made at the first feed, once the root is written
    StreamFailure failure{};
    bool failed = false;
    uint8_t input[input_capacity];
    uint8_t output[output_capacity];
    size_t output_size = 0;
    uint64_t output_first_block = 0;
    uint64_t output_blocks = 0;
};

// Transcripts are at most a few hundred bytes, receipts 76; client frames are at most 1,024.
constexpr size_t scratch_capacity = 2048;
uint8_t scratch[scratch_capacity];
uint8_t digest[32];

int code_of(const StreamFailure& failure) { return 1 + static_cast<int>(failure.error); }

void start(Verifier* v) {
    fleek::crypto::Hash32 root{};
    std::memcpy(root.data(), v->root, 32);
    v->stream = v->has_range ? new StreamVerifier(root, v->first_block, v->end_block) : new StreamVerifier(root);
}

}  // namespace

// The module has no stderr: a broken invariant traps (a WebAssembly.RuntimeError in JavaScript).
namespace fleek::detail {
void assert_fail(const char*, const char*, const char*, int, const char*) noexcept { __builtin_trap(); }
}  // namespace fleek::detail

extern "C" {

__attribute__((export_name("fb_scratch_capacity"))) uint32_t fb_scratch_capacity() { return scratch_capacity; }
__attribute__((export_name("fb_scratch"))) uint8_t* fb_scratch() { return scratch; }
__attribute__((export_name("fb_digest"))) const uint8_t* fb_digest() { return digest; }

__attribute__((export_name("fb_derive_key"))) uint32_t fb_derive_key(uint32_t context_length, uint32_t material_length) {
    if (context_length > scratch_capacity || material_length > scratch_capacity - context_length) return 1;
    blake3_hasher hasher;
    blake3_hasher_init_derive_key_raw(&hasher, scratch, context_length);
    blake3_hasher_update(&hasher, scratch + context_length, material_length);
    blake3_hasher_finalize(&hasher, digest, sizeof digest);
    return 0;
}

__attribute__((export_name("fv_input_capacity"))) uint32_t fv_input_capacity() { return input_capacity; }

__attribute__((export_name("fv_create"))) Verifier* fv_create(uint32_t has_range, uint64_t first_block, uint64_t end_block) {
    if (live_verifiers >= max_verifiers) return nullptr;
    auto* v = new (std::nothrow) Verifier;
    if (v == nullptr) return nullptr;
    ++live_verifiers;
    v->has_range = has_range != 0;
    v->first_block = first_block;
    v->end_block = end_block;
    return v;
}

__attribute__((export_name("fv_destroy"))) void fv_destroy(Verifier* v) {
    if (v == nullptr) return;
    delete v->stream;
    delete v;
    --live_verifiers;
}

__attribute__((export_name("fv_root"))) uint8_t* fv_root(Verifier* v) { return v->root; }
__attribute__((export_name("fv_input"))) uint8_t* fv_input(Verifier* v) { return v->input; }

__attribute__((export_name("fv_feed"))) uint32_t fv_feed(Verifier* v, uint32_t length) {
    v->output_size = 0;
    v->output_blocks = 0;
    if (v->failed) return code_of(v->failure);
    if (length > input_capacity) {
        // A caller bug, not a stream failure: refuse without touching the stream.
        return 0xff;
    }
    if (v->stream == nullptr) start(v);
    const auto sink = [v](uint64_t block, ByteSpan bytes) {
        if (v->output_size + bytes.size() > output_capacity) return false;
        if (v->output_blocks == 0) v->output_first_block = block;
        if (!bytes.empty()) std::memcpy(v->output + v->output_size, bytes.data(), bytes.size());
        v->output_size += bytes.size();
        ++v->output_blocks;
        return true;
    };
    auto ok = v->stream->feed(ByteSpan(v->input, length), sink);
    if (!ok) {
        v->failure = ok.error();
        v->failed = true;
        // Nothing of a failed feed is released, not even blocks that verified before the failure
        // in the same piece: the caller drops the stream.
        v->output_size = 0;
        v->output_blocks = 0;
        return code_of(v->failure);
    }
    return 0;
}

__attribute__((export_name("fv_finish"))) uint32_t fv_finish(Verifier* v) {
    if (v->failed) return code_of(v->failure);
    if (v->stream == nullptr) start(v);
    auto ok = v->stream->finish();
    if (!ok) return code_of(ok.error());
    return 0;
}

__attribute__((export_name("fv_output"))) const uint8_t* fv_output(Verifier* v) { return v->output; }
__attribute__((export_name("fv_output_size"))) uint32_t fv_output_size(Verifier* v) { return static_cast<uint32_t>(v->output_size); }
__attribute__((export_name("fv_output_first_block"))) uint64_t fv_output_first_block(Verifier* v) { return v->output_first_block; }
__attribute__((export_name("fv_output_blocks"))) uint64_t fv_output_blocks(Verifier* v) { return v->output_blocks; }
__attribute__((export_name("fv_failed_block"))) uint64_t fv_failed_block(Verifier* v) { return v->failed ? v->failure.block : 0; }
__attribute__((export_name("fv_verify_error"))) uint32_t fv_verify_error(Verifier* v) {
    return v->failed && v->failure.verify_error ? 1 + static_cast<uint32_t>(*v->failure.verify_error) : 0;
}
__attribute__((export_name("fv_header_read"))) uint32_t fv_header_read(Verifier* v) {
    return v->stream != nullptr && v->stream->header().has_value() ? 1 : 0;
}
__attribute__((export_name("fv_content_length"))) uint64_t fv_content_length(Verifier* v) {
    return fv_header_read(v) ? v->stream->header()->content_length : 0;
}
__attribute__((export_name("fv_first_block"))) uint64_t fv_first_block(Verifier* v) {
    return fv_header_read(v) ? v->stream->header()->first_block : 0;
}
__attribute__((export_name("fv_end_block"))) uint64_t fv_end_block(Verifier* v) {
    return fv_header_read(v) ? v->stream->header()->end_block : 0;
}

}  // extern "C"
