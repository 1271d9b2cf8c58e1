#include "content/partial_writer.h"
#include "content/blockstore_fixture_test.h"

#include "tests/support/files.h"
#include "util/encoding.h"
#include "util/file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fleek::content {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDirectory;

using testing_support::files_in;
using testing_support::open_store;
using testing_support::random_bytes;

// Verifies block k of `content` with its random-access proof and hands the token to `use`.
template <class Use>
void with_verified(const HashTree& tree, const Bytes& content, uint64_t k, Use&& use) {
    BlockVerifier verifier(tree.root(), tree.content_length(), k);
    ASSERT_TRUE(verifier.accept_proof(block_proof(tree, k)));
    auto verified = verifier.accept_block(block_of(content, k));
    ASSERT_TRUE(verified);
    use(*verified);
}

// A large fetch has its writeback started while blocks still arrive (every writeback_bytes), so
// the fsync at commit does not find the whole object dirty; the object is still only visible
// (and durable) after commit.
TEST(PartialWriter, StartsWritebackEveryFewMebibytesBeforeCommit) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const uint64_t blocks_per_writeback = PartialWriter::writeback_bytes / block_size;
    const Bytes content = random_bytes(static_cast<size_t>(2 * blocks_per_writeback + 3) * block_size, 7);
    const HashTree tree = hash_tree(content);
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    for (uint64_t k = 0; k < blocks_per_writeback - 1; ++k) {
        with_verified(tree, content, k, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    }
    EXPECT_EQ(partial->writeback_started_bytes(), 0u);
    for (uint64_t k = blocks_per_writeback - 1; k < partial->blocks(); ++k) {
        with_verified(tree, content, k, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    }
    EXPECT_EQ(partial->writeback_started_bytes(), 2 * PartialWriter::writeback_bytes);
    EXPECT_FALSE(store->info(tree.root()));
    ASSERT_TRUE(partial->commit());
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
}

TEST(PartialWriter, BlocksInAnyOrderCommitToTheSameObjectAsAnUpload) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(5 * block_size + 123, 1);
    const HashTree tree = hash_tree(content);
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    EXPECT_EQ(partial->blocks(), 6u);
    for (uint64_t k : {5, 2, 0, 4, 1}) {
        with_verified(tree, content, k, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    }
    EXPECT_EQ(partial->blocks_held(), 5u);
    EXPECT_EQ(partial->first_missing(), 3u);
    EXPECT_FALSE(partial->complete());
    // Nothing is visible before the last block.
    EXPECT_FALSE(store->info(tree.root()));
    EXPECT_EQ(files_in(dir / "store/objects"), 0u);

    with_verified(tree, content, 3, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    ASSERT_TRUE(partial->complete());
    ASSERT_TRUE(partial->commit());
    EXPECT_TRUE(partial->committed());
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
    // The tree file written from the verified leaves is the one an upload writes.
    EXPECT_EQ(*store->tree(tree.root()).value(), tree);
    EXPECT_EQ(read_file(dir / "store/objects" / hex_encode(tree.root()).substr(0, 2) / (hex_encode(tree.root()) + ".tree"),
                        {.max_size = 1 << 20})
                  .value(),
              encode_tree(tree));
    // Held blocks stay readable, checked, after the commit.
    const BlockBuffer held = partial->read_block(5).value();
    const ByteSpan expected = block_of(content, 5);
    EXPECT_TRUE(std::equal(held->view().begin(), held->view().end(), expected.begin(), expected.end()));
    partial.reset();
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
}

TEST(PartialWriter, EmptyAndSingleBlockContent) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    for (const Bytes& content : {Bytes{}, Bytes{'a'}, random_bytes(block_size, 2)}) {
        const HashTree tree = hash_tree(content);
        auto partial = store->begin_fetch(tree.root(), content.size()).value();
        with_verified(tree, content, 0, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
        ASSERT_TRUE(partial->commit());
        EXPECT_EQ(store->info(tree.root())->length, content.size());
        EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
    }
}

TEST(PartialWriter, RefusesBlocksVerifiedForOtherContentOrLength) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(2 * block_size + 5, 3);
    const Bytes other = random_bytes(2 * block_size + 5, 4);
    const HashTree tree = hash_tree(content);
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    with_verified(hash_tree(other), other, 0, [&](const VerifiedBlock& block) {
        EXPECT_EQ(partial->write(block).error(), BlockstoreError::hash_mismatch);
    });
    // The same content announced with another length (same block count): block 0 verifies for
    // that length, but it is not this partial's object.
    BlockVerifier verifier(tree.root(), content.size() + 1, 0);
    ASSERT_TRUE(verifier.accept_proof(block_proof(tree, 0)));
    auto wrong_length = verifier.accept_block(block_of(content, 0));
    ASSERT_TRUE(wrong_length);
    EXPECT_EQ(partial->write(*wrong_length).error(), BlockstoreError::hash_mismatch);
    EXPECT_EQ(partial->blocks_held(), 0u);
    EXPECT_EQ(partial->first_missing(), 0u);
}

// Two sources supply the blocks: the first fails after two blocks, the second resumes from the
// first missing block with a stream verifier starting there.
TEST(PartialWriter, AnotherSourceCompletesWhatOneStarted) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(4 * block_size + 1, 5);
    const HashTree tree = hash_tree(content);
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    {
        BlockVerifier first(tree.root(), content.size(), 0);
        ProofWalker walker(tree, 0);
        for (uint64_t k = 0; k < 2; ++k) {
            ASSERT_TRUE(first.accept_proof(walker.next_proof()));
            ASSERT_TRUE(partial->write(first.accept_block(block_of(content, k)).value()));
        }
    }
    const uint64_t resume = partial->first_missing();
    ASSERT_EQ(resume, 2u);
    BlockVerifier second(tree.root(), content.size(), resume);
    ProofWalker walker(tree, resume);
    for (uint64_t k = resume; k < tree.blocks(); ++k) {
        ASSERT_TRUE(second.accept_proof(walker.next_proof()));
        ASSERT_TRUE(partial->write(second.accept_block(block_of(content, k)).value()));
    }
    ASSERT_TRUE(partial->commit());
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
}

