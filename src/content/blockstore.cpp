#include "content/blockstore.h"

#include "content/blockstore_io.h"
#include "util/assert.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleek::content {

namespace fs = std::filesystem;
using namespace blockstore_io;

namespace {

constexpr size_t tree_cache_entries_max = 4096;

std::optional<Hash32> parse_hash(std::string_view text) {
    auto bytes = hex_decode_array<32>(text);
    if (!bytes || hex_encode(*bytes) != text) return std::nullopt;  // lowercase only
    return *bytes;
}

constexpr size_t uploader_size_max = 128;

bool is_valid_uploader(std::string_view uploader) {
    return !uploader.empty() && uploader.size() <= uploader_size_max &&
           std::all_of(uploader.begin(), uploader.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Writes a small file to `temporary` and fsyncs it (the caller renames it into place).
bool write_synced(const fs::path& temporary, ByteSpan bytes) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const bool ok = fd >= 0 && write_all(fd, bytes) && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) {
        std::error_code error;
        fs::remove(temporary, error);
    }
    return ok;
}

std::optional<uint64_t> size_on_disk(const fs::path& path) {
    std::error_code error;
    const auto size = fs::file_size(path, error);
    if (error) return std::nullopt;
    return size;
}

// The content length recorded in a tree file's header, read without loading the tree.
std::optional<uint64_t> tree_file_length(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    uint8_t header[tree_file_header_size];
    const bool ok = read_exact_at(fd, header, sizeof(header), 0);
    ::close(fd);
    if (!ok) return std::nullopt;
    auto length = decode_tree_header(ByteSpan(header, sizeof(header)));
    if (!length) return std::nullopt;
    return *length;
}

}  // namespace

std::string_view to_string(BlockstoreError error) noexcept {
    switch (error) {
        case BlockstoreError::not_found: return "content not found";
        case BlockstoreError::corrupt: return "stored content is corrupt";
        case BlockstoreError::io: return "disk error";
        case BlockstoreError::hash_mismatch: return "content does not have the expected hash";
        case BlockstoreError::too_large: return "content too large";
        case BlockstoreError::invalid_directory: return "invalid directory";
        case BlockstoreError::missing_child: return "directory entry not in the store";
        case BlockstoreError::not_a_directory: return "not a directory";
        case BlockstoreError::not_a_file: return "not a file";
        case BlockstoreError::invalid_path: return "invalid path";
        case BlockstoreError::quota_exceeded: return "the uploader's quota is used up";
        case BlockstoreError::upload_space_full: return "no room for uploads";
    }
    return "blockstore error";
}

// ------------------------------------------------------------------------------------ open

Blockstore::Blockstore(fs::path root, const BlockstoreOptions& options)
    : m_root(std::move(root)), m_options(options), m_crash_point(crash_point_from_environment()) {}

Blockstore::~Blockstore() = default;

Result<std::unique_ptr<Blockstore>, std::string> Blockstore::open(const fs::path& root, const BlockstoreOptions& options) {
    for (const char* sub : {"", "objects", "tmp", "quarantine"}) {
        if (auto made = create_directories(root / sub, 0755); !made) return fail(made.error().message);
    }
    std::unique_ptr<Blockstore> store(new Blockstore(root, options));
    if (auto recovered = store->recover_and_index(); !recovered) return fail(recovered.error());
    store->trim_quarantine();
    return store;
}

fs::path Blockstore::object_path(const Hash32& hash, std::string_view suffix) const {
    const std::string hex = hex_encode(hash);
    return m_root / "objects" / hex.substr(0, 2) / (hex + std::string(suffix));
}

fs::path Blockstore::data_path(const Hash32& hash) const { return object_path(hash, ".data"); }

