#include "ipld/dag.h"

#include "ipld/importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace fleek::ipld {

std::string_view to_string(DagErrorCode code) noexcept {
    switch (code) {
        case DagErrorCode::missing_block: return "missing block";
        case DagErrorCode::invalid_block: return "invalid block";
        case DagErrorCode::invalid_dag: return "invalid UnixFS DAG";
        case DagErrorCode::invalid_hamt: return "malformed HAMT shard";
        case DagErrorCode::unsupported: return "unsupported node";
        case DagErrorCode::not_found: return "no such path";
        case DagErrorCode::not_a_directory: return "not a directory";
        case DagErrorCode::not_a_file: return "not a file";
        case DagErrorCode::too_deep: return "DAG too deep";
        case DagErrorCode::source_error: return "block source failed";
        case DagErrorCode::stopped: return "stopped";
    }
    return "unknown DAG error";
}

std::string DagError::message() const {
    if (detail.empty()) return std::string(to_string(code));
    return fmt::format("{}: {}", to_string(code), detail);
}

std::string_view to_string(NodeKind kind) noexcept {
    switch (kind) {
        case NodeKind::raw_file: return "raw file";
        case NodeKind::file: return "file";
        case NodeKind::directory: return "directory";
        case NodeKind::hamt_shard: return "HAMT directory";
        case NodeKind::symlink: return "symlink";
        case NodeKind::other: return "non-UnixFS node";
    }
    return "unknown";
}

namespace {

DagError dag_error(DagErrorCode code, std::string detail) { return DagError{code, std::move(detail)}; }

constexpr size_t max_file_depth = 64;

uint32_t fanout_bits(uint64_t fanout) {
    uint32_t bits = 0;
    while ((uint64_t{1} << bits) < fanout) ++bits;
    return bits;
}

}  // namespace

uint64_t DagNode::file_size() const {
    if (kind == NodeKind::raw_file) return raw.size();
    if (kind != NodeKind::file) return 0;
    if (unixfs.filesize) return *unixfs.filesize;
    uint64_t total = unixfs.data ? unixfs.data->size() : 0;
    for (const uint64_t size : unixfs.blocksizes) total += size;
    return total;
}

ByteSpan DagNode::inline_data() const {
    if (kind != NodeKind::file || !unixfs.data) return {};
    return *unixfs.data;
}

Result<DagNode, DagError> decode_node(const Cid& cid, ByteSpan block) {
    DagNode node;
    node.cid = cid;
    if (cid.hash_code() == multicodec::identity) block = cid.digest();
    if (cid.codec() == multicodec::raw) {
        node.kind = NodeKind::raw_file;
        node.raw.assign(block.begin(), block.end());
        return node;
    }
    if (cid.codec() != multicodec::dag_pb) {
        node.kind = NodeKind::other;
        node.raw.assign(block.begin(), block.end());
        return node;
    }
    auto pb = decode_dag_pb(block);
    if (!pb) return fail(dag_error(DagErrorCode::invalid_block, fmt::format("{}: {}", cid.to_string(), to_string(pb.error()))));
    node.pb = std::move(*pb);
    if (!node.pb.data) {
        node.kind = NodeKind::other;
        return node;
    }
    auto unixfs = decode_unixfs(*node.pb.data);
    if (!unixfs) return fail(dag_error(DagErrorCode::invalid_block, fmt::format("{}: {}", cid.to_string(), to_string(unixfs.error()))));
    node.unixfs = std::move(*unixfs);
    switch (node.unixfs.type) {
        case UnixfsType::raw:
        case UnixfsType::file: {
            node.kind = NodeKind::file;
            if (node.unixfs.type == UnixfsType::raw && !node.pb.links.empty()) {
                return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: a UnixFS Raw node with links", cid.to_string())));
            }
            if (node.unixfs.blocksizes.size() != node.pb.links.size()) {
                return fail(dag_error(DagErrorCode::invalid_dag,
                                      fmt::format("{}: {} links but {} blocksizes", cid.to_string(), node.pb.links.size(),
                                                  node.unixfs.blocksizes.size())));
            }
            uint64_t total = node.unixfs.data ? node.unixfs.data->size() : 0;
            for (const uint64_t size : node.unixfs.blocksizes) {
                if (size > UINT64_MAX - total) return fail(dag_error(DagErrorCode::invalid_dag, cid.to_string() + ": blocksizes overflow"));
                total += size;
            }
            if (node.unixfs.filesize && *node.unixfs.filesize != total) {
                return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: filesize {} but data and blocksizes add up to {}",
                                                                             cid.to_string(), *node.unixfs.filesize, total)));
            }
            for (const auto& link : node.pb.links) {
                if (link.hash.codec() != multicodec::raw && link.hash.codec() != multicodec::dag_pb) {
                    return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: a file links to a {} block", cid.to_string(),
                                                                                 multicodec_name(link.hash.codec()))));
                }
            }
            break;
        }
        case UnixfsType::directory: node.kind = NodeKind::directory; break;
        case UnixfsType::hamt_shard: {
            node.kind = NodeKind::hamt_shard;
            const uint64_t fanout = node.unixfs.fanout.value_or(0);
            if (fanout < 2 || fanout > 1024 || (fanout & (fanout - 1)) != 0) {
                return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: HAMT fanout {}", cid.to_string(), fanout)));
            }
            if (node.unixfs.hash_type.value_or(0) != multicodec::murmur3_x64_64) {
                return fail(dag_error(DagErrorCode::unsupported, fmt::format("{}: HAMT hash type {}", cid.to_string(),
                                                                             multicodec_name(node.unixfs.hash_type.value_or(0)))));
            }
            break;
        }
        case UnixfsType::symlink: node.kind = NodeKind::symlink; break;
        case UnixfsType::metadata: node.kind = NodeKind::other; break;
    }
    return node;
}

