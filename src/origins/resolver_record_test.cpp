#include "origins/resolver_exchange.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <set>

namespace fleek::origins {
namespace {

using testing::ScratchDirectory;

constexpr uint64_t now = 1'700'000'000'000;

// RFC 8032 §7.1 TEST 1.
crypto::NodeSecretKey rfc8032_test1() {
    return crypto::NodeSecretKey::from_seed(hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").value()).value();
}

crypto::NodeSecretKey node_key(uint8_t n) { return crypto::NodeSecretKey::from_seed(Bytes(32, n)).value(); }

Hash32 filled(uint8_t value) {
    Hash32 hash{};
    hash.fill(value);
    return hash;
}

const std::string hello_sri = "sha256-qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc=";

IpfsResolution hello_ipfs() {
    return IpfsResolution{ipld::Cid::of(ipld::multicodec::raw, as_bytes("hello world\n")), ResolvedKind::file,
                          crypto::blake3(as_bytes("hello world\n")), 12, filled(0xbb), 97};
}

HttpResolution hello_http() {
    return HttpResolution{"https://example.com/hello.txt#integrity=" + hello_sri, crypto::blake3(as_bytes("hello world\n")), 12};
}

IpfsResolution directory(uint8_t n) {
    return IpfsResolution{ipld::Cid::of(ipld::multicodec::dag_pb, Bytes{n}), ResolvedKind::directory, filled(n), 3, filled(0xbb), 1000};
}

VerifiedResolverRecord signed_by(const crypto::NodeSecretKey& key, uint64_t resolved_at_ms, Resolution resolution) {
    return sign_resolver_record(key, resolved_at_ms, std::move(resolution)).value();
}

// docs/formats/resolver-records.md §Vectors, computed by tests/vectors/origins/records_vector.py
// (struct, b3sum --derive-key, Python cryptography's Ed25519).
constexpr std::string_view ipfs_signed =
    "01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" "0068e5cf8b010000" "00"
    "24000000" "01551220a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447" "00"
    "dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355" "0c00000000000000"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "6100000000000000";
constexpr std::string_view ipfs_digest = "26d1a35a3acfc9dd37a24e86ffc1684746478404bd432a9a69c3c71c8b7e2275";
constexpr std::string_view ipfs_signature =
    "dda1b66450a78ea8db5eed14dca7eba3bf56bf2534ed26cd794ba2c4314b071957f5a552ab78d0a5709f0bb7c0f9dc0409d6ae13e4f911b12f98ef42c5425d05";
constexpr std::string_view http_signed =
    "01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" "0068e5cf8b010000" "01" "5b000000"
    "68747470733a2f2f6578616d706c652e636f6d2f68656c6c6f2e74787423696e746567726974793d7368613235362d"
    "715569515479385052357550675a6470537a4159537730753063484e4b6837412b3458536d6147537045633d"
    "dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355" "0c00000000000000";
constexpr std::string_view http_digest = "9bf149830908885154689c6a0273f3635f32c0e323c13fbfe2ccc4505326d633";
constexpr std::string_view http_signature =
    "7df0e5f75760c2c5398f7c2ce764b53797c040da381b427c00c1713dacf2649b28a8437df0e580741d5f4bc20f930250cff3867ccaa882e508fd0f5076e1130b";

TEST(ResolverRecordFormat, GoldenVectors) {
    const auto key = rfc8032_test1();
    const ResolverRecord ipfs = ResolverRecord::sign(key, now, hello_ipfs());
    EXPECT_EQ(std::get<IpfsResolution>(ipfs.resolution).cid.to_string(), "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    EXPECT_EQ(hex_encode(ipfs.signed_encoding()), ipfs_signed);
    EXPECT_EQ(hex_encode(ipfs.digest()), ipfs_digest);
    EXPECT_EQ(hex_encode(ipfs.signature.bytes()), ipfs_signature);
    const Bytes ipfs_record = hex_decode(std::string(ipfs_signed) + std::string(ipfs_signature)).value();
    EXPECT_EQ(codec::encode(ipfs), ipfs_record);
    EXPECT_EQ(codec::decode<ResolverRecord>(ipfs_record).value(), ipfs);
    EXPECT_TRUE(ipfs.verify());

    const ResolverRecord http = ResolverRecord::sign(key, now, hello_http());
    EXPECT_EQ(hex_encode(http.signed_encoding()), http_signed);
    EXPECT_EQ(hex_encode(http.digest()), http_digest);
    EXPECT_EQ(hex_encode(http.signature.bytes()), http_signature);
    const Bytes http_record = hex_decode(std::string(http_signed) + std::string(http_signature)).value();
    EXPECT_EQ(codec::encode(http), http_record);
    EXPECT_EQ(codec::decode<ResolverRecord>(http_record).value(), http);
    EXPECT_TRUE(http.verify());

    // Pointer keys: the store's key prefix and the query's encoding.
    EXPECT_EQ(hex_encode(ResolverPointer::ipfs(hello_ipfs().cid).key()), "0024000000" + hex_encode(hello_ipfs().cid.bytes()));
    EXPECT_EQ(codec::encode(ResolverQuery{http.pointer()}), ResolverPointer::http(hello_http().pointer).value().key());
}

TEST(ResolverRecordFormat, DecodingIsStrict) {
    const auto key = node_key(1);
    const auto reencoded = [&](const IpfsResolution& resolution, auto&& edit) {
        codec::Writer writer;
        writer.u8(1);
        writer.fixed(key.public_key().bytes());
        writer.u64(now);
        writer.tag(0);
        edit(writer, resolution);
        writer.fixed(ByteArray<64>{});
        return codec::decode<ResolverRecord>(writer.view());
    };
    const auto body = [](const ipld::Cid& cid, uint8_t kind, uint64_t car_size) {
        return [cid, kind, car_size](codec::Writer& w, const IpfsResolution& r) {
            w.bytes(cid.bytes(), 1000);
            w.u8(kind);
            w.fixed(r.hash);
            w.u64(r.size);
            w.fixed(r.car);
            w.u64(car_size);
        };
    };
    const IpfsResolution file = hello_ipfs();
    EXPECT_TRUE(reencoded(file, body(file.cid, 0, 97)).has_value());
    // A CIDv0 is named by its v1 form only.
    const auto v0 = ipld::Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").value();
    EXPECT_EQ(reencoded(file, body(v0, 1, 97)).error(), codec::DecodeError::invalid_value);
    EXPECT_TRUE(reencoded(file, body(v0.to_v1(), 1, 97)).has_value());
    // Only UnixFS codecs; a raw block is a file; a root is never a symlink; a CAR is never empty.
    EXPECT_EQ(reencoded(file, body(ipld::Cid::of(ipld::multicodec::dag_cbor, Bytes{0xa0}), 0, 97)).error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(reencoded(file, body(file.cid, 1, 97)).error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(reencoded(file, body(v0.to_v1(), 2, 97)).error(), codec::DecodeError::unknown_tag);
    EXPECT_EQ(reencoded(file, body(file.cid, 0, 0)).error(), codec::DecodeError::invalid_value);
    // Not a CID at all.
    EXPECT_EQ(reencoded(file, [](codec::Writer& w, const IpfsResolution&) { w.bytes(Bytes{1, 2, 3}, 10); }).error(),
              codec::DecodeError::invalid_value);

    const auto http_with = [&](std::string_view pointer) {
        codec::Writer writer;
        writer.u8(1);
        writer.fixed(key.public_key().bytes());
        writer.u64(now);
        writer.tag(1);
        writer.u32(static_cast<uint32_t>(pointer.size()));
        writer.fixed(as_bytes(pointer));
        writer.fixed(filled(1));
        writer.u64(1);
        writer.fixed(ByteArray<64>{});
        return codec::decode<ResolverRecord>(writer.view());
    };
    EXPECT_TRUE(http_with("http://example.com/a").has_value());
    EXPECT_EQ(http_with("ftp://example.com/a").error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(http_with("https://example.com/\na").error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(http_with("https://example.com/\xff").error(), codec::DecodeError::invalid_utf8);
    EXPECT_EQ(http_with("https://example.com/" + std::string(http_pointer_bytes_max, 'a')).error(), codec::DecodeError::length_too_large);

    const Bytes good = codec::encode(ResolverRecord::sign(key, now, hello_http()));
    Bytes trailing = good;
    trailing.push_back(0);
    EXPECT_EQ(codec::decode<ResolverRecord>(trailing).error(), codec::DecodeError::trailing_bytes);
    Bytes version = good;
    version[0] = 0;
    EXPECT_EQ(codec::decode<ResolverRecord>(version).error(), codec::DecodeError::unknown_tag);
    Bytes kind = good;
    kind[1 + 32 + 8] = 2;
    EXPECT_EQ(codec::decode<ResolverRecord>(kind).error(), codec::DecodeError::unknown_tag);
    for (size_t size = 0; size < good.size(); ++size) {
        EXPECT_FALSE(codec::decode<ResolverRecord>(ByteSpan(good).first(size)).has_value()) << size;
    }
}

TEST(ResolverRecordFormat, OnlyRepresentableResolutionsAreSigned) {
    const auto key = node_key(1);
    // Pointers come from clients: a URL no record can hold is refused, never an assertion.
    const std::string long_url = "https://example.com/" + std::string(http_pointer_bytes_max, 'a');
    EXPECT_EQ(ResolverPointer::http(long_url).error(), codec::DecodeError::length_too_large);
    EXPECT_EQ(ResolverPointer::http("file:///etc/passwd").error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(ResolverPointer::http("https://a/\x01").error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(sign_resolver_record(key, now, HttpResolution{long_url, filled(1), 1}).error(), ResolverRecordError::unrepresentable);
    IpfsResolution symlink = directory(1);
    symlink.kind = ResolvedKind::symlink;
    EXPECT_EQ(sign_resolver_record(key, now, symlink).error(), ResolverRecordError::unrepresentable);
    IpfsResolution empty_car = hello_ipfs();
    empty_car.car_size = 0;
    EXPECT_EQ(sign_resolver_record(key, now, empty_car).error(), ResolverRecordError::unrepresentable);
    IpfsResolution cbor = hello_ipfs();
    cbor.cid = ipld::Cid::of(ipld::multicodec::dag_cbor, Bytes{0xa0});
    EXPECT_EQ(sign_resolver_record(key, now, cbor).error(), ResolverRecordError::unrepresentable);
    // A CIDv0 is recorded as its v1 form.
    IpfsResolution v0 = directory(1);
    v0.cid = ipld::Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").value();
    const auto record = sign_resolver_record(key, now, v0).value();
    EXPECT_EQ(std::get<IpfsResolution>(record.record().resolution).cid, v0.cid.to_v1());
    EXPECT_EQ(record.record().pointer(), ResolverPointer::ipfs(v0.cid));
    EXPECT_EQ(codec::decode<ResolverRecord>(codec::encode(record.record())).value(), record.record());
}

struct Registry {
    std::set<crypto::NodePublicKey> keys;
    Registry() {
        for (uint8_t n = 1; n < 10; ++n) keys.insert(node_key(n).public_key());
    }
    NodeKeyCheck check() const {
        return [this](const crypto::NodePublicKey& key) { return keys.contains(key); };
    }
};

TEST(ResolverRecordVerification, ForgedAlteredWrongKeyAndUnregisteredAreRefused) {
    Registry registry;
    const auto a = node_key(1);
    const ResolverRecord good = ResolverRecord::sign(a, now, hello_ipfs());
    EXPECT_TRUE(verify_resolver_record(good, registry.check(), now).has_value());

    ResolverRecord other_hash = good;  // the attack that matters: the same CID pointing elsewhere
    std::get<IpfsResolution>(other_hash.resolution).hash = filled(0x66);
    EXPECT_EQ(verify_resolver_record(other_hash, registry.check(), now).error(), ResolverRecordError::bad_signature);
    ResolverRecord other_car = good;
    std::get<IpfsResolution>(other_car.resolution).car = filled(0x66);
    EXPECT_EQ(verify_resolver_record(other_car, registry.check(), now).error(), ResolverRecordError::bad_signature);
    ResolverRecord later = good;
    later.resolved_at_ms += 1;
    EXPECT_EQ(verify_resolver_record(later, registry.check(), now).error(), ResolverRecordError::bad_signature);
    ResolverRecord wrong_key = ResolverRecord::sign(node_key(2), now, hello_ipfs());
    wrong_key.originator = a.public_key();
    EXPECT_EQ(verify_resolver_record(wrong_key, registry.check(), now).error(), ResolverRecordError::bad_signature);
    EXPECT_EQ(verify_resolver_record(ResolverRecord::sign(node_key(77), now, hello_ipfs()), registry.check(), now).error(),
              ResolverRecordError::unknown_originator);
    const uint64_t future = now + resolver_clock_skew_max_ms + 1;
    EXPECT_EQ(verify_resolver_record(ResolverRecord::sign(a, future, hello_ipfs()), registry.check(), now).error(),
              ResolverRecordError::from_the_future);
    EXPECT_TRUE(verify_resolver_record(ResolverRecord::sign(a, future - 1, hello_ipfs()), registry.check(), now).has_value());
}

TEST(ResolverClaims, StoredReplacedStaleAndKeptAcrossRestart) {
    ScratchDirectory scratch;
    const auto a = node_key(1);
    const auto b = node_key(2);
    const ResolverPointer hello = ResolverPointer::ipfs(hello_ipfs().cid);
    {
        auto resolver = Resolver::open(scratch / "resolver").value();
        EXPECT_EQ(resolver->put_claim(signed_by(a, now, hello_ipfs())).value(), ClaimOutcome::stored);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now, hello_ipfs())).value(), ClaimOutcome::duplicate);
        EXPECT_EQ(resolver->put_claim(signed_by(b, now, hello_ipfs())).value(), ClaimOutcome::stored);
        // a resolves it again later to other content: its newer record replaces its older one.
        IpfsResolution changed = hello_ipfs();
        changed.hash = filled(0x77);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now + 10, changed)).value(), ClaimOutcome::replaced);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now + 5, hello_ipfs())).value(), ClaimOutcome::stale);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now + 10, hello_ipfs())).value(), ClaimOutcome::stale);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now, hello_http())).value(), ClaimOutcome::stored);
        EXPECT_EQ(resolver->claim_count(), 3u);
        // The hash index follows the replacement.
        const auto for_changed = resolver->claims_for_hash(filled(0x77)).value();
        ASSERT_EQ(for_changed.size(), 1u);
        EXPECT_EQ(for_changed[0].originator, a.public_key());
        EXPECT_EQ(resolver->claims_for_hash(hello_ipfs().hash).value().size(), 2u);  // b's CID record, a's URL record
    }
    auto resolver = Resolver::open(scratch / "resolver").value();
    EXPECT_EQ(resolver->claim_count(), 3u);
    EXPECT_EQ(resolver->count().claims, 3u);
    const auto claims = resolver->claims(hello).value();
    ASSERT_EQ(claims.size(), 2u);
    EXPECT_TRUE(claims[0].originator < claims[1].originator);  // by originator key
    for (const auto& claim : claims) {
        EXPECT_TRUE(claim.verify());
        EXPECT_EQ(claim.pointer(), hello);
    }
    EXPECT_EQ(resolver->claims(hello, 1).value().size(), 1u);
    EXPECT_EQ(resolver->claims(ResolverPointer::http(hello_http().pointer).value()).value().size(), 1u);
    EXPECT_TRUE(resolver->claims(ResolverPointer::http("https://example.com/hello.txt").value()).value().empty());
    // The local records are a separate thing: a claim is not a local resolution.
    EXPECT_FALSE(resolver->ipfs(hello_ipfs().cid).value().has_value());
}