Result<void, std::string> Blockstore::recover_and_index() {
    std::error_code error;
    // Staging files belong to writes that never committed.
    for (const auto& entry : fs::directory_iterator(m_root / "tmp", error)) fs::remove_all(entry.path(), error);

    struct Found {
        bool data = false, tree = false, dir = false, upload = false;
        fs::file_time_type time{};
    };
    std::map<Hash32, Found> found;
    for (const auto& shard : fs::directory_iterator(m_root / "objects", error)) {
        if (!shard.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(shard.path(), error)) {
            const std::string name = file.path().filename().string();
            const size_t dot = name.find('.');
            const auto hash = dot == 64 ? parse_hash(std::string_view(name).substr(0, 64)) : std::nullopt;
            if (!hash) {
                FLEEK_LOG_WARN("blockstore", "ignoring unexpected file {}", file.path().string());
                continue;
            }
            const std::string suffix = name.substr(dot);
            Found& f = found[*hash];
            if (suffix == ".data") f.data = true;
            if (suffix == ".tree") f.tree = true, f.time = file.last_write_time(error);
            if (suffix == ".dir") f.dir = true, f.time = file.last_write_time(error);
            if (suffix == ".upload") f.upload = true;
        }
    }

    std::vector<std::pair<fs::file_time_type, Hash32>> order;
    uint64_t removed = 0;
    // Who uploaded an object: written before its commit marker, so a committed upload has it.
    const auto uploader_of = [&](const Hash32& hash, const Found& f) -> std::string {
        if (!f.upload) return {};
        auto bytes = read_file(object_path(hash, ".upload"), {.max_size = uploader_size_max});
        if (!bytes || !is_valid_uploader(as_string_view(*bytes))) {
            FLEEK_LOG_WARN("blockstore", "ignoring the unreadable upload record of {}", hex_encode(hash));
            return {};
        }
        return std::string(as_string_view(*bytes));
    };
    for (const auto& [hash, f] : found) {
        if (f.upload && !f.tree && !f.dir) {
            fs::remove(object_path(hash, ".upload"), error);  // the commit never finished
        }
        if (f.tree) {
            // A tree is written last, so it marks a complete commit; its data must be whole.
            const fs::path tree_path = object_path(hash, ".tree");
            const auto length = tree_file_length(tree_path);
            const auto tree_bytes = size_on_disk(tree_path);
            const bool ok = f.data && length && tree_bytes && size_on_disk(object_path(hash, ".data")) == *length;
            if (!ok) {
                fs::remove(tree_path, error);
                fs::remove(object_path(hash, ".data"), error);
                fs::remove(object_path(hash, ".upload"), error);
                ++removed;
                continue;
            }
            insert_locked(hash, ObjectKind::file, *length, *length + *tree_bytes, uploader_of(hash, f));
            order.emplace_back(f.time, hash);
        } else if (f.data) {
            // Data renamed into place but the crash came before its tree: not committed.
            fs::remove(object_path(hash, ".data"), error);
            ++removed;
        }
        if (f.dir) {
            const fs::path dir_path = object_path(hash, ".dir");
            auto bytes = read_file(dir_path, {.max_size = 64 << 20});
            auto directory = bytes ? Directory::decode(*bytes) : fail(DirectoryError::malformed);
            if (!directory || directory->hash() != hash) {
                fs::remove(dir_path, error);
                ++removed;
                continue;
            }
            insert_locked(hash, ObjectKind::directory, bytes->size(), bytes->size(), uploader_of(hash, f));
            order.emplace_back(f.time, hash);
        }
    }
    // Least recently written first: the order eviction starts from after a restart.
    std::sort(order.begin(), order.end());
    for (const auto& [time, hash] : order) {
        Entry& entry = m_index.at(hash);
        m_lru.splice(m_lru.end(), m_lru, entry.lru);
    }
    if (removed > 0) FLEEK_LOG_WARN("blockstore", "removed {} incomplete objects left by an interrupted write", removed);

    if (auto pins = read_file(m_root / "pins", {.max_size = 64 << 20})) {
        std::string_view text = as_string_view(*pins);
        while (!text.empty()) {
            const size_t end = text.find('\n');
            const std::string_view line = text.substr(0, end);
            if (auto hash = parse_hash(line)) {
                if (auto it = m_index.find(*hash); it != m_index.end() && !it->second.pinned) {
                    it->second.pinned = true;
                    ++m_stats.pinned;
                }
            }
            text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        }
    }
    FLEEK_LOG_INFO("blockstore", "opened {}: {} objects, {} bytes", m_root.string(), m_index.size(), m_disk_bytes);
    return {};
}

// ------------------------------------------------------------------------------------ index

void Blockstore::insert_locked(const Hash32& hash, ObjectKind kind, uint64_t length, uint64_t disk_bytes,
                               const std::string& uploader) {
    if (m_index.count(hash) != 0) return;
    m_lru.push_back(hash);
    m_index.emplace(hash, Entry{kind, length, disk_bytes, false, std::prev(m_lru.end()), uploader});
    m_disk_bytes += disk_bytes;
    if (!uploader.empty()) {
        m_upload_bytes += disk_bytes;
        m_uploader_bytes[uploader] += disk_bytes;
    }
    if (m_listener) m_listener(hash, kind, true);
}

