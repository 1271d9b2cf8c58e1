// hash_tree: the tree of content in memory, its blocks hashed on several threads. Apart from
// tree.cpp so that the single-threaded builds of the verifier (clients/js/wasm) leave it out.
#include "content/tree.h"

#include <algorithm>
#include <thread>

namespace fleek::content {

HashTree hash_tree(ByteSpan content, unsigned threads) {
    const uint64_t n = block_count(content.size());
    if (n == 1) return HashTree(content.size(), {block_hash(content, 0, true)});
    std::vector<Hash32> leaves(n);
    const auto hash_range = [&](uint64_t first, uint64_t end) {
        for (uint64_t k = first; k < end; ++k) {
            leaves[k] = block_hash(block_of(content, k), k, false);
        }
    };
    if (threads <= 1 || n < 8) {
        hash_range(0, n);
    } else {
        std::vector<std::thread> workers;
        const uint64_t per_thread = (n + threads - 1) / threads;
        for (unsigned t = 1; t < threads; ++t) {
            const uint64_t first = std::min<uint64_t>(n, t * per_thread);
            const uint64_t end = std::min<uint64_t>(n, first + per_thread);
            if (first < end) workers.emplace_back(hash_range, first, end);
        }
        hash_range(0, std::min<uint64_t>(n, per_thread));
        for (auto& worker : workers) worker.join();
    }
    return tree_from_leaves(content.size(), leaves);
}

}  // namespace fleek::content
