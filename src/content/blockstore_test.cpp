#include "content/blockstore.h"
#include "content/blockstore_fixture_test.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fleek::content {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDirectory;

using testing_support::files_in;
using testing_support::open_store;
using testing_support::random_bytes;

void flip_byte(const fs::path& path, uint64_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    file.read(&c, 1);
    c = static_cast<char>(c ^ 0x20);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(&c, 1);
}

// A block asked for again while in the cache moves into a sealed memory file: the gateway hands
// that file to sendfile (no copy into the socket), which is only safe because nothing can change
// the bytes after they were verified. Before, cached blocks were heap buffers with no file
// (sealed_fd() -1 on every read).
TEST(Blockstore, CachedBlocksAreSealedAndImmutable) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(2 * block_size + 77, 11);
    const Hash32 hash = store->put(content).value();
    const uint64_t sealed_before = Block::sealed_count();
    {
        const auto tree = store->tree(hash).value();
        for (uint64_t k = 0; k < tree->blocks(); ++k) {
            // The first read hashes the block from disk into the heap: a block read once never
            // pays for a memory file.
            EXPECT_EQ(store->read_block(hash, k).value()->sealed_fd(), -1);
            const auto block = store->read_block(hash, k).value();
            const int fd = block->sealed_fd();
            ASSERT_GE(fd, 0) << "block " << k;
            EXPECT_EQ(store->read_block(hash, k).value(), block);  // the cache keeps the sealed one
            const int seals = ::fcntl(fd, F_GET_SEALS);
            EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
                      F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
            // Neither writing nor resizing the file is possible, and its bytes are the content's.
            const uint8_t zero = 0;
            EXPECT_EQ(::pwrite(fd, &zero, 1, 0), -1);
            EXPECT_EQ(errno, EPERM);
            EXPECT_EQ(::ftruncate(fd, 1), -1);
            const size_t length = block_length(content.size(), k);
            Bytes from_file(length);
            ASSERT_EQ(::pread(fd, from_file.data(), length, 0), static_cast<ssize_t>(length));
            const Bytes expected(content.begin() + static_cast<std::ptrdiff_t>(k * block_size),
                                 content.begin() + static_cast<std::ptrdiff_t>(k * block_size + length));
            EXPECT_EQ(from_file, expected);
            EXPECT_EQ(Bytes(block->view().begin(), block->view().end()), expected);
        }
        EXPECT_EQ(Block::sealed_count(), sealed_before + 3);  // held by the block cache
    }
    store.reset();  // the cache lets go: every descriptor and mapping is released
    EXPECT_EQ(Block::sealed_count(), sealed_before);
}

// A block that does not fit the cache is never sealed (nothing would keep the memory file).
TEST(Blockstore, UncachedBlocksStayOnTheHeap) {
    ScratchDirectory dir;
    auto store = open_store(dir, BlockstoreOptions{.block_cache_bytes = 0});
    const Bytes content = random_bytes(block_size, 12);
    const Hash32 hash = store->put(content).value();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(store->read_block(hash, 0).value()->sealed_fd(), -1);
}

TEST(Blockstore, PutAndReadBack) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    for (const size_t length : {size_t{0}, size_t{1}, block_size, 3 * block_size + 5}) {
        const Bytes content = random_bytes(length, static_cast<uint32_t>(length));
        const Hash32 hash = store->put(content).value();
        EXPECT_EQ(hash, crypto::blake3(content));
        const auto info = store->info(hash);
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->length, length);
        EXPECT_EQ(store->read_range(hash, 0, length).value(), content);
        if (length > 10) {
            EXPECT_EQ(store->read_range(hash, 3, length - 7).value(), Bytes(content.begin() + 3, content.end() - 4));
        }
        const auto tree = store->tree(hash).value();
        for (uint64_t k = 0; k < tree->blocks(); ++k) {
            const auto block = store->read_block(hash, k).value();
            EXPECT_EQ(Bytes(block->view().begin(), block->view().end()), Bytes(content.begin() + static_cast<std::ptrdiff_t>(k * block_size),
                                    content.begin() + static_cast<std::ptrdiff_t>(k * block_size + block_length(length, k))));
        }
        EXPECT_EQ(store->read_range(hash, length, 1).error(), BlockstoreError::invalid_path);
    }
    Hash32 unknown{};
    EXPECT_FALSE(store->info(unknown).has_value());
    EXPECT_EQ(store->read_block(unknown, 0).error(), BlockstoreError::not_found);
    const auto stats = store->stats();
    EXPECT_EQ(stats.objects, 4u);
    EXPECT_GT(stats.hits, 0u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_GT(stats.block_cache_hits + stats.block_cache_misses, 0u);
}