std::list<Hash32>::iterator Blockstore::erase_locked(std::map<Hash32, Entry>::iterator it) {
    Entry& entry = it->second;
    m_disk_bytes -= entry.disk_bytes;
    if (entry.pinned) --m_stats.pinned;
    if (!entry.uploader.empty()) {
        m_upload_bytes -= entry.disk_bytes;
        auto account = m_uploader_bytes.find(entry.uploader);
        account->second -= entry.disk_bytes;
        if (account->second == 0) m_uploader_bytes.erase(account);
    }
    auto next = m_lru.erase(entry.lru);
    if (m_listener) m_listener(it->first, entry.kind, false);
    m_index.erase(it);
    return next;
}

void Blockstore::touch_locked(Entry& entry) { m_lru.splice(m_lru.end(), m_lru, entry.lru); }

void Blockstore::drop_caches(const Hash32& hash) {
    std::lock_guard lock(m_cache_mutex);
    m_trees.erase(hash);
    for (auto it = m_blocks.lower_bound(BlockKey{hash, 0}); it != m_blocks.end() && it->first.hash == hash;) {
        m_block_cache_bytes -= it->second.first->size();
        m_block_lru.erase(it->second.second);
        it = m_blocks.erase(it);
    }
}

void Blockstore::evict_locked(const Hash32& keep, bool uploads_only) {
    std::error_code error;
    auto it = m_lru.begin();
    while (m_disk_bytes > m_options.capacity_bytes && it != m_lru.end()) {
        const Hash32 hash = *it;
        const auto found = m_index.find(hash);
        if (found->second.pinned || hash == keep || (uploads_only && found->second.uploader.empty())) {
            ++it;
            continue;
        }
        for (const char* suffix : {".tree", ".data", ".dir", ".upload"}) fs::remove(object_path(hash, suffix), error);
        it = erase_locked(found);
        ++m_stats.evictions;
        drop_caches(hash);
        FLEEK_LOG_DEBUG("blockstore", "evicted {}", hex_encode(hash));
    }
}

Result<void, BlockstoreError> Blockstore::make_room_for_upload_locked(const std::string& uploader, uint64_t bytes) {
    const auto held = m_uploader_bytes.find(uploader);
    const uint64_t holds = held == m_uploader_bytes.end() ? 0 : held->second;
    if (bytes > m_options.upload_quota_bytes || holds > m_options.upload_quota_bytes - bytes) return fail(BlockstoreError::quota_exceeded);
    if (bytes > m_options.upload_capacity_bytes || bytes > m_options.capacity_bytes) return fail(BlockstoreError::upload_space_full);
    const auto fits = [&] {
        return m_upload_bytes <= m_options.upload_capacity_bytes - bytes && m_disk_bytes <= m_options.capacity_bytes - bytes;
    };
    // Evict nothing for an upload that cannot fit even with every unpinned upload gone.
    uint64_t reclaimable = 0;
    for (const auto& [hash, entry] : m_index) {
        if (!entry.uploader.empty() && !entry.pinned) reclaimable += entry.disk_bytes;
    }
    if (m_upload_bytes - reclaimable > m_options.upload_capacity_bytes - bytes ||
        m_disk_bytes - reclaimable > m_options.capacity_bytes - bytes) {
        return fail(BlockstoreError::upload_space_full);
    }
    std::error_code error;
    for (auto it = m_lru.begin(); !fits() && it != m_lru.end();) {
        const Hash32 hash = *it;
        const auto found = m_index.find(hash);
        if (found->second.pinned || found->second.uploader.empty()) {
            ++it;
            continue;
        }
        for (const char* suffix : {".tree", ".data", ".dir", ".upload"}) fs::remove(object_path(hash, suffix), error);
        it = erase_locked(found);
        ++m_stats.evictions;
        drop_caches(hash);
        FLEEK_LOG_DEBUG("blockstore", "evicted upload {} to make room for another", hex_encode(hash));
    }
    if (!fits()) return fail(BlockstoreError::upload_space_full);
    return {};
}

Result<void, BlockstoreError> Blockstore::write_upload_record(const Hash32& hash, const std::string& uploader) {
    const fs::path temporary =
        m_root / "tmp" / fmt::format("{}-{}.upload", ::getpid(), m_temp_counter.fetch_add(1, std::memory_order_relaxed));
    const fs::path final_path = object_path(hash, ".upload");
    if (!create_directories(final_path.parent_path(), 0755) || !write_synced(temporary, as_bytes(uploader)) ||
        ::rename(temporary.c_str(), final_path.c_str()) != 0) {
        std::error_code error;
        fs::remove(temporary, error);
        return fail(BlockstoreError::io);
    }
    return {};
}

