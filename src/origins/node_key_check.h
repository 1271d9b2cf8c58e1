// How origins asks whether a node key may publish signed records: the node injects a lookup in
// the ledger's node registry (origins does not depend on the ledger).
#pragma once

#include "crypto/keys.h"

#include <functional>

namespace fleek::origins {

// True when `key` is the node key of a registered node.
using NodeKeyCheck = std::function<bool(const crypto::NodePublicKey& key)>;

}  // namespace fleek::origins