TEST(Blockstore, StreamingWriterChecksTheExpectedHash) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(2 * block_size + 100, 1);
    auto writer = store->begin_write().value();
    for (size_t offset = 0; offset < content.size(); offset += 70000) {
        ASSERT_TRUE(writer->write(ByteSpan(content).subspan(offset, std::min<size_t>(70000, content.size() - offset))));
    }
    Hash32 wrong = crypto::blake3(content);
    wrong[0] ^= 1;
    EXPECT_EQ(writer->commit(wrong).error(), BlockstoreError::hash_mismatch);
    EXPECT_EQ(store->stats().objects, 0u);
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    EXPECT_EQ(files_in(dir / "store/objects"), 0u);

    auto again = store->begin_write().value();
    ASSERT_TRUE(again->write(content));
    EXPECT_EQ(again->commit(crypto::blake3(content)).value(), crypto::blake3(content));
    // A duplicate is accepted and stored once.
    EXPECT_EQ(store->put(content).value(), crypto::blake3(content));
    EXPECT_EQ(store->stats().objects, 1u);
    // An abandoned writer leaves nothing.
    {
        auto abandoned = store->begin_write().value();
        ASSERT_TRUE(abandoned->write(content));
    }
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
}

TEST(Blockstore, UploadLimits) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.capacity_bytes = 10 * block_size, .max_object_bytes = block_size});
    auto writer = store->begin_write().value();
    ASSERT_TRUE(writer->write(Bytes(block_size, 1)));
    EXPECT_EQ(writer->write(Bytes(1, 1)).error(), BlockstoreError::too_large);
    EXPECT_EQ(writer->commit().error(), BlockstoreError::io);
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
}

TEST(Blockstore, ReopenRebuildsTheIndexAndKeepsPins) {
    ScratchDirectory dir;
    const Bytes a = random_bytes(block_size + 1, 1);
    const Bytes b = random_bytes(10, 2);
    {
        auto store = open_store(dir);
        ASSERT_TRUE(store->put(a));
        ASSERT_TRUE(store->put(b));
        ASSERT_TRUE(store->pin(crypto::blake3(a)));
    }
    auto store = open_store(dir);
    EXPECT_EQ(store->stats().objects, 2u);
    EXPECT_EQ(store->stats().pinned, 1u);
    EXPECT_TRUE(store->is_pinned(crypto::blake3(a)));
    EXPECT_EQ(store->read_range(crypto::blake3(a), 0, a.size()).value(), a);
}

TEST(Blockstore, OpenCleansWhatAnInterruptedWriteLeft) {
    ScratchDirectory dir;
    const Bytes a = random_bytes(block_size + 7, 1);
    const Bytes b = random_bytes(99, 2);
    const Bytes c = random_bytes(2 * block_size, 3);
    Hash32 ha, hb, hc;
    {
        auto store = open_store(dir);
        ha = store->put(a).value();
        hb = store->put(b).value();
        hc = store->put(c).value();
    }
    std::error_code error;
    // a: tree missing (crash between the renames); b: data missing; c: data cut short.
    const auto path_of = [&](const Hash32& h, const char* suffix) {
        const std::string hex = hex_encode(h);
        return dir / "store/objects" / hex.substr(0, 2) / (hex + suffix);
    };
    fs::remove(path_of(ha, ".tree"));
    fs::remove(path_of(hb, ".data"));
    fs::resize_file(path_of(hc, ".data"), c.size() - 1);
    testing::write_text(dir / "store/tmp/123-0.data", "leftover");
    auto store = open_store(dir);
    EXPECT_EQ(store->stats().objects, 0u);
    EXPECT_EQ(files_in(dir / "store/objects"), 0u);
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
}

