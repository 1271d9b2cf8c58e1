#include "content/stream.h"

#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <random>

namespace fleek::content {
namespace {

using testing::random_bytes;

struct Received {
    Bytes bytes;
    std::vector<uint64_t> blocks;
};

// Feeds `stream` in pieces of random size; returns the verified output and the result.
Result<void, StreamFailure> run(const Hash32& root, const Bytes& stream, Received& out, uint32_t seed,
                                std::optional<uint64_t> first = std::nullopt, std::optional<uint64_t> end = std::nullopt) {
    StreamVerifier verifier(root, first, end);
    std::mt19937 rng(seed);
    size_t offset = 0;
    const auto sink = [&](uint64_t index, ByteSpan block) {
        out.blocks.push_back(index);
        out.bytes.insert(out.bytes.end(), block.begin(), block.end());
        return true;
    };
    while (offset < stream.size()) {
        const size_t step = std::min<size_t>(stream.size() - offset, 1 + rng() % (block_size + 5000));
        if (auto fed = verifier.feed(ByteSpan(stream).subspan(offset, step), sink); !fed) return fed;
        offset += step;
    }
    return verifier.finish();
}

TEST(Stream, WholeContentRoundTrips) {
    for (const size_t length : {size_t{0}, size_t{1}, block_size - 1, block_size, block_size + 1, 5 * block_size + 3}) {
        const Bytes content = random_bytes(length, static_cast<uint32_t>(length));
        const HashTree tree = hash_tree(content);
        const Bytes stream = encode_stream(tree, content, 0, tree.blocks());
        for (uint32_t seed = 0; seed < 4; ++seed) {
            Received received;
            auto result = run(tree.root(), stream, received, seed);
            ASSERT_TRUE(result.has_value()) << length << ": " << result.error().describe();
            EXPECT_EQ(received.bytes, content);
        }
    }
}

TEST(Stream, RangesFromAnyStartBlock) {
    const Bytes content = random_bytes(9 * block_size + 77, 1);
    const HashTree tree = hash_tree(content);
    for (uint64_t first = 0; first <= tree.blocks(); ++first) {
        for (uint64_t end = first; end <= tree.blocks(); end += 3) {
            Received received;
            auto result = run(tree.root(), encode_stream(tree, content, first, end), received, 7, first, end);
            ASSERT_TRUE(result.has_value()) << first << "-" << end << ": " << result.error().describe();
            const size_t begin_byte = std::min<size_t>(first * block_size, content.size());
            const size_t end_byte = std::min<size_t>(end * block_size, content.size());
            EXPECT_EQ(received.bytes, Bytes(content.begin() + static_cast<std::ptrdiff_t>(begin_byte),
                                            content.begin() + static_cast<std::ptrdiff_t>(end_byte)));
        }
    }
}

class StreamAttack : public ::testing::Test {
protected:
    void SetUp() override {
        content = random_bytes(6 * block_size + 999, 2);
        tree = hash_tree(content);
        stream = encode_stream(tree, content, 0, tree.blocks());
    }
    // Offsets of each block's proof count byte and data in the stream.
    std::vector<std::pair<size_t, size_t>> layout() const {
        std::vector<std::pair<size_t, size_t>> out;
        size_t offset = stream_header_size;
        ProofWalker walker(tree, 0);
        for (uint64_t k = 0; k < tree.blocks(); ++k) {
            const size_t proof_bytes = 1 + walker.next_proof().size() * 32;
            out.emplace_back(offset, offset + proof_bytes);
            offset += proof_bytes + block_length(content.size(), k);
        }
        return out;
    }
    Result<void, StreamFailure> check(const Bytes& bytes) {
        Received received;
        auto result = run(tree.root(), bytes, received, 3);
        if (!result) {
            // Nothing unverified was handed out: every output byte is a correct prefix.
            EXPECT_EQ(Bytes(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(received.bytes.size())), received.bytes);
        }
        return result;
    }