Result<DagNode, DagError> load_node(BlockSource& source, const Cid& cid) {
    if (cid.hash_code() == multicodec::identity) return decode_node(cid, {});
    auto block = source.get(cid);
    if (!block) return fail(dag_error(DagErrorCode::source_error, fmt::format("{}: {}", cid.to_string(), block.error())));
    if (!*block) return fail(dag_error(DagErrorCode::missing_block, cid.to_string()));
    return decode_node(cid, **block);
}

// ------------------------------------------------------------------------------ directories

namespace {

size_t label_width(uint64_t fanout) { return fmt::format("{:X}", fanout - 1).size(); }

bool is_upper_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

// The bucket of each link of `shard`, checked: a hex label of the right width below the fanout,
// one link per bucket.
Result<std::vector<uint32_t>, DagError> shard_buckets(const DagNode& shard) {
    const uint64_t fanout = *shard.unixfs.fanout;
    const size_t width = label_width(fanout);
    std::vector<uint32_t> buckets;
    std::set<uint32_t> used;
    for (const auto& link : shard.pb.links) {
        const std::string& name = link.name.value_or("");
        if (name.size() < width || !is_upper_hex(std::string_view(name).substr(0, width))) {
            return fail(dag_error(DagErrorCode::invalid_hamt, fmt::format("{}: HAMT link name `{}`", shard.cid.to_string(), name)));
        }
        const uint32_t bucket = static_cast<uint32_t>(std::stoul(name.substr(0, width), nullptr, 16));
        if (bucket >= fanout) {
            return fail(dag_error(DagErrorCode::invalid_hamt, fmt::format("{}: bucket {} of a fanout of {}", shard.cid.to_string(), name.substr(0, width), fanout)));
        }
        if (!used.insert(bucket).second) {
            return fail(dag_error(DagErrorCode::invalid_hamt, fmt::format("{}: two links in bucket {}", shard.cid.to_string(), name.substr(0, width))));
        }
        buckets.push_back(bucket);
    }
    return buckets;
}

// A sub-shard must use its parent's fanout: bucket bits are taken level by level from the same
// hash, so a different width would not line up with the path that led to it.
Result<void, DagError> check_sub_shard(const DagNode& parent, const DagNode& child) {
    if (child.kind != NodeKind::hamt_shard) {
        return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: sub-shard {} is a {}", parent.cid.to_string(),
                                                                     child.cid.to_string(), to_string(child.kind))));
    }
    if (*child.unixfs.fanout != *parent.unixfs.fanout) {
        return fail(dag_error(DagErrorCode::invalid_hamt, fmt::format("{}: sub-shard {} has a fanout of {}, its parent {}", parent.cid.to_string(),
                                                                      child.cid.to_string(), *child.unixfs.fanout, *parent.unixfs.fanout)));
    }
    return {};
}