TEST(Blockstore, CorruptBlocksAreDetectedAndNeverServed) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.block_cache_bytes = 0});
    const Bytes content = random_bytes(3 * block_size, 4);
    const Hash32 hash = store->put(content).value();
    ASSERT_TRUE(store->read_block(hash, 1));
    flip_byte(store->data_path(hash), block_size + 12345);
    ASSERT_TRUE(store->read_block(hash, 0));  // block 0 is still intact
    EXPECT_EQ(store->read_block(hash, 1).error(), BlockstoreError::corrupt);
    EXPECT_EQ(store->stats().corrupt_blocks, 1u);
    // The content is quarantined: gone from the index, not served any more.
    EXPECT_FALSE(store->info(hash).has_value());
    EXPECT_EQ(store->read_block(hash, 0).error(), BlockstoreError::not_found);
    EXPECT_TRUE(fs::exists(dir / ("store/quarantine/" + hex_encode(hash) + ".data")));
    // Stored again, it is served again.
    EXPECT_EQ(store->put(content).value(), hash);
    EXPECT_EQ(store->read_range(hash, 0, content.size()).value(), content);
}

TEST(Blockstore, CorruptTreesAreDetected) {
    ScratchDirectory dir;
    Hash32 hash;
    {
        auto store = open_store(dir);
        hash = store->put(random_bytes(2 * block_size, 5)).value();
    }
    const std::string hex = hex_encode(hash);
    flip_byte(dir / "store/objects" / hex.substr(0, 2) / (hex + ".tree"), 20);
    auto store = open_store(dir);
    EXPECT_EQ(store->read_block(hash, 0).error(), BlockstoreError::corrupt);
    EXPECT_FALSE(store->info(hash).has_value());
}

TEST(Blockstore, EvictsLeastRecentlyUsedButNeverPinned) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.capacity_bytes = 3 * block_size + 1000});
    std::vector<Hash32> hashes;
    for (uint32_t i = 0; i < 3; ++i) hashes.push_back(store->put(random_bytes(block_size, i)).value());
    ASSERT_TRUE(store->pin(hashes[0]));
    ASSERT_TRUE(store->info(hashes[1]));  // 1 used more recently than 2
    const Hash32 fourth = store->put(random_bytes(block_size, 9)).value();
    EXPECT_TRUE(store->info(hashes[0]).has_value());   // pinned
    EXPECT_TRUE(store->info(hashes[1]).has_value());   // recently used
    EXPECT_FALSE(store->info(hashes[2]).has_value());  // evicted
    EXPECT_TRUE(store->info(fourth).has_value());
    EXPECT_EQ(store->stats().evictions, 1u);
    EXPECT_LE(store->stats().bytes, 3 * block_size + 1000);
    // Content larger than the whole store is refused.
    EXPECT_EQ(store->put(Bytes(4 * block_size, 0)).error(), BlockstoreError::too_large);
}

// The provider records follow the store: every object that enters it and every one that leaves it
// (evicted, removed, quarantined) is told to the listener.
TEST(Blockstore, ListenerHearsEveryObjectEnterAndLeave) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.capacity_bytes = 3 * block_size + 1000, .block_cache_bytes = 0});
    const Hash32 kept = store->put(random_bytes(block_size, 1)).value();
    std::vector<std::pair<Hash32, bool>> heard;
    store->set_listener([&](const Hash32& hash, ObjectKind kind, bool present) {
        EXPECT_EQ(kind, ObjectKind::file);
        heard.emplace_back(hash, present);
    });
    EXPECT_EQ(store->objects(), (std::vector<std::pair<Hash32, ObjectKind>>{{kept, ObjectKind::file}}));  // what was there before
    const Hash32 a = store->put(random_bytes(block_size, 2)).value();
    const Hash32 b = store->put(random_bytes(block_size, 3)).value();
    ASSERT_TRUE(store->info(kept));
    ASSERT_TRUE(store->info(b));
    const Hash32 c = store->put(random_bytes(block_size, 4)).value();  // evicts a, the least recently used
    EXPECT_EQ(store->put(random_bytes(block_size, 2)).value(), a);     // a again: evicts kept
    ASSERT_TRUE(store->remove(b));
    flip_byte(store->data_path(c), 10);
    EXPECT_EQ(store->read_block(c, 0).error(), BlockstoreError::corrupt);  // quarantined
    EXPECT_EQ(heard, (std::vector<std::pair<Hash32, bool>>{{a, true}, {b, true}, {c, true}, {a, false}, {a, true}, {kept, false},
                                                            {b, false}, {c, false}}));
    EXPECT_EQ(store->objects(), (std::vector<std::pair<Hash32, ObjectKind>>{{a, ObjectKind::file}}));
    store->set_listener(nullptr);
    (void)store->put(random_bytes(block_size, 5));
    EXPECT_EQ(heard.size(), 8u);
}

