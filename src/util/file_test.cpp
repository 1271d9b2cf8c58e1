#include "util/file.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

namespace fleek {
namespace {

class FileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/fleek-file-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::filesystem::path m_dir;
};

mode_t mode_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
}

TEST_F(FileTest, WritesAtomicallyWithTheRequestedMode) {
    const auto path = m_dir / "a" / "b" / "file.txt";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("hello"), {.mode = 0600, .directory_mode = 0700}));
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(m_dir / "a"), 0700u);
    auto read = read_file(path, {});
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(as_string_view(*read), "hello");
    // No temporary file is left behind.
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path.parent_path())) ++entries;
    EXPECT_EQ(entries, 1u);
}

TEST_F(FileTest, RefusesToOverwriteUnlessAsked) {
    const auto path = m_dir / "file";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("one"), {}));
    auto again = write_file_atomic(path, as_bytes("two"), {});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, FileErrorCode::already_exists);
    EXPECT_NE(again.error().message.find("--force"), std::string::npos);
    EXPECT_EQ(as_string_view(read_file(path, {}).value()), "one");
    ASSERT_TRUE(write_file_atomic(path, as_bytes("two"), {.overwrite = true}));
    EXPECT_EQ(as_string_view(read_file(path, {}).value()), "two");
}

TEST_F(FileTest, ReadReportsMissingTooLargeAndDirectories) {
    auto missing = read_file(m_dir / "missing", {});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, FileErrorCode::not_found);
    EXPECT_NE(missing.error().message.find("missing"), std::string::npos);

    ASSERT_TRUE(write_file_atomic(m_dir / "big", Bytes(100, 'x'), {}));
    auto big = read_file(m_dir / "big", {.max_size = 99});
    ASSERT_FALSE(big.has_value());
    EXPECT_EQ(big.error().code, FileErrorCode::too_large);
    EXPECT_TRUE(read_file(m_dir / "big", {.max_size = 100}).has_value());

    auto directory = read_file(m_dir, {});
    ASSERT_FALSE(directory.has_value());
    EXPECT_EQ(directory.error().code, FileErrorCode::not_regular_file);
}

TEST_F(FileTest, ReadAllocatesByFileSizeNotByLimit) {
    // A small file read with a huge limit: the buffer follows the file (this once allocated the
    // limit, which aborts under ASan).
    ASSERT_TRUE(write_file_atomic(m_dir / "small", as_bytes("tiny"), {}));
    auto read = read_file(m_dir / "small", {.max_size = size_t{1} << 40});
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(as_string_view(*read), "tiny");
}

TEST_F(FileTest, SecretFilesMustBePrivate) {
    const auto path = m_dir / "secret";
    ASSERT_TRUE(write_file_atomic(path, as_bytes("key"), {.mode = 0644}));
    auto open = read_secret_file(path, 1024);
    ASSERT_FALSE(open.has_value());
    EXPECT_EQ(open.error().code, FileErrorCode::permissions_too_open);
    EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);
    EXPECT_NE(open.error().message.find("0644"), std::string::npos);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto ok = read_secret_file(path, 1024);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(as_string_view(ok->view()), "key");
}

// Two threads replacing one file at once: every write succeeds, the file always holds one
// writer's whole contents, and no temporary file is left. (Temporary names used to be the pid
// only: the threads removed or collided with each other's temporary file.)
TEST_F(FileTest, ConcurrentWritersOfOnePathDoNotCollide) {
    const auto path = m_dir / "shared.txt";
    const std::string first(4096, 'a');
    const std::string second(8192, 'b');
    std::atomic<int> failures{0};
    const auto writer = [&](const std::string& contents) {
        for (int i = 0; i < 200; ++i) {
            if (!write_file_atomic(path, as_bytes(contents), {.mode = 0644, .overwrite = true})) ++failures;
        }
    };
    std::thread one(writer, first);
    std::thread two(writer, second);
    one.join();
    two.join();
    EXPECT_EQ(failures.load(), 0);
    const auto read = read_file(path, {});
    ASSERT_TRUE(read.has_value());
    EXPECT_TRUE(as_string_view(*read) == first || as_string_view(*read) == second);
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(m_dir)) ++entries;
    EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace fleek