// ------------------------------------------------------------------------------------ writes

Blockstore::Writer::Writer(Blockstore& store, fs::path temporary, int fd, std::string uploader)
    : m_store(store), m_temporary(std::move(temporary)), m_fd(fd), m_uploader(std::move(uploader)) {}

Blockstore::Writer::~Writer() { discard(); }

void Blockstore::Writer::discard() {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_temporary.empty()) {
        std::error_code error;
        fs::remove(m_temporary, error);
        m_temporary.clear();
    }
}

Result<void, BlockstoreError> Blockstore::Writer::write(ByteSpan data) {
    if (m_failed || m_fd < 0) return fail(BlockstoreError::io);
    if (m_builder.length() + data.size() > m_store.m_options.max_object_bytes ||
        m_builder.length() + data.size() > m_store.m_options.capacity_bytes) {
        m_failed = true;
        discard();
        return fail(BlockstoreError::too_large);
    }
    if (!m_uploader.empty()) {
        // An upload that could never fit stops here, before its bytes reach the disk; the
        // final word (with eviction of older uploads) is at commit.
        if (auto room = m_store.check_upload(m_uploader, m_builder.length() + data.size()); !room) {
            m_failed = true;
            discard();
            return fail(room.error());
        }
    }
    if (!write_all(m_fd, data)) {
        FLEEK_LOG_ERROR("blockstore", "cannot write {}: {}", m_temporary.string(), std::strerror(errno));
        m_failed = true;
        discard();
        return fail(BlockstoreError::io);
    }
    m_builder.update(data);
    return {};
}

Result<Hash32, BlockstoreError> Blockstore::Writer::commit(const std::optional<Hash32>& expected) {
    if (m_failed || m_fd < 0) return fail(BlockstoreError::io);
    auto result = m_store.commit_writer(*this, expected);
    discard();
    return result;
}

Result<std::unique_ptr<Blockstore::Writer>, BlockstoreError> Blockstore::begin_write(const std::string& uploader) {
    FLEEK_ASSERT(uploader.empty() || is_valid_uploader(uploader));
    const fs::path temporary =
        m_root / "tmp" / fmt::format("{}-{}.data", ::getpid(), m_temp_counter.fetch_add(1, std::memory_order_relaxed));
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        FLEEK_LOG_ERROR("blockstore", "cannot create {}: {}", temporary.string(), std::strerror(errno));
        return fail(BlockstoreError::io);
    }
    return std::unique_ptr<Writer>(new Writer(*this, temporary, fd, uploader));
}

Result<Hash32, BlockstoreError> Blockstore::commit_writer(Writer& writer, const std::optional<Hash32>& expected) {
    const HashTree tree = writer.m_builder.finalize();
    const Hash32 hash = tree.root();
    if (expected && *expected != hash) return fail(BlockstoreError::hash_mismatch);
    auto installed = install_file(writer.m_fd, writer.m_temporary, tree, writer.m_uploader);
    if (!installed) return fail(installed.error());
    return hash;
}

