#include "content/directory.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::content {
namespace {

Hash32 filled(uint8_t value) {
    Hash32 hash;
    hash.fill(value);
    return hash;
}

DirectoryEntry file(std::string name, uint8_t fill) { return {std::move(name), EntryKind::file, filled(fill), ""}; }

// content.md §3.4: Lightning's fixture 2713272e... (three files), reconstructed there bit-exactly.
TEST(Directory, LightningFixtureVector) {
    const auto directory =
        Directory::make({file("index.js", 3), file("b.js", 1), file("fleek.config.json", 2)}).value();
    EXPECT_EQ(directory.entries()[0].name, "b.js");
    EXPECT_EQ(hex_encode(directory.hash()), "2713272e28976929bc669d2c89f2a8b2d502385753ab954400c2e2ecf3206dd3");
}

TEST(Directory, EmptyAndSingleEntry) {
    EXPECT_EQ(hex_encode(Directory::make({}).value().hash()),
              "483f7a85ae3cdb0a34d1b22fc86da4740c35b268805993ea82471d5083c1e780");
    const Hash32 one = Directory::make({file("a", 1)}).value().hash();
    EXPECT_NE(one, Directory::make({file("a", 2)}).value().hash());
    EXPECT_NE(one, Directory::make({file("b", 1)}).value().hash());
}

TEST(Directory, KindsAreCovered) {
    DirectoryEntry as_directory = file("x", 1);
    as_directory.kind = EntryKind::directory;
    const Hash32 as_file = Directory::make({file("x", 1), file("y", 2)}).value().hash();
    EXPECT_NE(as_file, Directory::make({as_directory, file("y", 2)}).value().hash());
    const DirectoryEntry link{"x", EntryKind::symlink, {}, "target"};
    EXPECT_NE(as_file, Directory::make({link, file("y", 2)}).value().hash());
}

TEST(Directory, ValidatesEntries) {
    for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", std::string("a\0b", 3), std::string(256, 'x'), "\xff"}) {
        EXPECT_EQ(Directory::make({file(bad, 1)}).error(), DirectoryError::invalid_name) << bad;
    }
    EXPECT_EQ(Directory::make({file("a", 1), file("a", 2)}).error(), DirectoryError::duplicate_name);
    EXPECT_EQ(Directory::make({DirectoryEntry{"l", EntryKind::symlink, {}, ""}}).error(), DirectoryError::invalid_target);
    EXPECT_TRUE(Directory::make({file(std::string(255, 'x'), 1)}).has_value());
}

TEST(Directory, EncodingRoundTripsAndIsCanonical) {
    const auto directory = Directory::make({file("b", 2), file("a", 1), DirectoryEntry{"c", EntryKind::symlink, {}, "../x"},
                                            DirectoryEntry{"d", EntryKind::directory, filled(9), ""}})
                               .value();
    const Bytes encoded = directory.encode();
    EXPECT_EQ(Directory::decode(encoded).value(), directory);
    EXPECT_EQ(directory.find("c")->target, "../x");
    EXPECT_EQ(directory.find("zz"), nullptr);
    // Truncations, unsorted entries and trailing bytes are malformed.
    for (size_t cut = 0; cut < encoded.size(); ++cut) {
        EXPECT_EQ(Directory::decode(ByteSpan(encoded).first(cut)).error(), DirectoryError::malformed) << cut;
    }
    Bytes longer = encoded;
    longer.push_back(0);
    EXPECT_EQ(Directory::decode(longer).error(), DirectoryError::malformed);
    Bytes swapped = encoded;
    // Entry names "a" and "b" are single bytes at fixed places: swap them to break the order.
    const size_t first_name = 4 + 1 + 4 + 1 + 4;
    const size_t second_name = first_name + 1 + 32 + 1 + 4;
    std::swap(swapped[first_name], swapped[second_name]);
    EXPECT_EQ(Directory::decode(swapped).error(), DirectoryError::malformed);
}

}  // namespace
}  // namespace fleek::content
