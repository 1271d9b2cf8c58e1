// Vectors of docs/formats/handshake.md (written from the format by a separate script, digests
// by `b3sum --derive-key`), and the refusals of every malformed frame with their typed errors.
#include "edge/handshake_frames.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::edge::handshake {
namespace {

Bytes hex(std::string_view text) { return hex_decode(text).value(); }
template <size_t N>
ByteArray<N> filled(uint8_t value) {
    ByteArray<N> out;
    out.fill(value);
    return out;
}
ByteSpan payload_of(const Bytes& frame) { return ByteSpan(frame).subspan(frame_header_size); }

constexpr std::string_view challenge_hex = "520000000101c2e70000000000000300000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1111111111111111111111111111111111111111111111111111111111111111";
constexpr std::string_view opened_hex = "91000000025e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e7070707070707070707070707070707070707070707070707070707070707070c0270900000000000000100000000000000010000000000000004000000000005b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b";
constexpr std::string_view data_hex = "0500000003464c4b56";
constexpr std::string_view refused_hex = "2200000004cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc01";
constexpr std::string_view terminate_hex = "020000000505";
constexpr std::string_view open_hex = "7600000010c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c15e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e00000000005c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";
constexpr std::string_view open_resume_hex = "9600000010c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c15e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e000000000170707070707070707070707070707070707070707070707070707070707070705c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";
constexpr std::string_view request_hex = "3200000011cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc0102000000000000000400000000000000";
constexpr std::string_view request_all_hex = "2200000011cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc00";
constexpr std::string_view receipt_hex = "ad00000012c2e7000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa000000005e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e03000000000000000000100000000000c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c15c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";
constexpr std::string_view transcript_hex = "01c2e70000000000000300000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1111111111111111111111111111111111111111111111111111111111111111c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c15e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e0000000000";
constexpr std::string_view open_digest_hex = "fd441570ab728ac096831302c55e771b3e867110b7beb2b3ed34d4a5f168951a";
constexpr std::string_view opened_digest_hex = "9d67d5e20c33d927d33a365f7fcf8dbfb965bc24dcddce1ef9a6d22eed0a81d3";

Challenge sample_challenge() {
    Challenge c;
    c.chain_id = 59330;
    c.epoch = 3;
    c.node_key = filled<32>(0xaa);
    c.nonce = filled<32>(0x11);
    return c;
}

Opened sample_opened() {
    Opened o;
    o.session_id = filled<16>(0x5e);
    o.token = filled<32>(0x70);
    o.token_ttl_ms = 600000;
    o.acknowledged_bytes = 1 << 20;
    o.receipt_interval_bytes = 1 << 20;
    o.window_bytes = 4 << 20;
    o.node_signature = filled<64>(0x5b);
    return o;
}

Open sample_open(bool with_token) {
    Open o;
    o.client_key = filled<32>(0xc1);
    o.session_id = filled<16>(0x5e);
    o.service = 0;
    if (with_token) o.token = filled<32>(0x70);
    o.signature = filled<64>(0x5c);
    return o;
}

ledger::SignedDeliveryReceipt sample_receipt() {
    ledger::SignedDeliveryReceipt r;
    r.receipt.chain_id = 59330;
    r.receipt.node = filled<32>(0xaa);
    r.receipt.service = 0;
    r.receipt.session_id = filled<16>(0x5e);
    r.receipt.epoch = 3;
    r.receipt.amount = 1 << 20;
    r.client_key = filled<32>(0xc1);
    r.signature = filled<64>(0x5c);
    return r;
}

template <class Frame, class Expected>
void expect_node_vector(std::string_view vector, const Expected& expected) {
    const Bytes frame = hex(vector);
    EXPECT_EQ(encode_frame(NodeFrame{expected}), frame);
    auto decoded = decode_node_frame(payload_of(frame));
    ASSERT_TRUE(decoded) << to_string(decoded.error());
    ASSERT_TRUE(std::holds_alternative<Frame>(*decoded));
    if constexpr (!std::is_same_v<Frame, Data>) {
        EXPECT_EQ(std::get<Frame>(*decoded), expected);
    }
}

template <class Frame>
void expect_client_vector(std::string_view vector, const Frame& expected) {
    const Bytes frame = hex(vector);
    EXPECT_EQ(encode_frame(ClientFrame{expected}), frame);
    auto decoded = decode_client_frame(payload_of(frame));
    ASSERT_TRUE(decoded) << to_string(decoded.error());
    ASSERT_TRUE(std::holds_alternative<Frame>(*decoded));
    EXPECT_EQ(std::get<Frame>(*decoded), expected);
}

TEST(HandshakeFrames, NodeFrameVectors) {
    expect_node_vector<Challenge>(challenge_hex, sample_challenge());
    expect_node_vector<Opened>(opened_hex, sample_opened());
    expect_node_vector<Refused>(refused_hex, Refused{filled<32>(0xcc), ContentRefusal::not_found});
    expect_node_vector<Terminate>(terminate_hex, Terminate{TerminationReason::window_exceeded});
    const Bytes stream = to_bytes("FLKV");
    expect_node_vector<Data>(data_hex, Data{stream});
    const Bytes data_frame = hex(data_hex);
    auto data = decode_node_frame(payload_of(data_frame)).value();  // a view into data_frame
    EXPECT_EQ(Bytes(std::get<Data>(data).bytes.begin(), std::get<Data>(data).bytes.end()), stream);
}

TEST(HandshakeFrames, ClientFrameVectors) {
    expect_client_vector(open_hex, sample_open(false));
    expect_client_vector(open_resume_hex, sample_open(true));
    expect_client_vector(request_hex, Request{filled<32>(0xcc), BlockRange{2, 4}});
    expect_client_vector(request_all_hex, Request{filled<32>(0xcc), std::nullopt});
    expect_client_vector(receipt_hex, Receipt{sample_receipt()});
}

TEST(HandshakeFrames, TranscriptDigestVectors) {
    const Transcript transcript{sample_challenge(), filled<32>(0xc1), filled<16>(0x5e), 0, std::nullopt};
    EXPECT_EQ(hex_encode(encode_transcript(transcript)), transcript_hex);
    EXPECT_EQ(hex_encode(client_open_digest(transcript)), open_digest_hex);
    EXPECT_EQ(hex_encode(node_opened_digest(transcript, sample_opened())), opened_digest_hex);
}

// The document shows exactly these bytes (whitespace aside).
TEST(HandshakeFrames, TheFormatDocumentShowsTheseVectors) {
    std::string document = fleek::testing::read_text(fleek::testing::source_path("docs/formats/handshake.md"));
    std::erase_if(document, [](char c) { return c == ' ' || c == '\n'; });
    for (auto vector : {challenge_hex, opened_hex, data_hex, refused_hex, terminate_hex, open_hex, open_resume_hex, request_hex,
                        request_all_hex, receipt_hex, transcript_hex, open_digest_hex, opened_digest_hex}) {
        EXPECT_NE(document.find(vector), std::string::npos) << vector;
    }
}

TEST(HandshakeFrames, DataFrameHeadPrefixesABlockSentFromItsBuffer) {
    const Bytes head = to_bytes("FL");
    Bytes whole = encode_data_frame_head(head, 2);
    whole.push_back('K');
    whole.push_back('V');
    EXPECT_EQ(whole, hex(data_hex));
}

// Every proper prefix of every body is refused as truncated (or empty), never read past.
TEST(HandshakeFrames, TruncatedBodiesAreRefused) {
    for (auto vector : {challenge_hex, opened_hex, refused_hex, terminate_hex}) {
        const Bytes frame = hex(vector);
        const ByteSpan payload = payload_of(frame);
        for (size_t cut = 0; cut < payload.size(); ++cut) {
            auto decoded = decode_node_frame(payload.first(cut));
            ASSERT_FALSE(decoded) << vector << " cut at " << cut;
            EXPECT_EQ(decoded.error(), cut == 0 ? FrameError::empty_frame : FrameError::truncated);
        }
    }
    for (auto vector : {open_hex, open_resume_hex, request_hex, request_all_hex, receipt_hex}) {
        const Bytes frame = hex(vector);
        const ByteSpan payload = payload_of(frame);
        for (size_t cut = 0; cut < payload.size(); ++cut) {
            auto decoded = decode_client_frame(payload.first(cut));
            ASSERT_FALSE(decoded) << vector << " cut at " << cut;
            EXPECT_EQ(decoded.error(), cut == 0 ? FrameError::empty_frame : FrameError::truncated);
        }
    }
    EXPECT_EQ(decode_node_frame(hex("03")).error(), FrameError::truncated);  // a data frame without bytes
}

TEST(HandshakeFrames, TrailingBytesAreRefused) {
    for (auto vector : {challenge_hex, opened_hex, refused_hex, terminate_hex}) {
        Bytes payload = hex(vector.substr(8));
        payload.push_back(0);
        EXPECT_EQ(decode_node_frame(payload).error(), FrameError::trailing_bytes) << vector;
    }
    for (auto vector : {open_hex, open_resume_hex, request_hex, request_all_hex, receipt_hex}) {
        Bytes payload = hex(vector.substr(8));
        payload.push_back(0);
        EXPECT_EQ(decode_client_frame(payload).error(), FrameError::trailing_bytes) << vector;
    }
}

TEST(HandshakeFrames, UnknownTagsAndOtherDirectionsAreRefused) {
    EXPECT_EQ(decode_node_frame(hex("06")).error(), FrameError::unknown_tag);
    EXPECT_EQ(decode_node_frame(hex("00")).error(), FrameError::unknown_tag);
    EXPECT_EQ(decode_client_frame(hex("13")).error(), FrameError::unknown_tag);
    // A node frame sent by a client (and the reverse) is not a frame of that direction.
    EXPECT_EQ(decode_client_frame(payload_of(hex(terminate_hex))).error(), FrameError::unknown_tag);
    EXPECT_EQ(decode_node_frame(payload_of(hex(request_all_hex))).error(), FrameError::unknown_tag);
}

TEST(HandshakeFrames, OutOfRangeValuesAreRefused) {
    EXPECT_EQ(decode_node_frame(hex("0500")).error(), FrameError::invalid_value);  // termination reason 0
    EXPECT_EQ(decode_node_frame(hex("050f")).error(), FrameError::invalid_value);  // a gap in the reasons
    EXPECT_EQ(decode_node_frame(hex("05ff")).error(), FrameError::invalid_value);
    Bytes refused = hex(refused_hex.substr(8));
    refused.back() = 0x05;
    EXPECT_EQ(decode_node_frame(refused).error(), FrameError::invalid_value);
    Bytes challenge = hex(challenge_hex.substr(8));
    challenge[1] = 2;  // protocol version 2
    EXPECT_EQ(decode_node_frame(challenge).error(), FrameError::invalid_value);
    Bytes request = hex(request_all_hex.substr(8));
    request.back() = 2;  // an optional marker other than 0/1
    EXPECT_EQ(decode_client_frame(request).error(), FrameError::invalid_value);
}

TEST(HandshakeFrames, OverLongFramesAreRefusedBeforeAllocation) {
    const ByteArray<4> at_max = {0x00, 0x04, 0x00, 0x00};  // 1024
    EXPECT_EQ(decode_frame_length(at_max, client_frame_max_bytes).value(), 1024u);
    const ByteArray<4> over = {0x01, 0x04, 0x00, 0x00};
    EXPECT_EQ(decode_frame_length(over, client_frame_max_bytes).error(), FrameError::frame_too_large);
    const ByteArray<4> huge = {0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(decode_frame_length(huge, node_frame_max_bytes).error(), FrameError::frame_too_large);
    const ByteArray<4> zero = {0, 0, 0, 0};
    EXPECT_EQ(decode_frame_length(zero, node_frame_max_bytes).error(), FrameError::empty_frame);
    EXPECT_EQ(decode_client_frame(Bytes(client_frame_max_bytes + 1, 0x11)).error(), FrameError::frame_too_large);
}

TEST(HandshakeFrames, SplitterGivesTheSameFramesHoweverTheBytesArrive) {
    Bytes stream;
    for (auto vector : {challenge_hex, opened_hex, data_hex, refused_hex, terminate_hex}) {
        const Bytes frame = hex(vector);
        stream.insert(stream.end(), frame.begin(), frame.end());
    }
    std::vector<Bytes> whole;
    FrameSplitter all(node_frame_max_bytes);
    ASSERT_TRUE(all.feed(stream, [&](ByteSpan p) { return whole.emplace_back(p.begin(), p.end()), true; }));
    ASSERT_EQ(whole.size(), 5u);
    EXPECT_EQ(whole[2], hex("03464c4b56"));
    std::vector<Bytes> bytewise;
    FrameSplitter one(node_frame_max_bytes);
    for (uint8_t byte : stream) {
        ASSERT_TRUE(one.feed(ByteSpan(&byte, 1), [&](ByteSpan p) { return bytewise.emplace_back(p.begin(), p.end()), true; }));
    }
    EXPECT_EQ(bytewise, whole);
    EXPECT_TRUE(one.idle());
}

TEST(HandshakeFrames, SplitterRefusesAnOverLongFrameAndStaysFailed) {
    FrameSplitter splitter(client_frame_max_bytes);
    int frames = 0;
    const auto count = [&](ByteSpan) { return ++frames, true; };
    auto fed = splitter.feed(hex(std::string(terminate_hex) + "01040000"), count);
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error(), FrameError::frame_too_large);
    EXPECT_EQ(frames, 1);
    EXPECT_EQ(splitter.feed(hex(terminate_hex), count).error(), FrameError::frame_too_large);
    EXPECT_EQ(frames, 1);
}

}  // namespace
}  // namespace fleek::edge::handshake