Result<void, BlockstoreError> Blockstore::install_file(int data_fd, fs::path& data_temporary, const HashTree& tree,
                                                       const std::string& uploader) {
    const Hash32 hash = tree.root();
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_index.find(hash); it != m_index.end()) {
            touch_locked(it->second);
            return {};  // already stored (a duplicate upload, or fetched meanwhile by someone else)
        }
    }
    if (::fsync(data_fd) != 0) return fail(BlockstoreError::io);
    maybe_crash(m_crash_point, after_data_sync);

    const Bytes tree_bytes = encode_tree(tree);
    fs::path tree_temporary = data_temporary;
    tree_temporary.replace_extension(".tree");
    {
        const int fd = ::open(tree_temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const bool ok = fd >= 0 && write_all(fd, tree_bytes) && ::fsync(fd) == 0;
        if (fd >= 0) ::close(fd);
        if (!ok) {
            std::error_code error;
            fs::remove(tree_temporary, error);
            return fail(BlockstoreError::io);
        }
    }
    const fs::path data_final = object_path(hash, ".data");
    const fs::path tree_final = object_path(hash, ".tree");
    const uint64_t disk_bytes = tree.content_length() + tree_bytes.size();
    if (!uploader.empty()) {
        std::lock_guard lock(m_mutex);
        if (auto it = m_index.find(hash); it != m_index.end()) {
            touch_locked(it->second);
            std::error_code error;
            fs::remove(tree_temporary, error);
            return {};  // stored meanwhile by another writer: nothing to charge
        }
        if (auto room = make_room_for_upload_locked(uploader, disk_bytes); !room) {
            std::error_code error;
            fs::remove(tree_temporary, error);
            return fail(room.error());
        }
    }
    if (!create_directories(data_final.parent_path(), 0755) || ::rename(data_temporary.c_str(), data_final.c_str()) != 0) {
        std::error_code error;
        fs::remove(tree_temporary, error);
        return fail(BlockstoreError::io);
    }
    data_temporary.clear();  // the data file is no longer the caller's to delete
    maybe_crash(m_crash_point, after_data_rename);
    if (!uploader.empty() && !write_upload_record(hash, uploader)) {
        std::error_code error;
        fs::remove(tree_temporary, error);
        fs::remove(data_final, error);
        return fail(BlockstoreError::io);
    }
    if (::rename(tree_temporary.c_str(), tree_final.c_str()) != 0) {
        std::error_code error;
        fs::remove(tree_temporary, error);
        fs::remove(data_final, error);
        return fail(BlockstoreError::io);
    }
    maybe_crash(m_crash_point, after_tree_rename);
    if (!fsync_path(data_final.parent_path(), true)) return fail(BlockstoreError::io);

    std::lock_guard lock(m_mutex);
    insert_locked(hash, ObjectKind::file, tree.content_length(), disk_bytes, uploader);
    // An upload never pushes out content that came another way, even when concurrent commits
    // overshoot the room made for it.
    evict_locked(hash, !uploader.empty());
    return {};
}

Result<Hash32, BlockstoreError> Blockstore::put(ByteSpan content, const std::string& uploader) {
    auto writer = begin_write(uploader);
    if (!writer) return fail(writer.error());
    if (auto written = (*writer)->write(content); !written) return fail(written.error());
    return (*writer)->commit();
}

Result<Hash32, BlockstoreError> Blockstore::put_directory(const Directory& directory, const std::string& uploader) {
    FLEEK_ASSERT(uploader.empty() || is_valid_uploader(uploader));
    {
        std::lock_guard lock(m_mutex);
        for (const auto& entry : directory.entries()) {
            if (entry.kind == EntryKind::symlink) continue;
            const auto it = m_index.find(entry.hash);
            const ObjectKind wanted = entry.kind == EntryKind::directory ? ObjectKind::directory : ObjectKind::file;
            if (it == m_index.end() || it->second.kind != wanted) return fail(BlockstoreError::missing_child);
        }
    }
    const Hash32 hash = directory.hash();
    const Bytes encoded = directory.encode();
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_index.find(hash); it != m_index.end()) {
            touch_locked(it->second);
            return hash;
        }
        if (!uploader.empty()) {
            if (auto room = make_room_for_upload_locked(uploader, encoded.size()); !room) return fail(room.error());
        }
    }
    if (!uploader.empty()) {
        if (auto recorded = write_upload_record(hash, uploader); !recorded) return fail(recorded.error());
    }
    const fs::path path = object_path(hash, ".dir");
    if (auto written = write_file_atomic(path, encoded, {.mode = 0644, .overwrite = true}); !written) {
        FLEEK_LOG_ERROR("blockstore", "{}", written.error().message);
        return fail(BlockstoreError::io);
    }
    std::lock_guard lock(m_mutex);
    insert_locked(hash, ObjectKind::directory, encoded.size(), encoded.size(), uploader);
    evict_locked(hash, !uploader.empty());
    return hash;
}

// ------------------------------------------------------------------------------------ reads

std::optional<ObjectInfo> Blockstore::info(const Hash32& hash) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(hash);
    if (it == m_index.end()) {
        ++m_stats.misses;
        return std::nullopt;
    }
    ++m_stats.hits;
    touch_locked(it->second);
    return ObjectInfo{it->second.kind, it->second.length};
}

