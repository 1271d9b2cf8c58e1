// The content-addressed store of a node (docs/formats/blockstore.md).
//
//   <root>/objects/<first two hex>/<hash>.data   content bytes
//   <root>/objects/<first two hex>/<hash>.tree   its hash tree (written last: the commit marker)
//   <root>/objects/<first two hex>/<hash>.dir    a directory's canonical encoding
//   <root>/objects/<first two hex>/<hash>.upload who uploaded it (uploads only; before the marker)
//   <root>/tmp/                                  staging, emptied when the store opens
//   <root>/quarantine/                           content whose bytes stopped matching its hash
//                                                (bounded: the oldest are deleted)
//   <root>/pins                                  pinned hashes, one hex hash per line
//
// Writes go to tmp/, are fsynced and renamed into place data first, tree last, then the
// directory is fsynced: after a crash at any point each content is either complete and valid or
// absent (open() removes a data file without its tree and a tree without matching data).
// Every block is checked against its hash when read from disk, before anyone sees it; a block
// that fails is reported, its content moved to quarantine/, and nothing of it is served.
// Verified blocks are kept in a bounded in-memory cache and served from there without rehashing.
// Over the capacity, the least recently used content that is not pinned is evicted.
//
// Uploads (content written with an uploader) live in their own budget: together they occupy at
// most `upload_capacity_bytes`, each uploader at most `upload_quota_bytes`, and making room for
// an upload evicts only other unpinned uploads, never content that came another way. An
// upload that cannot fit is refused (quota_exceeded, upload_space_full) and nothing is stored.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "content/block.h"
#include "content/directory.h"
#include "content/tree.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fleek::content {

enum class BlockstoreError : uint8_t {
    not_found,
    corrupt,           // stored bytes no longer match their hash (quarantined)
    io,                // the disk failed (message logged)
    hash_mismatch,     // an upload whose hash is not the one announced
    too_large,         // over the upload limit or the store's capacity
    invalid_directory, // a directory listing that does not decode or validate
    missing_child,     // a directory naming content the store does not hold
    not_a_directory,
    not_a_file,
    invalid_path,
    quota_exceeded,     // the uploader already holds its quota of uploads
    upload_space_full,  // uploads together are at their cap and no upload can be evicted
};
std::string_view to_string(BlockstoreError error) noexcept;

enum class ObjectKind : uint8_t { file, directory };

struct ObjectInfo {
    ObjectKind kind = ObjectKind::file;
    uint64_t length = 0;  // content bytes (files) or encoding bytes (directories)
};

struct BlockstoreOptions {
    uint64_t capacity_bytes = uint64_t{64} << 30;
    uint64_t block_cache_bytes = uint64_t{256} << 20;
    uint64_t max_object_bytes = uint64_t{64} << 30;
    uint64_t upload_capacity_bytes = UINT64_MAX;  // all uploads together (on disk)
    uint64_t upload_quota_bytes = UINT64_MAX;     // the uploads of one uploader (on disk)
    uint64_t quarantine_max_objects = 100;        // then the oldest quarantined objects go
    uint64_t quarantine_max_bytes = uint64_t{1} << 30;
};

struct BlockstoreStats {
    uint64_t objects = 0;
    uint64_t bytes = 0;            // on disk: content, trees and directory encodings
    uint64_t pinned = 0;
    uint64_t hits = 0;             // lookups of content the store holds
    uint64_t misses = 0;           // lookups of content it does not hold
    uint64_t block_cache_hits = 0;
    uint64_t block_cache_misses = 0;
    uint64_t corrupt_blocks = 0;
    uint64_t evictions = 0;
    uint64_t upload_bytes = 0;     // on disk, held by uploads
};

class PartialWriter;  // content/partial_writer.h

