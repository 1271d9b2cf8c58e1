#include "origins/provider_publisher.h"
#include "origins/provider_snapshot.h"
#include "origins/provider_table.h"

#include <gtest/gtest.h>

#include <set>

namespace fleek::origins {
namespace {

constexpr uint64_t now = 1'700'000'000'000;
constexpr uint64_t hour = 3'600'000;

crypto::NodeSecretKey node_key(uint8_t n) { return crypto::NodeSecretKey::from_seed(Bytes(32, n)).value(); }

crypto::Hash32 content(uint32_t n) {
    return crypto::blake3(as_bytes(std::to_string(n)));
}

ProviderRecord announce(const crypto::NodeSecretKey& key, const crypto::Hash32& hash, uint64_t sequence, uint64_t expires_at_ms = now + hour) {
    return ProviderRecord::sign(key, hash, sequence, ProviderAction::announce, expires_at_ms);
}

ProviderRecord withdraw(const crypto::NodeSecretKey& key, const crypto::Hash32& hash, uint64_t sequence, uint64_t expires_at_ms = now + hour) {
    return ProviderRecord::sign(key, hash, sequence, ProviderAction::withdraw, expires_at_ms);
}

// The node registry the table is given: keys 1 .. 9 are registered.
struct Registry {
    std::set<crypto::NodePublicKey> keys;
    Registry() {
        for (uint8_t n = 1; n < 10; ++n) keys.insert(node_key(n).public_key());
    }
    NodeKeyCheck check() const {
        return [this](const crypto::NodePublicKey& key) { return keys.contains(key); };
    }
};

using Outcome = Result<ProviderApplied, ProviderRefusal>;
Outcome accepted() { return ProviderApplied::accepted; }
Outcome ignored(ProviderApplied why) { return why; }
Outcome refused(ProviderRefusal why) { return fail(why); }

class ProviderTableTest : public ::testing::Test {
protected:
    Registry registry;
    ProviderTable table{ProviderTableOptions{}, registry.check()};
    crypto::NodeSecretKey a = node_key(1);
    crypto::NodeSecretKey b = node_key(2);
};

TEST_F(ProviderTableTest, VerifiedAnnouncementMakesAProvider) {
    EXPECT_EQ(table.apply(announce(a, content(1), 1), now), accepted());
    EXPECT_EQ(table.apply(announce(b, content(1), 1), now), accepted());
    const std::vector<crypto::NodePublicKey> expected = a.public_key() < b.public_key()
                                                            ? std::vector{a.public_key(), b.public_key()}
                                                            : std::vector{b.public_key(), a.public_key()};
    EXPECT_EQ(table.providers(content(1), now), expected);  // key order
    EXPECT_EQ(table.providers(content(1), now, 1), std::vector{expected[0]});
    EXPECT_TRUE(table.providers(content(2), now).empty());
    EXPECT_EQ(table.apply(announce(a, content(1), 1), now), ignored(ProviderApplied::duplicate));
    EXPECT_EQ(table.size(), 2u);
}

TEST_F(ProviderTableTest, ForgedAlteredAndUnregisteredRecordsAreRefusedAndChangeNothing) {
    ASSERT_EQ(table.apply(announce(a, content(1), 5), now), accepted());
    const ProviderRecord held = *table.find(content(1), a.public_key());

    // Forged: a's key in the record, signed by b.
    ProviderRecord forged = announce(b, content(2), 1);
    forged.provider = a.public_key();
    EXPECT_EQ(table.apply(forged, now), refused(ProviderRefusal::bad_signature));
    // Altered after signing: a newer sequence, a withdrawal, another content, a later expiry.
    ProviderRecord newer = announce(a, content(1), 6);
    newer.sequence = 7;
    EXPECT_EQ(table.apply(newer, now), refused(ProviderRefusal::bad_signature));
    ProviderRecord flipped = announce(a, content(1), 6);
    flipped.action = ProviderAction::withdraw;
    EXPECT_EQ(table.apply(flipped, now), refused(ProviderRefusal::bad_signature));
    ProviderRecord moved = announce(a, content(1), 6);
    moved.content = content(3);
    EXPECT_EQ(table.apply(moved, now), refused(ProviderRefusal::bad_signature));
    ProviderRecord longer = announce(a, content(1), 6);
    longer.expires_at_ms += 1;
    EXPECT_EQ(table.apply(longer, now), refused(ProviderRefusal::bad_signature));
    // A valid signature by a node that is not registered.
    EXPECT_EQ(table.apply(announce(node_key(42), content(1), 1), now), refused(ProviderRefusal::unknown_provider));
    // An expiry beyond ttl_max + skew.
    const uint64_t too_far = now + table.options().ttl_max_ms + table.options().clock_skew_max_ms + 1;
    EXPECT_EQ(table.apply(announce(a, content(4), 1, too_far), now), refused(ProviderRefusal::expiry_too_far));
    EXPECT_EQ(table.apply(announce(a, content(4), 1, too_far - 1), now), accepted());

    EXPECT_EQ(*table.find(content(1), a.public_key()), held);
    EXPECT_EQ(table.find(content(2), a.public_key()), nullptr);
    EXPECT_EQ(table.find(content(3), a.public_key()), nullptr);
    EXPECT_EQ(table.size(), 2u);
}

TEST_F(ProviderTableTest, AnOldAnnouncementNeverUndoesANewerWithdrawal) {
    const ProviderRecord first = announce(a, content(1), 10);
    const ProviderRecord second = announce(a, content(1), 20);
    ASSERT_EQ(table.apply(second, now), accepted());
    EXPECT_EQ(table.apply(first, now), ignored(ProviderApplied::stale));
    EXPECT_EQ(table.find(content(1), a.public_key())->sequence, 20u);

    ASSERT_EQ(table.apply(withdraw(a, content(1), 30), now), accepted());
    EXPECT_TRUE(table.providers(content(1), now).empty());
    // Replays of both announcements, in any order, are stale against the tombstone.
    EXPECT_EQ(table.apply(second, now + 1), ignored(ProviderApplied::stale));
    EXPECT_EQ(table.apply(first, now + 1), ignored(ProviderApplied::stale));
    EXPECT_TRUE(table.providers(content(1), now + 1).empty());
    // A record with the same sequence but other content (an equivocation) does not replace it.
    EXPECT_EQ(table.apply(announce(a, content(1), 30), now), ignored(ProviderApplied::stale));
    // A newer announcement does.
    EXPECT_EQ(table.apply(announce(a, content(1), 31), now), accepted());
    EXPECT_EQ(table.providers(content(1), now), std::vector{a.public_key()});
}

TEST_F(ProviderTableTest, AWithdrawalOutlivesTheAnnouncementItReplaced) {
    const ProviderRecord long_lived = announce(a, content(1), 1, now + 10 * hour);
    ASSERT_EQ(table.apply(long_lived, now), accepted());
    // The withdrawal itself would expire after one hour...
    ASSERT_EQ(table.apply(withdraw(a, content(1), 2, now + hour), now), accepted());
    table.expire(now + 2 * hour);
    // ...but it is kept as long as the announcement it replaced could be replayed.
    ASSERT_NE(table.find(content(1), a.public_key()), nullptr);
    EXPECT_EQ(table.apply(long_lived, now + 2 * hour), ignored(ProviderApplied::stale));
    EXPECT_TRUE(table.providers(content(1), now + 2 * hour).empty());
    table.expire(now + 10 * hour);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.apply(long_lived, now + 10 * hour), ignored(ProviderApplied::expired));
}

TEST_F(ProviderTableTest, AnnouncementsExpire) {
    ASSERT_EQ(table.apply(announce(a, content(1), 1, now + 1000), now), accepted());
    ASSERT_EQ(table.apply(announce(b, content(1), 1, now + 5000), now), accepted());
    EXPECT_EQ(table.providers(content(1), now + 999).size(), 2u);
    EXPECT_EQ(table.providers(content(1), now + 1000), std::vector{b.public_key()});  // without a call to expire
    table.expire(now + 1000);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.find(content(1), a.public_key()), nullptr);
    EXPECT_EQ(table.apply(announce(a, content(2), 2, now + 1000), now + 1000), ignored(ProviderApplied::expired));
    EXPECT_EQ(table.size(), 1u);
    table.expire(now + 5000);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.provider_count(), 0u);
}

