#include "content/file_hash.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>
#include <unistd.h>

namespace fleek::content {
namespace {

using testing::ScratchDirectory;

Bytes random_content(size_t size, uint32_t seed) {
    std::mt19937 rng(seed);
    Bytes out(size);
    for (auto& byte : out) byte = static_cast<uint8_t>(rng());
    return out;
}

void write_file(const std::filesystem::path& path, ByteSpan bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(HashFile, EqualsTheTreeOfTheBytesWithAnyThreads) {
    ScratchDirectory dir;
    for (const size_t size : {size_t{0}, size_t{1}, block_size - 1, block_size, block_size + 1, 9 * block_size + 5}) {
        const Bytes content = random_content(size, static_cast<uint32_t>(size));
        const auto path = dir / ("f" + std::to_string(size));
        write_file(path, content);
        for (const unsigned threads : {1u, 2u, 3u}) {
            const auto tree = hash_file(path, threads);
            ASSERT_TRUE(tree.has_value()) << tree.error();
            EXPECT_EQ(*tree, hash_tree(content)) << size << " bytes, " << threads << " threads";
        }
    }
    EXPECT_FALSE(hash_file(dir / "missing").has_value());
    EXPECT_NE(hash_file(dir.path()).error().find("not a regular file"), std::string::npos);
}

// Another thread truncates the file after the first block was hashed. The mmap-based hasher
// died of SIGBUS on the next page; now the read comes up short and the error says why.
TEST(HashFile, TruncatedWhileHashingIsAnErrorNotASignal) {
    ScratchDirectory dir;
    const auto path = dir / "shrinking";
    write_file(path, random_content(32 * block_size, 1));
    for (const unsigned threads : {1u, 2u}) {
        write_file(path, random_content(32 * block_size, 1));
        bool truncated = false;
        HashFileOptions options;
        options.threads = threads;
        options.progress = [&](uint64_t, uint64_t) {
            if (truncated) return;
            truncated = true;
            std::thread other([&] { ASSERT_EQ(::truncate(path.c_str(), 3 * block_size), 0); });
            other.join();
        };
        const auto tree = hash_file(path, options);
        ASSERT_TRUE(truncated);
        ASSERT_FALSE(tree.has_value());
        EXPECT_NE(tree.error().find("truncated while it was being hashed"), std::string::npos) << tree.error();
        EXPECT_NE(tree.error().find(path.string()), std::string::npos);
    }
}

TEST(HashFile, ChangedWhileHashingIsAnError) {
    ScratchDirectory dir;
    const auto path = dir / "growing";
    write_file(path, random_content(12 * block_size, 2));
    bool appended = false;
    HashFileOptions options;
    options.progress = [&](uint64_t, uint64_t) {
        if (appended) return;
        appended = true;
        std::ofstream out(path, std::ios::binary | std::ios::app);
        out << "more";
    };
    const auto tree = hash_file(path, options);
    ASSERT_FALSE(tree.has_value());
    EXPECT_NE(tree.error().find("changed while it was being hashed"), std::string::npos) << tree.error();
}

}  // namespace
}  // namespace fleek::content