// Lists `shard` (at `path.size()` levels below the HAMT's root; `path` holds the bucket taken at
// each level above) and checks that every entry sits where its name hashes to at every level.
Result<void, DagError> list_shard(BlockSource& source, const DagNode& shard, std::vector<uint32_t>& path, std::vector<DirectoryLink>& out) {
    if (path.size() > 64) return fail(dag_error(DagErrorCode::too_deep, shard.cid.to_string()));
    const uint64_t fanout = *shard.unixfs.fanout;
    const uint32_t bits = fanout_bits(fanout);
    const size_t width = label_width(fanout);
    auto buckets = shard_buckets(shard);
    if (!buckets) return fail(buckets.error());
    for (size_t i = 0; i < shard.pb.links.size(); ++i) {
        const PbLink& link = shard.pb.links[i];
        const std::string& name = *link.name;
        path.push_back((*buckets)[i]);
        if (name.size() == width) {
            auto child = load_node(source, link.hash);
            if (!child) return fail(child.error());
            if (auto checked = check_sub_shard(shard, *child); !checked) return checked;
            if (auto listed = list_shard(source, *child, path, out); !listed) return listed;
        } else {
            const std::string entry = name.substr(width);
            for (uint32_t level = 0; level < path.size(); ++level) {
                if (hamt_bucket(entry, level, bits) != path[level]) {
                    return fail(dag_error(DagErrorCode::invalid_hamt,
                                          fmt::format("{}: `{}` is in bucket {:X} at level {}, but its name hashes to bucket {:X}",
                                                      shard.cid.to_string(), entry, path[level], level, hamt_bucket(entry, level, bits))));
                }
            }
            out.push_back(DirectoryLink{entry, link.hash, link.tsize.value_or(0)});
        }
        path.pop_back();
    }
    return {};
}

}  // namespace

Result<std::vector<DirectoryLink>, DagError> list_directory(BlockSource& source, const DagNode& directory) {
    std::vector<DirectoryLink> out;
    if (directory.kind == NodeKind::directory) {
        for (const auto& link : directory.pb.links) {
            if (!link.name || link.name->empty()) {
                return fail(dag_error(DagErrorCode::invalid_dag, directory.cid.to_string() + ": a directory link without a name"));
            }
            out.push_back(DirectoryLink{*link.name, link.hash, link.tsize.value_or(0)});
        }
    } else if (directory.kind == NodeKind::hamt_shard) {
        std::vector<uint32_t> path;
        if (auto listed = list_shard(source, directory, path, out); !listed) return fail(listed.error());
    } else {
        return fail(dag_error(DagErrorCode::not_a_directory, directory.cid.to_string()));
    }
    std::stable_sort(out.begin(), out.end(), [](const DirectoryLink& a, const DirectoryLink& b) { return a.name < b.name; });
    for (size_t i = 1; i < out.size(); ++i) {
        if (out[i].name == out[i - 1].name) {
            return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: `{}` appears twice", directory.cid.to_string(), out[i].name)));
        }
    }
    return out;
}

Result<std::optional<DirectoryLink>, DagError> find_entry(BlockSource& source, const DagNode& directory, std::string_view name,
                                                          std::vector<Cid>* visited) {
    if (directory.kind == NodeKind::directory) {
        for (const auto& link : directory.pb.links) {
            if (link.name && *link.name == name) return std::optional(DirectoryLink{*link.name, link.hash, link.tsize.value_or(0)});
        }
        return std::optional<DirectoryLink>();
    }
    if (directory.kind != NodeKind::hamt_shard) return fail(dag_error(DagErrorCode::not_a_directory, directory.cid.to_string()));
    DagNode shard = directory;
    for (uint32_t depth = 0; depth <= 64; ++depth) {
        const uint64_t fanout = *shard.unixfs.fanout;
        const size_t width = label_width(fanout);
        if (auto buckets = shard_buckets(shard); !buckets) return fail(buckets.error());
        const uint32_t bucket = hamt_bucket(name, depth, fanout_bits(fanout));
        std::string label = fmt::format("{:0{}X}", bucket, width);
        const PbLink* sub_shard = nullptr;
        for (const auto& link : shard.pb.links) {
            const std::string& link_name = link.name.value_or("");
            if (!link_name.starts_with(label)) continue;
            if (link_name.size() == width) {
                sub_shard = &link;
            } else if (std::string_view(link_name).substr(width) == name) {
                return std::optional(DirectoryLink{std::string(name), link.hash, link.tsize.value_or(0)});
            }
        }
        if (sub_shard == nullptr) return std::optional<DirectoryLink>();
        auto child = load_node(source, sub_shard->hash);
        if (!child) return fail(child.error());
        if (auto checked = check_sub_shard(shard, *child); !checked) return fail(checked.error());
        if (visited != nullptr) visited->push_back(child->cid);
        shard = std::move(*child);
    }
    return fail(dag_error(DagErrorCode::too_deep, directory.cid.to_string()));
}