// Uploads fill their own budget: making room for one evicts only older unpinned uploads,
// never content that came another way (with one shared LRU, the third upload below evicted
// `first`, the least recently used object).
TEST(Blockstore, UploadsNeverEvictOtherContent) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.capacity_bytes = 8 * block_size + 4096});
    const Hash32 first = store->put(random_bytes(3 * block_size, 20)).value();
    const Hash32 second = store->put(random_bytes(3 * block_size, 21)).value();
    const Hash32 upload_a = store->put(random_bytes(2 * block_size, 22), "ip:198.51.100.1").value();
    EXPECT_EQ(store->uploader_bytes("ip:198.51.100.1"), store->stats().upload_bytes);
    const Hash32 upload_b = store->put(random_bytes(2 * block_size, 23), "ip:198.51.100.2").value();
    EXPECT_FALSE(store->info(upload_a).has_value());  // the older upload made room
    EXPECT_TRUE(store->info(upload_b).has_value());
    EXPECT_EQ(store->uploader_bytes("ip:198.51.100.1"), 0u);
    // An upload that would need other content gone is refused, and nothing of it is stored.
    const Bytes big = random_bytes(3 * block_size, 24);
    EXPECT_EQ(store->put(big, "ip:198.51.100.3").error(), BlockstoreError::upload_space_full);
    EXPECT_FALSE(store->info(hash_tree(big).root()).has_value());
    EXPECT_TRUE(store->info(first).has_value());
    EXPECT_TRUE(store->info(second).has_value());
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    // Content that is not an upload still evicts by plain LRU.
    const Hash32 third = store->put(random_bytes(3 * block_size, 25)).value();
    EXPECT_TRUE(store->info(third).has_value());
    EXPECT_LE(store->stats().bytes, 8 * block_size + 4096);
}

TEST(Blockstore, UploadQuotasPerUploaderAndTogether) {
    ScratchDirectory dir;
    const uint64_t tree_room = 1024;
    auto store = open_store(dir, {.upload_capacity_bytes = 5 * block_size + 3 * tree_room,
                                  .upload_quota_bytes = 3 * block_size + 2 * tree_room});
    const std::string alice = "token:0123456789abcdef";
    const std::string bob = "ip:192.0.2.1";
    const Hash32 a1 = store->put(random_bytes(2 * block_size, 30), alice).value();
    // Over alice's quota: refused while writing, nothing stored, nothing evicted.
    auto writer = store->begin_write(alice).value();
    EXPECT_TRUE(writer->write(random_bytes(block_size, 31)));
    EXPECT_EQ(writer->write(random_bytes(block_size, 32)).error(), BlockstoreError::quota_exceeded);
    writer.reset();
    EXPECT_TRUE(store->info(a1).has_value());
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    // The same bytes are not charged twice: storing what is already held costs nothing.
    EXPECT_EQ(store->put(random_bytes(2 * block_size, 30), bob).value(), a1);
    EXPECT_EQ(store->uploader_bytes(bob), 0u);
    // Uploads share one space: making room evicts the least recently used unpinned upload,
    // whoever uploaded it; a pinned one stays.
    ASSERT_TRUE(store->pin(a1));
    const Hash32 b1 = store->put(random_bytes(2 * block_size, 33), bob).value();
    const Hash32 b2 = store->put(random_bytes(block_size, 34), bob).value();
    EXPECT_EQ(store->put(random_bytes(block_size, 35), bob).error(), BlockstoreError::quota_exceeded);
    const Hash32 a2 = store->put(random_bytes(block_size, 36), alice).value();
    EXPECT_FALSE(store->info(b1).has_value());
    EXPECT_TRUE(store->info(a1).has_value());
    EXPECT_TRUE(store->info(b2).has_value());
    EXPECT_TRUE(store->info(a2).has_value());
    // With every upload pinned, a new one is refused and nothing is evicted for it.
    ASSERT_TRUE(store->pin(a2));
    ASSERT_TRUE(store->pin(b2));
    const std::string carol = "ip:192.0.2.2";
    EXPECT_EQ(store->put(random_bytes(2 * block_size, 37), carol).error(), BlockstoreError::upload_space_full);
    EXPECT_EQ(store->stats().evictions, 1u);
    ASSERT_TRUE(store->unpin(b2));
    EXPECT_TRUE(store->put(random_bytes(2 * block_size, 37), carol).has_value());
    EXPECT_FALSE(store->info(b2).has_value());
    EXPECT_LE(store->stats().upload_bytes, 5 * block_size + 3 * tree_room);
    // Who uploaded what survives a restart.
    const uint64_t alice_bytes = store->uploader_bytes(alice);
    const uint64_t bob_bytes = store->uploader_bytes(bob);
    const uint64_t carol_bytes = store->uploader_bytes(carol);
    store.reset();
    store = open_store(dir, {.upload_capacity_bytes = 5 * block_size + 3 * tree_room,
                             .upload_quota_bytes = 3 * block_size + 2 * tree_room});
    EXPECT_EQ(store->uploader_bytes(alice), alice_bytes);
    EXPECT_EQ(store->uploader_bytes(bob), bob_bytes);
    EXPECT_EQ(store->uploader_bytes(carol), carol_bytes);
    EXPECT_EQ(store->stats().upload_bytes, alice_bytes + bob_bytes + carol_bytes);
}

