#include "ipld/importer.h"

#include "crypto/hash.h"
#include "ipld/murmur3.h"
#include "util/assert.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <system_error>

namespace fleek::ipld {

namespace fs = std::filesystem;

ImportOptions ImportOptions::kubo() { return ImportOptions{}; }

ImportOptions ImportOptions::kubo_v1() {
    ImportOptions options;
    options.cid_version = 1;
    options.raw_leaves = true;
    return options;
}

ImportOptions ImportOptions::ipfs_car() {
    ImportOptions options;
    options.cid_version = 1;
    options.raw_leaves = true;
    options.chunk_size = 1 << 20;
    options.max_links = 1024;
    options.sharding = Sharding::entry_count;
    options.shard_threshold = 1000;
    options.include_hidden = false;
    options.keep_symlinks = false;
    options.keep_empty_directories = false;
    options.wrap = true;
    options.strip_common_prefix = true;
    return options;
}

Cid node_cid(ByteSpan encoded_node, const ImportOptions& options) {
    if (options.cid_version == 0) return Cid::v0(crypto::sha256(encoded_node));
    return Cid::of(multicodec::dag_pb, encoded_node);
}

namespace {

Result<ImportedNode, std::string> put_node(const PbNode& node, const ImportOptions& options, const BlockSink& sink,
                                          uint64_t children_dag_size, uint64_t content_size) {
    const Bytes encoded = encode_dag_pb(node);
    Cid cid = node_cid(encoded, options);
    if (auto put = sink(cid, encoded); !put) return fail(put.error());
    return ImportedNode{std::move(cid), encoded.size() + children_dag_size, content_size};
}

}  // namespace

// ------------------------------------------------------------------------------------- files

FileImporter::FileImporter(const ImportOptions& options, BlockSink sink) : m_options(options), m_sink(std::move(sink)) {
    FLEEK_ASSERT(m_options.chunk_size > 0 && m_options.max_links >= 2);
    m_pending.reserve(m_options.chunk_size);
}

FileImporter::~FileImporter() = default;

Result<void, std::string> FileImporter::emit_leaf(ByteSpan chunk) {
    ImportedNode leaf;
    if (m_options.raw_leaves) {
        leaf.cid = Cid::of(multicodec::raw, chunk);
        if (auto put = m_sink(leaf.cid, chunk); !put) return fail(put.error());
        leaf.dag_size = chunk.size();
        leaf.content_size = chunk.size();
    } else {
        UnixfsData data;
        data.type = UnixfsType::file;
        if (!chunk.empty()) data.data = Bytes(chunk.begin(), chunk.end());
        data.filesize = chunk.size();
        PbNode node;
        node.data = encode_unixfs(data);
        auto put = put_node(node, m_options, m_sink, 0, chunk.size());
        if (!put) return fail(put.error());
        leaf = std::move(*put);
    }
    return add_link(0, std::move(leaf));
}

Result<ImportedNode, std::string> FileImporter::make_parent(std::vector<ImportedNode> children) {
    UnixfsData data;
    data.type = UnixfsType::file;
    uint64_t content = 0;
    uint64_t dag = 0;
    PbNode node;
    node.links.reserve(children.size());
    for (auto& child : children) {
        data.blocksizes.push_back(child.content_size);
        content += child.content_size;
        dag += child.dag_size;
        node.links.push_back(PbLink{std::move(child.cid), std::string(), child.dag_size});
    }
    data.filesize = content;
    node.data = encode_unixfs(data);
    return put_node(node, m_options, m_sink, dag, content);
}

Result<void, std::string> FileImporter::add_link(size_t level, ImportedNode node) {
    if (m_levels.size() <= level) m_levels.resize(level + 1);
    m_levels[level].push_back(std::move(node));
    if (m_levels[level].size() == m_options.max_links) {
        // A full node is final: whatever follows goes into its right siblings.
        auto parent = make_parent(std::move(m_levels[level]));
        m_levels[level].clear();
        if (!parent) return fail(parent.error());
        return add_link(level + 1, std::move(*parent));
    }
    return {};
}

Result<void, std::string> FileImporter::write(ByteSpan data) {
    FLEEK_ASSERT(!m_finished);
    m_total += data.size();
    while (!data.empty()) {
        if (m_pending.empty() && data.size() >= m_options.chunk_size) {
            if (auto leaf = emit_leaf(data.first(m_options.chunk_size)); !leaf) return leaf;
            data = data.subspan(m_options.chunk_size);
            continue;
        }
        const size_t take = std::min(m_options.chunk_size - m_pending.size(), data.size());
        m_pending.insert(m_pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
        data = data.subspan(take);
        if (m_pending.size() == m_options.chunk_size) {
            if (auto leaf = emit_leaf(m_pending); !leaf) return leaf;
            m_pending.clear();
        }
    }
    return {};
}

Result<ImportedNode, std::string> FileImporter::finish() {
    FLEEK_ASSERT(!m_finished);
    m_finished = true;
    if (!m_pending.empty() || m_total == 0) {
        if (auto leaf = emit_leaf(m_pending); !leaf) return fail(leaf.error());
        m_pending.clear();
    }
    // Close the levels bottom-up: every level but the top one is wrapped into a parent, so all
    // leaves end at the same depth; a top level of one link is the root.
    for (size_t level = 0; level < m_levels.size(); ++level) {
        const bool top = level + 1 == m_levels.size();
        if (top && m_levels[level].size() == 1) return std::move(m_levels[level][0]);
        if (m_levels[level].empty()) continue;
        auto parent = make_parent(std::move(m_levels[level]));
        m_levels[level].clear();
        if (!parent) return fail(parent.error());
        if (m_levels.size() <= level + 1) m_levels.resize(level + 2);
        m_levels[level + 1].push_back(std::move(*parent));
    }
    FLEEK_ASSERT(false && "unreachable: the loop always finds a root");
    return fail(std::string("no root"));
}

Result<ImportedNode, std::string> import_bytes(ByteSpan content, const ImportOptions& options, const BlockSink& sink) {
    FileImporter importer(options, sink);
    if (auto written = importer.write(content); !written) return fail(written.error());
    return importer.finish();
}

// ------------------------------------------------------------------------------- directories

uint32_t hamt_bucket(std::string_view name, uint32_t depth, uint32_t bits) {
    FLEEK_ASSERT(bits >= 1 && bits <= 10);
    uint64_t bit_offset = uint64_t{depth} * bits;
    uint32_t needed = bits;
    uint32_t value = 0;
    uint64_t cached_frame = UINT64_MAX;
    ByteArray<8> frame{};
    while (needed > 0) {
        const uint64_t frame_index = bit_offset / 64;
        if (frame_index != cached_frame) {
            if (frame_index == 0) {
                frame = hamt_hash(as_bytes(name));
            } else {
                std::string extended(name);
                extended.push_back(static_cast<char>(static_cast<uint8_t>(frame_index)));
                frame = hamt_hash(as_bytes(extended));
            }
            cached_frame = frame_index;
        }
        const uint32_t in_frame = static_cast<uint32_t>(bit_offset % 64);
        const uint32_t take = std::min<uint32_t>(needed, 64 - in_frame);
        uint64_t word = 0;
        for (const uint8_t byte : frame) word = (word << 8) | byte;
        const uint64_t bits_value = (word << in_frame) >> (64 - take);
        value = (value << take) | static_cast<uint32_t>(bits_value);
        needed -= take;
        bit_offset += take;
    }
    return value;
}

namespace {

struct HashedEntry {
    const NamedNode* entry;
};

Result<ImportedNode, std::string> build_shard(std::vector<const NamedNode*> entries, uint32_t depth, const ImportOptions& options,
                                             const BlockSink& sink) {
    constexpr uint32_t fanout_bits = 8;
    constexpr uint32_t fanout = 1u << fanout_bits;
    if (depth > 64) return fail(std::string("HAMT deeper than 64 levels (names with colliding hashes)"));
    std::vector<std::vector<const NamedNode*>> buckets(fanout);
    for (const NamedNode* entry : entries) buckets[hamt_bucket(entry->name, depth, fanout_bits)].push_back(entry);

    PbNode node;
    uint64_t children = 0;
    Bytes bitfield(fanout / 8, 0);
    for (uint32_t i = 0; i < fanout; ++i) {
        if (buckets[i].empty()) continue;
        bitfield[bitfield.size() - 1 - i / 8] |= static_cast<uint8_t>(1u << (i % 8));
        const std::string label = fmt::format("{:02X}", i);
        if (buckets[i].size() == 1) {
            const NamedNode& entry = *buckets[i][0];
            node.links.push_back(PbLink{entry.node.cid, label + entry.name, entry.node.dag_size});
            children += entry.node.dag_size;
        } else {
            auto shard = build_shard(std::move(buckets[i]), depth + 1, options, sink);
            if (!shard) return fail(shard.error());
            node.links.push_back(PbLink{shard->cid, label, shard->dag_size});
            children += shard->dag_size;
        }
    }
    sort_links(node.links);
    // The bitfield is a big-endian number without leading zero bytes (go-unixfs big.Int.Bytes()).
    const auto first = std::find_if(bitfield.begin(), bitfield.end(), [](uint8_t b) { return b != 0; });
    UnixfsData data;
    data.type = UnixfsType::hamt_shard;
    data.data = Bytes(first, bitfield.end());
    data.hash_type = multicodec::murmur3_x64_64;
    data.fanout = fanout;
    node.data = encode_unixfs(data);
    return put_node(node, options, sink, children, 0);
}

}  // namespace

Result<ImportedNode, std::string> import_directory(std::vector<NamedNode> entries, const ImportOptions& options,
                                                   const BlockSink& sink) {
    std::sort(entries.begin(), entries.end(), [](const NamedNode& a, const NamedNode& b) { return a.name < b.name; });
    for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].name.empty() || entries[i].name.find('/') != std::string::npos) {
            return fail(fmt::format("invalid directory entry name `{}`", entries[i].name));
        }
        if (i > 0 && entries[i].name == entries[i - 1].name) return fail(fmt::format("duplicate directory entry `{}`", entries[i].name));
    }
    bool shard = false;
    if (options.sharding == ImportOptions::Sharding::entry_count) {
        shard = entries.size() > options.shard_threshold;
    } else {
        uint64_t estimate = 0;
        for (const auto& entry : entries) estimate += entry.name.size() + entry.node.cid.bytes().size();
        shard = estimate > options.shard_threshold;
    }
    if (shard) {
        std::vector<const NamedNode*> pointers;
        pointers.reserve(entries.size());
        for (const auto& entry : entries) pointers.push_back(&entry);
        return build_shard(std::move(pointers), 0, options, sink);
    }
    PbNode node;
    uint64_t children = 0;
    for (auto& entry : entries) {
        children += entry.node.dag_size;
        node.links.push_back(PbLink{std::move(entry.node.cid), std::move(entry.name), entry.node.dag_size});
    }
    sort_links(node.links);
    UnixfsData data;
    data.type = UnixfsType::directory;
    node.data = encode_unixfs(data);
    return put_node(node, options, sink, children, 0);
}