TEST(ProviderTableBounds, AFloodingProviderOnlyDisplacesItsOwnRecords) {
    Registry registry;
    ProviderTable table({.records_max = 64, .records_per_provider_max = 16}, registry.check());
    const auto honest = node_key(1);
    const auto flooder = node_key(2);
    for (uint32_t i = 0; i < 8; ++i) ASSERT_EQ(table.apply(announce(honest, content(i), 1, now + hour + i), now), accepted());
    for (uint32_t i = 0; i < 1000; ++i) {
        ASSERT_EQ(table.apply(announce(flooder, content(1000 + i), 1, now + 2 * hour + i), now), accepted());
        ASSERT_LE(table.size_of(flooder.public_key()), 16u);
        ASSERT_LE(table.size(), 64u);
    }
    EXPECT_EQ(table.size_of(flooder.public_key()), 16u);
    EXPECT_EQ(table.size_of(honest.public_key()), 8u);
    EXPECT_EQ(table.evicted(), 1000u - 16u);
    // The flooder kept its 16 latest-expiring records; the honest provider lost nothing.
    for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(table.providers(content(i), now), std::vector{honest.public_key()});
    EXPECT_NE(table.find(content(1999), flooder.public_key()), nullptr);
    EXPECT_EQ(table.find(content(1983), flooder.public_key()), nullptr);
}