TEST(ResolverClaims, BoundsHoldPerOriginatorAndInTotal) {
    ScratchDirectory scratch;
    const auto a = node_key(1);
    const auto b = node_key(2);
    {
        auto resolver = Resolver::open(scratch / "resolver", {.claims_max = 5, .claims_per_originator_max = 3}).value();
        for (uint8_t i = 0; i < 3; ++i) ASSERT_EQ(resolver->put_claim(signed_by(a, now, directory(i))).value(), ClaimOutcome::stored);
        EXPECT_EQ(resolver->put_claim(signed_by(a, now, directory(3))).value(), ClaimOutcome::originator_full);
        // A full originator can still replace its own records.
        EXPECT_EQ(resolver->put_claim(signed_by(a, now + 1, directory(0))).value(), ClaimOutcome::replaced);
        for (uint8_t i = 10; i < 12; ++i) ASSERT_EQ(resolver->put_claim(signed_by(b, now, directory(i))).value(), ClaimOutcome::stored);
        EXPECT_EQ(resolver->put_claim(signed_by(b, now, directory(12))).value(), ClaimOutcome::store_full);
        EXPECT_EQ(resolver->claim_count(), 5u);
        EXPECT_TRUE(resolver->claims(ResolverPointer::ipfs(directory(3).cid)).value().empty());
        EXPECT_TRUE(resolver->claims(ResolverPointer::ipfs(directory(12).cid)).value().empty());
    }
    // The counts come back with the store: the bound still holds after a restart.
    auto resolver = Resolver::open(scratch / "resolver", {.claims_max = 6, .claims_per_originator_max = 3}).value();
    EXPECT_EQ(resolver->claim_count(), 5u);
    EXPECT_EQ(resolver->put_claim(signed_by(a, now, directory(3))).value(), ClaimOutcome::originator_full);
    EXPECT_EQ(resolver->put_claim(signed_by(b, now, directory(12))).value(), ClaimOutcome::stored);
    EXPECT_EQ(resolver->put_claim(signed_by(b, now, directory(13))).value(), ClaimOutcome::originator_full);
    EXPECT_EQ(resolver->count().claims, 6u);
}

