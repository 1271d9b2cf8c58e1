#include "ledger/state_tree.h"

#include "util/assert.h"

#include <algorithm>

namespace fleek::ledger {

namespace {

enum class Kind : uint8_t { empty = 0, leaf = 1, internal = 2 };

constexpr uint8_t leaf_tag = 0;
constexpr uint8_t internal_tag = 1;
constexpr size_t leaf_node_size = 1 + 32 + 32;
constexpr size_t internal_node_size = 1 + 1 + 32 + 1 + 32;
constexpr uint16_t depth_limit = 256;

bool bit_at(const Hash32& path, uint16_t depth) { return ((path[depth / 8] >> (7 - depth % 8)) & 1) != 0; }

// u16 big-endian depth, then the first ceil(depth / 8) bytes of the path with the bits at and
// beyond `depth` cleared.
Bytes position_key(uint16_t depth, const Hash32& path) {
    Bytes key;
    const size_t prefix_bytes = (depth + 7u) / 8u;
    key.reserve(2 + prefix_bytes);
    key.push_back(static_cast<uint8_t>(depth >> 8));
    key.push_back(static_cast<uint8_t>(depth & 0xff));
    for (size_t i = 0; i < prefix_bytes; ++i) key.push_back(path[i]);
    if (depth % 8 != 0) key.back() &= static_cast<uint8_t>(0xff << (8 - depth % 8));
    return key;
}

Hash32 with_bit(Hash32 path, uint16_t depth, bool value) {
    const uint8_t mask = static_cast<uint8_t>(1u << (7 - depth % 8));
    if (value) {
        path[depth / 8] |= mask;
    } else {
        path[depth / 8] &= static_cast<uint8_t>(~mask);
    }
    return path;
}

struct Child {
    Kind kind = Kind::empty;
    Hash32 hash{};
};

struct StoredNode {
    Kind kind = Kind::empty;  // leaf or internal
    // leaf
    Hash32 path{};
    Hash32 value_hash{};
    // internal
    Child left;
    Child right;
};

Bytes encode_node(const StoredNode& node) {
    Bytes out;
    if (node.kind == Kind::leaf) {
        out.reserve(leaf_node_size);
        out.push_back(leaf_tag);
        out.insert(out.end(), node.path.begin(), node.path.end());
        out.insert(out.end(), node.value_hash.begin(), node.value_hash.end());
    } else {
        out.reserve(internal_node_size);
        out.push_back(internal_tag);
        out.push_back(static_cast<uint8_t>(node.left.kind));
        out.insert(out.end(), node.left.hash.begin(), node.left.hash.end());
        out.push_back(static_cast<uint8_t>(node.right.kind));
        out.insert(out.end(), node.right.hash.begin(), node.right.hash.end());
    }
    return out;
}

std::optional<StoredNode> decode_node(ByteSpan bytes) {
    StoredNode node;
    if (bytes.size() == leaf_node_size && bytes[0] == leaf_tag) {
        node.kind = Kind::leaf;
        std::copy_n(bytes.begin() + 1, 32, node.path.begin());
        std::copy_n(bytes.begin() + 33, 32, node.value_hash.begin());
        return node;
    }
    if (bytes.size() == internal_node_size && bytes[0] == internal_tag && bytes[1] <= 2 && bytes[34] <= 2) {
        node.kind = Kind::internal;
        node.left.kind = static_cast<Kind>(bytes[1]);
        std::copy_n(bytes.begin() + 2, 32, node.left.hash.begin());
        node.right.kind = static_cast<Kind>(bytes[34]);
        std::copy_n(bytes.begin() + 35, 32, node.right.hash.begin());
        // Both children empty, or one empty and one leaf, is not a canonical tree.
        const auto leaves_or_empty = [](Kind k) { return k != Kind::internal; };
        const bool collapsible = (node.left.kind == Kind::empty && leaves_or_empty(node.right.kind)) ||
                                 (node.right.kind == Kind::empty && leaves_or_empty(node.left.kind));
        if (collapsible) return std::nullopt;
        return node;
    }
    return std::nullopt;
}

struct Leaf {
    Hash32 path{};
    Hash32 value_hash{};
};

// What a subtree became after an update.
struct Summary {
    Kind kind = Kind::empty;
    Hash32 hash{};
    std::optional<Leaf> leaf;  // for a leaf, when known without a load
};

class Updater {
public:
    Updater(const TreeNodeReader& reader, TreeWrites& writes, TreeUpdateStats& stats)
        : m_reader(reader), m_writes(writes), m_stats(stats) {}