Result<std::shared_ptr<const HashTree>, BlockstoreError> Blockstore::tree(const Hash32& hash) {
    {
        std::lock_guard lock(m_cache_mutex);
        if (auto it = m_trees.find(hash); it != m_trees.end()) return it->second;
    }
    {
        std::lock_guard lock(m_mutex);
        auto it = m_index.find(hash);
        if (it == m_index.end()) return fail(BlockstoreError::not_found);
        if (it->second.kind != ObjectKind::file) return fail(BlockstoreError::not_a_file);
    }
    auto bytes = read_file(object_path(hash, ".tree"), {.max_size = uint64_t{1} << 40});
    if (!bytes) return fail(bytes.error().code == FileErrorCode::not_found ? BlockstoreError::not_found : BlockstoreError::io);
    auto decoded = decode_tree(*bytes);
    if (!decoded || decoded->root() != hash) {
        FLEEK_LOG_ERROR("blockstore", "tree of {} is corrupt: {}", hex_encode(hash),
                        decoded ? "root differs from its name" : to_string(decoded.error()));
        quarantine(hash, 0);
        return fail(BlockstoreError::corrupt);
    }
    auto shared = std::make_shared<const HashTree>(std::move(*decoded));
    std::lock_guard lock(m_cache_mutex);
    if (m_trees.size() >= tree_cache_entries_max) m_trees.erase(m_trees.begin());
    m_trees.emplace(hash, shared);
    return shared;
}

Result<BlockBuffer, BlockstoreError> Blockstore::read_block(const Hash32& hash, uint64_t k) {
    auto tree_result = tree(hash);
    if (!tree_result) return fail(tree_result.error());
    const HashTree& hash_tree = **tree_result;
    if (k >= hash_tree.blocks()) return fail(BlockstoreError::not_found);
    // Lock order: m_mutex may be held while taking m_cache_mutex, never the reverse.
    BlockBuffer cached;
    {
        std::lock_guard lock(m_cache_mutex);
        if (auto it = m_blocks.find(BlockKey{hash, k}); it != m_blocks.end()) {
            m_block_lru.splice(m_block_lru.end(), m_block_lru, it->second.second);
            cached = it->second.first;
        }
    }
    if (cached) {
        {
            std::lock_guard stats_lock(m_mutex);
            ++m_stats.block_cache_hits;
        }
        return sealed_when_possible(BlockKey{hash, k}, std::move(cached));
    }
    const size_t size = block_length(hash_tree.content_length(), k);
    auto block = std::make_shared<Block>(size);
    const int fd = ::open(object_path(hash, ".data").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno == ENOENT ? BlockstoreError::not_found : BlockstoreError::io);
    const bool read_ok = size == 0 || read_exact_at(fd, block->data(), size, k * block_size);
    ::close(fd);
    if (!read_ok) {
        // The data file is shorter than its tree says: the disk lost bytes.
        quarantine(hash, k);
        return fail(BlockstoreError::corrupt);
    }
    if (block_hash(block->view(), k, hash_tree.blocks() == 1) != hash_tree.leaf(k)) {
        quarantine(hash, k);
        return fail(BlockstoreError::corrupt);
    }
    BlockBuffer shared = std::move(block);
    {
        std::lock_guard stats_lock(m_mutex);
        ++m_stats.block_cache_misses;
    }
    if (m_options.block_cache_bytes >= shared->size()) {
        std::lock_guard lock(m_cache_mutex);
        const BlockKey key{hash, k};
        if (m_blocks.count(key) == 0) {
            while (m_block_cache_bytes + shared->size() > m_options.block_cache_bytes && !m_block_lru.empty()) {
                auto victim = m_blocks.find(m_block_lru.front());
                m_block_cache_bytes -= victim->second.first->size();
                m_blocks.erase(victim);
                m_block_lru.pop_front();
            }
            m_block_lru.push_back(key);
            m_blocks.emplace(key, std::make_pair(shared, std::prev(m_block_lru.end())));
            m_block_cache_bytes += shared->size();
        }
    }
    return shared;
}

// A block asked for a second time while cached is worth a sealed copy (block.h): from then on
// the gateway sends it with sendfile. A block read once, as in a working set larger than the
// cache, never pays for the memfd; a sealed copy that cannot be made leaves the heap block.
BlockBuffer Blockstore::sealed_when_possible(const BlockKey& key, BlockBuffer cached) {
    if (cached->sealed_fd() >= 0 || cached->size() == 0) return cached;
    BlockBuffer sealed = Block::sealed_copy(cached->view());
    if (!sealed) return cached;
    std::lock_guard lock(m_cache_mutex);
    auto it = m_blocks.find(key);
    if (it == m_blocks.end()) return sealed;  // evicted meanwhile: serve it, do not cache it
    if (it->second.first != cached) return it->second.first;  // another reader sealed it first
    it->second.first = sealed;
    return sealed;
}

