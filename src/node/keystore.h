// The node's two secret keys: the Ed25519 node key (identity, transport, node transactions) and
// the BLS12-381 consensus key (votes and certificates). Files as in crypto/key_file.h.
#pragma once

#include "crypto/key_file.h"
#include "crypto/keys.h"

#include <filesystem>

namespace fleek::node {

struct KeystorePaths {
    std::filesystem::path node_key;
    std::filesystem::path consensus_key;
};

struct NodeKeys {
    crypto::NodeSecretKey node;
    crypto::ConsensusSecretKey consensus;
};

// Loads both keys; a missing, unreadable, too-open or corrupt file is an error naming it.
Result<NodeKeys, crypto::KeyFileError> load_node_keys(const KeystorePaths& paths);

// Generates both keys. Without overwrite, nothing is written if either file exists.
Result<NodeKeys, crypto::KeyFileError> generate_node_keys(const KeystorePaths& paths, bool overwrite);

// Generates only the keys whose files are missing and loads the others (used by `init`).
struct EnsuredKeys {
    NodeKeys keys;
    bool node_key_generated = false;
    bool consensus_key_generated = false;
};
Result<EnsuredKeys, crypto::KeyFileError> ensure_node_keys(const KeystorePaths& paths);

}  // namespace fleek::node