    bool failed() const { return m_failed; }

    // Loads the node at (depth, path's prefix), looking at this update's writes first.
    std::optional<StoredNode> load(uint16_t depth, const Hash32& path) {
        const Bytes key = position_key(depth, path);
        if (auto it = m_writes.find(key); it != m_writes.end()) {
            if (!it->second) return std::nullopt;
            return decode_node(*it->second);
        }
        ++m_stats.nodes_loaded;
        auto bytes = m_reader.load_tree_node(key);
        if (!bytes) return std::nullopt;
        auto node = decode_node(*bytes);
        if (!node) m_failed = true;
        return node;
    }

    void store(uint16_t depth, const Hash32& path, const StoredNode& node) {
        m_writes[position_key(depth, path)] = encode_node(node);
    }
    void erase(uint16_t depth, const Hash32& path) { m_writes[position_key(depth, path)] = std::nullopt; }

    Hash32 leaf_hash(const Leaf& leaf) {
        ++m_stats.nodes_hashed;
        return state_leaf_hash(leaf.path, leaf.value_hash);
    }
    Hash32 internal_hash(const Hash32& left, const Hash32& right) {
        ++m_stats.nodes_hashed;
        return state_internal_hash(left, right);
    }

    Summary place_leaf(uint16_t depth, const Leaf& leaf) {
        StoredNode node;
        node.kind = Kind::leaf;
        node.path = leaf.path;
        node.value_hash = leaf.value_hash;
        store(depth, leaf.path, node);
        return Summary{Kind::leaf, leaf_hash(leaf), leaf};
    }

    // Builds the subtree at `depth` holding exactly `leaves` (sorted by path) where nothing was
    // stored below this position before.
    Summary build(uint16_t depth, std::span<const Leaf> leaves) {
        if (leaves.empty()) return Summary{};
        if (leaves.size() == 1) return place_leaf(depth, leaves.front());
        FLEEK_ASSERT(depth < depth_limit);
        const auto split = std::partition_point(leaves.begin(), leaves.end(),
                                                [depth](const Leaf& leaf) { return !bit_at(leaf.path, depth); });
        const Summary left = build(static_cast<uint16_t>(depth + 1), {leaves.begin(), split});
        const Summary right = build(static_cast<uint16_t>(depth + 1), {split, leaves.end()});
        return combine(depth, leaves.front().path, left, right);
    }

    // Joins two child subtrees at `depth`, lifting a lone leaf so the tree stays canonical.
    Summary combine(uint16_t depth, const Hash32& any_path, Summary left, Summary right) {
        const auto child_depth = static_cast<uint16_t>(depth + 1);
        if (left.kind == Kind::empty && right.kind == Kind::empty) {
            erase(depth, any_path);
            return Summary{};
        }
        for (const bool lone_right : {false, true}) {
            Summary& lone = lone_right ? right : left;
            const Summary& other = lone_right ? left : right;
            if (other.kind != Kind::empty || lone.kind != Kind::leaf) continue;
            const Hash32 child_path = with_bit(any_path, depth, lone_right);
            if (!lone.leaf) {
                auto node = load(child_depth, child_path);
                if (!node || node->kind != Kind::leaf) {
                    m_failed = true;
                    return Summary{};
                }
                lone.leaf = Leaf{node->path, node->value_hash};
            }
            erase(child_depth, child_path);
            return place_leaf(depth, *lone.leaf);
        }
        StoredNode node;
        node.kind = Kind::internal;
        node.left = Child{left.kind, left.hash};
        node.right = Child{right.kind, right.hash};
        store(depth, any_path, node);
        return Summary{Kind::internal, internal_hash(left.hash, right.hash), std::nullopt};
    }

