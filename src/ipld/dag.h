// Reading UnixFS DAGs (the exporter): loading nodes, listing directories (HAMT shards included),
// resolving paths, reading byte ranges of files, and choosing the blocks of a trustless-gateway
// CAR response (dag-scope and entity-bytes). Works over any BlockSource; every structural
// inconsistency (a file whose blocksizes do not add up, a link of the wrong codec, a HAMT
// bucket that does not match its name's hash) is an error, never silently accepted.
#pragma once

#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fleek::ipld {

enum class DagErrorCode : uint8_t {
    missing_block,     // the source does not have a block
    invalid_block,     // bytes that do not decode as what their CID says
    invalid_dag,       // decodes, but UnixFS rules are broken
    invalid_hamt,      // a HAMT shard breaks the HAMT rules: an entry in a bucket its name does not
                       // hash to, two links in one bucket, a sub-shard of another fanout
    unsupported,       // a codec or UnixFS type we do not read (dag-cbor, metadata)
    not_found,         // a path segment that is not in its directory
    not_a_directory,
    not_a_file,
    too_deep,
    source_error,      // the source failed (disk, network); see detail
    stopped,           // the caller's callback asked to stop
};
std::string_view to_string(DagErrorCode code) noexcept;

struct DagError {
    DagErrorCode code;
    std::string detail;
    std::string message() const;
};

// Blocks by CID. Implementations return blocks already checked against their CID.
class BlockSource {
public:
    virtual ~BlockSource() = default;
    // nullopt: the source does not have it; an error: the source failed.
    virtual Result<std::optional<Bytes>, std::string> get(const Cid& cid) = 0;
};

// Blocks held in memory (tests, `flk car`). The map's blocks must be verified already.
class MemoryBlockSource : public BlockSource {
public:
    explicit MemoryBlockSource(const std::map<Cid, Bytes>& blocks) : m_blocks(blocks) {}
    Result<std::optional<Bytes>, std::string> get(const Cid& cid) override {
        const auto found = m_blocks.find(cid);
        if (found == m_blocks.end()) return std::optional<Bytes>();
        return std::optional<Bytes>(found->second);
    }

private:
    const std::map<Cid, Bytes>& m_blocks;
};

enum class NodeKind : uint8_t { raw_file, file, directory, hamt_shard, symlink, other };
std::string_view to_string(NodeKind kind) noexcept;

struct DagNode {
    Cid cid;
    NodeKind kind = NodeKind::other;
    Bytes raw;           // raw_file (and `other`): the block
    PbNode pb;           // dag-pb nodes
    UnixfsData unixfs;   // dag-pb nodes

    uint64_t file_size() const;  // raw_file and file
    // The bytes of a file node's own Data (before its children), empty otherwise.
    ByteSpan inline_data() const;
};

// Decodes a block as its CID's codec says (identity CIDs are decoded from the CID itself).
Result<DagNode, DagError> decode_node(const Cid& cid, ByteSpan block);
Result<DagNode, DagError> load_node(BlockSource& source, const Cid& cid);

struct DirectoryLink {
    std::string name;
    Cid cid;
    uint64_t tsize = 0;
};
// Every entry of a directory or HAMT shard (sub-shards followed), sorted by name.
Result<std::vector<DirectoryLink>, DagError> list_directory(BlockSource& source, const DagNode& directory);

// One entry; nullopt when absent. HAMT lookups follow the name's hash. `visited` receives every
// node read on the way (the HAMT shards), for CAR responses that prove a path.
Result<std::optional<DirectoryLink>, DagError> find_entry(BlockSource& source, const DagNode& directory, std::string_view name,
                                                          std::vector<Cid>* visited = nullptr);

struct ResolvedPath {
    std::vector<Cid> segments;  // the root, then the CID of each path segment (X-Ipfs-Roots)
    std::vector<Cid> proof;     // every block read to resolve the path, in order (root first)
    DagNode target;
};
// Follows "a/b/c" (empty segments ignored) from a root. Without `load_target`, the last segment's
// block is not read: `target` then holds only its CID (callers that know what it is save a read).
Result<ResolvedPath, DagError> resolve_path(BlockSource& source, const Cid& root, std::string_view path, size_t max_depth = 1024,
                                            bool load_target = true);

// Streams bytes [offset, offset + length) of a file (raw or UnixFS file) to `sink`. The leaves are
// checked against the parent's blocksizes.
using ByteSinkFunction = std::function<bool(ByteSpan)>;
Result<void, DagError> read_file(BlockSource& source, const DagNode& file, uint64_t offset, uint64_t length,
                                 const ByteSinkFunction& sink);

// --- trustless gateway CAR selection ---------------------------------------------------------
enum class DagScope : uint8_t { block, entity, all };

struct EntityBytes {
    int64_t from = 0;                // negative: from the end
    std::optional<int64_t> to;       // inclusive; nullopt = "*" (the end); negative: from the end
};

struct TraversalLimits {
    uint64_t max_blocks = UINT64_MAX;
    size_t max_depth = 1024;
};

// Visits, depth first and without repeats, the blocks a CAR response for `root` holds under
// `scope` (and `bytes`, which implies entity scope for files): the root, then for `all` every block
// reachable; for `entity`, a file's blocks (only those covering the byte range), a directory's
// own node (with its HAMT shards), or the block alone for anything else. `visit` gets each CID
// and block; return false to stop.
using BlockVisitor = std::function<bool(const Cid&, ByteSpan block)>;
Result<void, DagError> traverse(BlockSource& source, const Cid& root, DagScope scope, const std::optional<EntityBytes>& bytes,
                                const TraversalLimits& limits, const BlockVisitor& visit);

// The same selection, planned before sending: raw blocks (which link to nothing) are not read,
// `raw_size` gives their size (nullopt: the block is missing). Other blocks are read to follow
// their links.
struct PlannedBlock {
    Cid cid;
    uint64_t size;
};
using BlockSizer = std::function<std::optional<uint64_t>(const Cid&)>;
Result<std::vector<PlannedBlock>, DagError> plan_traversal(BlockSource& source, const Cid& root, DagScope scope,
                                                           const std::optional<EntityBytes>& bytes, const TraversalLimits& limits,
                                                           const BlockSizer& raw_size);

// Every CID a block links to (dag-pb links; none for raw).
Result<std::vector<Cid>, DagError> block_links(const Cid& cid, ByteSpan block);

}  // namespace fleek::ipld