TEST(Blockstore, DirectoryUploadsAreCharged) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.upload_quota_bytes = 4096});
    const Hash32 file = store->put(as_bytes("x")).value();
    std::vector<DirectoryEntry> entries;
    entries.push_back(DirectoryEntry{"x.txt", EntryKind::file, file, ""});
    const Directory listing = Directory::make(std::move(entries)).value();
    const Hash32 hash = store->put_directory(listing, "ip:192.0.2.9").value();
    EXPECT_EQ(store->uploader_bytes("ip:192.0.2.9"), listing.encode().size());
    store.reset();
    store = open_store(dir);
    EXPECT_EQ(store->uploader_bytes("ip:192.0.2.9"), listing.encode().size());
    ASSERT_TRUE(store->remove(hash));
    EXPECT_EQ(store->uploader_bytes("ip:192.0.2.9"), 0u);
    EXPECT_FALSE(fs::exists(dir / "store/objects" / hex_encode(hash).substr(0, 2) / (hex_encode(hash) + ".upload")));
}

// quarantine/ keeps only the newest corrupt objects within its bounds (it grew forever).
TEST(Blockstore, QuarantineIsBounded) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.block_cache_bytes = 0, .quarantine_max_objects = 2});
    std::vector<Hash32> hashes;
    for (uint32_t i = 0; i < 4; ++i) {
        hashes.push_back(store->put(random_bytes(block_size + 10, 40 + i)).value());
        flip_byte(store->data_path(hashes.back()), 77);
        ASSERT_EQ(store->read_block(hashes.back(), 0).error(), BlockstoreError::corrupt);
    }
    const auto quarantined = [&](const Hash32& hash) {
        return fs::exists(dir / ("store/quarantine/" + hex_encode(hash) + ".data"));
    };
    EXPECT_FALSE(quarantined(hashes[0]));
    EXPECT_FALSE(quarantined(hashes[1]));
    EXPECT_TRUE(quarantined(hashes[2]));
    EXPECT_TRUE(quarantined(hashes[3]));
    EXPECT_EQ(files_in(dir / "store/quarantine"), 4u);  // data and tree of two objects
    store.reset();
    // A smaller byte bound applies when the store opens: the newest object stays.
    store = open_store(dir, {.quarantine_max_bytes = block_size + 4096});
    EXPECT_FALSE(quarantined(hashes[2]));
    EXPECT_TRUE(quarantined(hashes[3]));
}