TEST(ProviderTableBounds, AFullTableTakesFromTheLargestProvider) {
    Registry registry;
    ProviderTable table({.records_max = 24, .records_per_provider_max = 16}, registry.check());
    const auto big = node_key(1);
    const auto mid = node_key(2);
    const auto small = node_key(3);
    for (uint32_t i = 0; i < 16; ++i) ASSERT_EQ(table.apply(announce(big, content(i), 1, now + hour + i), now), accepted());
    for (uint32_t i = 0; i < 8; ++i) ASSERT_EQ(table.apply(announce(mid, content(100 + i), 1), now), accepted());
    ASSERT_EQ(table.size(), 24u);
    for (uint32_t i = 0; i < 8; ++i) ASSERT_EQ(table.apply(announce(small, content(200 + i), 1), now), accepted());
    EXPECT_EQ(table.size(), 24u);
    EXPECT_EQ(table.size_of(small.public_key()), 8u);
    EXPECT_EQ(table.size_of(mid.public_key()), 8u);
    EXPECT_EQ(table.size_of(big.public_key()), 8u);
    // big gave up the records that expired soonest.
    EXPECT_EQ(table.find(content(7), big.public_key()), nullptr);
    EXPECT_NE(table.find(content(8), big.public_key()), nullptr);
}

TEST_F(ProviderTableTest, ABatchMustComeFromItsProvider) {
    const ProviderRecord mine[] = {announce(a, content(1), 1), announce(a, content(2), 1)};
    const ProviderRecord mixed[] = {announce(a, content(3), 1), announce(b, content(4), 1)};
    const auto foreign = table.apply_batch(a.public_key(), encode_provider_batch(mixed), now);
    EXPECT_EQ(foreign.refused, 1u);
    EXPECT_EQ(foreign.first_refusal, ProviderRefusal::wrong_origin);
    EXPECT_EQ(table.size(), 0u);  // nothing of it applied
    const auto garbage = table.apply_batch(a.public_key(), Bytes{1, 2, 3}, now);
    EXPECT_EQ(garbage.first_refusal, ProviderRefusal::malformed);
    const auto good = table.apply_batch(a.public_key(), encode_provider_batch(mine), now);
    EXPECT_EQ(good.accepted, 2u);
    EXPECT_EQ(good.refused, 0u);
    const auto again = table.apply_batch(a.public_key(), encode_provider_batch(mine), now);
    EXPECT_EQ(again.duplicate, 2u);
    EXPECT_EQ(table.size(), 2u);
}

TEST_F(ProviderTableTest, ForgettingAProviderDropsAllItsRecords) {
    for (uint32_t i = 0; i < 5; ++i) ASSERT_EQ(table.apply(announce(a, content(i), 1), now), accepted());
    ASSERT_EQ(table.apply(announce(b, content(0), 1), now), accepted());
    table.forget_provider(a.public_key());
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.size_of(a.public_key()), 0u);
    EXPECT_EQ(table.providers(content(0), now), std::vector{b.public_key()});
}