Result<ResolvedPath, DagError> resolve_path(BlockSource& source, const Cid& root, std::string_view path, size_t max_depth,
                                            bool load_target) {
    std::vector<std::string_view> segments;
    while (!path.empty()) {
        const size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (!segment.empty()) segments.push_back(segment);
    }
    if (segments.size() > max_depth) return fail(dag_error(DagErrorCode::too_deep, "path"));
    ResolvedPath out;
    out.segments.push_back(root);
    out.proof.push_back(root);
    DagNode node;
    node.cid = root;
    if (load_target || !segments.empty()) {
        auto loaded = load_node(source, root);
        if (!loaded) return fail(loaded.error());
        node = std::move(*loaded);
    }
    for (size_t i = 0; i < segments.size(); ++i) {
        const std::string_view segment = segments[i];
        if (node.kind != NodeKind::directory && node.kind != NodeKind::hamt_shard) {
            return fail(dag_error(DagErrorCode::not_a_directory, fmt::format("`{}` is inside a {}", segment, to_string(node.kind))));
        }
        auto entry = find_entry(source, node, segment, &out.proof);
        if (!entry) return fail(entry.error());
        if (!*entry) return fail(dag_error(DagErrorCode::not_found, std::string(segment)));
        out.segments.push_back((*entry)->cid);
        out.proof.push_back((*entry)->cid);
        const bool last = i + 1 == segments.size();
        if (last && !load_target) {
            node = DagNode();
            node.cid = (*entry)->cid;
            break;
        }
        auto child = load_node(source, (*entry)->cid);
        if (!child) return fail(child.error());
        node = std::move(*child);
    }
    out.target = std::move(node);
    return out;
}

// ------------------------------------------------------------------------------ files

namespace {

Result<void, DagError> read_range(BlockSource& source, const DagNode& node, uint64_t offset, uint64_t end, size_t depth,
                                  const ByteSinkFunction& sink) {
    if (depth > max_file_depth) return fail(dag_error(DagErrorCode::too_deep, node.cid.to_string()));
    if (node.kind == NodeKind::raw_file) {
        if (end > node.raw.size()) return fail(dag_error(DagErrorCode::invalid_dag, node.cid.to_string() + ": shorter than its parent says"));
        if (offset < end && !sink(ByteSpan(node.raw).subspan(offset, end - offset))) return fail(dag_error(DagErrorCode::stopped, ""));
        return {};
    }
    if (node.kind != NodeKind::file) {
        return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{}: a {} inside a file", node.cid.to_string(), to_string(node.kind))));
    }
    const ByteSpan inline_bytes = node.inline_data();
    uint64_t position = 0;
    if (offset < inline_bytes.size()) {
        const uint64_t stop = std::min<uint64_t>(end, inline_bytes.size());
        if (!sink(inline_bytes.subspan(offset, stop - offset))) return fail(dag_error(DagErrorCode::stopped, ""));
    }
    position = inline_bytes.size();
    for (size_t i = 0; i < node.pb.links.size() && position < end; ++i) {
        const uint64_t size = node.unixfs.blocksizes[i];
        const uint64_t child_end = position + size;
        if (child_end > offset && size > 0) {
            auto child = load_node(source, node.pb.links[i].hash);
            if (!child) return fail(child.error());
            if (child->file_size() != size) {
                return fail(dag_error(DagErrorCode::invalid_dag, fmt::format("{} holds {} bytes but its parent {} says {}",
                                                                             child->cid.to_string(), child->file_size(),
                                                                             node.cid.to_string(), size)));
            }
            const uint64_t from = offset > position ? offset - position : 0;
            const uint64_t to = std::min(end, child_end) - position;
            if (auto read = read_range(source, *child, from, to, depth + 1, sink); !read) return read;
        }
        position = child_end;
    }
    return {};
}

}  // namespace

