// The Fetcher over providers connected in process (transfer_loopback_test.h): failover from a
// provider that lies, stalls, breaks the protocol or disconnects to the next one, from the first
// block not held; the bounded wait for a provider; ranges first; one transfer for many readers.
#include "edge/fetcher.h"

#include "edge/transfer_loopback_test.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

using content::block_size;
using content::Hash32;
using crypto::NodePublicKey;
using loopback::Loopback;
using loopback::Node;
using loopback::put;
using loopback::random_bytes;
using loopback::slice;

class FetcherTest : public ::testing::Test {
protected:
    FetcherTest() : requester(net.add_node(100)) {
        options.provider_wait_ms = 1000;
        fetcher = std::make_unique<Fetcher>(
            *requester.store, *requester.client, [this](const Hash32&) { return providers; }, options, PeerScoreOptions{},
            [this] { return draws++; });  // ties go to the provider listed first
    }

    std::shared_ptr<FetchJob> start(const Hash32& hash, std::optional<uint64_t> want = std::nullopt) {
        auto job = std::make_shared<FetchJob>(hash, *requester.store, 16);
        if (want) job->want(*want);
        fetcher->start(job, net.now_ms);
        return job;
    }

    // Delivers messages and advances time in 100 ms ticks until the job ends or `limit_ms` passed.
    bool run(const std::shared_ptr<FetchJob>& job, uint64_t limit_ms = 60'000) {
        const uint64_t until = net.now_ms + limit_ms;
        while (!job->ended() && net.now_ms < until) {
            net.run();
            fetcher->plan_all(net.now_ms);
            net.run();
            net.now_ms += 100;
            net.tick();
            fetcher->tick(net.now_ms);
        }
        return job->ended();
    }

    // Every block of the job, read the way the gateway reads them.
    static Bytes read_all(FetchJob& job) {
        Bytes out;
        const uint64_t length = job.state().content_length.value();
        for (uint64_t k = 0; k < content::block_count(length); ++k) {
            auto block = job.block(k);
            EXPECT_TRUE(block && *block) << "block " << k;
            if (!block || !*block) break;
            out.insert(out.end(), (**block)->view().begin(), (**block)->view().end());
        }
        return out;
    }

    Loopback net;
    Node& requester;
    FetcherOptions options;
    std::vector<NodePublicKey> providers;
    uint64_t draws = 0;
    std::unique_ptr<Fetcher> fetcher;
};

// Tampers with the block message of block `index` from `liar`.
void corrupt_block(Loopback& net, Node& liar, Node& requester, uint64_t index) {
    net.link(liar.key, requester.key).tamper = [index](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferBlock>(message->body) &&
            std::get<content::TransferBlock>(message->body).index == index) {
            payload.back() ^= 0x01;
        }
        return true;
    };
}

TEST_F(FetcherTest, ABadProofScoresTheProviderDownAndTheNextOneContinuesFromThatBlock) {
    Node& liar = net.add_node(1);
    Node& honest = net.add_node(2);
    const Bytes content = random_bytes(9 * block_size + 100, 1);
    const Hash32 hash = put(liar, content);
    put(honest, content);
    corrupt_block(net, liar, requester, 4);
    providers = {liar.key, honest.key};

    auto job = start(hash);
    ASSERT_TRUE(run(job));
    const FetchJob::State state = job->state();
    ASSERT_TRUE(state.stored) << state.message;
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
    EXPECT_EQ(read_all(*job), content);
    // Caught at block 4: the liar is distrusted, the honest provider sent blocks 4..9 only.
    EXPECT_EQ(requester.client->stats(liar.key).failures[static_cast<size_t>(FetchFailure::proof_rejected)], 1u);
    EXPECT_EQ(fetcher->scores().tier(liar.key, net.now_ms), PeerTier::distrusted);
    EXPECT_EQ(honest.server->stats(requester.key).blocks_sent, 6u);
    EXPECT_EQ(liar.server->transfers(), 0u);  // the requester cancelled it at block 4
    EXPECT_EQ(fetcher->counters().transfers, 2u);
    EXPECT_EQ(fetcher->counters().resumed, 1u);
    EXPECT_EQ(fetcher->counters().from_peers, 1u);
    EXPECT_EQ(fetcher->active(), 0u);
}