TEST(ResolverExchange, GossipPayloadsAreVerifiedBeforeTheyAreStored) {
    ScratchDirectory scratch;
    Registry registry;
    auto resolver = Resolver::open(scratch / "resolver").value();
    const auto a = node_key(1);
    const Bytes payload = encode_resolver_gossip(signed_by(a, now, hello_ipfs()));
    EXPECT_EQ(accept_resolver_gossip(*resolver, node_key(2).public_key(), payload, registry.check(), now).error(),
              ResolverRecordError::wrong_origin);
    EXPECT_EQ(accept_resolver_gossip(*resolver, a.public_key(), ByteSpan(payload).first(10), registry.check(), now).error(),
              ResolverRecordError::malformed);
    Bytes forged = payload;
    forged[forged.size() - 70] ^= 1;  // in the CAR size
    EXPECT_EQ(accept_resolver_gossip(*resolver, a.public_key(), forged, registry.check(), now).error(), ResolverRecordError::bad_signature);
    EXPECT_EQ(resolver->claim_count(), 0u);
    EXPECT_EQ(accept_resolver_gossip(*resolver, a.public_key(), payload, registry.check(), now).value(), ClaimOutcome::stored);
    EXPECT_EQ(accept_resolver_gossip(*resolver, a.public_key(), payload, registry.check(), now).value(), ClaimOutcome::duplicate);
    EXPECT_EQ(resolver->claims(ResolverPointer::ipfs(hello_ipfs().cid)).value().at(0), codec::decode<ResolverRecord>(payload).value());
}

