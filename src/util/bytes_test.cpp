#include "util/bytes.h"

#include <gtest/gtest.h>

namespace fleek {
namespace {

TEST(SecretArray, MoveWipesTheSource) {
    const ByteArray<4> input{1, 2, 3, 4};
    SecretArray<4> first{std::span<const uint8_t, 4>(input)};
    SecretArray<4> second(std::move(first));
    EXPECT_EQ(second.data()[3], 4);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(first.data()[i], 0);  // NOLINT(bugprone-use-after-move)
    SecretArray<4> copy = second.clone();
    EXPECT_EQ(copy.data()[0], 1);
    copy.wipe();
    EXPECT_EQ(copy.data()[0], 0);
    EXPECT_EQ(second.data()[0], 1);
}

TEST(SecretBuffer, AssignAndWipe) {
    SecretBuffer buffer;
    EXPECT_TRUE(buffer.empty());
    buffer.assign(as_bytes("secret"));
    EXPECT_EQ(as_string_view(buffer.view()), "secret");
    SecretBuffer moved(std::move(buffer));
    EXPECT_EQ(moved.size(), 6u);
    moved.wipe();
    EXPECT_TRUE(moved.empty());
}

TEST(ConstantTimeEqual, ComparesContentsAndSizes) {
    EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
    EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
    EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("ab")));
    EXPECT_TRUE(constant_time_equal(ByteSpan{}, ByteSpan{}));
}

}  // namespace
}  // namespace fleek
