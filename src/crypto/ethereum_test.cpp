#include "crypto/ethereum.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::crypto::ethereum {
namespace {

const std::string_view known_secret = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const std::string_view known_address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

SecretKey known_key() { return SecretKey::from_bytes(hex_decode(known_secret).value()).value(); }

TEST(Ethereum, AddressOfKnownKey) {
    EXPECT_EQ(known_key().address().to_string(), known_address);
    EXPECT_EQ(known_key().public_key().address(), Address::parse(known_address).value());
}

// EIP-55's own examples.
TEST(Ethereum, Eip55Checksums) {
    for (std::string_view address :
         {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
          "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
        auto parsed = Address::parse(address);
        ASSERT_TRUE(parsed.has_value()) << address;
        EXPECT_EQ(parsed->to_string(), address) << address;
    }
}

TEST(Ethereum, AddressParsingIsStrict) {
    // Single-case spellings carry no checksum and are accepted.
    EXPECT_EQ(Address::parse("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23").value().to_string(), known_address);
    EXPECT_EQ(Address::parse("0x2C7536E3605D9C16A7A3D7B1898E529396A65C23").value().to_string(), known_address);
    // A mixed-case spelling with one letter's case flipped fails the checksum.
    EXPECT_EQ(Address::parse("0x2c7536e3605D9C16a7a3D7b1898e529396a65c23").error(), KeyError::bad_checksum);
    EXPECT_EQ(Address::parse("2c7536E3605D9C16a7a3D7b1898e529396a65c23").error(), KeyError::wrong_length);
    EXPECT_EQ(Address::parse("0x2c7536E3605D9C16a7a3D7b1898e529396a65c2").error(), KeyError::wrong_length);
    EXPECT_EQ(Address::parse("0x2c7536E3605D9C16a7a3D7b1898e529396a65cZZ").error(), KeyError::invalid_encoding);
    EXPECT_EQ(Address::parse("1x2c7536E3605D9C16a7a3D7b1898e529396a65c23").error(), KeyError::invalid_encoding);
}

// web3.js documentation: web3.eth.accounts.sign('Some data', '0x4c0883a6...').
TEST(Ethereum, PersonalSignMatchesWeb3) {
    EXPECT_EQ(hex_encode(personal_sign_digest(as_bytes("Some data"))),
              "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
    EXPECT_EQ(hex_encode(personal_sign_digest(as_bytes("Hello World"))),
              "a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
    const RecoverableSignature signature = known_key().personal_sign(as_bytes("Some data"));
    EXPECT_EQ(hex_encode(signature.to_bytes()),
              "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
              "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029"
              "1c");
    EXPECT_EQ(recover_personal_sign(as_bytes("Some data"), signature).value().to_string(), known_address);
    EXPECT_NE(recover_personal_sign(as_bytes("Some date"), signature).value().to_string(), known_address);
}

TEST(Ethereum, SignaturesRoundTripAndRecover) {
    const SecretKey key = SecretKey::generate();
    const Hash32 digest = keccak256(as_bytes("transaction"));
    const RecoverableSignature signature = key.sign(digest);
    const auto parsed = RecoverableSignature::from_bytes(signature.to_bytes()).value();
    EXPECT_EQ(parsed, signature);
    EXPECT_EQ(parsed.recover(digest).value(), key.public_key());
    // v as a bare recovery id (0/1) is accepted too.
    auto raw = signature.to_bytes();
    raw[64] = signature.recovery_id();
    EXPECT_EQ(RecoverableSignature::from_bytes(raw).value(), signature);
}

TEST(Ethereum, RejectsMalformedSignatures) {
    const RecoverableSignature signature = known_key().sign(keccak256(as_bytes("x")));
    auto bytes = signature.to_bytes();
    EXPECT_EQ(RecoverableSignature::from_bytes(ByteSpan(bytes).first(64)).error(), KeyError::wrong_length);
    for (uint8_t v : {uint8_t{2}, uint8_t{26}, uint8_t{29}, uint8_t{0xff}}) {
        auto bad = bytes;
        bad[64] = v;
        EXPECT_EQ(RecoverableSignature::from_bytes(bad).error(), KeyError::invalid_encoding) << int(v);
    }
    // r = 0 and s = 0 are outside [1, n-1].
    auto zero_r = bytes;
    std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
    EXPECT_EQ(RecoverableSignature::from_bytes(zero_r).error(), KeyError::invalid_scalar);
    auto zero_s = bytes;
    std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
    EXPECT_EQ(RecoverableSignature::from_bytes(zero_s).error(), KeyError::invalid_scalar);
    // s >= n
    auto large_s = bytes;
    std::fill(large_s.begin() + 32, large_s.begin() + 64, 0xff);
    EXPECT_EQ(RecoverableSignature::from_bytes(large_s).error(), KeyError::invalid_scalar);
}

TEST(Ethereum, RejectsHighS) {
    // (r, n - s, v ^ 1) is the malleated twin of (r, s, v): valid ECDSA, refused by EIP-2.
    const ByteArray<32> order = hex_decode_array<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").value();
    const RecoverableSignature signature = known_key().sign(keccak256(as_bytes("y")));
    auto bytes = signature.to_bytes();
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int difference = order[i] - bytes[32 + i] - borrow;
        borrow = difference < 0 ? 1 : 0;
        bytes[32 + i] = static_cast<uint8_t>(difference + (borrow ? 256 : 0));
    }
    bytes[64] = static_cast<uint8_t>(bytes[64] == 27 ? 28 : 27);
    EXPECT_EQ(RecoverableSignature::from_bytes(bytes).error(), KeyError::non_canonical);
}

TEST(Ethereum, SecretKeysAndPublicKeys) {
    EXPECT_EQ(SecretKey::from_bytes(Bytes(32, 0)).error(), KeyError::invalid_scalar);
    EXPECT_EQ(SecretKey::from_bytes(hex_decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").value()).error(),
              KeyError::invalid_scalar);
    EXPECT_EQ(SecretKey::from_bytes(Bytes(31, 1)).error(), KeyError::wrong_length);
    const SecretKey key = known_key();
    EXPECT_EQ(PublicKey::from_bytes(key.public_key().compressed()).value(), key.public_key());
    EXPECT_EQ(PublicKey::from_bytes(key.public_key().uncompressed()).value(), key.public_key());
    EXPECT_EQ(PublicKey::from_bytes(Bytes(32, 2)).error(), KeyError::wrong_length);
    // x = p is not a field element; prefix 0x05 is no SEC1 encoding.
    const Bytes x_is_p = hex_decode("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f").value();
    EXPECT_EQ(PublicKey::from_bytes(x_is_p).error(), KeyError::invalid_point);
    const ByteArray<33> compressed = key.public_key().compressed();
    Bytes bad_prefix(compressed.begin(), compressed.end());
    bad_prefix[0] = 0x05;
    EXPECT_EQ(PublicKey::from_bytes(bad_prefix).error(), KeyError::invalid_point);
    EXPECT_EQ(key.clone().address(), key.address());
    EXPECT_EQ(hex_encode(key.bytes()), known_secret);
}

}  // namespace
}  // namespace fleek::crypto::ethereum