// Everything `table` holds for unexpired records, as (content, provider, sequence, action).
std::vector<std::tuple<crypto::Hash32, crypto::NodePublicKey, uint64_t, ProviderAction>> contents_of(const ProviderTable& table) {
    std::vector<std::tuple<crypto::Hash32, crypto::NodePublicKey, uint64_t, ProviderAction>> out;
    ProviderSnapshotRequest request;
    for (;;) {
        const auto page = table.snapshot_page(request, now);
        for (const auto& record : page.records) out.emplace_back(record.content, record.provider, record.sequence, record.action);
        if (!page.next) return out;
        request.after = page.next;
    }
}

TEST_F(ProviderTableTest, SnapshotPagesRoundTrip) {
    for (uint32_t i = 0; i < 300; ++i) {
        ASSERT_EQ(table.apply(announce(node_key(static_cast<uint8_t>(1 + i % 5)), content(i / 2), 1), now), accepted());
    }
    ASSERT_EQ(table.apply(withdraw(a, content(0), 2), now), accepted());
    ASSERT_EQ(table.size(), 300u);

    ProviderTable fresh(ProviderTableOptions{}, registry.check());
    ProviderSnapshotSync sync({.page_records = 7});
    size_t accepted_records = 0;
    while (!sync.complete()) {
        const auto request = codec::decode<ProviderSnapshotRequest>(sync.encoded_request()).value();
        const Bytes page = codec::encode(table.snapshot_page(request, now));
        const auto counts = sync.on_page(page, fresh, now);
        ASSERT_TRUE(counts.has_value()) << to_string(counts.error());
        EXPECT_EQ(counts->refused, 0u);
        accepted_records += counts->accepted;
    }
    EXPECT_EQ(sync.pages(), (300u + 6) / 7);
    EXPECT_EQ(accepted_records, 300u);
    EXPECT_EQ(contents_of(fresh), contents_of(table));
    EXPECT_EQ(fresh.find(content(0), a.public_key())->action, ProviderAction::withdraw);
}

TEST_F(ProviderTableTest, ASnapshotSkipsExpiredEntriesWithBoundedWork) {
    // 50 announcements that lapsed (expire() not called yet), and one live one among them.
    for (uint32_t i = 0; i < 50; ++i) {
        ASSERT_EQ(table.apply(announce(a, content(i), 1, now + 2 * hour), now), accepted());
    }
    ASSERT_EQ(table.apply(announce(b, content(7), 1, now + 5 * hour), now), accepted());
    const uint64_t later = now + 3 * hour;
    ProviderSnapshotRequest request{std::nullopt, 2};
    size_t pages = 0;
    std::vector<ProviderRecord> records;
    for (;; ++pages) {
        const auto page = table.snapshot_page(request, later);
        EXPECT_LE(page.records.size(), 2u);
        records.insert(records.end(), page.records.begin(), page.records.end());
        if (!page.next) break;
        ASSERT_TRUE(!request.after || *request.after < *page.next);
        request.after = page.next;
    }
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].provider, b.public_key());
    EXPECT_GE(pages, 51u / 8);  // at most 4 × 2 entries scanned per page
}