TEST_F(FetcherTest, AStallingProviderTimesOutAndIsCountedAgainstIt) {
    Node& staller = net.add_node(1);
    Node& honest = net.add_node(2);
    const Bytes content = random_bytes(3 * block_size, 2);
    const Hash32 hash = put(staller, content);
    put(honest, content);
    net.link(staller.key, requester.key).tamper = [](Bytes&) { return false; };  // says nothing, ever
    providers = {staller.key, honest.key};

    auto job = start(hash);
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
    EXPECT_EQ(requester.client->stats(staller.key).failures[static_cast<size_t>(FetchFailure::peer_stalled)], 1u);
    EXPECT_EQ(fetcher->scores().tier(staller.key, net.now_ms), PeerTier::cooling);
}

TEST_F(FetcherTest, ProtocolViolationsAndOversizedOrUnrequestedMessagesAreCountedAndTheNextProviderIsTried) {
    Node& breaker = net.add_node(1);
    Node& bloater = net.add_node(3);
    Node& honest = net.add_node(2);
    const Bytes content = random_bytes(5 * block_size, 3);
    const Hash32 hash = put(breaker, content);
    put(bloater, content);
    put(honest, content);
    // The first provider renumbers block 2 as block 3 (out of order) and also sends a message for
    // a request id nobody opened.
    net.link(breaker.key, requester.key).tamper = [&](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferBlock>(message->body) &&
            std::get<content::TransferBlock>(message->body).index == 2) {
            payload[9] = 3;  // the block index's low byte
            (void)net.send(breaker.key, requester.key, content::encode_transfer_message({999, content::TransferError{content::TransferErrorCode::busy}}));
        }
        return true;
    };
    // The second replaces its first block with a message over the size limit.
    net.link(bloater.key, requester.key).tamper = [&](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferBlock>(message->body)) {
            payload.resize(content::transfer_message_bytes_max + 1, 0);
        }
        return true;
    };
    providers = {breaker.key, bloater.key, honest.key};

    auto job = start(hash);
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
    const RequesterPeerStats breaker_stats = requester.client->stats(breaker.key);
    EXPECT_EQ(breaker_stats.failures[static_cast<size_t>(FetchFailure::bad_frame)], 1u);
    EXPECT_GE(breaker_stats.bad_messages, 2u);  // the renumbered block and the unrequested answer
    EXPECT_EQ(fetcher->scores().tier(breaker.key, net.now_ms), PeerTier::distrusted);
    // The oversized message is refused undecoded; its transfer stalls and ends counted.
    const RequesterPeerStats bloater_stats = requester.client->stats(bloater.key);
    EXPECT_GE(bloater_stats.bad_messages, 1u);
    EXPECT_EQ(bloater_stats.failures[static_cast<size_t>(FetchFailure::peer_stalled)], 1u);
    EXPECT_EQ(honest.server->stats(requester.key).blocks_sent, 3u);  // blocks 2..4: 0 and 1 came from the breaker
}

TEST_F(FetcherTest, AHashNobodyHoldsIsNotFoundWithinTheProviderWait) {
    const Hash32 hash = crypto::blake3(as_bytes(std::string_view("nobody has this")));
    auto job = start(hash);
    const uint64_t started = net.now_ms;
    ASSERT_TRUE(run(job));
    EXPECT_EQ(job->state().error, MissError::not_found);
    EXPECT_GE(net.now_ms - started, options.provider_wait_ms);
    EXPECT_LE(net.now_ms - started, options.provider_wait_ms + 200);
    EXPECT_EQ(fetcher->counters().not_found, 1u);

    // Providers that all answer not found: the same answer.
    Node& stale1 = net.add_node(1);
    Node& stale2 = net.add_node(2);
    providers = {stale1.key, stale2.key};
    auto again = start(hash);
    ASSERT_TRUE(run(again));
    EXPECT_EQ(again->state().error, MissError::not_found);
    EXPECT_EQ(stale1.server->stats(requester.key).not_found, 1u);
    EXPECT_EQ(stale2.server->stats(requester.key).not_found, 1u);
    EXPECT_FALSE(requester.store->info(hash));
}