TEST(ResolverExchange, ALateJoinerAsksAPeerAboutAPointer) {
    ScratchDirectory scratch;
    Registry registry;
    auto peer = Resolver::open(scratch / "peer").value();
    auto joiner = Resolver::open(scratch / "joiner").value();
    for (uint8_t n = 1; n <= 3; ++n) ASSERT_TRUE(peer->put_claim(signed_by(node_key(n), now, hello_ipfs())).has_value());
    const ResolverPointer pointer = ResolverPointer::ipfs(hello_ipfs().cid);

    // Over the wire: the query, the answer.
    const Bytes query_bytes = codec::encode(ResolverQuery{pointer});
    const auto query = codec::decode<ResolverQuery>(query_bytes).value();
    const Bytes answer = codec::encode(answer_resolver_query(*peer, query).value());
    const auto counts = accept_resolver_answer(*joiner, pointer, answer, registry.check(), now).value();
    EXPECT_EQ(counts.stored, 3u);
    EXPECT_EQ(counts.refused, 0u);
    EXPECT_EQ(joiner->claims(pointer).value(), peer->claims(pointer).value());

    // An answer about another pointer, or holding a record of another pointer, is refused whole.
    auto other = Resolver::open(scratch / "other").value();
    EXPECT_EQ(accept_resolver_answer(*other, ResolverPointer::http(hello_http().pointer).value(), answer, registry.check(), now).error(),
              ResolverRecordError::wrong_pointer);
    ResolverAnswer smuggled = codec::decode<ResolverAnswer>(answer).value();
    smuggled.records.push_back(ResolverRecord::sign(node_key(4), now, directory(9)));
    EXPECT_EQ(accept_resolver_answer(*other, pointer, codec::encode(smuggled), registry.check(), now).error(),
              ResolverRecordError::wrong_pointer);
    // A tampered record is refused on its own; the genuine ones are kept.
    ResolverAnswer tampered = codec::decode<ResolverAnswer>(answer).value();
    std::get<IpfsResolution>(tampered.records[1].resolution).hash = filled(0x66);
    const auto partial = accept_resolver_answer(*other, pointer, codec::encode(tampered), registry.check(), now).value();
    EXPECT_EQ(partial.stored, 2u);
    EXPECT_EQ(partial.refused, 1u);
    EXPECT_EQ(partial.first_refusal, ResolverRecordError::bad_signature);
    EXPECT_EQ(other->claim_count(), 2u);
    EXPECT_TRUE(other->claims_for_hash(filled(0x66)).value().empty());
}

}  // namespace
}  // namespace fleek::origins