TEST_F(ProviderTableTest, ALateJoinerLearnsTheCurrentProviders) {
    // Node A follows the gossip of three publishers for a while.
    ProviderPublisher p1(node_key(1)), p2(node_key(2)), p3(node_key(3));
    std::vector<ProviderRecord> gossip;
    for (uint32_t i = 0; i < 40; ++i) gossip.push_back(p1.announce(content(i), now).value());
    for (uint32_t i = 20; i < 60; ++i) gossip.push_back(p2.announce(content(i), now + 1).value());
    for (uint32_t i = 0; i < 10; ++i) gossip.push_back(*p1.withdraw(content(i), now + 2));
    for (uint32_t i = 50; i < 70; ++i) gossip.push_back(p3.announce(content(i), now + 3).value());
    const ProviderRecord superseded = gossip[25];  // p1's announcement of content 25, to be withdrawn
    gossip.push_back(*p1.withdraw(content(25), now + 4));
    ProviderTable node_a(ProviderTableOptions{}, registry.check());
    for (const auto& record : gossip) ASSERT_EQ(node_a.apply(record, now + 5), accepted());

    // Node B starts empty and syncs from A's snapshot, over encoded pages.
    ProviderTable node_b(ProviderTableOptions{}, registry.check());
    ProviderSnapshotSync sync({.page_records = 16});
    while (!sync.complete()) {
        const auto request = codec::decode<ProviderSnapshotRequest>(sync.encoded_request()).value();
        ASSERT_TRUE(sync.on_page(codec::encode(node_a.snapshot_page(request, now + 6)), node_b, now + 6).has_value());
    }
    for (uint32_t i = 0; i < 70; ++i) {
        EXPECT_EQ(node_b.providers(content(i), now + 6), node_a.providers(content(i), now + 6)) << i;
    }
    EXPECT_TRUE(node_b.providers(content(5), now + 6).empty());  // withdrawn by p1, never held by others
    EXPECT_EQ(node_b.providers(content(30), now + 6).size(), 2u);
    // The tombstone came with the snapshot: a replayed old announcement does not bring p1 back.
    EXPECT_EQ(node_b.apply(superseded, now + 7), ignored(ProviderApplied::stale));
    EXPECT_EQ(node_b.providers(content(25), now + 7), std::vector{node_key(2).public_key()});
    // Gossip after the snapshot keeps both tables equal.
    const ProviderRecord fresh = p3.announce(content(1), now + 8).value();
    EXPECT_EQ(node_a.apply(fresh, now + 8), accepted());
    EXPECT_EQ(node_b.apply(fresh, now + 8), accepted());
    EXPECT_EQ(contents_of(node_b), contents_of(node_a));
}

TEST_F(ProviderTableTest, BadSnapshotPagesAreRefusedWhole) {
    for (uint32_t i = 0; i < 10; ++i) ASSERT_EQ(table.apply(announce(a, content(i), 1), now), accepted());
    ProviderTable fresh(ProviderTableOptions{}, registry.check());
    ProviderSnapshotSync sync({.page_records = 4});
    const auto good = table.snapshot_page(sync.request(), now);
    ASSERT_EQ(good.records.size(), 4u);

    const auto refuse = [&](const ProviderSnapshotPage& page, SnapshotPageError expected) {
        auto result = sync.on_page(codec::encode(page), fresh, now);
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error(), expected);
        EXPECT_EQ(fresh.size(), 0u);  // nothing of a refused page is applied
        EXPECT_EQ(sync.request(), (ProviderSnapshotRequest{std::nullopt, 4}));
        EXPECT_EQ(sync.pages(), 0u);
    };
    EXPECT_EQ(sync.on_page(Bytes{1, 2, 3}, fresh, now).error(), SnapshotPageError::malformed);
    ProviderSnapshotPage other_cursor = good;
    other_cursor.after = good.records[0].key();
    refuse(other_cursor, SnapshotPageError::unexpected_cursor);
    ProviderSnapshotPage too_many = table.snapshot_page({std::nullopt, 5}, now);
    refuse(too_many, SnapshotPageError::too_many_records);
    ProviderSnapshotPage reversed = good;
    std::swap(reversed.records[0], reversed.records[1]);
    refuse(reversed, SnapshotPageError::out_of_order);
    ProviderSnapshotPage repeated = good;
    repeated.records[1] = repeated.records[0];
    refuse(repeated, SnapshotPageError::out_of_order);
    ProviderSnapshotPage backwards = good;
    backwards.next = good.records[0].key();
    refuse(backwards, SnapshotPageError::no_progress);

    // A page whose records were tampered with is taken, but the tampered record is refused.
    ProviderSnapshotPage tampered = good;
    tampered.records[2].expires_at_ms += 1;
    auto counts = sync.on_page(codec::encode(tampered), fresh, now).value();
    EXPECT_EQ(counts.accepted, 3u);
    EXPECT_EQ(counts.refused, 1u);
    EXPECT_EQ(counts.first_refusal, ProviderRefusal::bad_signature);
    EXPECT_EQ(fresh.size(), 3u);
    EXPECT_EQ(fresh.find(good.records[2].content, a.public_key()), nullptr);
    // The next page continues after the tampered one's cursor; an answer to the old cursor is late.
    EXPECT_EQ(sync.on_page(codec::encode(good), fresh, now).error(), SnapshotPageError::unexpected_cursor);
}