Result<ImportedNode, std::string> import_symlink(std::string_view target, const ImportOptions& options, const BlockSink& sink) {
    UnixfsData data;
    data.type = UnixfsType::symlink;
    data.data = to_bytes(target);
    PbNode node;
    node.data = encode_unixfs(data);
    return put_node(node, options, sink, 0, 0);
}

// ------------------------------------------------------------------------------- disk walks

namespace {

struct TreeNode {
    enum class Kind : uint8_t { directory, file, symlink } kind = Kind::directory;
    fs::path source;
    std::string target;
    std::map<std::string, TreeNode> children;
    size_t files = 0;  // regular files at or below
};

Result<ImportedNode, std::string> import_file(const fs::path& path, const ImportOptions& options, const BlockSink& sink) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(fmt::format("{}: {}", path.string(), std::generic_category().message(errno)));
    FileImporter importer(options, sink);
    Bytes buffer(std::max<size_t>(options.chunk_size, size_t{1} << 20));
    for (;;) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            const std::string message = fmt::format("{}: {}", path.string(), std::generic_category().message(errno));
            ::close(fd);
            return fail(message);
        }
        if (got == 0) break;
        if (auto written = importer.write(ByteSpan(buffer.data(), static_cast<size_t>(got))); !written) {
            ::close(fd);
            return fail(written.error());
        }
    }
    ::close(fd);
    return importer.finish();
}