TEST(PartialWriter, DroppedBeforeCommitLeavesNothing) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(3 * block_size, 6);
    const HashTree tree = hash_tree(content);
    {
        auto partial = store->begin_fetch(tree.root(), content.size()).value();
        with_verified(tree, content, 1, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
        EXPECT_EQ(files_in(dir / "store/tmp"), 1u);
    }
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    EXPECT_EQ(files_in(dir / "store/objects"), 0u);
    EXPECT_FALSE(store->info(tree.root()));
}

// begin_fetch makes no file: the staging file comes with the first verified block, so a fetch's
// first block is not behind an open and a truncate (docs/benchmarks.md, "Edge: fetch on a miss");
// a writer dropped before any block leaves nothing either.
TEST(PartialWriter, TheStagingFileComesWithTheFirstBlock) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(3 * block_size, 8);
    const HashTree tree = hash_tree(content);
    {
        auto unused = store->begin_fetch(tree.root(), content.size()).value();
        EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    }
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    with_verified(tree, content, 2, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    ASSERT_EQ(files_in(dir / "store/tmp"), 1u);
    const fs::path staging = fs::directory_iterator(dir / "store/tmp")->path();
    EXPECT_EQ(fs::file_size(staging), content.size());  // at its full length, block 2 at its offset
    for (const uint64_t k : {uint64_t{0}, uint64_t{1}}) {
        with_verified(tree, content, k, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    }
    ASSERT_TRUE(partial->commit());
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
}

TEST(PartialWriter, ReadBlockChecksTheBytesOnDisk) {
    ScratchDirectory dir;
    auto store = open_store(dir);
    const Bytes content = random_bytes(2 * block_size, 7);
    const HashTree tree = hash_tree(content);
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    with_verified(tree, content, 1, [&](const VerifiedBlock& block) { ASSERT_TRUE(partial->write(block)); });
    EXPECT_EQ(partial->read_block(0).error(), BlockstoreError::not_found);
    ASSERT_TRUE(partial->read_block(1));

    // Flip a byte of block 1 in the staging file.
    const fs::path staging = fs::directory_iterator(dir / "store/tmp")->path();
    const int fd = ::open(staging.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const uint8_t flipped = static_cast<uint8_t>(content[block_size + 10] ^ 1);
    ASSERT_EQ(::pwrite(fd, &flipped, 1, block_size + 10), 1);
    ::close(fd);
    EXPECT_EQ(partial->read_block(1).error(), BlockstoreError::corrupt);
    EXPECT_FALSE(partial->has_block(1));  // to be fetched again
    EXPECT_EQ(partial->blocks_held(), 0u);
}

TEST(PartialWriter, LimitsAndDuplicates) {
    ScratchDirectory dir;
    auto store = open_store(dir, {.capacity_bytes = 1 << 30, .block_cache_bytes = 1 << 20, .max_object_bytes = 4 * block_size});
    EXPECT_EQ(store->begin_fetch(Hash32{}, 4 * block_size + 1).error(), BlockstoreError::too_large);
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);

    // Content the store already holds: the commit succeeds and writes nothing.
    const Bytes content = random_bytes(block_size + 1, 8);
    const HashTree tree = hash_tree(content);
    ASSERT_EQ(store->put(content).value(), tree.root());
    auto partial = store->begin_fetch(tree.root(), content.size()).value();
    for (uint64_t k = 0; k < 2; ++k) {
        with_verified(tree, content, k, [&](const VerifiedBlock& block) {
            ASSERT_TRUE(partial->write(block));
            ASSERT_TRUE(partial->write(block));  // a block already held is not written twice
        });
    }
    EXPECT_EQ(partial->blocks_held(), 2u);
    ASSERT_TRUE(partial->commit());
    ASSERT_TRUE(partial->commit());
    partial.reset();
    EXPECT_EQ(store->stats().objects, 1u);
    EXPECT_EQ(files_in(dir / "store/tmp"), 0u);
    EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content);
}

