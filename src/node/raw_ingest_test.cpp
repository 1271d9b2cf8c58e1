// The raw transaction ingest (benchmark clients): its frame format, and a listener that hands
// every frame to the node in order, pushes back when the node is full and drops a connection
// whose stream is broken without stopping the others.
#include "node/raw_ingest.h"

#include "tests/support/http.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace fleek::node {
namespace {

Bytes pattern(size_t size, uint8_t seed) {
    Bytes bytes(size);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 31);
    return bytes;
}

TEST(RawFrame, RoundTripsAndWaitsForIncompleteFrames) {
    for (size_t size : {size_t{1}, size_t{512}, size_t{raw_frame_bytes_max}}) {
        const Bytes transaction = pattern(size, 7);
        const Bytes frame = encode_raw_frame(transaction);
        ASSERT_EQ(frame.size(), 4 + size);
        EXPECT_EQ(frame[0], static_cast<uint8_t>(size));
        EXPECT_EQ(frame[3], static_cast<uint8_t>(size >> 24));
        auto whole = next_raw_frame(frame);
        ASSERT_TRUE(whole.has_value());
        ASSERT_TRUE(whole->has_value());
        EXPECT_EQ((*whole)->frame_bytes, frame.size());
        EXPECT_TRUE(std::equal((*whole)->transaction.begin(), (*whole)->transaction.end(), transaction.begin(), transaction.end()));
        for (size_t cut : {size_t{0}, size_t{3}, size_t{4}, frame.size() - 1}) {
            auto partial = next_raw_frame(ByteSpan(frame.data(), cut));
            ASSERT_TRUE(partial.has_value()) << cut;
            EXPECT_FALSE(partial->has_value()) << cut;
        }
    }
}

TEST(RawFrame, MatchesTheDocumentedVector) {
    const Bytes transaction{0x61, 0x62, 0x63};
    const Bytes frame{0x03, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63};
    EXPECT_EQ(encode_raw_frame(transaction), frame);
    auto decoded = next_raw_frame(frame);
    ASSERT_TRUE(decoded.has_value() && decoded->has_value());
    EXPECT_EQ(Bytes((*decoded)->transaction.begin(), (*decoded)->transaction.end()), transaction);
}

TEST(RawFrame, RefusesLengthsOutOfBounds) {
    const Bytes zero{0, 0, 0, 0, 1, 2};
    EXPECT_FALSE(next_raw_frame(zero).has_value());
    const uint32_t too_long = raw_frame_bytes_max + 1;
    const Bytes above{static_cast<uint8_t>(too_long), static_cast<uint8_t>(too_long >> 8), static_cast<uint8_t>(too_long >> 16),
                      static_cast<uint8_t>(too_long >> 24)};
    auto refused = next_raw_frame(above);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), RawFrameError::length_out_of_bounds);
    EXPECT_FALSE(next_raw_frame(Bytes{0xff, 0xff, 0xff, 0xff}).has_value());
}

class Collector {
public:
    // Refuses the first `refusals` offers (the node is full), then takes everything.
    explicit Collector(int refusals) : m_refusals(refusals) {}
    bool offer(Bytes transaction) {
        std::lock_guard lock(m_mutex);
        if (m_refusals > 0) {
            --m_refusals;
            return false;
        }
        m_taken.push_back(std::move(transaction));
        return true;
    }
    std::vector<Bytes> taken() {
        std::lock_guard lock(m_mutex);
        return m_taken;
    }
    bool wait_for(size_t count) {
        for (int waited_ms = 0; waited_ms < 10'000; waited_ms += 10) {
            if (taken().size() >= count) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

private:
    std::mutex m_mutex;
    int m_refusals;
    std::vector<Bytes> m_taken;
};

std::string as_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

TEST(RawIngest, HandsOverFramesInOrderAcrossSplitWrites) {
    Collector collector(0);
    auto ingest = RawIngest::start("127.0.0.1", 0, [&](Bytes t) { return collector.offer(std::move(t)); });
    ASSERT_TRUE(ingest.has_value()) << ingest.error();
    std::vector<Bytes> sent;
    Bytes stream;
    for (size_t k = 0; k < 50; ++k) {
        sent.push_back(pattern(1 + k * 37, static_cast<uint8_t>(k)));
        const Bytes frame = encode_raw_frame(sent.back());
        stream.insert(stream.end(), frame.begin(), frame.end());
    }
    const int fd = testing::connect_loopback((*ingest)->port());
    ASSERT_GE(fd, 0);
    // Odd-sized writes split frames and their length prefixes.
    for (size_t offset = 0; offset < stream.size(); offset += 333) {
        const size_t end = std::min(stream.size(), offset + 333);
        ASSERT_TRUE(testing::send_all(fd, std::string_view(reinterpret_cast<const char*>(stream.data() + offset), end - offset)));
    }
    ASSERT_TRUE(collector.wait_for(sent.size()));
    EXPECT_EQ(collector.taken(), sent);
    EXPECT_EQ((*ingest)->received(), sent.size());
    ::close(fd);
    (*ingest)->stop();
}

TEST(RawIngest, PushesBackWhileTheNodeIsFullAndLosesNothing) {
    Collector collector(5);
    auto ingest = RawIngest::start("127.0.0.1", 0, [&](Bytes t) { return collector.offer(std::move(t)); });
    ASSERT_TRUE(ingest.has_value()) << ingest.error();
    const int fd = testing::connect_loopback((*ingest)->port());
    ASSERT_GE(fd, 0);
    std::vector<Bytes> sent;
    for (uint8_t k = 0; k < 3; ++k) {
        sent.push_back(pattern(100, k));
        ASSERT_TRUE(testing::send_all(fd, as_text(encode_raw_frame(sent.back()))));
    }
    ASSERT_TRUE(collector.wait_for(sent.size()));
    EXPECT_EQ(collector.taken(), sent);
    EXPECT_GE((*ingest)->backpressure_waits(), 5u);
    ::close(fd);
    (*ingest)->stop();
}

TEST(RawIngest, ClosesABrokenStreamAndKeepsServingOthers) {
    Collector collector(0);
    auto ingest = RawIngest::start("127.0.0.1", 0, [&](Bytes t) { return collector.offer(std::move(t)); });
    ASSERT_TRUE(ingest.has_value()) << ingest.error();
    const int bad = testing::connect_loopback((*ingest)->port());
    ASSERT_GE(bad, 0);
    const Bytes good_frame = encode_raw_frame(pattern(10, 1));
    ASSERT_TRUE(testing::send_all(bad, as_text(good_frame) + std::string("\0\0\0\0garbage", 11)));
    // The ingest closes the connection: reading reaches the end of the stream.
    char byte = 0;
    EXPECT_LE(::read(bad, &byte, 1), 0);
    ::close(bad);
    ASSERT_TRUE(collector.wait_for(1));

    const int good = testing::connect_loopback((*ingest)->port());
    ASSERT_GE(good, 0);
    ASSERT_TRUE(testing::send_all(good, as_text(encode_raw_frame(pattern(20, 2)))));
    ASSERT_TRUE(collector.wait_for(2));
    EXPECT_EQ(collector.taken().back(), pattern(20, 2));
    EXPECT_EQ(collector.taken().size(), 2u);
    ::close(good);
    (*ingest)->stop();
}

TEST(RawIngest, RefusesABadListenAddress) {
    auto refused = RawIngest::start("not-an-address", 0, [](Bytes) { return true; });
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("bad host"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace fleek::node