Result<void, DagError> read_file(BlockSource& source, const DagNode& file, uint64_t offset, uint64_t length, const ByteSinkFunction& sink) {
    if (file.kind != NodeKind::file && file.kind != NodeKind::raw_file) {
        return fail(dag_error(DagErrorCode::not_a_file, fmt::format("{} is a {}", file.cid.to_string(), to_string(file.kind))));
    }
    const uint64_t size = file.file_size();
    if (offset > size) offset = size;
    const uint64_t end = length > size - offset ? size : offset + length;
    return read_range(source, file, offset, end, 0, sink);
}

// ------------------------------------------------------------------------------ traversal

Result<std::vector<Cid>, DagError> block_links(const Cid& cid, ByteSpan block) {
    std::vector<Cid> out;
    if (cid.codec() != multicodec::dag_pb) return out;
    if (cid.hash_code() == multicodec::identity) block = cid.digest();
    auto pb = decode_dag_pb(block);
    if (!pb) return fail(dag_error(DagErrorCode::invalid_block, fmt::format("{}: {}", cid.to_string(), to_string(pb.error()))));
    for (auto& link : pb->links) out.push_back(std::move(link.hash));
    return out;
}

namespace {

using SizedVisitor = std::function<bool(const Cid&, ByteSpan, uint64_t)>;

struct Traversal {
    BlockSource& source;
    const TraversalLimits& limits;
    const SizedVisitor& visit;
    const BlockSizer* raw_size = nullptr;  // planning: raw blocks are sized, not read
    std::set<Cid> seen;
    uint64_t blocks = 0;

    // Loads a block and reports it the first time; identity blocks are never reported.
    Result<Bytes, DagError> fetch(const Cid& cid, bool& first_time) {
        first_time = seen.insert(cid).second;
        if (cid.hash_code() == multicodec::identity) return Bytes(cid.digest().begin(), cid.digest().end());
        if (raw_size != nullptr && cid.codec() == multicodec::raw) {
            if (!first_time) return Bytes();
            const auto size = (*raw_size)(cid);
            if (!size) return fail(dag_error(DagErrorCode::missing_block, cid.to_string()));
            if (++blocks > limits.max_blocks) return fail(dag_error(DagErrorCode::too_deep, "too many blocks"));
            if (!visit(cid, {}, *size)) return fail(dag_error(DagErrorCode::stopped, ""));
            return Bytes();
        }
        auto block = source.get(cid);
        if (!block) return fail(dag_error(DagErrorCode::source_error, fmt::format("{}: {}", cid.to_string(), block.error())));
        if (!*block) return fail(dag_error(DagErrorCode::missing_block, cid.to_string()));
        if (first_time) {
            if (++blocks > limits.max_blocks) return fail(dag_error(DagErrorCode::too_deep, "too many blocks"));
            if (!visit(cid, **block, (*block)->size())) return fail(dag_error(DagErrorCode::stopped, ""));
        }
        return std::move(**block);
    }

    Result<void, DagError> all(const Cid& cid, size_t depth) {
        if (depth > limits.max_depth) return fail(dag_error(DagErrorCode::too_deep, cid.to_string()));
        if (seen.count(cid) != 0) return {};
        bool first = false;
        auto block = fetch(cid, first);
        if (!block) return fail(block.error());
        auto links = block_links(cid, *block);
        if (!links) return fail(links.error());
        for (const Cid& link : *links) {
            if (auto done = all(link, depth + 1); !done) return done;
        }
        return {};
    }

    // The blocks of file bytes [from, end) below `cid` (a file node or raw leaf).
    Result<void, DagError> file_range(const Cid& cid, uint64_t from, uint64_t end, size_t depth) {
        if (depth > max_file_depth) return fail(dag_error(DagErrorCode::too_deep, cid.to_string()));
        bool first = false;
        auto block = fetch(cid, first);
        if (!block) return fail(block.error());
        auto node = decode_node(cid, *block);
        if (!node) return fail(node.error());
        if (node->kind != NodeKind::file) return {};
        uint64_t position = node->inline_data().size();
        for (size_t i = 0; i < node->pb.links.size(); ++i) {
            const uint64_t child_end = position + node->unixfs.blocksizes[i];
            if (child_end > from && position < end) {
                const uint64_t child_from = from > position ? from - position : 0;
                const uint64_t child_to = std::min(end, child_end) - position;
                if (auto done = file_range(node->pb.links[i].hash, child_from, child_to, depth + 1); !done) return done;
            }
            position = child_end;
        }
        return {};
    }

