#include "node/health.h"

#include <fmt/format.h>

#include <algorithm>

namespace fleek::node {

rpc::Health evaluate_health(const HealthInputs& in, const HealthLimits& limits) {
    if (!in.running) {
        return {false, in.failure.empty() ? std::string("runtime stopped") : fmt::format("runtime stopped: {}", in.failure)};
    }
    const bool behind = in.verified_height > in.height;
    if (behind && in.verified_height - in.height > limits.behind_blocks_max) {
        return {false, fmt::format("far behind peers: at height {}, a certified block at height {} ({} behind, more than {})",
                                   in.height, in.verified_height, in.verified_height - in.height, limits.behind_blocks_max)};
    }
    const uint64_t quiet_ms = in.now_ms - std::min(in.now_ms, in.last_progress_ms);
    if (quiet_ms >= limits.stall_ms && (in.pending_transactions > 0 || behind)) {
        const std::string waiting = in.pending_transactions > 0
                                        ? fmt::format("{} transactions wait to execute", in.pending_transactions)
                                        : fmt::format("peers certified height {}", in.verified_height);
        return {false, fmt::format("stalled: no new block for {} s (height {}) while {}", quiet_ms / 1000, in.height, waiting)};
    }
    return {true, {}};
}

}  // namespace fleek::node
