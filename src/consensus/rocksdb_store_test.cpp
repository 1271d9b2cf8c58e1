#include "consensus/node.h"
#include "consensus/rocksdb_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace fleek::consensus {
namespace {

struct TempDir {
    TempDir() {
        path = std::filesystem::temp_directory_path() / ("fleek-rocksdb-test-" + std::to_string(::getpid()) + "-" +
                                                         std::to_string(counter++));
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
    static inline int counter = 0;
};

TEST(RocksDbStore, WritesReadsScansAndReopens) {
    TempDir dir;
    {
        auto store = RocksDbStore::open(dir.path).value();
        WriteBatch w;
        for (uint64_t r : {7u, 3u, 5u}) w.put(Table::certificate_rounds, key_u64(r), to_bytes("d"));
        w.put(Table::batches, key_u64(1), Bytes(100'000, 0xab));  // a blob
        w.put(Table::meta, to_bytes("k"), to_bytes("v"));
        ASSERT_TRUE(store->write(w, true));
        WriteBatch erase;
        erase.erase(Table::meta, to_bytes("k"));
        ASSERT_TRUE(store->write(erase, false));
        std::vector<uint64_t> rounds;
        ASSERT_TRUE(store->scan(Table::certificate_rounds, key_u64(4), {}, [&](ByteSpan key, ByteSpan) {
            rounds.push_back(read_key_u64(key, 0));
            return true;
        }));
        EXPECT_EQ(rounds, (std::vector<uint64_t>{5, 7}));
        EXPECT_FALSE(store->get(Table::meta, to_bytes("k")).value().has_value());
    }
    auto store = RocksDbStore::open(dir.path).value();
    EXPECT_EQ(store->get(Table::batches, key_u64(1)).value().value(), Bytes(100'000, 0xab));
    EXPECT_TRUE(store->contains(Table::certificate_rounds, key_u64(3)).value());
    EXPECT_FALSE(store->contains(Table::certificate_rounds, key_u64(4)).value());
}

TEST(RocksDbStore, ANodeRestartsFromIt) {
    TempDir dir;
    std::vector<Member> members;
    for (uint8_t i = 0; i < 1; ++i) {
        Bytes seed(32, static_cast<uint8_t>(i + 1));
        members.push_back({crypto::NodeSecretKey::from_seed(seed).value().public_key(),
                           crypto::bls::SecretKey::from_seed(seed).value().public_key()});
    }
    const auto committee = Committee::create(1, members).value();
    Node::Options options;
    options.parameters.min_header_delay_us = 1'000;
    options.parameters.max_header_delay_us = 2'000;
    options.parameters.max_batch_delay_us = 1'000;
    uint64_t committed = 0;
    std::vector<Bytes> delivered;
    {
        // A committee of one commits on its own.
        auto store = RocksDbStore::open(dir.path).value();
        Node node(committee, 0, make_test_scheme(committee, 0), *store, options, 1'000'000);
        ASSERT_TRUE(node.submit_transaction(to_bytes("hello"), 1'000'000));
        for (TimeUs t = 1'000'000; t < 1'100'000; t += 1'000) node.on_tick(t);
        committed = node.committed_sub_dags();
        for (auto& o : node.take_output()) {
            for (auto& tx : o.transactions) delivered.push_back(tx.bytes);
        }
        EXPECT_GT(committed, 3u);
        EXPECT_EQ(delivered, std::vector<Bytes>{to_bytes("hello")});
    }
    auto store = RocksDbStore::open(dir.path).value();
    options.next_output_index = committed;
    Node node(committee, 0, make_test_scheme(committee, 0), *store, options, 2'000'000);
    EXPECT_EQ(node.committed_sub_dags(), committed);
    EXPECT_GT(node.round(), 0u);
    EXPECT_TRUE(node.take_output().empty());
}

}  // namespace
}  // namespace fleek::consensus