TEST_F(FetcherTest, AProviderThatAppearsDuringTheWaitResumesFromTheFailedBlock) {
    Node& first = net.add_node(1);
    Node& later = net.add_node(2);
    const Bytes content = random_bytes(8 * block_size, 4);
    const Hash32 hash = put(first, content);
    put(later, content);
    corrupt_block(net, first, requester, 5);
    providers = {first.key};

    auto job = start(hash);
    // The only provider fails at block 5: blocks 0..4 stay held, nothing is stored.
    for (int i = 0; i < 20 && job->state().blocks_verified < 5; ++i) run(job, 100);
    EXPECT_FALSE(run(job, 500));
    EXPECT_EQ(job->state().blocks_verified, 5u);
    EXPECT_FALSE(requester.store->info(hash));
    ASSERT_TRUE(job->partial());
    EXPECT_EQ(job->partial()->blocks_held(), 5u);

    providers = {first.key, later.key};  // a new announcement arrives
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    EXPECT_EQ(later.server->stats(requester.key).blocks_sent, 3u);  // 5, 6, 7
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
}

TEST_F(FetcherTest, ADisconnectedProviderWithNoReplacementLeavesNothingStored) {
    Node& only = net.add_node(1);
    const Bytes content = random_bytes(6 * block_size, 5);
    const Hash32 hash = put(only, content);
    providers = {only.key};
    auto job = start(hash);
    // Two blocks in, the provider goes away.
    size_t delivered = 0;
    net.link(only.key, requester.key).tamper = [&](Bytes&) { return ++delivered <= 3; };  // file + 2 blocks
    run(job, 300);
    EXPECT_EQ(job->state().blocks_verified, 2u);
    net.link(requester.key, only.key).connected = false;
    fetcher->on_peer_disconnected(only.key, net.now_ms);
    providers.clear();  // its records are withdrawn
    ASSERT_TRUE(run(job));
    EXPECT_EQ(job->state().error, MissError::failed);
    EXPECT_NE(job->state().message.find("disconnected"), std::string::npos) << job->state().message;
    EXPECT_EQ(requester.client->stats(only.key).failures[static_cast<size_t>(FetchFailure::peer_disconnected)], 1u);
    EXPECT_FALSE(requester.store->info(hash));
    EXPECT_FALSE(job->partial());
    auto block = job->block(0);
    ASSERT_TRUE(block);
    EXPECT_FALSE(*block);  // nothing is handed out after a failure
    job.reset();
    net.tick();  // the client forgets the dropped partial
    EXPECT_EQ(loopback::files_in(requester.dir / "store/tmp"), 0u);
    EXPECT_EQ(loopback::files_in(requester.dir / "store/objects"), 0u);
}

TEST_F(FetcherTest, AWantedRangeComesFirstThenTheRestIsFetchedAndStored) {
    Node& provider = net.add_node(1);
    const Bytes content = random_bytes(10 * block_size + 7, 6);
    const Hash32 hash = put(provider, content);
    providers = {provider.key};
    std::vector<std::pair<uint64_t, uint64_t>> requests;
    net.link(requester.key, provider.key).tamper = [&](Bytes& payload) {
        auto message = content::decode_transfer_message(payload);
        if (message && std::holds_alternative<content::TransferRequest>(message->body)) {
            const auto& request = std::get<content::TransferRequest>(message->body);
            requests.emplace_back(request.first_block, request.end_block);
        }
        return true;
    };
    auto job = start(hash, 6);
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    // Blocks 6.. first (the length was unknown: through the end), then 0..5.
    EXPECT_EQ(requests, (std::vector<std::pair<uint64_t, uint64_t>>{{6, 0}, {0, 6}}));
    EXPECT_EQ(provider.server->stats(requester.key).blocks_sent, 11u);  // each block once
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
}

