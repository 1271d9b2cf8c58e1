// Whether a node does its job (GET /health, flk_health), decided from the runtime's state by a
// pure function (docs/rpc.md §HTTP, src/node/README.md §Runtime):
//
//   - the runtime is not running (it failed, e.g. on a storage error, or is stopping);
//   - far behind: a verified certificate shows a height more than behind_blocks_max above ours;
//   - stalled: no new block for stall_ms while transactions wait on this node or a verified
//     certificate shows the network ahead of us.
//
// A quiet network (nothing to execute, nobody ahead) is healthy however long it stays quiet.
#pragma once

#include "rpc/backend.h"

#include <cstdint>
#include <string>

namespace fleek::node {

struct HealthLimits {
    uint64_t stall_ms = 60'000;
    uint64_t behind_blocks_max = 64;
};

struct HealthInputs {
    bool running = true;
    std::string failure;           // why the runtime stopped, when it did
    uint64_t now_ms = 0;
    uint64_t last_progress_ms = 0;  // when the height last changed (or the runtime started)
    uint64_t height = 0;
    uint64_t verified_height = 0;   // the highest height a verified certificate from a peer named
    uint64_t pending_transactions = 0;  // taken by this node (clients, its own) and not executed yet
};

rpc::Health evaluate_health(const HealthInputs& inputs, const HealthLimits& limits);

}  // namespace fleek::node
