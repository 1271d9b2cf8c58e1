#include "node/keystore.h"

#include <fmt/format.h>

#include <sys/stat.h>

namespace fleek::node {

namespace {
bool path_exists(const std::filesystem::path& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}
}  // namespace

Result<NodeKeys, crypto::KeyFileError> load_node_keys(const KeystorePaths& paths) {
    auto node = crypto::load_node_key(paths.node_key);
    if (!node) return fail(std::move(node.error()));
    auto consensus = crypto::load_consensus_key(paths.consensus_key);
    if (!consensus) return fail(std::move(consensus.error()));
    return NodeKeys{std::move(*node), std::move(*consensus)};
}

Result<NodeKeys, crypto::KeyFileError> generate_node_keys(const KeystorePaths& paths, bool overwrite) {
    if (!overwrite) {
        for (const auto* path : {&paths.node_key, &paths.consensus_key}) {
            if (path_exists(*path)) {
                return fail(crypto::KeyFileError{
                    crypto::KeyFileErrorCode::already_exists,
                    fmt::format("{} already exists; refusing to replace a key (use --force to replace both keys, "
                                "which gives this node a new identity)",
                                path->string())});
            }
        }
    }
    NodeKeys keys{crypto::NodeSecretKey::generate(), crypto::ConsensusSecretKey::generate()};
    if (auto saved = crypto::save_node_key(paths.node_key, keys.node, overwrite); !saved) return fail(std::move(saved.error()));
    if (auto saved = crypto::save_consensus_key(paths.consensus_key, keys.consensus, overwrite); !saved) {
        return fail(std::move(saved.error()));
    }
    return keys;
}

Result<EnsuredKeys, crypto::KeyFileError> ensure_node_keys(const KeystorePaths& paths) {
    const bool node_generated = !path_exists(paths.node_key);
    const bool consensus_generated = !path_exists(paths.consensus_key);
    if (node_generated) {
        if (auto saved = crypto::save_node_key(paths.node_key, crypto::NodeSecretKey::generate(), false); !saved) {
            return fail(std::move(saved.error()));
        }
    }
    if (consensus_generated) {
        if (auto saved = crypto::save_consensus_key(paths.consensus_key, crypto::ConsensusSecretKey::generate(), false);
            !saved) {
            return fail(std::move(saved.error()));
        }
    }
    auto keys = load_node_keys(paths);
    if (!keys) return fail(std::move(keys.error()));
    return EnsuredKeys{std::move(*keys), node_generated, consensus_generated};
}

}  // namespace fleek::node
