// Shared by the blockstore and partial-writer tests: a store in a scratch directory and a count
// of the files it left on disk.
#pragma once

#include "content/blockstore.h"
#include "tests/support/files.h"
#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

namespace fleek::content::testing_support {

using fleek::testing::random_bytes;

inline std::unique_ptr<Blockstore> open_store(const fleek::testing::ScratchDirectory& dir, BlockstoreOptions options = {}) {
    auto store = Blockstore::open(dir / "store", options);
    EXPECT_TRUE(store.has_value()) << (store ? "" : store.error());
    return store ? std::move(*store) : nullptr;
}

// Regular files below `directory`, recursively (what a test expects to be left after a commit,
// an abort or a crash).
inline size_t files_in(const std::filesystem::path& directory) {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file()) ++count;
    }
    return count;
}

}  // namespace fleek::content::testing_support
