#include "ipld/dag_pb.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

namespace fleek::ipld {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::sha256_hex;
using testing::source_path;

// ipld/codec-fixtures, copied unchanged into tests/vectors/dag-pb (tests/vectors/README.md).
const std::map<std::string, std::string> fixture_sha256 = {
    {"dagpb_11unnamedlinks+data/bafybeie7xh3zqqmeedkotykfsnj2pi4sacvvsjq6zddvcff4pq7dvyenhu.dag-pb", "9fb9f798418420d4e9e1459353a7a39200ab59261ec8c75114bc7c3e3ae08d3d"},
    {"dagpb_1link/bafybeihyivpglm6o6wrafbe36fp5l67abmewk7i2eob5wacdbhz7as5obe.dag-pb", "f8455e65b3cef5a202849bf15fd5fbe00b09657d1a2383db004309f3f04bae09"},
    {"dagpb_2link+data/bafybeibh647pmxyksmdm24uad6b5f7tx4dhvilzbg2fiqgzll4yek7g7y4.dag-pb", "27f73ef65f0a9306cd72801f83d2fe77e0cf542f21368a881b2b5f30457cdfc7"},
    {"dagpb_4namedlinks+data/bafybeigcsevw74ssldzfwhiijzmg7a35lssfmjkuoj2t5qs5u5aztj47tq.dag-pb", "c2912b6ff25258f25b1d084e586f837d5ca456255472753ec25da74199a79f9c"},
    {"dagpb_7unnamedlinks+data/bafybeibfhhww5bpsu34qs7nz25wp7ve36mcc5mxd5du26sr45bbnjhpkei.dag-pb", "2539ed6e85f2a6f9097db9d76cffd49bf3042eb2e3e8e9af4a3ce842d49dea22"},
    {"dagpb_Data_some/bafybeibazl2z4vqp2tmwcfag6wirmtpnomxknqcgrauj7m2yisrz3qjbom.dag-pb", "20caf59e560fd4d9611406f591164ded732ea6c04688289fb35844a39dc12173"},
    {"dagpb_Data_zero/bafybeiaqfni3s5s2k2r6rgpxz4hohdsskh44ka5tk6ztbjerqpvxwfkwaq.dag-pb", "102b51b9765a56a3e899f7cf0ee38e5251f9c503b357b330a49183eb7b155604"},
    {"dagpb_Links_Hash_some/bafybeia53f5n75ituvc3yupuf7tdnxf6fqetrmo2alc6g6iljkmk7ys5mm.dag-pb", "1dd97adff513a545bc51f42fe636dcbe2c0938b1da02c5e3790b4a98afe25d63"},
    {"dagpb_Links_Hash_some_Name_some/bafybeifq4hcxma3kjljrpxtunnljtc6tvbkgsy3vldyfpfbx2lij76niyu.dag-pb", "b0e1c576036a4ad317de746b56998bd3a85469637558f0579437d2d09ff9a8c5"},
    {"dagpb_Links_Hash_some_Name_zero/bafybeie7fstnkm4yshfwnmpp7d3mlh4f4okmk7a54d6c3ffr755q7qzk44.dag-pb", "9f2ca6d5339891cb66b1eff8f6c59f85e394c57c1de0fc2d94b1ff7b0fc32ae7"},
    {"dagpb_Links_Hash_some_Tsize_some/bafybeiezymjvhwfuharanxmzxwuomzjjuzqjewjolr4phaiyp6l7qfwo64.dag-pb", "99c31353d8b4382206dd99bda8e66529a66092592e5c78f381187f97f816cef7"},
    {"dagpb_Links_Hash_some_Tsize_zero/bafybeichjs5otecmbvwh5azdr4jc45mp2qcofh2fr54wjdxhz4znahod2i.dag-pb", "474cbae9904c0d6c7e83238f122e758fd404e29f458f79648ee7cf32d01dc3d2"},
    {"dagpb_empty/bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku.dag-pb", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"dagpb_simple_forms_1/bafybeia2qk4u55f2qj7zimmtpulejgz7urp7rzs44cvledcaj42gltkk3u.dag-pb", "1a82b94ef4ba827f9431937d16449b3fa45ff8e65ce0aab20c404f3465cd4add"},
    {"dagpb_simple_forms_2/bafybeiahfgovhod2uvww72vwdgatl5r6qkoeegg7at2bghiokupfphqcku.dag-pb", "07299d53b87aa56d6feab6198135f63e829c4218df04f4131d0e551e579e0255"},
    {"dagpb_simple_forms_3/bafybeidrg2f6slbv4yzydqtgmsi2vzojajnt7iufcreynfpxndca4z5twm.dag-pb", "71368be92c35e63381c2666491aae5c9025b3fa28514498695f768c40e67b3b3"},
    {"dagpb_simple_forms_4/bafybeieube7zxmzoc5bgttub2aqofi6xdzimv5munkjseeqccn36a6v6j4.dag-pb", "94093f9bb32e174269ce81d020e2a3d71e50caf5946a932212021377e07abe4f"},
};
constexpr std::string_view negative_sha256 = "1ab97551ab34424e01076c23e197bc65371e9cb37c52bba9be95aed590b36489";

TEST(DagPb, EveryFixtureDecodesAndReencodesToItsCid) {
    size_t seen = 0;
    for (const auto& entry : fs::recursive_directory_iterator(source_path("tests/vectors/dag-pb"))) {
        if (entry.path().extension() != ".dag-pb") continue;
        const std::string relative = fs::relative(entry.path(), source_path("tests/vectors/dag-pb")).string();
        const std::string bytes = read_text(entry.path());
        ASSERT_EQ(fixture_sha256.count(relative), 1u) << relative << " is not pinned";
        EXPECT_EQ(sha256_hex(bytes), fixture_sha256.at(relative)) << relative;
        const Cid expected = Cid::parse(entry.path().stem().string()).value();
        EXPECT_EQ(expected.codec(), multicodec::dag_pb);
        auto node = decode_dag_pb(as_bytes(bytes));
        ASSERT_TRUE(node.has_value()) << relative << ": " << to_string(node.error());
        const Bytes again = encode_dag_pb(*node);
        EXPECT_EQ(as_string_view(again), bytes) << relative;
        EXPECT_EQ(encoded_size(*node), bytes.size());
        EXPECT_EQ(Cid::of(multicodec::dag_pb, again), expected) << relative;
        ++seen;
    }
    EXPECT_EQ(seen, fixture_sha256.size());
}

TEST(DagPb, FixtureContents) {
    // dagpb_4namedlinks+data: four named links and Data, links sorted by name.
    const std::string bytes = read_text(source_path(
        "tests/vectors/dag-pb/dagpb_4namedlinks+data/bafybeigcsevw74ssldzfwhiijzmg7a35lssfmjkuoj2t5qs5u5aztj47tq.dag-pb"));
    const PbNode node = decode_dag_pb(as_bytes(bytes)).value();
    ASSERT_EQ(node.links.size(), 4u);
    ASSERT_TRUE(node.data.has_value());
    std::vector<PbLink> sorted = node.links;
    sort_links(sorted);
    EXPECT_EQ(sorted, node.links);
    for (const auto& link : node.links) EXPECT_TRUE(link.name.has_value());
    // dagpb_Data_zero: Data present and empty, which differs from no Data.
    const std::string zero = read_text(source_path(
        "tests/vectors/dag-pb/dagpb_Data_zero/bafybeiaqfni3s5s2k2r6rgpxz4hohdsskh44ka5tk6ztbjerqpvxwfkwaq.dag-pb"));
    const PbNode zero_node = decode_dag_pb(as_bytes(zero)).value();
    ASSERT_TRUE(zero_node.data.has_value());
    EXPECT_TRUE(zero_node.data->empty());
    EXPECT_EQ(zero, std::string("\x0a\x00", 2));
    // dagpb_empty: zero bytes is the empty node.
    EXPECT_EQ(decode_dag_pb({}).value(), PbNode{});
}

TEST(DagPb, EveryNegativeFixtureIsRejected) {
    const std::string text = read_text(source_path("tests/vectors/dag-pb/negative/decode-edges.json"));
    EXPECT_EQ(sha256_hex(text), negative_sha256);
    const auto cases = nlohmann::json::parse(text);
    ASSERT_GE(cases.size(), 9u);
    for (const auto& item : cases) {
        const Bytes bytes = hex_decode(item["hex"].get<std::string>()).value();
        const auto decoded = decode_dag_pb(bytes);
        EXPECT_FALSE(decoded.has_value()) << item["name"];
    }
}

TEST(DagPb, StrictnessBeyondTheFixtures) {
    const Cid cid = Cid::of(multicodec::raw, as_bytes("x"));
    PbNode node;
    node.links.push_back(PbLink{cid, "a", 1});
    node.data = to_bytes("d");
    const Bytes good = encode_dag_pb(node);
    EXPECT_EQ(decode_dag_pb(good).value(), node);
    // Data then a link.
    Bytes data_first(good.end() - 3, good.end());
    data_first.insert(data_first.end(), good.begin(), good.end() - 3);
    EXPECT_EQ(decode_dag_pb(data_first).error(), DagPbError::data_before_links);
    // Two Data fields.
    EXPECT_EQ(decode_dag_pb(Bytes{0x0a, 0x00, 0x0a, 0x00}).error(), DagPbError::data_before_links);
    // An unknown field (3) and a Links field with the wrong wire type.
    EXPECT_EQ(decode_dag_pb(Bytes{0x1a, 0x00}).error(), DagPbError::unknown_field);
    EXPECT_EQ(decode_dag_pb(Bytes{0x10, 0x01}).error(), DagPbError::unknown_field);
    // Link fields out of order: Name before Hash.
    Bytes name_first{0x12, 0x00};
    Bytes inner{0x12, 0x01, 'a', 0x0a, static_cast<uint8_t>(cid.bytes().size())};
    inner.insert(inner.end(), cid.bytes().begin(), cid.bytes().end());
    name_first[1] = static_cast<uint8_t>(inner.size());
    name_first.insert(name_first.end(), inner.begin(), inner.end());
    EXPECT_EQ(decode_dag_pb(name_first).error(), DagPbError::link_field_order);
    // A non-minimal length varint; a length past the end.
    EXPECT_EQ(decode_dag_pb(Bytes{0x0a, 0x80, 0x00}).error(), DagPbError::truncated);
    EXPECT_EQ(decode_dag_pb(Bytes{0x0a, 0x81, 0x00, 0x00}).error(), DagPbError::truncated);
    EXPECT_EQ(decode_dag_pb(Bytes{0x0a, 0x05, 0x00}).error(), DagPbError::truncated);
}

TEST(DagPb, SortLinksIsBytewiseAndStable) {
    const Cid cid = Cid::of(multicodec::raw, as_bytes("x"));
    std::vector<PbLink> links = {{cid, "b", 1}, {cid, "\xc3\xa9", 2}, {cid, "a", 3}, {cid, std::nullopt, 4},
                                 {cid, "ab", 5}, {cid, "", 6}, {cid, "B", 7}};
    sort_links(links);
    std::vector<uint64_t> order;
    for (const auto& link : links) order.push_back(*link.tsize);
    EXPECT_EQ(order, (std::vector<uint64_t>{4, 6, 7, 3, 5, 1, 2}));
}

TEST(DagPbError, EveryErrorHasAMessage) {
    for (int e = 0; e <= static_cast<int>(DagPbError::invalid_hash); ++e) {
        EXPECT_NE(to_string(static_cast<DagPbError>(e)), "unknown DAG-PB error");
    }
}

}  // namespace
}  // namespace fleek::ipld