    Bytes content;
    HashTree tree;
    Bytes stream;
};

TEST_F(StreamAttack, FlippedBitsAnywhereFail) {
    std::mt19937 rng(5);
    std::vector<size_t> positions;
    for (size_t i = 0; i < stream_header_size; ++i) positions.push_back(i);
    for (const auto& [proof, data] : layout()) {
        for (size_t i = proof; i < data; ++i) positions.push_back(i);  // every proof byte
        for (int i = 0; i < 20; ++i) positions.push_back(data + rng() % block_size % (stream.size() - data));
    }
    for (const size_t position : positions) {
        Bytes bad = stream;
        bad[position] ^= static_cast<uint8_t>(1u << (rng() % 8));
        EXPECT_FALSE(check(bad).has_value()) << position;
    }
}

TEST_F(StreamAttack, DroppedReorderedAndTruncatedBlocksFail) {
    const auto blocks = layout();
    // Drop block 2 (its proof and data).
    {
        Bytes bad(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(blocks[2].first));
        bad.insert(bad.end(), stream.begin() + static_cast<std::ptrdiff_t>(blocks[3].first), stream.end());
        EXPECT_FALSE(check(bad).has_value());
    }
    // Swap the data of blocks 3 and 4 (both full blocks with empty proofs or not).
    {
        Bytes bad = stream;
        std::swap_ranges(bad.begin() + static_cast<std::ptrdiff_t>(blocks[3].second),
                         bad.begin() + static_cast<std::ptrdiff_t>(blocks[3].second + block_size),
                         bad.begin() + static_cast<std::ptrdiff_t>(blocks[4].second));
        EXPECT_FALSE(check(bad).has_value());
    }
    // Every truncation, including just before the end, fails at finish().
    for (size_t cut : {size_t{0}, size_t{10}, stream_header_size, blocks[1].first, blocks[1].second + 5,
                       blocks[5].second, stream.size() - 1}) {
        auto result = check(Bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut)));
        ASSERT_FALSE(result.has_value()) << cut;
        EXPECT_EQ(result.error().error, StreamError::truncated) << cut;
    }
    // One byte too many.
    Bytes longer = stream;
    longer.push_back(0);
    EXPECT_EQ(check(longer).error().error, StreamError::trailing_bytes);
}

TEST_F(StreamAttack, HeaderMustMatchTheRequest) {
    Received received;
    Hash32 other = tree.root();
    other[0] ^= 1;
    EXPECT_EQ(run(other, stream, received, 1).error().error, StreamError::wrong_root);
    EXPECT_EQ(run(tree.root(), stream, received, 1, 2).error().error, StreamError::wrong_range);
    Bytes bad_magic = stream;
    bad_magic[0] = 'X';
    EXPECT_EQ(run(tree.root(), bad_magic, received, 1).error().error, StreamError::bad_magic);
    auto header = encode_stream_header({tree.root(), content.size(), 0, tree.blocks() + 1});
    Bytes past_end(header.begin(), header.end());
    EXPECT_EQ(run(tree.root(), past_end, received, 1).error().error, StreamError::wrong_range);
}

TEST_F(StreamAttack, FailuresAreSticky) {
    Bytes bad = stream;
    bad[layout()[0].second] ^= 1;
    StreamVerifier verifier(tree.root());
    const auto sink = [](uint64_t, ByteSpan) { return true; };
    EXPECT_FALSE(verifier.feed(bad, sink).has_value());
    EXPECT_FALSE(verifier.feed(stream, sink).has_value());
    EXPECT_FALSE(verifier.finish().has_value());
}

TEST(Stream, SinkFailureStops) {
    const Bytes content = random_bytes(2 * block_size, 4);
    const HashTree tree = hash_tree(content);
    StreamVerifier verifier(tree.root());
    auto result = verifier.feed(encode_stream(tree, content, 0, 2), [](uint64_t, ByteSpan) { return false; });
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().error, StreamError::sink_failed);
}

}  // namespace
}  // namespace fleek::content