TEST_F(FetcherTest, ARangePastTheEndLearnsTheLengthFromTheStart) {
    Node& provider = net.add_node(1);
    const Bytes content = random_bytes(2 * block_size, 7);
    const Hash32 hash = put(provider, content);
    providers = {provider.key};
    auto job = start(hash, 40);  // a Range beyond the content
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    EXPECT_EQ(job->state().content_length, content.size());
    EXPECT_EQ(fetcher->scores().tier(provider.key, net.now_ms), PeerTier::good);  // not the provider's fault
}

TEST_F(FetcherTest, ManyReadersShareOneTransfer) {
    Node& provider = net.add_node(1);
    const Bytes content = random_bytes(4 * block_size, 8);
    const Hash32 hash = put(provider, content);
    providers = {provider.key};
    auto job = start(hash);
    for (int reader = 0; reader < 20; ++reader) job->want(0);
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored);
    EXPECT_EQ(fetcher->counters().transfers, 1u);
    EXPECT_EQ(provider.server->stats(requester.key).requests, 1u);
}

TEST_F(FetcherTest, DirectoriesAreFetchedWholeAndStored) {
    Node& provider = net.add_node(1);
    const Bytes a = random_bytes(block_size + 3, 9);
    const Hash32 a_hash = put(provider, a);
    const Hash32 b_hash = put(provider, to_bytes("small"));
    auto directory = content::Directory::make({content::DirectoryEntry{"a.bin", content::EntryKind::file, a_hash, {}},
                                               content::DirectoryEntry{"b.txt", content::EntryKind::file, b_hash, {}}});
    ASSERT_TRUE(directory);
    const Hash32 hash = provider.store->put_directory(*directory).value();
    providers = {provider.key};
    auto job = start(hash);
    ASSERT_TRUE(run(job));
    ASSERT_TRUE(job->state().stored) << job->state().message;
    EXPECT_TRUE(job->state().is_directory);
    EXPECT_EQ(requester.store->read_range(a_hash, 0, a.size()).value(), a);
    EXPECT_TRUE(requester.store->info(hash));
}

// Readers get a fetched block as a view into the frame it arrived in (kept alive while the block
// is recent), not as a copy; a block handed over without an owner is copied.
TEST(FetchJobTest, KeepsBlocksWithAnOwnerAsViewsAndCopiesTheRest) {
    fleek::testing::ScratchDirectory dir;
    auto store = content::Blockstore::open(dir / "store", {}).value();
    FetchJob job(content::content_hash(Bytes(10, 1)), *store, 2);
    auto frame = std::make_shared<const Bytes>(Bytes(100, 7));
    const ByteSpan bytes = ByteSpan(*frame).subspan(20, 50);
    job.add_block(0, bytes, frame);
    job.add_block(1, bytes);
    EXPECT_EQ(frame.use_count(), 2);
    const content::BlockBuffer viewed = job.block(0).value().value();
    EXPECT_EQ(viewed->data(), bytes.data());
    EXPECT_EQ(viewed->size(), 50u);
    const content::BlockBuffer copied = job.block(1).value().value();
    EXPECT_NE(copied->data(), bytes.data());
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), copied->view().begin(), copied->view().end()));
    // Two recent blocks at most: the third pushes the first (and its frame) out.
    job.add_block(2, bytes);
    EXPECT_EQ(frame.use_count(), 2);  // `viewed` still holds it
    EXPECT_FALSE(job.block(0).value().has_value());
}

TEST_F(FetcherTest, ReadersAreWokenOnProgress) {
    Node& provider = net.add_node(1);
    const Bytes content = random_bytes(2 * block_size, 10);
    const Hash32 hash = put(provider, content);
    providers = {provider.key};
    auto job = start(hash);
    int woken = 0;
    job->when_changed(job->state().generation, [&] { ++woken; });
    EXPECT_EQ(woken, 0);
    ASSERT_TRUE(run(job));
    EXPECT_EQ(woken, 1);
    job->when_changed(0, [&] { ++woken; });  // already past: at once
    EXPECT_EQ(woken, 2);
}

}  // namespace
}  // namespace fleek::edge
