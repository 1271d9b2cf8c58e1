#include "content/transfer.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::content {
namespace {

Bytes from_hex(std::string_view text) {
    std::string compact;
    for (char c : text) {
        if (c != ' ') compact.push_back(c);
    }
    return hex_decode(compact).value();
}

Hash32 hash_from_hex(std::string_view text) { return hex_decode_array<32>(text).value(); }

// The exchange of docs/formats/content-transfer.md, "Vector". The content hash is b3sum's.
TEST(TransferFormat, MatchesTheDocumentedVector) {
    const Hash32 abc = hash_from_hex("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    ASSERT_EQ(abc, content_hash(as_bytes("abc")));

    const Bytes request = from_hex(
        "01 0100000000000000 6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85 "
        "0000000000000000 0000000000000000 1000");
    const Bytes file = from_hex("81 0100000000000000 0300000000000000 0000000000000000 0100000000000000");
    const Bytes block = from_hex("82 0100000000000000 0000000000000000 00 616263");
    const Bytes credit = from_hex("02 0100000000000000 01000000");

    EXPECT_EQ(encode_transfer_message({1, TransferRequest{abc, 0, 0, 16}}), request);
    EXPECT_EQ(encode_transfer_message({1, TransferFile{3, 0, 1}}), file);
    EXPECT_EQ(encode_transfer_block(1, 0, {}, as_bytes("abc")), block);
    EXPECT_EQ(encode_transfer_block_header(1, 0, {}), Bytes(block.begin(), block.end() - 3));
    EXPECT_EQ(encode_transfer_message({1, TransferCredit{1}}), credit);

    const auto decoded_request = decode_transfer_message(request).value();
    EXPECT_EQ(decoded_request.request_id, 1u);
    EXPECT_EQ(std::get<TransferRequest>(decoded_request.body), (TransferRequest{abc, 0, 0, 16}));
    EXPECT_EQ(std::get<TransferFile>(decode_transfer_message(file).value().body), (TransferFile{3, 0, 1}));
    const auto decoded_block = decode_transfer_message(block).value();
    const auto& body = std::get<TransferBlock>(decoded_block.body);
    EXPECT_EQ(body.index, 0u);
    EXPECT_TRUE(body.proof.empty());
    EXPECT_EQ(as_string_view(body.bytes), "abc");
    EXPECT_EQ(body.bytes.data(), block.data() + 18);  // a view into the payload, not a copy
    EXPECT_EQ(std::get<TransferCredit>(decode_transfer_message(credit).value().body).blocks, 1u);

    // File fields as a stream header, then the block body: a verified stream of "abc".
    Bytes stream;
    const auto header = encode_stream_header({abc, 3, 0, 1});
    stream.insert(stream.end(), header.begin(), header.end());
    stream.insert(stream.end(), block.begin() + 17, block.end());
    StreamVerifier verifier(abc, 0, 1);
    Bytes received;
    ASSERT_TRUE(verifier.feed(stream, [&](uint64_t, ByteSpan bytes) {
        received.insert(received.end(), bytes.begin(), bytes.end());
        return true;
    }));
    EXPECT_TRUE(verifier.finish());
    EXPECT_EQ(as_string_view(received), "abc");
}

// 786432 zero bytes: the block hashes of content-tree.md's vector (tree_test.cpp); the block
// messages carry the proofs of the verified stream, and their bodies concatenated behind the file
// fields form a stream StreamVerifier accepts.
TEST(TransferFormat, ProofsAreThoseOfTheVerifiedStream) {
    const Bytes content(3 * block_size, 0);
    const HashTree tree = hash_tree(content);
    const Hash32 b0 = hash_from_hex("7482b07ce363a188b6a76f109c0627cd5cfee0bd3f4ee8e784dad7900bbabdff");
    const Hash32 b1 = hash_from_hex("a62c8cd0c8dcd46bdcade930f1f036cd1438b35520c047430250941d4a30af63");
    const Hash32 b2 = hash_from_hex("ab40504d4d0251cf20b2c7c5ae15baeb7b19d38c820839502b4347d26e3a214d");
    const Hash32 root = hash_from_hex("b0d35d5c7d5159711ade89f704e9364bb1cb1813c62778ead743a17b31b4c6e9");
    ASSERT_EQ(tree.root(), root);

    ProofWalker walker(tree, 0);
    std::vector<Bytes> messages;
    for (uint64_t k = 0; k < 3; ++k) {
        messages.push_back(encode_transfer_block(7, k, walker.next_proof(), ByteSpan(content).subspan(k * block_size, block_size)));
    }
    const auto first = decode_transfer_message(messages[0]).value();
    EXPECT_EQ(std::get<TransferBlock>(first.body).proof, (Proof{b0, b1, b2}));
    EXPECT_EQ(messages[0][17], 3);
    EXPECT_EQ(messages[1][17], 0);
    EXPECT_EQ(messages[2][17], 0);

    Bytes stream;
    const auto header = encode_stream_header({root, content.size(), 0, 3});
    stream.insert(stream.end(), header.begin(), header.end());
    for (const Bytes& message : messages) stream.insert(stream.end(), message.begin() + 17, message.end());
    EXPECT_EQ(stream, encode_stream(tree, content, 0, 3));

    // The provider's form (the header, then the block from its own buffer) is the same message.
    ProofWalker again(tree, 0);
    for (uint64_t k = 0; k < 3; ++k) {
        Bytes joined = encode_transfer_block_header(7, k, again.next_proof());
        EXPECT_EQ(joined.size(), transfer_block_message_bytes(k == 0 ? 3 : 0, 0));
        joined.insert(joined.end(), content.begin() + static_cast<std::ptrdiff_t>(k * block_size),
                      content.begin() + static_cast<std::ptrdiff_t>((k + 1) * block_size));
        EXPECT_EQ(joined, messages[k]) << "block " << k;
    }
}

TEST(TransferFormat, EveryMessageRoundTrips) {
    const Hash32 hash = content_hash(as_bytes("x"));
    const Bytes bytes(1000, 0xab);
    const std::vector<TransferMessage> messages = {
        {1, TransferRequest{hash, 5, 9, 64}},
        {2, TransferRequest{hash, 3, 0, 1}},
        {3, TransferCredit{64}},
        {4, TransferCancel{}},
        {5, TransferFile{transfer_content_length_max, 0, transfer_blocks_max}},
        {6, TransferBlock{9, Proof(64, hash), bytes}},
        {7, TransferDirectory{transfer_directory_bytes_max}},
        {8, TransferDirectoryPart{transfer_directory_bytes_max - 1000, bytes}},
        {UINT64_MAX, TransferError{TransferErrorCode::unavailable}},
    };
    for (const auto& message : messages) {
        const Bytes encoded = encode_transfer_message(message);
        auto decoded = decode_transfer_message(encoded);
        ASSERT_TRUE(decoded) << hex_encode(encoded) << ": " << to_string(decoded.error());
        EXPECT_EQ(decoded->request_id, message.request_id);
        EXPECT_EQ(decoded->body.index(), message.body.index());
        EXPECT_EQ(encode_transfer_message(*decoded), encoded);
    }
    // The largest message: a full block with a 64-hash proof.
    const Bytes full(block_size, 1);
    const Bytes largest = encode_transfer_block(1, 0, Proof(64, hash), full);
    EXPECT_EQ(largest.size(), transfer_message_bytes_max);
    EXPECT_TRUE(decode_transfer_message(largest));
}

TEST(TransferFormat, RefusesMalformedMessagesWithTypedErrors) {
    const Hash32 hash = content_hash(as_bytes("x"));
    const auto error_of = [](const Bytes& payload) {
        auto decoded = decode_transfer_message(payload);
        EXPECT_FALSE(decoded) << hex_encode(payload);
        return decoded ? TransferFormatError::empty : decoded.error();
    };
    const auto with = [](Bytes bytes, std::initializer_list<uint8_t> extra) {
        bytes.insert(bytes.end(), extra);
        return bytes;
    };
    const auto cut = [](Bytes bytes) {  // without its last byte
        bytes.pop_back();
        return bytes;
    };

    EXPECT_EQ(error_of({}), TransferFormatError::empty);
    for (uint8_t type : {0x00, 0x04, 0x7f, 0x80, 0x85, 0x8e, 0x90, 0xff}) {
        EXPECT_EQ(error_of(with({type}, {0, 0, 0, 0, 0, 0, 0, 0})), TransferFormatError::unknown_type) << int(type);
    }

    const Bytes request = encode_transfer_message({1, TransferRequest{hash, 0, 0, 8}});
    const Bytes credit = encode_transfer_message({1, TransferCredit{2}});
    const Bytes cancel = encode_transfer_message({1, TransferCancel{}});
    const Bytes file = encode_transfer_message({1, TransferFile{10, 0, 1}});
    const Bytes directory = encode_transfer_message({1, TransferDirectory{100}});
    const Bytes error = encode_transfer_message({1, TransferError{TransferErrorCode::busy}});
    for (const Bytes& fixed : {request, credit, cancel, file, directory, error}) {
        EXPECT_EQ(error_of(cut(fixed)), TransferFormatError::truncated) << hex_encode(fixed);
        EXPECT_EQ(error_of(with(fixed, {0})), TransferFormatError::trailing_bytes) << hex_encode(fixed);
    }
    EXPECT_EQ(error_of(cut(encode_transfer_block(1, 0, {}, {}))), TransferFormatError::truncated);
    EXPECT_EQ(error_of(Bytes{0x84, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), TransferFormatError::truncated);

    const auto invalid = [&](const TransferMessage& message) {
        EXPECT_EQ(error_of(encode_transfer_message(message)), TransferFormatError::invalid_field) << message.body.index();
    };
    invalid({1, TransferRequest{hash, 0, 0, 0}});                            // no window
    invalid({1, TransferRequest{hash, 0, 0, transfer_window_max + 1}});      // window too large
    invalid({1, TransferRequest{hash, 4, 4, 8}});                            // empty range
    invalid({1, TransferRequest{hash, 5, 4, 8}});                            // reversed range
    invalid({1, TransferRequest{hash, transfer_blocks_max, 0, 8}});          // past any content
    invalid({1, TransferRequest{hash, 0, transfer_blocks_max + 1, 8}});
    invalid({1, TransferCredit{0}});
    invalid({1, TransferCredit{transfer_credit_max + 1}});
    invalid({1, TransferFile{transfer_content_length_max + 1, 0, 1}});
    invalid({1, TransferFile{10, 1, 1}});                                    // first >= end
    invalid({1, TransferFile{block_size, 0, 2}});                            // end past the last block
    invalid({1, TransferFile{0, 1, 2}});
    invalid({1, TransferDirectory{transfer_directory_bytes_min - 1}});
    invalid({1, TransferDirectory{transfer_directory_bytes_max + 1}});
    invalid({1, TransferDirectoryPart{transfer_directory_bytes_max - 10, Bytes(11, 0)}});
    invalid({1, TransferBlock{transfer_blocks_max, {}, {}}});
    EXPECT_EQ(error_of(Bytes{0x8f, 1, 0, 0, 0, 0, 0, 0, 0, 0}), TransferFormatError::invalid_field);  // code 0
    EXPECT_EQ(error_of(Bytes{0x8f, 1, 0, 0, 0, 0, 0, 0, 0, 7}), TransferFormatError::invalid_field);  // code 7

    // A proof count over 64, and block bytes over a block.
    Bytes long_proof = encode_transfer_block(1, 0, {}, Bytes(65 * 32, 0));
    long_proof[17] = 65;
    EXPECT_EQ(error_of(long_proof), TransferFormatError::invalid_field);
    Bytes short_proof = encode_transfer_block(1, 0, {}, Bytes(31, 0));
    short_proof[17] = 1;  // a hash announced, 31 bytes follow
    EXPECT_EQ(error_of(short_proof), TransferFormatError::truncated);
    Bytes over_a_block = encode_transfer_block(1, 0, {}, Bytes(block_size, 0));
    over_a_block.push_back(0);
    EXPECT_EQ(error_of(over_a_block), TransferFormatError::invalid_field);
    Bytes oversized = encode_transfer_block(1, 0, Proof(64, hash), Bytes(block_size, 0));
    oversized.push_back(0);
    EXPECT_EQ(error_of(oversized), TransferFormatError::too_large);
}

TEST(TransferFormat, DirectionFollowsTheTypeByte) {
    EXPECT_EQ(transfer_direction({}), std::nullopt);
    EXPECT_EQ(transfer_direction(encode_transfer_message({1, TransferCancel{}})), TransferDirection::to_provider);
    EXPECT_EQ(transfer_direction(encode_transfer_message({1, TransferError{TransferErrorCode::busy}})), TransferDirection::to_requester);
}

}  // namespace
}  // namespace fleek::content