TEST(Blockstore, Directories) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Hash32 readme = store->put(to_bytes("hello")).value();
    const Hash32 data = store->put(random_bytes(block_size + 3, 7)).value();
    auto inner = Directory::make({{"data.bin", EntryKind::file, data, ""}}).value();
    EXPECT_EQ(store->put_directory(Directory::make({{"x", EntryKind::directory, inner.hash(), ""}}).value()).error(),
              BlockstoreError::missing_child);
    const Hash32 inner_hash = store->put_directory(inner).value();
    const auto outer = Directory::make({{"README", EntryKind::file, readme, ""},
                                        {"sub", EntryKind::directory, inner_hash, ""},
                                        {"link", EntryKind::symlink, {}, "sub/data.bin"}})
                           .value();
    const Hash32 root = store->put_directory(outer).value();
    EXPECT_EQ(store->directory(root).value(), outer);
    EXPECT_EQ(store->info(root)->kind, ObjectKind::directory);

    EXPECT_EQ(store->resolve_path(root, "README").value().hash, readme);
    EXPECT_EQ(store->resolve_path(root, "sub/data.bin").value().hash, data);
    EXPECT_EQ(store->resolve_path(root, "/sub//data.bin").value().hash, data);
    EXPECT_EQ(store->resolve_path(root, "sub").value().kind, ObjectKind::directory);
    EXPECT_EQ(store->resolve_path(root, "").value().hash, root);
    EXPECT_EQ(store->resolve_path(root, "nope").error(), BlockstoreError::not_found);
    EXPECT_EQ(store->resolve_path(root, "README/x").error(), BlockstoreError::not_a_directory);
    EXPECT_EQ(store->resolve_path(root, "../README").error(), BlockstoreError::invalid_path);
    EXPECT_EQ(store->resolve_path(root, "link").error(), BlockstoreError::not_found);
    EXPECT_EQ(store->directory(readme).error(), BlockstoreError::not_a_directory);
    EXPECT_EQ(store->tree(root).error(), BlockstoreError::not_a_file);

    // A file directly referenced by the wrong kind is missing.
    EXPECT_EQ(store->put_directory(Directory::make({{"x", EntryKind::directory, readme, ""}}).value()).error(),
              BlockstoreError::missing_child);
}

TEST(Blockstore, ConcurrentReadersAndWriters) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.block_cache_bytes = 2 * block_size});
    std::vector<Bytes> contents;
    std::vector<Hash32> hashes;
    for (uint32_t i = 0; i < 4; ++i) {
        contents.push_back(random_bytes(2 * block_size + i, i));
        hashes.push_back(store->put(contents.back()).value());
    }
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round) {
                const size_t i = static_cast<size_t>((t + round) % 4);
                auto bytes = store->read_range(hashes[i], 0, contents[i].size());
                if (!bytes || *bytes != contents[i]) ++failures;
                if (round % 5 == 0 && !store->put(random_bytes(1000, static_cast<uint32_t>(100 * t + round)))) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
}

// A write killed (SIGKILL) at each step of its commit leaves the content absent or complete.
TEST(Blockstore, KilledDuringCommitLeavesContentAbsentOrComplete) {
    const std::pair<const char*, bool> points[] = {
        {"after_data_sync", false}, {"after_data_rename", false}, {"after_tree_rename", true}};
    for (const auto& [point, expect_present] : points) {
        ScratchDirectory dir;
        const Bytes content = random_bytes(3 * block_size + 11, 8);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::setenv("FLEEK_BLOCKSTORE_CRASH_POINT", point, 1);
            auto store = Blockstore::open(dir / "store", {});
            if (store) (void)(*store)->put(content);
            ::_exit(0);  // not reached when the crash point fires
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point;
        auto store = open_store(dir);
        const Hash32 hash = crypto::blake3(content);
        EXPECT_EQ(store->info(hash).has_value(), expect_present) << point;
        if (expect_present) {
            EXPECT_EQ(store->read_range(hash, 0, content.size()).value(), content) << point;
        } else {
            EXPECT_EQ(files_in(dir / "store/objects"), 0u) << point;
        }
        EXPECT_EQ(files_in(dir / "store/tmp"), 0u) << point;
    }
}

}  // namespace
}  // namespace fleek::content