TEST(ProviderSnapshotSync, PagesAreBounded) {
    Registry registry;
    ProviderTable table(ProviderTableOptions{}, registry.check());
    const auto key = node_key(1);
    for (uint32_t i = 0; i < 10; ++i) ASSERT_EQ(table.apply(announce(key, content(i), 1), now), accepted());
    ProviderTable fresh(ProviderTableOptions{}, registry.check());
    ProviderSnapshotSync sync({.page_records = 1, .pages_max = 3});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(sync.on_page(table.snapshot_page(sync.request(), now), fresh, now).has_value());
    EXPECT_EQ(sync.on_page(table.snapshot_page(sync.request(), now), fresh, now).error(), SnapshotPageError::too_many_pages);
    EXPECT_EQ(fresh.size(), 3u);
}

TEST(ProviderPublisher, SequencesOnlyGrowEvenWhenTheClockGoesBack) {
    ProviderPublisher publisher(node_key(1));
    const uint64_t first = publisher.announce(content(1), now).value().sequence;
    EXPECT_EQ(first, now * 1000);
    const uint64_t second = publisher.announce(content(2), now - hour).value().sequence;
    EXPECT_EQ(second, first + 1);
    const uint64_t third = publisher.withdraw(content(1), now + 1).value().sequence;
    EXPECT_EQ(third, (now + 1) * 1000);
    // A restarted publisher (no state) continues above the old sequences once its clock has moved on.
    ProviderPublisher restarted(node_key(1));
    EXPECT_GT(restarted.announce(content(1), now + 2).value().sequence, third);
}

TEST(ProviderPublisher, WithdrawalsAndRefreshes) {
    ProviderPublisher publisher(node_key(1), {.announce_ttl_ms = 10 * hour, .refresh_margin_ms = 4 * hour, .announced_max = 3});
    Registry registry;
    ProviderTable table(ProviderTableOptions{}, registry.check());
    EXPECT_FALSE(publisher.withdraw(content(9), now).has_value());  // never announced
    ASSERT_EQ(table.apply(publisher.announce(content(1), now).value(), now), accepted());
    ASSERT_EQ(table.apply(publisher.announce(content(2), now + hour).value(), now + hour), accepted());
    ASSERT_EQ(table.apply(publisher.announce(content(3), now + 2 * hour).value(), now + 2 * hour), accepted());
    EXPECT_EQ(publisher.announce(content(4), now).error(), PublishError::limit_reached);
    EXPECT_TRUE(publisher.announce(content(3), now + 2 * hour).has_value());  // a re-announcement is not a new one

    EXPECT_TRUE(publisher.refresh(now + 5 * hour, 10).empty());  // nothing ends within 4 hours yet
    const uint64_t refresh_at = now + 7 * hour + 30 * 60 * 1000;
    const auto due = publisher.refresh(refresh_at, 10);
    ASSERT_EQ(due.size(), 2u);  // contents 1 and 2 end within 4 hours, soonest first; 3 does not
    EXPECT_EQ(due[0].content, content(1));
    EXPECT_EQ(due[1].content, content(2));
    for (const auto& record : due) {
        EXPECT_EQ(record.expires_at_ms, refresh_at + 10 * hour);
        EXPECT_EQ(table.apply(record, refresh_at), accepted());
    }
    EXPECT_TRUE(publisher.refresh(refresh_at, 10).empty());  // refreshed ones are not due again
    const ProviderRecord withdrawal = *publisher.withdraw(content(2), now + 8 * hour);
    EXPECT_EQ(withdrawal.action, ProviderAction::withdraw);
    EXPECT_EQ(withdrawal.expires_at_ms, now + 18 * hour);  // outlives every announcement signed before
    EXPECT_EQ(table.apply(withdrawal, now + 8 * hour), accepted());
    EXPECT_TRUE(table.providers(content(2), now + 8 * hour).empty());
    // Content 1 outlives its first announcement's expiry thanks to the refresh.
    EXPECT_EQ(table.providers(content(1), now + 11 * hour), std::vector{publisher.key()});
    EXPECT_EQ(publisher.announced(), 2u);
    EXPECT_TRUE(publisher.announce(content(4), now + 8 * hour).has_value());  // room again
}

}  // namespace
}  // namespace fleek::origins