Result<TreeNode, std::string> walk(const fs::path& path, const ImportOptions& options, size_t depth) {
    if (depth > 256) return fail(fmt::format("{}: directories nested too deep", path.string()));
    TreeNode node;
    node.kind = TreeNode::Kind::directory;
    node.source = path;
    std::error_code error;
    for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
        const fs::path child = it->path();
        const std::string name = child.filename().string();
        if (!options.include_hidden && name.starts_with('.')) continue;
        const fs::file_status status = fs::symlink_status(child, error);
        if (error) break;
        if (fs::is_symlink(status)) {
            if (!options.keep_symlinks) continue;
            TreeNode link;
            link.kind = TreeNode::Kind::symlink;
            link.target = fs::read_symlink(child, error).string();
            if (error) break;
            node.children.emplace(name, std::move(link));
        } else if (fs::is_directory(status)) {
            auto sub = walk(child, options, depth + 1);
            if (!sub) return sub;
            if (!options.keep_empty_directories && sub->files == 0) continue;
            node.files += sub->files;
            node.children.emplace(name, std::move(*sub));
        } else if (fs::is_regular_file(status)) {
            TreeNode file;
            file.kind = TreeNode::Kind::file;
            file.source = child;
            file.files = 1;
            node.files += 1;
            node.children.emplace(name, std::move(file));
        }
    }
    if (error) return fail(fmt::format("{}: {}", path.string(), error.message()));
    return node;
}