// A fetch killed (SIGKILL) at each step of its commit leaves the content absent or complete.
TEST(PartialWriter, KilledDuringCommitLeavesContentAbsentOrComplete) {
    const std::pair<const char*, bool> points[] = {
        {"after_data_sync", false}, {"after_data_rename", false}, {"after_tree_rename", true}};
    for (const auto& [point, expect_present] : points) {
        ScratchDirectory dir;
        const Bytes content = random_bytes(3 * block_size + 11, 9);
        const HashTree tree = hash_tree(content);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::setenv("FLEEK_BLOCKSTORE_CRASH_POINT", point, 1);
            auto store = Blockstore::open(dir / "store", {});
            if (!store) ::_exit(1);
            auto partial = (*store)->begin_fetch(tree.root(), content.size());
            if (!partial) ::_exit(1);
            for (uint64_t k = tree.blocks(); k-- > 0;) {
                BlockVerifier verifier(tree.root(), content.size(), k);
                if (!verifier.accept_proof(block_proof(tree, k))) ::_exit(1);
                auto block = verifier.accept_block(block_of(content, k));
                if (!block || !(*partial)->write(*block)) ::_exit(1);
            }
            (void)(*partial)->commit();
            ::_exit(0);  // not reached when the crash point fires
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point;
        auto store = open_store(dir);
        EXPECT_EQ(store->info(tree.root()).has_value(), expect_present) << point;
        if (expect_present) {
            EXPECT_EQ(store->read_range(tree.root(), 0, content.size()).value(), content) << point;
        } else {
            EXPECT_EQ(files_in(dir / "store/objects"), 0u) << point;
        }
        EXPECT_EQ(files_in(dir / "store/tmp"), 0u) << point;
    }
}

}  // namespace
}  // namespace fleek::content