Result<Bytes, BlockstoreError> Blockstore::read_range(const Hash32& hash, uint64_t offset, uint64_t length) {
    auto tree_result = tree(hash);
    if (!tree_result) return fail(tree_result.error());
    const uint64_t content_length = (*tree_result)->content_length();
    if (offset > content_length || length > content_length - offset) return fail(BlockstoreError::invalid_path);
    Bytes out;
    out.reserve(length);
    uint64_t position = offset;
    while (position < offset + length) {
        const uint64_t k = position / block_size;
        auto block = read_block(hash, k);
        if (!block) return fail(block.error());
        const uint64_t within = position - k * block_size;
        const uint64_t take = std::min<uint64_t>((*block)->size() - within, offset + length - position);
        const ByteSpan bytes = (*block)->view().subspan(within, take);
        out.insert(out.end(), bytes.begin(), bytes.end());
        position += take;
    }
    return out;
}

Result<Directory, BlockstoreError> Blockstore::directory(const Hash32& hash) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_index.find(hash);
        if (it == m_index.end()) return fail(BlockstoreError::not_found);
        if (it->second.kind != ObjectKind::directory) return fail(BlockstoreError::not_a_directory);
    }
    auto bytes = read_file(object_path(hash, ".dir"), {.max_size = 64 << 20});
    if (!bytes) return fail(BlockstoreError::io);
    auto decoded = Directory::decode(*bytes);
    if (!decoded || decoded->hash() != hash) {
        quarantine(hash, 0);
        return fail(BlockstoreError::corrupt);
    }
    return std::move(*decoded);
}

Result<Blockstore::Resolved, BlockstoreError> Blockstore::resolve_path(const Hash32& directory_hash, std::string_view path) {
    Resolved current{directory_hash, ObjectKind::directory};
    if (!info(directory_hash)) return fail(BlockstoreError::not_found);
    while (!path.empty()) {
        const size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (segment.empty()) continue;
        if (!is_valid_entry_name(segment)) return fail(BlockstoreError::invalid_path);
        if (current.kind != ObjectKind::directory) return fail(BlockstoreError::not_a_directory);
        auto directory_result = directory(current.hash);
        if (!directory_result) return fail(directory_result.error());
        const DirectoryEntry* entry = directory_result->find(segment);
        if (entry == nullptr || entry->kind == EntryKind::symlink) return fail(BlockstoreError::not_found);
        current = {entry->hash, entry->kind == EntryKind::directory ? ObjectKind::directory : ObjectKind::file};
    }
    return current;
}

void Blockstore::quarantine(const Hash32& hash, uint64_t block) {
    std::error_code error;
    const std::string hex = hex_encode(hash);
    FLEEK_LOG_ERROR("blockstore", "content {} is corrupt on disk (block {}): moved to quarantine, not served", hex, block);
    {
        // Stamped with when it was quarantined (strictly after everything quarantined before:
        // file times are coarse), so the oldest are the first deleted.
        std::lock_guard lock(m_quarantine_mutex);
        const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
        m_last_quarantine_ns = std::max(now_ns, m_last_quarantine_ns + 1);
        const timespec stamp{static_cast<time_t>(m_last_quarantine_ns / 1'000'000'000),
                             static_cast<long>(m_last_quarantine_ns % 1'000'000'000)};
        const timespec times[2] = {stamp, stamp};
        for (const char* suffix : {".data", ".tree", ".dir"}) {
            const fs::path from = object_path(hash, suffix);
            const fs::path to = m_root / "quarantine" / (hex + suffix);
            if (!fs::exists(from, error)) continue;
            fs::rename(from, to, error);
            ::utimensat(AT_FDCWD, to.c_str(), times, 0);
        }
    }
    fs::remove(object_path(hash, ".upload"), error);
    drop_caches(hash);
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.corrupt_blocks;
        if (auto it = m_index.find(hash); it != m_index.end()) erase_locked(it);
    }
    trim_quarantine();
}

void Blockstore::trim_quarantine() {
    std::lock_guard lock(m_quarantine_mutex);
    struct Held {
        uint64_t bytes = 0;
        int64_t time_ns = 0;
        std::vector<fs::path> files;
    };
    std::map<std::string, Held> held;  // by the name without its suffix
    std::error_code error;
    for (const auto& file : fs::directory_iterator(m_root / "quarantine", error)) {
        const std::string name = file.path().filename().string();
        Held& object = held[name.substr(0, name.find('.'))];
        struct stat info {};
        if (::lstat(file.path().c_str(), &info) == 0) {
            object.bytes += S_ISREG(info.st_mode) ? static_cast<uint64_t>(info.st_size) : 0;
            const int64_t time_ns = int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec;
            object.time_ns = std::max(object.time_ns, time_ns);
            m_last_quarantine_ns = std::max(m_last_quarantine_ns, time_ns);
        }
        object.files.push_back(file.path());
    }
    std::vector<std::pair<int64_t, std::string>> oldest_first;
    uint64_t bytes = 0;
    for (const auto& [name, object] : held) {
        oldest_first.emplace_back(object.time_ns, name);
        bytes += object.bytes;
    }
    std::sort(oldest_first.begin(), oldest_first.end());
    uint64_t objects = oldest_first.size();
    for (const auto& [time, name] : oldest_first) {
        if (objects <= m_options.quarantine_max_objects && bytes <= m_options.quarantine_max_bytes) break;
        for (const auto& path : held[name].files) fs::remove_all(path, error);
        bytes -= held[name].bytes;
        --objects;
        FLEEK_LOG_INFO("blockstore", "deleted quarantined {} (quarantine over {} objects or {} bytes)", name,
                       m_options.quarantine_max_objects, m_options.quarantine_max_bytes);
    }
}

// ------------------------------------------------------------------------------------ pins

Result<void, BlockstoreError> Blockstore::save_pins_locked() {
    std::string text;
    for (const auto& [hash, entry] : m_index) {
        if (entry.pinned) text += hex_encode(hash) + "\n";
    }
    if (auto written = write_file_atomic(m_root / "pins", as_bytes(text), {.mode = 0644, .overwrite = true}); !written) {
        FLEEK_LOG_ERROR("blockstore", "{}", written.error().message);
        return fail(BlockstoreError::io);
    }
    return {};
}

Result<void, BlockstoreError> Blockstore::pin(const Hash32& hash) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(hash);
    if (it == m_index.end()) return fail(BlockstoreError::not_found);
    if (it->second.pinned) return {};
    it->second.pinned = true;
    ++m_stats.pinned;
    return save_pins_locked();
}

Result<void, BlockstoreError> Blockstore::unpin(const Hash32& hash) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(hash);
    if (it == m_index.end()) return fail(BlockstoreError::not_found);
    if (!it->second.pinned) return {};
    it->second.pinned = false;
    --m_stats.pinned;
    auto saved = save_pins_locked();
    evict_locked(Hash32{});
    return saved;
}

