// Test-only C ABI: the verified stream of content, made by the project's own encoder
// (TreeBuilder, ProofWalker, encode_stream in src/content), so the JavaScript tests feed the
// verifier streams written by the node's code. Not part of verifier.wasm; build-wasm makes it
// only when asked (clients/js/test builds it into a temporary directory).
//
//   fe_input(size) -> area of `size` bytes for the content (replaces the previous one)
//   fe_encode(first_block, end_block) -> size of the stream (0 when the range is impossible)
//   fe_output() -> the stream; fe_root() -> the 32-byte content hash
#include "content/stream.h"

#include <cstring>

namespace {
fleek::Bytes content;
fleek::Bytes stream;
fleek::crypto::Hash32 root{};
}  // namespace

namespace fleek::detail {
void assert_fail(const char*, const char*, const char*, int, const char*) noexcept { __builtin_trap(); }
}  // namespace fleek::detail

extern "C" {

__attribute__((export_name("fe_input"))) uint8_t* fe_input(uint32_t size) {
    content.assign(size, 0);
    return content.data();
}

__attribute__((export_name("fe_encode"))) uint32_t fe_encode(uint64_t first_block, uint64_t end_block) {
    fleek::content::TreeBuilder builder;
    builder.update(content);
    const fleek::content::HashTree tree = builder.finalize();
    root = tree.root();
    if (first_block > end_block || end_block > tree.blocks()) return 0;
    stream = fleek::content::encode_stream(tree, content, first_block, end_block);
    return static_cast<uint32_t>(stream.size());
}

__attribute__((export_name("fe_output"))) const uint8_t* fe_output() { return stream.data(); }
__attribute__((export_name("fe_root"))) const uint8_t* fe_root() { return root.data(); }

}  // extern "C"