Result<ImportedNode, std::string> import_tree(const TreeNode& node, const ImportOptions& options, const BlockSink& sink) {
    switch (node.kind) {
        case TreeNode::Kind::file: return import_file(node.source, options, sink);
        case TreeNode::Kind::symlink: return import_symlink(node.target, options, sink);
        case TreeNode::Kind::directory: break;
    }
    std::vector<NamedNode> entries;
    entries.reserve(node.children.size());
    for (const auto& [name, child] : node.children) {
        auto imported = import_tree(child, options, sink);
        if (!imported) return imported;
        entries.push_back(NamedNode{name, std::move(*imported)});
    }
    return import_directory(std::move(entries), options, sink);
}

// ipfs-car names files relative to the deepest directory that holds all of them: drop the
// directories that every file path starts with.
const TreeNode* strip_common_directories(const TreeNode& root) {
    const TreeNode* node = &root;
    for (;;) {
        // Files directly here end the common prefix; so do two or more subdirectories with files.
        if (node->children.size() != 1) return node;
        const TreeNode& only = node->children.begin()->second;
        if (only.kind != TreeNode::Kind::directory) return node;
        node = &only;
    }
}

}  // namespace

Result<ImportedNode, std::string> import_path(const fs::path& path, const ImportOptions& options, const BlockSink& sink) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(path, error);
    if (error) return fail(fmt::format("{}: {}", path.string(), error.message()));
    TreeNode root;
    if (fs::is_directory(status) || (fs::is_symlink(status) && fs::is_directory(path, error))) {
        auto walked = walk(path, options, 0);
        if (!walked) return fail(walked.error());
        root = std::move(*walked);
    } else if (fs::is_regular_file(status) || fs::is_symlink(status)) {
        // A single file (a symlink given by name is followed, as `ipfs add` and ipfs-car do).
        if (!options.wrap) return import_file(path, options, sink);
        TreeNode file;
        file.kind = TreeNode::Kind::file;
        file.source = path;
        file.files = 1;
        root.kind = TreeNode::Kind::directory;
        root.files = 1;
        root.children.emplace(fs::path(path).filename().string(), std::move(file));
        return import_tree(root, options, sink);
    } else {
        return fail(fmt::format("{}: not a file or directory", path.string()));
    }
    const TreeNode* top = options.strip_common_prefix ? strip_common_directories(root) : &root;
    if (options.strip_common_prefix && !options.wrap && top->files == 1 && top->children.size() == 1 &&
        top->children.begin()->second.kind == TreeNode::Kind::file) {
        return import_tree(top->children.begin()->second, options, sink);
    }
    return import_tree(*top, options, sink);
}

}  // namespace fleek::ipld