class Blockstore {
public:
    static Result<std::unique_ptr<Blockstore>, std::string> open(const std::filesystem::path& root,
                                                                  const BlockstoreOptions& options);
    ~Blockstore();
    Blockstore(const Blockstore&) = delete;
    Blockstore& operator=(const Blockstore&) = delete;

    // Streams new content into the store. Nothing is visible until commit() succeeds; a writer
    // destroyed without commit leaves nothing behind.
    class Writer {
    public:
        ~Writer();
        Result<void, BlockstoreError> write(ByteSpan data);
        // Finishes the content. With `expected`, content of another hash is discarded.
        Result<Hash32, BlockstoreError> commit(const std::optional<Hash32>& expected = std::nullopt);
        uint64_t bytes_written() const noexcept { return m_builder.length(); }

    private:
        friend class Blockstore;
        Writer(Blockstore& store, std::filesystem::path temporary, int fd, std::string uploader);
        void discard();
        Blockstore& m_store;
        std::filesystem::path m_temporary;
        int m_fd;
        std::string m_uploader;
        TreeBuilder m_builder;
        bool m_failed = false;
    };
    // With an uploader (printable ASCII, at most 128 bytes: "ip:203.0.113.7", "token:..."), the
    // content is an upload charged to it (see above); without, it is not limited that way.
    Result<std::unique_ptr<Writer>, BlockstoreError> begin_write(const std::string& uploader = "");
    Result<Hash32, BlockstoreError> put(ByteSpan content, const std::string& uploader = "");
    // Starts a file fetched block by block from peers, verified blocks in any order
    // (content/partial_writer.h). too_large over the object limit or the capacity.
    Result<std::shared_ptr<PartialWriter>, BlockstoreError> begin_fetch(const Hash32& hash, uint64_t content_length);
    // Stores a directory whose every file and subdirectory entry the store already holds.
    Result<Hash32, BlockstoreError> put_directory(const Directory& directory, const std::string& uploader = "");

    std::optional<ObjectInfo> info(const Hash32& hash);
    Result<std::shared_ptr<const HashTree>, BlockstoreError> tree(const Hash32& hash);
    // Block k of a file, checked against its hash.
    Result<BlockBuffer, BlockstoreError> read_block(const Hash32& hash, uint64_t k);
    // Bytes [offset, offset + length) of a file, every block checked.
    Result<Bytes, BlockstoreError> read_range(const Hash32& hash, uint64_t offset, uint64_t length);
    Result<Directory, BlockstoreError> directory(const Hash32& hash);

    struct Resolved {
        Hash32 hash;
        ObjectKind kind;
    };
    // Follows "a/b/c" from a directory. Empty segments are ignored; "." and ".." are invalid.
    Result<Resolved, BlockstoreError> resolve_path(const Hash32& directory_hash, std::string_view path);

    Result<void, BlockstoreError> pin(const Hash32& hash);
    Result<void, BlockstoreError> unpin(const Hash32& hash);
    bool is_pinned(const Hash32& hash);
    Result<void, BlockstoreError> remove(const Hash32& hash);

    BlockstoreStats stats();
    // Bytes on disk held by the uploads of `uploader`.
    uint64_t uploader_bytes(const std::string& uploader);
    // Whether an upload of `bytes` by `uploader` is refused before it starts: quota_exceeded
    // or upload_space_full (larger than all uploads may hold). Commit checks again.
    Result<void, BlockstoreError> check_upload(const std::string& uploader, uint64_t bytes);
    const std::filesystem::path& root() const noexcept { return m_root; }

    // Told when an object enters the store (a commit) and when it leaves (evicted, removed,
    // quarantined): the node announces and withdraws it as a provider. Called with the store's
    // lock held: it must not call the store (it queues work for another thread). Set it once,
    // before the store is shared between threads.
    using ContentListener = std::function<void(const Hash32& hash, ObjectKind kind, bool present)>;
    void set_listener(ContentListener listener);
    // Every object held, in hash order (what the node announces when it starts).
    std::vector<std::pair<Hash32, ObjectKind>> objects();
    std::filesystem::path data_path(const Hash32& hash) const;

private:
    friend class PartialWriter;
    struct Entry {
        ObjectKind kind;
        uint64_t length;
        uint64_t disk_bytes;
        bool pinned = false;
        std::list<Hash32>::iterator lru;
        std::string uploader;  // empty: not an upload
    };

