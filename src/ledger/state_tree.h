// The authenticated state: a sparse Merkle tree over every (table, key) → value entry of the
// ledger, hashed with BLAKE3 (docs/formats/state-tree.md).
//
//   path(key)        = object_digest("state-key", key)     256 bits, most significant bit first
//   leaf hash        = BLAKE3(0x00 ‖ path ‖ BLAKE3(value))
//   internal hash    = BLAKE3(0x01 ‖ left hash ‖ right hash)
//   empty subtree    = 32 zero bytes
//
// Jellyfish-style compression: a subtree holding exactly one leaf is that leaf, stored at the
// subtree's top, so the tree is as deep as the longest shared path prefix (≈ log2 n), not 256.
// The shape is a function of the set of entries only, so equal states have equal roots whatever
// order they were written in.
//
// Nodes are stored by position (depth, path prefix), which keeps exactly one version: the tree
// of the last committed block. A batch update visits only the paths of the changed keys, so its
// cost grows with the number of keys a block changes, not with the size of the state.
#pragma once

#include "crypto/hash.h"
#include "ledger/serial.h"
#include "util/bytes.h"

#include <map>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace fleek::ledger {

using Hash32 = crypto::Hash32;

Hash32 state_key_path(ByteSpan key);
Hash32 state_value_hash(ByteSpan value);
Hash32 state_leaf_hash(const Hash32& path, const Hash32& value_hash);
Hash32 state_internal_hash(const Hash32& left, const Hash32& right);

// Where committed tree nodes are read from (the ledger's RocksDB column family, or memory).
class TreeNodeReader {
public:
    virtual ~TreeNodeReader() = default;
    // The node stored at `position`, or nullopt when there is none.
    virtual std::optional<Bytes> load_tree_node(ByteSpan position) const = 0;
};

// Node writes of one update: position → encoded node, or nullopt to erase.
using TreeWrites = std::map<Bytes, std::optional<Bytes>, std::less<>>;

struct TreeChange {
    Hash32 path{};
    std::optional<Hash32> value_hash;  // nullopt: the key was deleted
};

struct TreeUpdateStats {
    size_t nodes_loaded = 0;
    size_t nodes_hashed = 0;
};

enum class TreeError : uint8_t {
    corrupt,  // a stored node is missing or does not decode
};

// Applies `changes` (any order; one entry per path) to the tree that `reader` holds, adding the
// node writes to `writes` (which must start empty for this update), and returns the new root.
Result<Hash32, TreeError> update_state_tree(const TreeNodeReader& reader, std::vector<TreeChange> changes,
                                            TreeWrites& writes, TreeUpdateStats* stats = nullptr);

// The root hash of the stored tree.
Result<Hash32, TreeError> state_tree_root(const TreeNodeReader& reader);

// ---- proofs ----------------------------------------------------------------------------------

struct ProofEmpty {
    template <class V>
    void fields(V&) {}
    friend bool operator==(const ProofEmpty&, const ProofEmpty&) = default;
};
struct ProofLeaf {
    Hash32 path{};
    Hash32 value_hash{};
    template <class V>
    void fields(V& v) {
        v(path), v(value_hash);
    }
    friend bool operator==(const ProofLeaf&, const ProofLeaf&) = default;
};

inline constexpr uint32_t proof_depth_max = 256;

// The path from the root to where a key's leaf is or would be: the sibling hashes from the
// root down, and what was found there (the key's leaf, another leaf sharing the prefix, or an
// empty subtree).
struct StateProof {
    std::vector<Hash32> siblings;
    std::variant<ProofEmpty, ProofLeaf> terminal = ProofEmpty{};

    template <class V>
    void fields(V& v) {
        v.seq(siblings, proof_depth_max), v(terminal);
    }
    FLEEK_LEDGER_CODEC(StateProof)
    friend bool operator==(const StateProof&, const StateProof&) = default;
};

Result<StateProof, TreeError> prove_state_key(const TreeNodeReader& reader, ByteSpan key);

enum class ProofError : uint8_t {
    root_mismatch,    // the proof does not hash to the root
    value_mismatch,   // inclusion: the leaf is another key's or holds another value
    not_excluded,     // exclusion: the proof ends at the key's own leaf, or at a leaf off its path
};
std::string_view to_string(ProofError error) noexcept;

// Inclusion when `value` is set (the key holds exactly that value), exclusion otherwise.
Result<void, ProofError> verify_state_proof(const Hash32& root, ByteSpan key, std::optional<ByteSpan> value,
                                            const StateProof& proof);

// A tree held in memory (tests, checkpoint checks, benchmarks).
class MemoryTree : public TreeNodeReader {
public:
    std::optional<Bytes> load_tree_node(ByteSpan position) const override;
    void apply(const TreeWrites& writes);
    size_t node_count() const { return m_nodes.size(); }

private:
    std::map<Bytes, Bytes, std::less<>> m_nodes;
};

}  // namespace fleek::ledger