bool Blockstore::is_pinned(const Hash32& hash) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(hash);
    return it != m_index.end() && it->second.pinned;
}

Result<void, BlockstoreError> Blockstore::remove(const Hash32& hash) {
    std::error_code error;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_index.find(hash);
        if (it == m_index.end()) return fail(BlockstoreError::not_found);
        const bool was_pinned = it->second.pinned;
        erase_locked(it);
        for (const char* suffix : {".tree", ".data", ".dir", ".upload"}) fs::remove(object_path(hash, suffix), error);
        if (was_pinned) {
            if (auto saved = save_pins_locked(); !saved) return saved;
        }
    }
    drop_caches(hash);
    return {};
}

void Blockstore::set_listener(ContentListener listener) {
    std::lock_guard lock(m_mutex);
    m_listener = std::move(listener);
}

std::vector<std::pair<Hash32, ObjectKind>> Blockstore::objects() {
    std::lock_guard lock(m_mutex);
    std::vector<std::pair<Hash32, ObjectKind>> out;
    out.reserve(m_index.size());
    for (const auto& [hash, entry] : m_index) out.emplace_back(hash, entry.kind);
    return out;
}

BlockstoreStats Blockstore::stats() {
    std::lock_guard lock(m_mutex);
    BlockstoreStats out = m_stats;
    out.objects = m_index.size();
    out.bytes = m_disk_bytes;
    out.upload_bytes = m_upload_bytes;
    return out;
}

Result<void, BlockstoreError> Blockstore::check_upload(const std::string& uploader, uint64_t bytes) {
    std::lock_guard lock(m_mutex);
    const auto held = m_uploader_bytes.find(uploader);
    const uint64_t holds = held == m_uploader_bytes.end() ? 0 : held->second;
    if (bytes > m_options.upload_quota_bytes || holds > m_options.upload_quota_bytes - bytes) return fail(BlockstoreError::quota_exceeded);
    if (bytes > m_options.upload_capacity_bytes) return fail(BlockstoreError::upload_space_full);
    return {};
}

uint64_t Blockstore::uploader_bytes(const std::string& uploader) {
    std::lock_guard lock(m_mutex);
    const auto it = m_uploader_bytes.find(uploader);
    return it == m_uploader_bytes.end() ? 0 : it->second;
}

}  // namespace fleek::content