    Blockstore(std::filesystem::path root, const BlockstoreOptions& options);
    Result<void, std::string> recover_and_index();
    std::filesystem::path object_path(const Hash32& hash, std::string_view suffix) const;
    void insert_locked(const Hash32& hash, ObjectKind kind, uint64_t length, uint64_t disk_bytes,
                       const std::string& uploader = "");
    void touch_locked(Entry& entry);
    // Forgets an entry (accounting, LRU, pins count); returns the LRU position after it.
    std::list<Hash32>::iterator erase_locked(std::map<Hash32, Entry>::iterator it);
    // Over the capacity: evicts the least recently used unpinned content (only uploads when
    // `uploads_only`), never `keep`.
    void evict_locked(const Hash32& keep, bool uploads_only = false);
    // Evicts unpinned uploads until `bytes` more of uploads by `uploader` fit every limit.
    Result<void, BlockstoreError> make_room_for_upload_locked(const std::string& uploader, uint64_t bytes);
    Result<void, BlockstoreError> write_upload_record(const Hash32& hash, const std::string& uploader);
    void drop_caches(const Hash32& hash);
    void quarantine(const Hash32& hash, uint64_t block);
    void trim_quarantine();
    Result<void, BlockstoreError> save_pins_locked();
    Result<Hash32, BlockstoreError> commit_writer(Writer& writer, const std::optional<Hash32>& expected);
    // Makes a complete, verified data file (open as `data_fd`, at `data_temporary`) the object of
    // `tree`'s root, crash-safely: fsync the data, write and fsync the .tree beside it, charge an
    // upload to `uploader` (empty: not an upload), rename both into objects/, fsync the
    // directory, index. `data_temporary` is cleared once the data file is no longer the caller's.
    // Already held: touches it and leaves the caller's staging file alone.
    Result<void, BlockstoreError> install_file(int data_fd, std::filesystem::path& data_temporary, const HashTree& tree,
                                               const std::string& uploader);

    std::filesystem::path m_root;
    BlockstoreOptions m_options;
    int m_crash_point = 0;  // fault injection for crash tests (FLEEK_BLOCKSTORE_CRASH_POINT)

    std::mutex m_mutex;  // index, LRU, pins, stats
    std::map<Hash32, Entry> m_index;
    std::list<Hash32> m_lru;  // front: least recently used
    uint64_t m_disk_bytes = 0;
    uint64_t m_upload_bytes = 0;
    std::map<std::string, uint64_t> m_uploader_bytes;
    BlockstoreStats m_stats;
    std::mutex m_quarantine_mutex;  // moves into and trimming of quarantine/; taken alone
    int64_t m_last_quarantine_ns = 0;

    std::mutex m_cache_mutex;  // trees and verified blocks; may be taken while holding m_mutex, never the reverse
    std::map<Hash32, std::shared_ptr<const HashTree>> m_trees;
    struct BlockKey {
        Hash32 hash;
        uint64_t index;
        friend auto operator<=>(const BlockKey&, const BlockKey&) = default;
    };
    BlockBuffer sealed_when_possible(const BlockKey& key, BlockBuffer cached);
    std::map<BlockKey, std::pair<BlockBuffer, std::list<BlockKey>::iterator>> m_blocks;
    std::list<BlockKey> m_block_lru;
    uint64_t m_block_cache_bytes = 0;
    std::atomic<uint64_t> m_temp_counter{0};
    ContentListener m_listener;  // called under m_mutex
};

}  // namespace fleek::content