    Summary update(uint16_t depth, std::span<const TreeChange> changes) {
        const Hash32& any_path = changes.front().path;
        const std::optional<StoredNode> node = load(depth, any_path);
        if (m_failed) return Summary{};
        if (node && node->kind == Kind::internal) {
            FLEEK_ASSERT(depth < depth_limit);
            const auto split = std::partition_point(changes.begin(), changes.end(),
                                                    [depth](const TreeChange& c) { return !bit_at(c.path, depth); });
            const auto child_depth = static_cast<uint16_t>(depth + 1);
            Summary left{node->left.kind, node->left.hash, std::nullopt};
            Summary right{node->right.kind, node->right.hash, std::nullopt};
            if (split != changes.begin()) left = update(child_depth, {changes.begin(), split});
            if (split != changes.end()) right = update(child_depth, {split, changes.end()});
            if (m_failed) return Summary{};
            return combine(depth, any_path, left, right);
        }
        // An empty position or a single leaf: rebuild this subtree from the surviving leaves.
        std::vector<Leaf> leaves;
        leaves.reserve(changes.size() + 1);
        bool existing_pending = node.has_value();
        for (const TreeChange& change : changes) {
            if (existing_pending && node->path < change.path) {
                leaves.push_back(Leaf{node->path, node->value_hash});
                existing_pending = false;
            }
            if (existing_pending && node->path == change.path) existing_pending = false;
            if (change.value_hash) leaves.push_back(Leaf{change.path, *change.value_hash});
        }
        if (existing_pending) leaves.push_back(Leaf{node->path, node->value_hash});
        if (node) erase(depth, any_path);
        if (leaves.empty()) return Summary{};
        return build(depth, leaves);
    }

private:
    const TreeNodeReader& m_reader;
    TreeWrites& m_writes;
    TreeUpdateStats& m_stats;
    bool m_failed = false;
};

Hash32 zero_hash() { return Hash32{}; }

}  // namespace

Hash32 state_key_path(ByteSpan key) { return crypto::object_digest("state-key", key); }

Hash32 state_value_hash(ByteSpan value) { return crypto::blake3(value); }

Hash32 state_leaf_hash(const Hash32& path, const Hash32& value_hash) {
    std::array<uint8_t, 65> buffer{};
    buffer[0] = 0x00;
    std::copy(path.begin(), path.end(), buffer.begin() + 1);
    std::copy(value_hash.begin(), value_hash.end(), buffer.begin() + 33);
    return crypto::blake3(buffer);
}

Hash32 state_internal_hash(const Hash32& left, const Hash32& right) {
    std::array<uint8_t, 65> buffer{};
    buffer[0] = 0x01;
    std::copy(left.begin(), left.end(), buffer.begin() + 1);
    std::copy(right.begin(), right.end(), buffer.begin() + 33);
    return crypto::blake3(buffer);
}

Result<Hash32, TreeError> update_state_tree(const TreeNodeReader& reader, std::vector<TreeChange> changes,
                                            TreeWrites& writes, TreeUpdateStats* stats) {
    TreeUpdateStats local;
    TreeUpdateStats& counters = stats ? *stats : local;
    if (changes.empty()) return state_tree_root(reader);
    std::sort(changes.begin(), changes.end(), [](const TreeChange& a, const TreeChange& b) { return a.path < b.path; });
    for (size_t i = 1; i < changes.size(); ++i) FLEEK_ASSERT(changes[i - 1].path != changes[i].path);
    Updater updater(reader, writes, counters);
    const Summary root = updater.update(0, changes);
    if (updater.failed()) return fail(TreeError::corrupt);
    return root.kind == Kind::empty ? zero_hash() : root.hash;
}

Result<Hash32, TreeError> state_tree_root(const TreeNodeReader& reader) {
    auto bytes = reader.load_tree_node(position_key(0, Hash32{}));
    if (!bytes) return zero_hash();
    auto node = decode_node(*bytes);
    if (!node) return fail(TreeError::corrupt);
    if (node->kind == Kind::leaf) return state_leaf_hash(node->path, node->value_hash);
    return state_internal_hash(node->left.hash, node->right.hash);
}

Result<StateProof, TreeError> prove_state_key(const TreeNodeReader& reader, ByteSpan key) {
    const Hash32 path = state_key_path(key);
    StateProof proof;
    uint16_t depth = 0;
    std::optional<Bytes> bytes = reader.load_tree_node(position_key(0, path));
    if (!bytes) return proof;  // empty tree
    while (true) {
        auto node = decode_node(*bytes);
        if (!node) return fail(TreeError::corrupt);
        if (node->kind == Kind::leaf) {
            proof.terminal = ProofLeaf{node->path, node->value_hash};
            return proof;
        }
        if (depth >= depth_limit) return fail(TreeError::corrupt);
        const bool right = bit_at(path, depth);
        const Child& next = right ? node->right : node->left;
        const Child& sibling = right ? node->left : node->right;
        proof.siblings.push_back(sibling.kind == Kind::empty ? zero_hash() : sibling.hash);
        ++depth;
        if (next.kind == Kind::empty) return proof;
        bytes = reader.load_tree_node(position_key(depth, path));
        if (!bytes) return fail(TreeError::corrupt);
    }
}

std::string_view to_string(ProofError error) noexcept {
    switch (error) {
        case ProofError::root_mismatch: return "proof does not hash to the state root";
        case ProofError::value_mismatch: return "proof is for another key or value";
        case ProofError::not_excluded: return "proof does not show the key is absent";
    }
    return "invalid proof";
}

Result<void, ProofError> verify_state_proof(const Hash32& root, ByteSpan key, std::optional<ByteSpan> value,
                                            const StateProof& proof) {
    const Hash32 path = state_key_path(key);
    const size_t depth = proof.siblings.size();
    if (depth > proof_depth_max) return fail(ProofError::root_mismatch);
    Hash32 hash = zero_hash();
    if (const auto* leaf = std::get_if<ProofLeaf>(&proof.terminal)) {
        // A leaf at this depth shares the first `depth` bits of its path with every key routed here.
        for (size_t i = 0; i < depth; ++i) {
            if (bit_at(leaf->path, static_cast<uint16_t>(i)) != bit_at(path, static_cast<uint16_t>(i))) {
                return fail(ProofError::root_mismatch);
            }
        }
        if (value) {
            if (leaf->path != path || leaf->value_hash != state_value_hash(*value)) return fail(ProofError::value_mismatch);
        } else if (leaf->path == path) {
            return fail(ProofError::not_excluded);
        }
        hash = state_leaf_hash(leaf->path, leaf->value_hash);
    } else if (value) {
        return fail(ProofError::value_mismatch);
    }
    for (size_t i = depth; i-- > 0;) {
        hash = bit_at(path, static_cast<uint16_t>(i)) ? state_internal_hash(proof.siblings[i], hash)
                                                      : state_internal_hash(hash, proof.siblings[i]);
    }
    if (hash != root) return fail(ProofError::root_mismatch);
    return {};
}

std::optional<Bytes> MemoryTree::load_tree_node(ByteSpan position) const {
    auto it = m_nodes.find(Bytes(position.begin(), position.end()));
    if (it == m_nodes.end()) return std::nullopt;
    return it->second;
}

void MemoryTree::apply(const TreeWrites& writes) {
    for (const auto& [position, node] : writes) {
        if (node) {
            m_nodes[position] = *node;
        } else {
            m_nodes.erase(position);
        }
    }
}

}  // namespace fleek::ledger