    Result<void, DagError> shards(const DagNode& shard, size_t depth) {
        if (depth > 64) return fail(dag_error(DagErrorCode::too_deep, shard.cid.to_string()));
        const size_t width = label_width(*shard.unixfs.fanout);
        for (const auto& link : shard.pb.links) {
            if (link.name.value_or("").size() != width) continue;
            bool first = false;
            auto block = fetch(link.hash, first);
            if (!block) return fail(block.error());
            auto child = decode_node(link.hash, *block);
            if (!child) return fail(child.error());
            if (auto checked = check_sub_shard(shard, *child); !checked) return checked;
            if (auto done = shards(*child, depth + 1); !done) return done;
        }
        return {};
    }
};

Result<void, DagError> run_traversal(Traversal& traversal, const Cid& root, DagScope scope, const std::optional<EntityBytes>& bytes);

}  // namespace

Result<void, DagError> traverse(BlockSource& source, const Cid& root, DagScope scope, const std::optional<EntityBytes>& bytes,
                                const TraversalLimits& limits, const BlockVisitor& visit) {
    const SizedVisitor sized = [&](const Cid& cid, ByteSpan block, uint64_t) { return visit(cid, block); };
    Traversal traversal{source, limits, sized, nullptr, {}, 0};
    return run_traversal(traversal, root, scope, bytes);
}

Result<std::vector<PlannedBlock>, DagError> plan_traversal(BlockSource& source, const Cid& root, DagScope scope,
                                                           const std::optional<EntityBytes>& bytes, const TraversalLimits& limits,
                                                           const BlockSizer& raw_size) {
    std::vector<PlannedBlock> plan;
    const SizedVisitor record = [&](const Cid& cid, ByteSpan, uint64_t size) {
        plan.push_back(PlannedBlock{cid, size});
        return true;
    };
    Traversal traversal{source, limits, record, &raw_size, {}, 0};
    if (auto done = run_traversal(traversal, root, scope, bytes); !done) return fail(done.error());
    return plan;
}

namespace {

Result<void, DagError> run_traversal(Traversal& traversal, const Cid& root, DagScope scope, const std::optional<EntityBytes>& bytes) {
    if (scope == DagScope::all && !bytes) return traversal.all(root, 0);
    bool first = false;
    auto block = traversal.fetch(root, first);
    if (!block) return fail(block.error());
    if (scope == DagScope::block && !bytes) return {};
    auto node = decode_node(root, *block);
    if (!node) return fail(node.error());
    switch (node->kind) {
        case NodeKind::file: {
            const uint64_t size = node->file_size();
            uint64_t from = 0;
            uint64_t end = size;  // exclusive
            if (bytes) {
                const int64_t signed_size = static_cast<int64_t>(std::min<uint64_t>(size, INT64_MAX));
                int64_t start = bytes->from < 0 ? std::max<int64_t>(0, signed_size + bytes->from) : bytes->from;
                int64_t last = bytes->to ? (*bytes->to < 0 ? signed_size + *bytes->to : *bytes->to) : signed_size - 1;
                last = std::min<int64_t>(last, signed_size - 1);
                if (start > last || start >= signed_size) return {};  // nothing in range: the root block alone
                from = static_cast<uint64_t>(start);
                end = static_cast<uint64_t>(last) + 1;
            }
            uint64_t position = node->inline_data().size();
            for (size_t i = 0; i < node->pb.links.size(); ++i) {
                const uint64_t child_end = position + node->unixfs.blocksizes[i];
                if (child_end > from && position < end) {
                    const uint64_t child_from = from > position ? from - position : 0;
                    const uint64_t child_to = std::min(end, child_end) - position;
                    if (auto done = traversal.file_range(node->pb.links[i].hash, child_from, child_to, 1); !done) return done;
                }
                position = child_end;
            }
            return {};
        }
        case NodeKind::hamt_shard: return traversal.shards(*node, 0);
        default: return {};
    }
}

}  // namespace

}  // namespace fleek::ipld
