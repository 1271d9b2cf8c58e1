// The UnixFS importer: turns files, directories and symlinks into DAG-PB/raw blocks and CIDs that
// equal those of kubo (`ipfs add`, ipfs_cid) and of `ipfs-car pack` (docs/formats/ipfs-dag-pb-unixfs.md).
//
// Files: fixed-size chunks; each chunk a leaf (a raw block, or a dag-pb node {Type: File, Data,
// filesize}); leaves grouped `max_links` at a time into parent nodes {Type: File, filesize,
// blocksizes} whose links have an empty Name and Tsize = the linked sub-DAG's bytes, parents grouped
// the same way until one node remains (the balanced layout: every leaf at the same depth, nodes
// packed to the left). A file of one chunk is that leaf alone.
// Directories: a dag-pb node {Type: Directory} with one link per entry, sorted by name bytes; or,
// over the sharding threshold, a HAMT (Type: HAMTShard, fanout 256, murmur3-x64-64): an entry goes
// to bucket = the next 8 bits of murmur3-x64-128(name).h1 (big-endian), a bucket with one entry
// holds a link "XX<name>", a bucket with several a sub-shard "XX" one level down.
//
// Blocks go to a sink as they are made, children before parents, each block once per sink call
// (a file with repeated chunks produces repeated leaves: sinks that write CARs deduplicate).
#pragma once

#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fleek::ipld {

struct ImportOptions {
    enum class Sharding : uint8_t {
        links_bytes,   // kubo, js-ipfs-unixfs-importer: sum of (name bytes + CID bytes) > threshold
        entry_count,   // ipfs-car 3: more than `threshold` entries
    };
    uint64_t cid_version = 0;
    bool raw_leaves = false;
    size_t chunk_size = 262144;
    size_t max_links = 174;
    Sharding sharding = Sharding::links_bytes;
    uint64_t shard_threshold = 262144;
    // Directory walks (import_path):
    bool include_hidden = false;   // names starting with '.'
    bool keep_symlinks = true;     // as UnixFS symlinks (kubo); false: skip them (ipfs-car)
    bool keep_empty_directories = true;   // false: ipfs-car, which packs files only
    bool wrap = false;             // put a file (or a directory's contents) inside a directory
    bool strip_common_prefix = false;  // ipfs-car: names relative to the deepest directory
                                       // holding every file

    // `ipfs add` defaults: CIDv0, dag-pb leaves, 256 KiB chunks, 174 links per node.
    static ImportOptions kubo();
    // `ipfs add --cid-version 1`: CIDv1 and raw leaves, otherwise the same.
    static ImportOptions kubo_v1();
    // `ipfs-car pack` 3.1.0: CIDv1, raw leaves, 1 MiB chunks, 1024 links, wrapped, HAMT over 1000
    // entries, regular non-hidden files only.
    static ImportOptions ipfs_car();
};

// Where the importer puts blocks. An error stops the import and is returned by it.
using BlockSink = std::function<Result<void, std::string>(const Cid& cid, ByteSpan block)>;

// A link to something imported.
struct ImportedNode {
    Cid cid;
    uint64_t dag_size = 0;      // Tsize: bytes of every block of the sub-DAG
    uint64_t content_size = 0;  // file bytes (0 for directories)
};

// Streams one file.
class FileImporter {
public:
    FileImporter(const ImportOptions& options, BlockSink sink);
    ~FileImporter();
    FileImporter(const FileImporter&) = delete;
    FileImporter& operator=(const FileImporter&) = delete;

    Result<void, std::string> write(ByteSpan data);
    Result<ImportedNode, std::string> finish();

private:
    Result<void, std::string> emit_leaf(ByteSpan chunk);
    Result<void, std::string> add_link(size_t level, ImportedNode node);
    Result<ImportedNode, std::string> make_parent(std::vector<ImportedNode> children);

    ImportOptions m_options;
    BlockSink m_sink;
    Bytes m_pending;
    std::vector<std::vector<ImportedNode>> m_levels;
    uint64_t m_total = 0;
    bool m_finished = false;
};

Result<ImportedNode, std::string> import_bytes(ByteSpan content, const ImportOptions& options, const BlockSink& sink);

struct NamedNode {
    std::string name;
    ImportedNode node;
};
// A directory of already imported entries (names unique, no '/').
Result<ImportedNode, std::string> import_directory(std::vector<NamedNode> entries, const ImportOptions& options,
                                                   const BlockSink& sink);
Result<ImportedNode, std::string> import_symlink(std::string_view target, const ImportOptions& options,
                                                 const BlockSink& sink);

// A file or directory tree from disk, with the walk rules of the options.
Result<ImportedNode, std::string> import_path(const std::filesystem::path& path, const ImportOptions& options,
                                              const BlockSink& sink);

// The HAMT bucket of `name` at `depth` for a fanout of 2^bits (bits 1..10): bits taken from the
// most significant end of murmur3-x64-64(name), then of murmur3-x64-64(name || depth frame) when
// the 64 bits are used up (the "infinite hash" of go-unixfs and the js HAMT libraries).
uint32_t hamt_bucket(std::string_view name, uint32_t depth, uint32_t bits);

// Builds the dag-pb node (and CID) of a UnixFS node for the options' CID version.
Cid node_cid(ByteSpan encoded_node, const ImportOptions& options);

}  // namespace fleek::ipld
