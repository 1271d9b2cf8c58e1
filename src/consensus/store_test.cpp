#include "consensus/store.h"

#include <gtest/gtest.h>

namespace fleek::consensus {
namespace {

Bytes b(std::string_view s) { return to_bytes(s); }

std::optional<Bytes> get(MemoryStore& store, Table t, std::string_view key) { return store.get(t, b(key)).value(); }

TEST(MemoryStore, PowerLossDropsAnUnsyncedSuffixOnly) {
    MemoryStore store;
    WriteBatch w1, w2, w3, w4;
    w1.put(Table::batches, b("a"), b("1"));
    w2.put(Table::batches, b("b"), b("2"));
    w3.put(Table::batches, b("a"), b("3"));
    w3.erase(Table::batches, b("b"));
    w4.put(Table::batches, b("c"), b("4"));
    ASSERT_TRUE(store.write(w1, false));
    ASSERT_TRUE(store.write(w2, true));  // syncs w1 as well
    ASSERT_TRUE(store.write(w3, false));
    ASSERT_TRUE(store.write(w4, false));
    EXPECT_EQ(store.unsynced_writes(), 2u);
    EXPECT_EQ(get(store, Table::batches, "a"), b("3"));
    store.power_loss(1);  // keeps w3, loses w4
    EXPECT_EQ(get(store, Table::batches, "a"), b("3"));
    EXPECT_FALSE(get(store, Table::batches, "b"));
    EXPECT_FALSE(get(store, Table::batches, "c"));
    ASSERT_TRUE(store.write(w4, false));
    store.power_loss(0);
    EXPECT_FALSE(get(store, Table::batches, "c"));
    EXPECT_EQ(get(store, Table::batches, "a"), b("3"));
}

TEST(MemoryStore, PowerLossRestoresOverwrittenValues) {
    MemoryStore store;
    WriteBatch w1, w2;
    w1.put(Table::meta, b("k"), b("old"));
    w2.put(Table::meta, b("k"), b("new"));
    w2.put(Table::meta, b("k"), b("newer"));
    ASSERT_TRUE(store.write(w1, true));
    ASSERT_TRUE(store.write(w2, false));
    EXPECT_EQ(get(store, Table::meta, "k"), b("newer"));
    store.power_loss(0);
    EXPECT_EQ(get(store, Table::meta, "k"), b("old"));
}

TEST(MemoryStore, ScanIsOrderedAndStaysInItsTable) {
    MemoryStore store;
    WriteBatch w;
    for (uint64_t r : {5u, 1u, 300u, 2u}) w.put(Table::certificate_rounds, key_u64(r), b("x"));
    w.put(Table::certificates, key_u64(0), b("other table"));
    w.put(Table::batches, key_u64(0), b("other table"));
    ASSERT_TRUE(store.write(w, false));
    std::vector<uint64_t> rounds;
    ASSERT_TRUE(store.scan(Table::certificate_rounds, key_u64(2), {}, [&](ByteSpan key, ByteSpan) {
        rounds.push_back(read_key_u64(key, 0));
        return true;
    }));
    EXPECT_EQ(rounds, (std::vector<uint64_t>{2, 5, 300}));
    rounds.clear();
    ASSERT_TRUE(store.scan(Table::certificate_rounds, {}, key_u64(5), [&](ByteSpan key, ByteSpan) {
        rounds.push_back(read_key_u64(key, 0));
        return true;
    }));
    EXPECT_EQ(rounds, (std::vector<uint64_t>{1, 2}));
    EXPECT_TRUE(store.contains(Table::certificates, key_u64(0)).value());
    EXPECT_FALSE(store.contains(Table::certificates, key_u64(1)).value());
}

TEST(MemoryStore, FailedWriteChangesNothing) {
    MemoryStore store;
    WriteBatch w;
    w.put(Table::meta, b("k"), b("v"));
    store.fail_next_write();
    EXPECT_EQ(store.write(w, true).error(), StoreError::io);
    EXPECT_FALSE(get(store, Table::meta, "k"));
    EXPECT_TRUE(store.write(w, true));
}

}  // namespace
}  // namespace fleek::consensus
